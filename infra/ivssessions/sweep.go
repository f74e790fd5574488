package ivssessions

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// SweepPrefix holds the sweep's watermark and progress (shared/sweep).
const SweepPrefix = session.SweepKeyPrefix

// LivePrefix holds the index of live sessions (shared/liveindex): the archive writes and
// deletes its entries, the live sweep lists it and deletes stale entries.
const LivePrefix = session.LiveKeyPrefix

// SweepIVSActions are the IVS calls the sweep makes, all granted on the account's and region's
// channels (arn:aws:ivs:<region>:<account>:channel/*), as the IVS user guide's own IAM examples
// scope ListChannels and ListStreams
// (https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/security-iam.html).
var SweepIVSActions = []string{"ivs:GetStreamSession", "ivs:ListStreamSessions", "ivs:ListChannels", "ivs:ListStreams"}

// newSweep deploys the sweep (functions/sweep): a function with its own log group and role,
// one live run and one window run at a time (reserved concurrency), started by two schedules:
// the live sweep (p.SweepSchedule, {"mode":"live"}) and the window's runs (p.SweepDailySchedule,
// {"mode":"daily"}). Its role allows exactly the calls it makes.
func (s *ivsSessions) newSweep(scope constructs.Construct, p IvsSessionsProps) *suiteFunction {
	name, spec := suite.FunctionSweep, suite.SweepSettings
	c := constructs.NewConstruct(scope, jsii.String(name))
	pf := &suiteFunction{name: name, spec: spec}
	env := map[string]*string{}
	for k, v := range p.Settings().Environment(name, suite.Resources{EventBus: *s.bus.EventBusName(), ArchiveBucket: *s.storage.archive.BucketName(), Account: *awscdk.Aws_ACCOUNT_ID()}) {
		env[k] = jsii.String(v)
	}
	// A failed run is not retried by Lambda: the next scheduled run resumes from the state.
	pf.addFunction(c, p, &env, jsii.Number(0))
	for _, sch := range []struct{ id, expr, mode string }{
		{"LiveSchedule", p.SweepSchedule, "live"},
		{"DailySchedule", p.SweepDailySchedule, "daily"},
	} {
		awsevents.NewRule(c, jsii.String(sch.id), &awsevents.RuleProps{
			Description: jsii.String(fmt.Sprintf("%s sweep, mode %s", suite.Name, sch.mode)),
			Schedule:    awsevents.Schedule_Expression(jsii.String(sch.expr)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(pf.fn, &awseventstargets.LambdaFunctionProps{
				Event: awsevents.RuleTargetInput_FromObject(map[string]any{"mode": sch.mode}),
			})},
		})
	}
	s.grantSweep(pf)
	return pf
}

// grantSweep gives the sweep exactly what it calls: the IVS list and get calls (SweepIVSActions,
// on the account's and region's channels), PutEvents on the suite's bus, s3:GetObject on the
// session records, s3:ListBucket of live/ (the live sweep lists the live index), sessions/ and
// sweep/ (a missing record or state reads as 404, not 403), s3:DeleteObject of live/ (a stale
// entry), and s3:GetObject/PutObject on its own state under SweepPrefix.
func (s *ivsSessions) grantSweep(pf *suiteFunction) {
	channels := s.channelARNs()
	pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(s.channelsSid()),
		Actions:   jsii.Strings(SweepIVSActions...),
		Resources: &channels,
	}))
	s.grantMemberRoles(pf)
	s.bus.GrantPutEventsTo(pf.role, nil)
	bucket := s.storage.archive
	pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadSessionRecords"),
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{bucket.ArnForObjects(jsii.String(SessionsPrefix + "*"))},
	}))
	pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ListSessionRecords"),
		Actions:    jsii.Strings("s3:ListBucket"),
		Resources:  &[]*string{bucket.BucketArn()},
		Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": []string{LivePrefix + "*", SessionsPrefix + "*", SweepPrefix + "*"}}},
	}))
	pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("HealLiveIndex"),
		Actions:   jsii.Strings("s3:DeleteObject"),
		Resources: &[]*string{bucket.ArnForObjects(jsii.String(LivePrefix + "*"))},
	}))
	pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SweepState"),
		Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
		Resources: &[]*string{bucket.ArnForObjects(jsii.String(SweepPrefix + "*"))},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(pf.role, &[]*cdknag.NagPackSuppression{
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; Resource * is the only form AWS accepts."),
			AppliesTo: &[]any{jsii.String("Resource::*")},
		},
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String(s.sweepChannelsReason()),
			AppliesTo: s.channelsAppliesTo(),
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The sweep reads session records under sessions/ (keys not known in advance), deletes stale entries of the live index under live/, " +
				"and reads and writes its own state under sweep/; s3:GetObject only on sessions/, s3:DeleteObject only on live/, s3:GetObject and s3:PutObject only on sweep/."),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<.*ArchiveBucket[0-9A-F]{8}\.Arn>\/(sessions|sweep|live)\/\*$/`)}},
		},
	}, jsii.Bool(true))
}

// sweepChannelsReason is the reason of the sweep's suppression of the channel wildcard.
func (s *ivsSessions) sweepChannelsReason() string {
	if s.fleet.Enabled() {
		return s.channelsReason("The sweep lists the customer's IVS channels and live streams and reads their sessions (ListChannels, ListStreams, GetStreamSession, ListStreamSessions), scoped to channels as the IVS user guide's IAM examples scope these actions.")
	}
	return "The sweep lists the customer's IVS channels and live streams and reads their sessions (ListChannels, ListStreams, GetStreamSession, " +
		"ListStreamSessions); the channels are created outside this stack, so the wildcard covers only channel ARNs of this account and region, " +
		"as the IVS user guide's IAM examples scope these actions."
}

// alarmSweep alarms when a sweep run fails (an IVS or S3 error that outlasted the retries, or a
// crash): the next scheduled run resumes from the saved progress, but a sweep that keeps
// failing leaves lost sessions unarchived.
func (s *ivsSessions) alarmSweep() {
	s.mon.alarm(s.sweep.fn, "ErrorsAlarm",
		fmt.Sprintf("%s sweep: runs failed; lost sessions stay unarchived until a run succeeds (it resumes from sweep/ in the archive bucket).", suite.Name),
		s.sweep.fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: alarmPeriod()}), 1)
}
