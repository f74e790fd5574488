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
	correct.dlq.GrantSendMessages(correct.role)
}
