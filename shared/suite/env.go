package suite

// Environment variables the functions read. The CDK app sets them from these constants; the
// local pipeline sets them the same way. The AWS SDK's own variables (AWS_REGION,
// AWS_ENDPOINT_URL_IVS, AWS_MAX_ATTEMPTS, ...) are not repeated here.
const (
	// EnvEventBusName is the name of the suite's event bus (enrich, correct publish on it).
	EnvEventBusName = "EVENT_BUS_NAME"
	// EnvArchiveBucket is the S3 bucket of the archive (archive writes to it).
	EnvArchiveBucket = "ARCHIVE_BUCKET"
	// EnvAccountID is the deployment's own AWS account: the sweep sweeps it (with the function's
	// own AWS_REGION, and in a fleet every region and member account), listing only that
	// account's and region's live index and keeping its state apart; in a fleet the functions
	// call its channels with their own role (a member's through FleetRoleName).
	EnvAccountID = "ACCOUNT_ID"
	// EnvCorrectionMode is apply, dry-run or off.
	EnvCorrectionMode = "CORRECTION_MODE"
	// EnvDefaultMaximumResolution is SD, HD or FULL_HD; empty means "the highest track seen".
	EnvDefaultMaximumResolution = "DEFAULT_MAXIMUM_RESOLUTION"
	// EnvAllowTypeChange is true when the corrector may change a channel's type to STANDARD.
	EnvAllowTypeChange = "ALLOW_TYPE_CHANGE"
	// EnvAllowContainerFormatChange is true when the corrector may set containerFormat to
	// FRAGMENTED_MP4 (this also changes the format of recordings).
	EnvAllowContainerFormatChange = "ALLOW_CONTAINER_FORMAT_CHANGE"
	// EnvOptOutTag is the channel tag key that makes the corrector leave a channel alone.
	EnvOptOutTag = "OPT_OUT_TAG"
	// EnvCorrectionMaxAge is how long a correction may wait for its channel to go offline
	// (a Go duration such as 24h) before it is given up on and dead-lettered.
	EnvCorrectionMaxAge = "CORRECTION_MAX_AGE"
	// EnvCorrectionRetryDelay is the shortest wait of a correction whose channel is live (a Go
	// duration); each wait is as long as the correction has waited so far, at least this and
	// at most batch.MaxWait (11 h 45 min), so waits grow geometrically.
	EnvCorrectionRetryDelay = "CORRECTION_RETRY_DELAY"
	// EnvCorrectionLeaseRetryDelay is the wait of a correction whose channel's lease another
	// delivery holds (a Go duration; default DefaultCorrectionLeaseRetryDelay). The lease lasts
	// in real time; the local stack, whose SQS waits run faster, sets it so that the wait lasts
	// as long as deployed and a stuck lease spends as many receives as it would in AWS.
	EnvCorrectionLeaseRetryDelay = "CORRECTION_LEASE_RETRY_DELAY"
	// EnvEnrichMaxAttempts is how many deliveries enrich waits for a session to become visible
	// (or ended) in GetStreamSession before it publishes the record from the event alone.
	EnvEnrichMaxAttempts = "ENRICH_MAX_ATTEMPTS"
	// EnvEnrichLivePhase is true when enrich calls GetStreamSession when a session goes live
	// (its Stream Start) as well as when it ends (Session Ended); false: only at the end, one
	// call per session, for teams that only want the record.
	EnvEnrichLivePhase = "ENRICH_LIVE_PHASE"
	// EnvLockBucket is the S3 bucket that holds correct's per-channel leases (under
	// session.LockKeyPrefix); the deployment uses the archive bucket.
	EnvLockBucket = "LOCK_BUCKET"
	// EnvDeadLetterQueueURL is the URL of the function's own dead-letter queue, where correct
	// sends a correction it gives up on. It names a resource of the deployment, not a setting:
	// Settings.Environment takes it from Resources.
	EnvDeadLetterQueueURL = "DEAD_LETTER_QUEUE_URL"
)

// Defaults of the settings above, used by the CDK app's context and by LoadConfig.
const (
	DefaultCorrectionMode = "apply"
	// DefaultAllowTypeChange: changing a channel's type changes how it is transcoded and billed,
	// so it is opt-in.
	DefaultAllowTypeChange = false
	// DefaultAllowContainerFormatChange: multitrack input requires FRAGMENTED_MP4, so enabling it
	// on a TS channel needs this; it also changes the recordings' format (documented).
	DefaultAllowContainerFormatChange = true
	DefaultOptOutTag                  = "ivs-sessions:opt-out"
	DefaultCorrectionMaxAge           = "24h"
	DefaultCorrectionRetryDelay       = "60s"
	DefaultCorrectionLeaseRetryDelay  = "5s"
	DefaultEnrichMaxAttempts          = 5
	DefaultEnrichLivePhase            = true
	DefaultArchiveRetentionDays       = 3650
)

// Metric names, in the CloudWatch namespace MetricNamespace, emitted in Embedded Metric Format by
// the functions and read by the CDK app's dashboard and alarms.
const (
	MetricNamespace = "IVSSessions"

	MetricEvents        = "Events"         // dimension DetailType: IVS events received
	MetricRejected      = "RejectedEvents" // dimension Function: malformed or unknown, acknowledged
	MetricEnrichments   = "Enrichments"    // dimension Enriched (true|false)
	MetricSessions      = "Sessions"       // sessions archived (first write of a record)
	MetricMultitrack    = "MultitrackSessions"
	MetricRefusals      = "Refusals"    // dimension Code
	MetricCorrections   = "Corrections" // dimension Outcome (applied, dry-run, none, manual, ...)
	MetricArchiveWrites = "ArchiveWrites"
	MetricIVSThrottles  = "IVSThrottles" // dimension Function
	// MetricReplayed counts the events of an EventBridge replay a function handled (dimension
	// Function): enrich and quality publish what they make from them marked as replayed
	// (session.Trigger.ReplayName), and correct changes no channel for them.
	MetricReplayed = "ReplayedEvents"
	// MetricOutOfBounds counts the fields of IVS events that broke their bounds but feed no key,
	// identity or decision (dimension Field, e.g. detail.channel_name): the event was kept, the
	// field bounded and escaped (ivsevent.OutOfBounds).
	MetricOutOfBounds = "FieldsOutOfBounds"
	DimensionField    = "Field"
	// MetricAccessErrors counts the functions' log lines whose error says AWS refused them
	// (AccessDenied, a missing bucket or queue): a CloudWatch Logs metric filter, no dimension.
	MetricAccessErrors = "AccessErrors"
	// AccessErrorPattern is the regular expression (CloudWatch Logs' and Go's alike) of the
	// errors with which AWS refuses a call for want of a permission or a resource. They look
	// transient (retrying helps once IAM propagates), so they are retried, and would reach the
	// dead-letter queue's alarm only after every receive: the AccessErrors metric filter matches
	// the functions' log attribute LogKeyErr against it.
	AccessErrorPattern = `AccessDenied|not authorized|NoSuchBucket|NonExistentQueue`
	// MetricStreamSessionCalls counts GetStreamSession calls by the phase they enrich
	// (dimension Phase: live, end, sweep); MetricCallsSaved counts the calls a phase event did
	// not need (dimension Reason: archive, batch, repeated).
	MetricStreamSessionCalls = "StreamSessionCalls"
	MetricCallsSaved         = "StreamSessionCallsSaved"
	// MetricLiveSweepBacklog is, after each live sweep run, how many sessions the live index
	// holds that IVS no longer lists as live and the run did not get to (its deadline came
	// first; the next run resumes there): 0 when the run finished. MetricLiveSessions is how
	// many entries the run listed (sessions whose Session Ended the archive has not had yet).
	MetricLiveSweepBacklog = "LiveSweepBacklog"
	MetricLiveSessions     = "LiveSessions"

	DimensionDetailType = "DetailType"
	DimensionFunction   = "Function"
	DimensionCode       = "Code"
	DimensionOutcome    = "Outcome"
	DimensionEnriched   = "Enriched"
	DimensionPhase      = "Phase"
	DimensionReason     = "Reason"
)

// Log attribute keys used across the functions (shared/batch and the handlers write them; the
// AccessErrors metric filter of the CDK app and scripts/invoke read them).
const (
	LogKeyMessageID = "messageId" // the SQS message a line is about
	LogKeyErr       = "err"       // the error
	LogKeyReason    = "reason"    // why a message was rejected
)
