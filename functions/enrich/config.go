package main

import (
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Config is enrich's configuration, read once per cold start.
type Config struct {
	// EventBusName is the bus enriched sessions are published on (EVENT_BUS_NAME, required).
	EventBusName string
	// MaxAttempts is how many deliveries of an event wait for its session to show in
	// GetStreamSession (and, once it ended, to have an endTime) before the record is published
	// without it (ENRICH_MAX_ATTEMPTS, default suite.DefaultEnrichMaxAttempts).
	MaxAttempts int
	// Correction configures the correction policy (CORRECTION_MODE, DEFAULT_MAXIMUM_RESOLUTION,
	// ALLOW_TYPE_CHANGE, ALLOW_CONTAINER_FORMAT_CHANGE, OPT_OUT_TAG; see suite.LoadCorrection).
	Correction multitrack.Config
	// LivePhase: GetStreamSession when a session goes live (Stream Start) as well as when it
	// ends (ENRICH_LIVE_PHASE, default suite.DefaultEnrichLivePhase); false: one call a session.
	LivePhase bool
	// ArchiveBucket is the archive, read (never written) so that a repeated event of a phase
	// already enriched costs no IVS call (ARCHIVE_BUCKET; empty: not read).
	ArchiveBucket string
	// CallsPerSecond is this instance's pacing of GetStreamSession (IVS_CALLS_PER_SECOND,
	// default suite.InstanceRate of the default quota share): in a fleet, in each region and
	// account.
	CallsPerSecond float64
	// Fleet is the fleet the deployment covers (FLEET_REGIONS, FLEET_MEMBER_ACCOUNTS) and
	// Account its own account (ACCOUNT_ID); the zero Fleet in a single-region deployment.
	Fleet   suite.Fleet
	Account string
}

// LoadConfig reads the configuration from getenv (os.Getenv in main). It returns a
// *invalid.FieldError naming the first variable that is missing or invalid.
func LoadConfig(getenv suite.Getenv) (Config, error) {
	bus, err := suite.Required(getenv, suite.EnvEventBusName, "the name of the suite's event bus")
	if err != nil {
		return Config{}, err
	}
	attempts, err := suite.PositiveInt(getenv, suite.EnvEnrichMaxAttempts, suite.DefaultEnrichMaxAttempts)
	if err != nil {
		return Config{}, err
	}
	correction, err := suite.LoadCorrection(getenv)
	if err != nil {
		return Config{}, err
	}
	live, err := suite.Bool(getenv, suite.EnvEnrichLivePhase, suite.DefaultEnrichLivePhase)
	if err != nil {
		return Config{}, err
	}
	rate, err := suite.Rate(getenv, suite.EnvIVSCallsPerSecond, suite.InstanceRate(suite.FunctionEnrich, suite.DefaultIVSQuotaShare))
	if err != nil {
		return Config{}, err
	}
	fleet, account, err := suite.LoadFleet(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{EventBusName: bus, MaxAttempts: attempts, Correction: correction, LivePhase: live,
		ArchiveBucket: getenv(suite.EnvArchiveBucket), CallsPerSecond: rate, Fleet: fleet, Account: account}, nil
}
