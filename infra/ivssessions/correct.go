package ivssessions

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// grantCorrectLocksAndDeadLetters gives correct what it needs beyond IVS, the bus and its queue:
//
//   - its per-channel leases (shared/lease), objects under LocksPrefix in the archive bucket:
//     s3:GetObject and s3:PutObject there and nowhere else. Explicit statements, not a Grant*:
//     those add wildcards of actions (GetObject*, List*, Abort*) a lease needs none of, and no
//     delete (a lease is released by overwriting it);
//   - the intent records beside them (locks/intent/...), with s3:ListBucket on locks/ so that a
//     missing record reads as such;
//   - sqs:SendMessage on its own dead-letter queue, where it sends a correction it gives up on.
func (s *ivsSessions) grantCorrectLocksAndDeadLetters(correct *suiteFunction) {
	correct.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ChannelLeases"),
		Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
		Resources: &[]*string{s.storage.archive.ArnForObjects(jsii.String(LocksPrefix + "*"))},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(correct.role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("correct holds one lease per IVS channel (locks/channel=<id>.json) in the archive bucket; the channels are " +
			"the customer's and cannot be listed at deploy time, so the objects are matched under locks/ only, with s3:GetObject and s3:PutObject and nothing else."),
		AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<.*ArchiveBucket[0-9A-F]{8}\.Arn>\/locks\/\*$/`)}},
	}}, jsii.Bool(true))
	// s3:ListBucket, limited to the locks/ prefix, so that reading a session's intent record
	// that does not exist yet answers 404 NoSuchKey, not 403 AccessDenied (S3 answers a GET of a
	// missing key with 403 to a caller that may not list the bucket).
	correct.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ListLocksOnly"),
		Actions:    jsii.Strings("s3:ListBucket"),
		Resources:  &[]*string{s.storage.archive.BucketArn()},
		Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": LocksPrefix + "*"}},
	}))
	correct.dlq.GrantSendMessages(correct.role)
}
