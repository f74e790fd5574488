package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
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
	// RetryDelay is the shortest wait for a live channel, the first one; each later wait is
	// the time waited so far, at most batch.MaxWait (CORRECTION_RETRY_DELAY, default 60s, at
	// most batch.MaxVisibility).
	RetryDelay time.Duration
	// LeaseRetryDelay is the wait of a message whose channel another delivery is correcting:
	// that correction takes a few calls, never a wait for the channel (which goes through the
	// queue) (CORRECTION_LEASE_RETRY_DELAY, default 5s, from 1s to 12h).
	LeaseRetryDelay time.Duration
	// LockBucket is the S3 bucket of the per-channel leases, under session.LockKeyPrefix
	// (LOCK_BUCKET, required; the deployment's archive bucket).
	LockBucket string
	// LeaseTTL is how long a channel's lease lasts unless it is released: twice the function's
	// timeout, so that the lease of an invocation cut off by its timeout lapses soon after.
	LeaseTTL time.Duration
	// DeadLetterQueueURL is the URL of the function's own dead-letter queue, where a correction
	// past MaxAge is sent (DEAD_LETTER_QUEUE_URL, required).
	DeadLetterQueueURL string
	// Fleet is the fleet the deployment covers (FLEET_REGIONS, FLEET_MEMBER_ACCOUNTS) and
	// Account its own account (ACCOUNT_ID); the zero Fleet in a single-region deployment.
	Fleet   suite.Fleet
	Account string
}

// leaseTTLFactor: a lease lasts twice the function's timeout.
const leaseTTLFactor = 2

// LoadConfig reads the configuration from getenv (os.Getenv in main). Errors are
// *invalid.FieldError naming the variable.
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
		return Config{}, &invalid.FieldError{Field: suite.EnvCorrectionRetryDelay, Want: "a duration from 1s to 12h (SQS's visibility timeout range)", Got: getenv(suite.EnvCorrectionRetryDelay)}
	}
	defLease, err := time.ParseDuration(suite.DefaultCorrectionLeaseRetryDelay)
	if err != nil {
		return Config{}, fmt.Errorf("default %s %q: %w", suite.EnvCorrectionLeaseRetryDelay, suite.DefaultCorrectionLeaseRetryDelay, err)
	}
	if cfg.LeaseRetryDelay, err = suite.Duration(getenv, suite.EnvCorrectionLeaseRetryDelay, defLease); err != nil {
		return Config{}, err
	}
	if cfg.LeaseRetryDelay > batch.MaxVisibility || cfg.LeaseRetryDelay < time.Second {
		return Config{}, &invalid.FieldError{Field: suite.EnvCorrectionLeaseRetryDelay, Want: "a duration from 1s to 12h (SQS's visibility timeout range)", Got: getenv(suite.EnvCorrectionLeaseRetryDelay)}
	}
	if cfg.LockBucket, err = suite.Required(getenv, suite.EnvLockBucket, "the S3 bucket of the channels' leases"); err != nil {
		return Config{}, err
	}
	cfg.LeaseTTL = leaseTTLFactor * suite.Deployment[suite.FunctionCorrect].Timeout
	const wantQueue = "the URL of the function's dead-letter queue (https://sqs.<region>.amazonaws.com/<account>/<name>)"
	if cfg.DeadLetterQueueURL, err = suite.Required(getenv, suite.EnvDeadLetterQueueURL, wantQueue); err != nil {
		return Config{}, err
	}
	if u, err := url.Parse(cfg.DeadLetterQueueURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(u.Path) < 2 {
		return Config{}, &invalid.FieldError{Field: suite.EnvDeadLetterQueueURL, Want: wantQueue, Got: cfg.DeadLetterQueueURL}
	}
	if cfg.Fleet, cfg.Account, err = suite.LoadFleet(getenv); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
