package ivssessions

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Key prefixes of the archive bucket. The archive function writes only under these
// (session.Record.Key: sessions/year=YYYY/month=MM/day=DD/channel=<id>/<stream-id>.json, and
// session.Corrected.Key: the same layout under corrections/); its IAM grants and the Glue tables
// are built from them.
const (
	SessionsPrefix    = session.KeyPrefix
	CorrectionsPrefix = session.CorrectionKeyPrefix
	// AccountEventsPrefix holds the records of account-level events (limit breaches with no
	// channel).
	AccountEventsPrefix = session.AccountEventKeyPrefix
	// LinksPrefix holds each channel's index of applied corrections
	// (session.AppliedCorrections), which links a refused session to the next session on its
	// channel. Not a record: no table covers it.
	LinksPrefix = session.LinkKeyPrefix
)

// LocksPrefix holds correct's per-channel leases (locks/channel=<id>.json, shared/lease), which
// only correct reads and writes. They are not records: no table covers them, and a lifecycle
// rule removes them after locksExpirationDays.
const LocksPrefix = session.LockKeyPrefix

// ArchivePrefixes are the prefixes the archive function reads and writes, and nothing else.
var ArchivePrefixes = []string{SessionsPrefix, CorrectionsPrefix, AccountEventsPrefix, LinksPrefix}

// Lifecycle of the buckets.
const (
	// archiveTransitionDays: records move to S3 Intelligent-Tiering after a month. S3 does not
	// transition objects under 128 KB (the bucket default, set explicitly below) because the
	// infrequent-access tiers bill them as 128 KB; small records stay in Standard, where they are
	// cheaper, and large ones (long sessions with many events) tier down.
	archiveTransitionDays = 30
	// liveIndexNoncurrentDays: a deleted entry of the live index is kept this long.
	liveIndexNoncurrentDays = 1
	// archiveNoncurrentDays: every merge of a record writes a new version; older versions are
	// kept this long so a bad write can be undone, then expire.
	archiveNoncurrentDays = 30
	// accessLogDays: S3 server access logs, kept for investigations.
	accessLogDays = 365
	// queryResultDays: Athena results are scratch; anyone who needs one keeps a copy.
	queryResultDays = 30
	// multipartAbortDays: incomplete multipart uploads are removed.
	multipartAbortDays = 7
	// locksExpirationDays: a lease is rewritten by every correction of its channel and lasts a
	// minute; a session's intent record (locks/intent/...) must outlive every delivery of its
	// correction, which the correct queue keeps at most 14 days (SQS's longest retention; a
	// redrive from the DLQ keeps the message's age), so that a redrive never re-applies a change
	// a person reverted. Objects untouched that long, and their older versions, are removed.
	locksExpirationDays = 14
)

// storage is the suite's S3 buckets: the archive, Athena's results and the access logs of both.
type storage struct {
	logs, archive, results awss3.Bucket
}

// secureBucketProps are the settings every bucket of the suite shares: no public access, TLS
// only, SSE-S3 encryption, ACLs disabled, kept when the stack is destroyed.
func secureBucketProps() *awss3.BucketProps {
	return &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// SSE-S3, not KMS: the access-log bucket must be SSE-S3 to receive server access logs,
		// and for the archive a customer key would add $1/month and KMS calls to every Athena
		// scan without protecting anything IAM does not already protect (no secrets are stored).
		Encryption:      awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
	}
}

func newStorage(scope constructs.Construct, p IvsSessionsProps) *storage {
	s := &storage{}

	logsProps := secureBucketProps()
	logsProps.LifecycleRules = &[]*awss3.LifecycleRule{{
		Id:                                  jsii.String("expire-access-logs"),
		Expiration:                          durationDays(accessLogDays),
		AbortIncompleteMultipartUploadAfter: durationDays(multipartAbortDays),
	}}
	s.logs = awss3.NewBucket(scope, jsii.String("AccessLogsBucket"), logsProps)
	// cdk-nag's S1 (server access logs) accepts this bucket as the destination of the others'
	// logs; logging it into itself would log its own log deliveries.

	archiveProps := secureBucketProps()
	archiveProps.Versioned = jsii.Bool(true)
	archiveProps.ServerAccessLogsBucket = s.logs
	archiveProps.ServerAccessLogsPrefix = jsii.String("archive/")
	archiveProps.TransitionDefaultMinimumObjectSize = awss3.TransitionDefaultMinimumObjectSize_ALL_STORAGE_CLASSES_128_K
	archiveRule := &awss3.LifecycleRule{
		Id:                                  jsii.String("retention"),
		Expiration:                          durationDays(p.ArchiveRetentionDays),
		NoncurrentVersionExpiration:         durationDays(archiveNoncurrentDays),
		AbortIncompleteMultipartUploadAfter: durationDays(multipartAbortDays),
	}
	if p.ArchiveRetentionDays > archiveTransitionDays {
		archiveRule.Transitions = &[]*awss3.Transition{{
			StorageClass:    awss3.StorageClass_INTELLIGENT_TIERING(),
			TransitionAfter: durationDays(archiveTransitionDays),
		}}
	}
	archiveProps.LifecycleRules = &[]*awss3.LifecycleRule{
		archiveRule,
		// Expiring a current version leaves a delete marker; once its noncurrent versions have
		// expired too, the marker is removed.
		{Id: jsii.String("remove-expired-delete-markers"), ExpiredObjectDeleteMarker: jsii.Bool(true)},
		{
			// The live index's entries are deleted as sessions end: their versions go a day later.
			Id:                          jsii.String("expire-live-index-versions"),
			Prefix:                      jsii.String(LivePrefix),
			NoncurrentVersionExpiration: durationDays(liveIndexNoncurrentDays),
		},
		{
			Id:                          jsii.String("expire-locks"),
			Prefix:                      jsii.String(LocksPrefix),
			Expiration:                  durationDays(locksExpirationDays),
			NoncurrentVersionExpiration: durationDays(locksExpirationDays),
		},
	}
	s.archive = awss3.NewBucket(scope, jsii.String("ArchiveBucket"), archiveProps)

	resultsProps := secureBucketProps()
	resultsProps.ServerAccessLogsBucket = s.logs
	resultsProps.ServerAccessLogsPrefix = jsii.String("athena-results/")
	resultsProps.LifecycleRules = &[]*awss3.LifecycleRule{{
		Id:                                  jsii.String("expire-query-results"),
		Expiration:                          durationDays(queryResultDays),
		AbortIncompleteMultipartUploadAfter: durationDays(multipartAbortDays),
	}}
	s.results = awss3.NewBucket(scope, jsii.String("QueryResultsBucket"), resultsProps)
	return s
}
