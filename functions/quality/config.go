package main

import (
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Config is quality's configuration, read once per cold start.
type Config struct {
	// EventBusName is the bus measurements are published on (EVENT_BUS_NAME, required).
	EventBusName string
	// MaxAttempts is how many deliveries wait for CloudWatch to have the session's metrics
	// (QUALITY_MAX_ATTEMPTS, default suite.DefaultQualityMaxAttempts).
	MaxAttempts int
	// RetryDelay is the wait before the next read (QUALITY_RETRY_DELAY, default
	// suite.DefaultQualityRetryDelay).
	RetryDelay time.Duration
	// DatapointsPerSecond paces GetMetricData (METRICS_DATAPOINTS_PER_SECOND, default
	// suite.DefaultMetricsPerSecond): in a fleet, in each region and account.
	DatapointsPerSecond int
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
	attempts, err := suite.PositiveInt(getenv, suite.EnvQualityMaxAttempts, suite.DefaultQualityMaxAttempts)
	if err != nil {
		return Config{}, err
	}
	delay, err := suite.Duration(getenv, suite.EnvQualityRetryDelay, suite.DefaultQualityRetryDelay)
	if err != nil {
		return Config{}, err
	}
	dps, err := suite.PositiveInt(getenv, suite.EnvMetricsPerSecond, suite.DefaultMetricsPerSecond)
	if err != nil {
		return Config{}, err
	}
	fleet, account, err := suite.LoadFleet(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{EventBusName: bus, MaxAttempts: attempts, RetryDelay: delay, DatapointsPerSecond: dps, Fleet: fleet, Account: account}, nil
}
