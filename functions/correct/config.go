package main

import (
	"fmt"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Config is the corrector's configuration, read once per cold start.
type Config struct {
	// EventBusName is the suite's bus, where corrections are published (EVENT_BUS_NAME).
	EventBusName string
	// Correction is the correction policy's configuration (suite.LoadCorrection).
	Correction multitrack.Config
	// MaxAge is how long a correction may wait for its channel to go offline, counted from
	// when the message was sent (CORRECTION_MAX_AGE, default 24h).
	MaxAge time.Duration
	// RetryDelay is the first wait for a live channel; each receive doubles it
	// (CORRECTION_RETRY_DELAY, default 60s, at most batch.MaxVisibility).
	RetryDelay time.Duration
}

// LoadConfig reads the configuration from getenv (os.Getenv in main). Errors are
// *ivsevent.FieldError naming the variable.
func LoadConfig(getenv suite.Getenv) (Config, error) {
	var cfg Config
	var err error
	if cfg.EventBusName, err = suite.Required(getenv, suite.EnvEventBusName, "the name of the suite's event bus"); err != nil {
		return Config{}, err
	}
	if cfg.Correction, err = suite.LoadCorrection(getenv); err != nil {
		return Config{}, err
	}
	defMaxAge, err := time.ParseDuration(suite.DefaultCorrectionMaxAge)
	if err != nil {
		return Config{}, fmt.Errorf("default %s %q: %w", suite.EnvCorrectionMaxAge, suite.DefaultCorrectionMaxAge, err)
	}
	if cfg.MaxAge, err = suite.Duration(getenv, suite.EnvCorrectionMaxAge, defMaxAge); err != nil {
		return Config{}, err
	}
	defDelay, err := time.ParseDuration(suite.DefaultCorrectionRetryDelay)
	if err != nil {
		return Config{}, fmt.Errorf("default %s %q: %w", suite.EnvCorrectionRetryDelay, suite.DefaultCorrectionRetryDelay, err)
	}
	if cfg.RetryDelay, err = suite.Duration(getenv, suite.EnvCorrectionRetryDelay, defDelay); err != nil {
		return Config{}, err
	}
	if cfg.RetryDelay > batch.MaxVisibility || cfg.RetryDelay < time.Second {
		return Config{}, &ivsevent.FieldError{Field: suite.EnvCorrectionRetryDelay, Want: "a duration from 1s to 12h (SQS's visibility timeout range)", Got: getenv(suite.EnvCorrectionRetryDelay)}
	}
	return cfg, nil
}
