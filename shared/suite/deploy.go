package suite

import (
	"strconv"
	"time"
)

// FunctionSettings is how one function is deployed and fed: the CDK app deploys exactly these
// and the local pipeline runs with exactly these (scaled in time where it must be quick).
type FunctionSettings struct {
	MemoryMB int
	Timeout  time.Duration
	// BatchSize and BatchWindow are the SQS event source mapping's batching.
	BatchSize   int
	BatchWindow time.Duration
	// MaxConcurrency caps the concurrent batches (the event source mapping's maximum
	// concurrency); for the IVS-calling functions it keeps the suite under the IVS quota.
	MaxConcurrency int
	// MaxReceiveCount is how many deliveries a message gets before it moves to the DLQ.
	MaxReceiveCount int
	// Retention is how long the queue keeps a message; it bounds how long a correction can wait.
	Retention time.Duration
}

// VisibilityTimeout is the queue's visibility timeout: six times the function timeout, as the
// Lambda documentation recommends for SQS event sources.
func (f FunctionSettings) VisibilityTimeout() time.Duration { return 6 * f.Timeout }

// Functions' deployment. Memory: the functions are I/O bound; 256 MB gives a fast enough CPU
// share for JSON work and cold starts, at a fraction of the cost of more. Timeouts leave room
// for the SDK's paced retries (ivsquota: up to 6 attempts, 10 s backoff at most).
var Deployment = map[string]FunctionSettings{
	// enrich: one GetStreamSession per event; MaxReceiveCount must exceed EnrichMaxAttempts so
	// a session that never becomes visible is published from its event before the DLQ.
	FunctionEnrich: {MemoryMB: 256, Timeout: 60 * time.Second, BatchSize: 10, BatchWindow: 5 * time.Second,
		MaxConcurrency: MaxConcurrency, MaxReceiveCount: 10, Retention: 4 * 24 * time.Hour},
	// correct: a correction waits for its channel to go offline by coming back with a growing
	// visibility timeout (each wait is a receive), so it needs many receives and a retention
	// longer than the maximum age of a correction.
	FunctionCorrect: {MemoryMB: 256, Timeout: 60 * time.Second, BatchSize: 5, BatchWindow: 5 * time.Second,
		MaxConcurrency: MaxConcurrency, MaxReceiveCount: 20, Retention: 14 * 24 * time.Hour},
	// archive: S3 only, so more concurrency is fine; conditional writes keep concurrent
	// writers of one record from losing an update.
	FunctionArchive: {MemoryMB: 256, Timeout: 30 * time.Second, BatchSize: 10, BatchWindow: time.Second,
		MaxConcurrency: 5, MaxReceiveCount: 5, Retention: 4 * 24 * time.Hour},
}

// Settings are the suite's deploy-time settings (CDK context in the app, flags locally).
type Settings struct {
	CorrectionMode             string // apply, dry-run or off
	DefaultMaximumResolution   string // SD, HD, FULL_HD or "" (from the tracks)
	AllowTypeChange            bool
	AllowContainerFormatChange bool
	OptOutTag                  string
	CorrectionMaxAge           time.Duration
	CorrectionRetryDelay       time.Duration
	EnrichMaxAttempts          int
}

// DefaultSettings returns the settings used when nothing is configured.
func DefaultSettings() Settings {
	age, _ := time.ParseDuration(DefaultCorrectionMaxAge)
	delay, _ := time.ParseDuration(DefaultCorrectionRetryDelay)
	return Settings{
		CorrectionMode:             DefaultCorrectionMode,
		AllowTypeChange:            DefaultAllowTypeChange,
		AllowContainerFormatChange: DefaultAllowContainerFormatChange,
		OptOutTag:                  DefaultOptOutTag,
		CorrectionMaxAge:           age,
		CorrectionRetryDelay:       delay,
		EnrichMaxAttempts:          DefaultEnrichMaxAttempts,
	}
}

// Environment returns the environment variables of function fn (one of Functions), given the
// name of the suite's event bus and the archive bucket. The CDK app and the local pipeline both
// take a function's environment from here. It returns nil for an unknown function.
func (s Settings) Environment(fn, eventBusName, archiveBucket string) map[string]string {
	correction := map[string]string{
		EnvCorrectionMode:             s.CorrectionMode,
		EnvDefaultMaximumResolution:   s.DefaultMaximumResolution,
		EnvAllowTypeChange:            strconv.FormatBool(s.AllowTypeChange),
		EnvAllowContainerFormatChange: strconv.FormatBool(s.AllowContainerFormatChange),
		EnvOptOutTag:                  s.OptOutTag,
	}
	switch fn {
	case FunctionEnrich:
		correction[EnvEventBusName] = eventBusName
		correction[EnvEnrichMaxAttempts] = strconv.Itoa(s.EnrichMaxAttempts)
		return correction
	case FunctionCorrect:
		correction[EnvEventBusName] = eventBusName
		correction[EnvCorrectionMaxAge] = s.CorrectionMaxAge.String()
		correction[EnvCorrectionRetryDelay] = s.CorrectionRetryDelay.String()
		return correction
	case FunctionArchive:
		return map[string]string{EnvArchiveBucket: archiveBucket}
	}
	return nil
}
