package suite

import (
	"strconv"
	"time"
)

// FunctionSettings is how one function is deployed and fed: the CDK app deploys exactly these
// and the local stack runs with exactly these (scaled in time where it must be quick).
type FunctionSettings struct {
	MemoryMB int
	Timeout  time.Duration
	// BatchSize and BatchWindow are the SQS event source mapping's batching.
	BatchSize   int
	BatchWindow time.Duration
	// MaxConcurrency caps the concurrent batches (the event source mapping's maximum
	// concurrency; 0: not capped); for the IVS-calling functions it keeps the suite under the
	// IVS quota.
	MaxConcurrency int
	// MaxReceiveCount is how many deliveries a message gets before it moves to the DLQ.
	MaxReceiveCount int
	// Retention is how long the queue keeps a message; it bounds how long a correction can wait.
	Retention time.Duration
	// DeliveryDelay is the queue's delivery delay (SQS DelaySeconds, at most 15 minutes): how
	// long every message waits before its first delivery. 0: none.
	DeliveryDelay time.Duration
}

// DeadLetterAlarmThreshold is the depth at which a function's dead-letter queue alarms (its
// ApproximateNumberOfMessagesVisible, the maximum over the alarm's period): a single message.
// The CDK app sets every DLQ's depth alarm at it; the soak checks each DLQ it leaves with
// messages against it.
const DeadLetterAlarmThreshold = 1

// visibilityFactor: AWS recommends a queue visibility timeout of at least six times the
// function timeout (plus the batching window), so a message is not redelivered while a slow or
// retried invocation still holds it.
const visibilityFactor = 6

// VisibilityTimeout is the source queue's visibility timeout.
func (f FunctionSettings) VisibilityTimeout() time.Duration {
	return visibilityFactor*f.Timeout + f.BatchWindow
}

// Functions sizes each of Functions for the settings s.
//
// Memory: the handlers are small Go binaries that use well under 64 MB; 256 MB is chosen for the
// CPU share that comes with it (TLS handshakes and JSON), which shortens every invocation at
// about the same cost per call as 128 MB.
func (s Settings) Functions() map[string]FunctionSettings {
	return map[string]FunctionSettings{
		FunctionEnrich: {
			MemoryMB: 256,
			// A batch of up to 10 records, each one GetStreamSession and one PutEvents, with the
			// SDK retryer backing off on ThrottlingException (the 5 TPS IVS quota is shared with
			// everything else in the account).
			Timeout:     60 * time.Second,
			BatchSize:   10,
			BatchWindow: 2 * time.Second, // sessions are minutes long: 2 s of latency saves invocations
			// Two concurrent pollers at most (the smallest cap Lambda accepts) keep enrich's
			// GetStreamSession rate under the quota; a burst is drained at that pace, not dropped.
			MaxConcurrency: MaxConcurrency,
			// enrich acknowledges a session only after it is visible in GetStreamSession or after
			// EnrichMaxAttempts deliveries; five more deliveries ride out throttling and 5xx after that.
			MaxReceiveCount: s.EnrichMaxAttempts + 5,
			Retention:       4 * 24 * time.Hour,
		},
		FunctionCorrect: {
			MemoryMB: 256,
			// GetChannel, GetStream, UpdateChannel and PutEvents for one record.
			Timeout: 30 * time.Second,
			// One correction per invocation: each waits for its own channel to go offline and has
			// its own visibility schedule (ChangeMessageVisibility), and corrections are rare.
			BatchSize:      1,
			MaxConcurrency: MaxConcurrency,
			// A correction waiting for a live channel is received many times; the function gives
			// up after CorrectionMaxAge. This count is only the backstop against a poison message.
			MaxReceiveCount: 100,
			// Messages must outlive the longest wait (maximum age, plus a day of slack).
			Retention: max(4*24*time.Hour, s.CorrectionMaxAge+24*time.Hour),
		},
		FunctionArchive: {
			MemoryMB: 256,
			// A batch of up to 10 read-merge-conditional-write cycles against S3.
			Timeout:   30 * time.Second,
			BatchSize: 10,
			// Nobody waits for the archive: a 5 s window batches the burst at a session's end.
			BatchWindow: 5 * time.Second,
			// S3 has no 5 TPS quota: archive is not capped beyond the account's concurrency.
			MaxReceiveCount: 5, // write conflicts are retried inside; five deliveries ride out 5xx
			Retention:       4 * 24 * time.Hour,
		},
		FunctionQuality: qualityFunction(),
	}
}

// SweepSettings is how the sweep is deployed: a scheduled function (no queue), one live run and
// one window run at a time (reserved concurrency SweepConcurrency), with the longest timeout
// Lambda allows; a run cut short saves its progress and the next one of its kind resumes it.
var SweepSettings = FunctionSettings{MemoryMB: 256, Timeout: 15 * time.Minute, MaxConcurrency: SweepConcurrency}

// The sweep's default schedules (EventBridge schedule expressions): the live sweep (sessions
// left live whose stream ended) and the window's runs. A window run resumes an unfinished
// window, or starts the next once a day has passed since the last one ended; it stops before
// its 15-minute timeout, so every 20 minutes a run never overlaps the one before, and a
// window of 10,000 channels (10,100 list calls at the sweep's 0.3 calls/s) takes about 13
// hours of runs.
const (
	DefaultSweepSchedule      = "rate(10 minutes)"
	DefaultSweepDailySchedule = "rate(20 minutes)"
	// MaxBackfillDays is how far a backfill reaches: IVS keeps a stream session 60 days.
	MaxBackfillDays = 60
)

// Deployment is Functions for DefaultSettings.
var Deployment = DefaultSettings().Functions()

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
	// EnrichLivePhase: GetStreamSession at go-live as well as at the end (EnvEnrichLivePhase).
	EnrichLivePhase bool
	// IVSQuotaShare is the share (0 to 1) of each IVS operation's quota the suite may use,
	// split between the live path and the sweep (see LiveBudget, SweepBudget).
	IVSQuotaShare float64
	// Fleet is the regions and member accounts the deployment covers; the zero Fleet is a
	// single-region deployment.
	Fleet Fleet
}

// CorrectionEnvironment returns the correction policy's variables, as LoadCorrection reads
// them. An empty DefaultMaximumResolution is left out: unset means "the highest track".
func (s Settings) CorrectionEnvironment() map[string]string {
	env := map[string]string{
		EnvCorrectionMode:             s.CorrectionMode,
		EnvAllowTypeChange:            strconv.FormatBool(s.AllowTypeChange),
		EnvAllowContainerFormatChange: strconv.FormatBool(s.AllowContainerFormatChange),
		EnvOptOutTag:                  s.OptOutTag,
	}
	if s.DefaultMaximumResolution != "" {
		env[EnvDefaultMaximumResolution] = s.DefaultMaximumResolution
	}
	return env
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
		EnrichLivePhase:            DefaultEnrichLivePhase,
		IVSQuotaShare:              DefaultIVSQuotaShare,
	}
}

// Resources are the deployed resources a function's environment names.
type Resources struct {
	EventBus string // the name of the suite's event bus (EnvEventBusName)
	// ArchiveBucket is the archive bucket: archive writes it, enrich and the sweep read it
	// (EnvArchiveBucket), and it holds correct's leases (EnvLockBucket) and the sweep's state.
	ArchiveBucket string
	// Account is the AWS account the stack is deployed in (EnvAccountID): the sweep's, and in a
	// fleet every FleetFunctions' (the account whose channels they call with their own role).
	Account string
	// DeadLetterQueueURL is the URL of the function's own dead-letter queue; only correct reads
	// it (EnvDeadLetterQueueURL).
	DeadLetterQueueURL string
}

// Environment returns the environment variables of function fn (one of Functions), naming the
// resources r. The CDK app (with CDK tokens for r) and the local stacks take every function's
// environment from here. In a fleet, the functions that call IVS or CloudWatch in the channels'
// regions (FleetFunctions) are also given the fleet (EnvFleetRegions, EnvFleetMemberAccounts)
// and the deployment's account (EnvAccountID). It returns nil for an unknown function.
func (s Settings) Environment(fn string, r Resources) map[string]string {
	env := s.environment(fn, r)
	if env != nil {
		s.Fleet.fleetEnvironment(env, fn, r.Account)
	}
	return env
}

func (s Settings) environment(fn string, r Resources) map[string]string {
	correction := s.CorrectionEnvironment()
	switch fn {
	case FunctionEnrich:
		correction[EnvEventBusName] = r.EventBus
		correction[EnvEnrichMaxAttempts] = strconv.Itoa(s.EnrichMaxAttempts)
		correction[EnvEnrichLivePhase] = strconv.FormatBool(s.EnrichLivePhase)
		correction[EnvIVSCallsPerSecond] = formatRate(InstanceRate(fn, s.share()))
		// enrich reads the archive (never writes it): a repeated event costs no IVS call.
		correction[EnvArchiveBucket] = r.ArchiveBucket
		return correction
	case FunctionCorrect:
		correction[EnvEventBusName] = r.EventBus
		correction[EnvCorrectionMaxAge] = s.CorrectionMaxAge.String()
		correction[EnvCorrectionRetryDelay] = s.CorrectionRetryDelay.String()
		correction[EnvLockBucket] = r.ArchiveBucket
		correction[EnvDeadLetterQueueURL] = r.DeadLetterQueueURL
		correction[EnvIVSCallsPerSecond] = formatRate(InstanceRate(fn, s.share()))
		return correction
	case FunctionArchive:
		return map[string]string{EnvArchiveBucket: r.ArchiveBucket}
	case FunctionQuality:
		return qualityEnvironment(r.EventBus)
	case FunctionSweep:
		correction[EnvEventBusName] = r.EventBus
		correction[EnvArchiveBucket] = r.ArchiveBucket
		correction[EnvAccountID] = r.Account
		correction[EnvIVSCallsPerSecond] = formatRate(InstanceRate(fn, s.share()))
		return correction
	}
	return nil
}

// share is IVSQuotaShare, or DefaultIVSQuotaShare when it is not set.
func (s Settings) share() float64 {
	if s.IVSQuotaShare > 0 {
		return s.IVSQuotaShare
	}
	return DefaultIVSQuotaShare
}
