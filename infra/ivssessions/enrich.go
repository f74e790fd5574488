package ivssessions

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// grantEnrichArchiveRead gives enrich s3:GetObject on the session records (SessionsPrefix) and
// nothing else: a repeated event whose phase the archive already holds, enriched, costs an S3
// read instead of an IVS call. Without s3:ListBucket a missing record answers AccessDenied,
// which enrich reads as "not archived" (it then calls IVS, as it would without the archive).
func (s *ivsSessions) grantEnrichArchiveRead(enrich *suiteFunction) {
	enrich.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadSessionRecords"),
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{s.storage.archive.ArnForObjects(jsii.String(SessionsPrefix + "*"))},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(enrich.role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("enrich reads one session record per repeated event (sessions/year=.../channel=<id>/<stream>.json); the keys cannot be listed " +
			"at deploy time, so the objects are matched under sessions/ only, with s3:GetObject and nothing else."),
		AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<.*ArchiveBucket[0-9A-F]{8}\.Arn>\/sessions\/\*$/`)}},
	}}, jsii.Bool(true))
}
