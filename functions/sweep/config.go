package main

import (
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Config is the sweep's configuration, read once per cold start.
type Config struct {
	EventBusName   string            // EVENT_BUS_NAME, required
	ArchiveBucket  string            // ARCHIVE_BUCKET, required: records read, progress under sweep/
	Account        string            // ACCOUNT_ID, required: the account swept (with AWS_REGION)
	CallsPerSecond float64           // IVS_CALLS_PER_SECOND, default suite.InstanceRate of the default share
	Correction     multitrack.Config // as enrich: a swept refusal is decided alike
	// Fleet is the fleet the deployment covers (FLEET_REGIONS, FLEET_MEMBER_ACCOUNTS); the zero
	// Fleet in a single-region deployment.
	Fleet suite.Fleet
}

// LoadConfig reads the configuration from getenv (os.Getenv in main). It returns a
// *invalid.FieldError naming the first variable that is missing or invalid.
func LoadConfig(getenv suite.Getenv) (Config, error) {
	bus, err := suite.Required(getenv, suite.EnvEventBusName, "the name of the suite's event bus")
	if err != nil {
		return Config{}, err
	}
	bucket, err := suite.Required(getenv, suite.EnvArchiveBucket, "the name of the archive's S3 bucket")
	if err != nil {
		return Config{}, err
	}
	account, err := suite.Required(getenv, suite.EnvAccountID, "the 12-digit AWS account the sweep sweeps")
	if err != nil {
		return Config{}, err
	}
	if err := ivsevent.CheckAccount(suite.EnvAccountID, account); err != nil {
		return Config{}, err
	}
	rate, err := suite.Rate(getenv, suite.EnvIVSCallsPerSecond, suite.InstanceRate(suite.FunctionSweep, suite.DefaultIVSQuotaShare))
	if err != nil {
		return Config{}, err
	}
	correction, err := suite.LoadCorrection(getenv)
	if err != nil {
		return Config{}, err
	}
	fleet, _, err := suite.LoadFleet(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{EventBusName: bus, ArchiveBucket: bucket, Account: account, CallsPerSecond: rate, Correction: correction, Fleet: fleet}, nil
}
