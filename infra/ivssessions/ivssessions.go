package ivssessions

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// IvsSessions is the whole suite as one construct. Its methods give other constructs what they
// may need to connect to it (subscribe to the bus, query the bucket, add alarms to the topic).
type IvsSessions interface {
	constructs.Construct
	// EventBus is the suite's own bus, where enriched sessions and corrections are published.
	EventBus() awsevents.IEventBus
	// ArchiveBucket holds one JSON record per session under SessionsPrefix.
	ArchiveBucket() awss3.IBucket
	// Function returns the Lambda function named name (one of suite.AllFunctions), or nil.
	Function(name string) awslambda.IFunction
	// Queue returns the SQS queue that feeds function name, or nil (in a fleet, the home
	// region's queue).
	Queue(name string) awssqs.IQueue
	// QueueOf returns the queue that feeds function name the messages of region: in a fleet,
	// each regional function (suite.RegionalFunctions) has one per region; otherwise Queue.
	QueueOf(name, region string) awssqs.IQueue
	// FleetBus is the bus the fleet's other regions and member accounts forward their IVS
	// events to (suite.FleetBusName); nil in a single-region deployment.
	FleetBus() awsevents.IEventBus
	// DeadLetterQueue returns the dead-letter queue of function name's queue and rules, or nil.
	DeadLetterQueue(name string) awssqs.IQueue
	// AlarmTopic is the SNS topic every alarm of the suite notifies.
	AlarmTopic() awssns.ITopic
	// Alarms lists the suite's alarms: per function, its DLQ depth, Errors, Throttles, rejected
	// events and queue age; for the suite, access errors, failed corrections and unknown IVS
	// events.
	Alarms() []awscloudwatch.IAlarm
	// Dashboard is the suite's CloudWatch dashboard.
	Dashboard() awscloudwatch.Dashboard
	// GlueDatabase is the name of the Glue database with the tables of infra/catalog.
	GlueDatabase() string
	// AthenaWorkGroup is the name of the Athena workgroup with the saved queries.
	AthenaWorkGroup() string
}

type ivsSessions struct {
	constructs.Construct
	fleet     suite.Fleet        // the zero Fleet in a single-region deployment
	fleetBus  awsevents.EventBus // nil in a single-region deployment
	bus       awsevents.EventBus
	storage   *storage
	fns       map[string]*suiteFunction
	sweep     *suiteFunction // the scheduled sweep (sweep.go)
	analytics *analytics
	mon       *monitoring
}

// NewIvsSessions adds the suite to scope (normally a Stack) under id. props may be nil; unset
// fields take their defaults (see IvsSessionsProps). Like every CDK construct it panics on an
// unusable configuration: invalid props (the message holds props.Validate's *SettingErrors), a
// missing <AssetsDir>/<function>/bootstrap, or a fleet (props.Regions) whose home region is not
// the stack's. Call props.Validate first to get an error instead.
//
// With props.Regions the suite is the home of a fleet (fleet.go): besides what a single-region
// deployment has, the fleet bus, one queue per region for each regional function, IAM for
// every region and member account, and the notification of the forwarders' alarms. Each other
// region needs a forwarding stack (NewForwarder) and each member account the member template
// (NewMemberAccess).
func NewIvsSessions(scope constructs.Construct, id *string, props *IvsSessionsProps) IvsSessions {
	if err := props.Validate(); err != nil {
		panic(fmt.Sprintf("ivssessions: %v", err))
	}
	p := props.WithDefaults()
	for _, name := range suite.AllFunctions() {
		bootstrap := filepath.Join(p.AssetsDir, name, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			panic(fmt.Sprintf("ivssessions: function %s: %v (build the functions first: make build)", name, err))
		}
	}

	c := constructs.NewConstruct(scope, id)
	s := &ivsSessions{Construct: c, fns: map[string]*suiteFunction{}, fleet: p.Fleet()}
	s.storage = newStorage(c, p)
	s.bus = newEventBus(c, p)
	if s.fleet.Enabled() {
		checkHomeRegion(c, s.fleet)
		s.fleetBus = newFleetBus(c, s.fleet)
	}

	fnSpecs := p.Settings().Functions()
	ordered := make([]*suiteFunction, 0, len(suite.Functions))
	for _, name := range suite.Functions {
		spec, ok := fnSpecs[name]
		if !ok {
			panic(fmt.Sprintf("ivssessions: function %q of suite.Functions has no spec", name))
		}
		pf := newSuiteFunction(c, name, spec, p, s.bus.EventBusName(), s.storage.archive.BucketName())
		s.fns[name] = pf
		ordered = append(ordered, pf)
	}
	newRoutes(c, s.bus, s.fleetBus, s.fns, s.fleet)
	// The sweep first: the bus's policy (grant) names every role that publishes on it.
	s.sweep = s.newSweep(c, p)
	s.grant(p)
	s.analytics = newAnalytics(c, s.storage)
	s.mon = newMonitoring(c, ordered, p)
	newNotifications(c, s.bus, s.mon.topic)
	_, unknown := keepIvsEvents(c, s.fns[suite.FunctionEnrich], p)
	s.mon.alarm(c, "UnknownIvsEventsAlarm",
		fmt.Sprintf("%s: IVS sent events of a detail-type this version of the suite does not know. They are kept in the enrich dead-letter queue "+
			"(14 days) and in the %s archive: upgrade the suite, then redrive or replay them.", suite.Name, ivsArchiveName),
		unknownEventsMetric(unknown, alarmPeriod()), 1)
	if s.fleet.Enabled() {
		for _, rule := range keepFleetIvsEvents(c, s.fleetBus, s.fns[suite.FunctionEnrich], p) {
			s.mon.alarm(rule, "MatchedAlarm",
				fmt.Sprintf("%s: the fleet bus received IVS events no queue of the suite reads (%s). They are kept in the enrich dead-letter queue "+
					"(14 days) and in the %s-ivs-events archive: a detail-type this version does not know (upgrade, then redrive or replay), or a "+
					"region outside the fleet's (%s: add it to regions, or remove that region's forwarder).",
					suite.Name, *rule.Node().Id(), suite.FleetBusName, strings.Join(s.fleet.Regions, ", ")),
				unknownEventsMetric(rule, alarmPeriod()), 1)
		}
		newForwardedAlarms(c, s.fleetBus, s.mon.topic)
	}
	s.alarmSweep()
	// Last: every rule that sends to a queue exists by now.
	restrictQueues(s.fns, p.QueueSenderARNs())
	s.outputs()
	return s
}

// channelsSid is the Sid of the statements on channelARNs.
func (s *ivsSessions) channelsSid() string {
	if s.fleet.Enabled() {
		return "IvsChannelsOfThisAccountInTheFleetsRegions"
	}
	return "IvsChannelsOfThisAccountAndRegion"
}

// ivsActions lists the IVS API actions each function calls (and nothing else). correct reads
// the channel's tags from GetChannel, so it needs no ivs:ListTagsForResource; it confirms each
// refusal with GetStreamSession before it changes anything.
var ivsActions = map[string][]string{
	suite.FunctionEnrich:  {"ivs:GetStreamSession"},
	suite.FunctionCorrect: {"ivs:GetStreamSession", "ivs:GetChannel", "ivs:GetStream", "ivs:UpdateChannel"},
}

// grant gives each function's role exactly what its function calls. The queue-consuming
// permissions come from the SQS event sources, log writing from newSuiteFunction, and X-Ray
// from the tracing setting.
func (s *ivsSessions) grant(p IvsSessionsProps) {
	for _, name := range suite.Functions {
		pf := s.fns[name]
		// X-Ray's PutTraceSegments and PutTelemetryRecords, added by Tracing_ACTIVE.
		cdknag.NagSuppressions_AddResourceSuppressions(pf.role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; Resource * is the only form AWS accepts."),
			AppliesTo: &[]any{jsii.String("Resource::*")},
		}}, jsii.Bool(true))

		if actions := ivsActions[name]; len(actions) > 0 {
			channels := s.channelARNs()
			pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String(s.channelsSid()),
				Actions:   jsii.Strings(actions...),
				Resources: &channels,
			}))
			reason := "The suite acts on the customer's IVS channels, which are created outside this stack and " +
				"cannot be listed at deploy time; the wildcard covers only channel ARNs of this account and region " +
				"(a channel opts out with the opt-out tag)."
			if s.fleet.Enabled() {
				reason = s.channelsReason("The suite acts on the customer's IVS channels.")
			}
			cdknag.NagSuppressions_AddResourceSuppressions(pf.role, &[]*cdknag.NagPackSuppression{{
				Id:        jsii.String("AwsSolutions-IAM5"),
				Reason:    jsii.String(reason),
				AppliesTo: s.channelsAppliesTo(),
			}}, jsii.Bool(true))
		}
		if slices.Contains(suite.FleetFunctions, name) {
			s.grantMemberRoles(pf)
		}
	}

	enrich, correct, archive := s.fns[suite.FunctionEnrich], s.fns[suite.FunctionCorrect], s.fns[suite.FunctionArchive]
	s.bus.GrantPutEventsTo(enrich.role, nil)
	s.grantEnrichArchiveRead(enrich)
	s.bus.GrantPutEventsTo(correct.role, nil)
	// The bus refuses the suite's events from anyone else (the sweep publishes as enrich does).
	restrictBus(s.bus, []awsiam.IRole{enrich.role, correct.role, s.fns[suite.FunctionQuality].role, s.sweep.role})
	// IAM refuses an update of an opted-out channel, whatever the function decides.
	correct.role.AddToPrincipalPolicy(optOutGuard(s.channelARNs(), p.OptOutTag))
	// correct holds a message back while its channel is live by extending the message's
	// visibility (on the queue it came from: one per region in a fleet); the event source's
	// consume grant includes this action, granted here again so that the dependency is explicit
	// and survives changes to that grant.
	for _, q := range correct.queues {
		q.queue.Grant(correct.role, jsii.String("sqs:ChangeMessageVisibility"))
	}
	s.grantCorrectLocksAndDeadLetters(correct)
	s.grantQuality(s.fns[suite.FunctionQuality])

	// archive reads and conditionally writes records under its prefixes, and nothing else: no
	// delete (a merge writes a new version), no tagging, no ACLs. ListBucket (on the bucket, not
	// its objects) makes a missing record answer NoSuchKey instead of AccessDenied, which the
	// function reads as "a new record" (and a channel without applied corrections as one).
	objects := make([]*string, 0, len(ArchivePrefixes))
	for _, prefix := range ArchivePrefixes {
		objects = append(objects, s.storage.archive.ArnForObjects(jsii.String(prefix+"*")))
	}
	archive.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
		Resources: &objects,
	}))
	archive.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{s.storage.archive.BucketArn()},
	}))
	// The live index (shared/liveindex): an entry written before a session's first record,
	// deleted once its Session Ended is archived. Nothing else under live/, and nothing read there.
	archive.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("LiveIndex"),
		Actions:   jsii.Strings("s3:PutObject", "s3:DeleteObject"),
		Resources: &[]*string{s.storage.archive.ArnForObjects(jsii.String(LivePrefix + "*"))},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(archive.role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Object keys under the archive's own prefixes (sessions/, corrections/, account-events/, links/) in the archive bucket: " +
			"the function reads and conditionally rewrites one record per session (and one index per channel), whose keys cannot be listed in advance. " +
			"Actions are exactly s3:GetObject and s3:PutObject; under live/ (the index of live sessions) exactly s3:PutObject and s3:DeleteObject."),
		AppliesTo: &[]any{
			&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<.*ArchiveBucket[0-9A-F]{8}\.Arn>\/(sessions|corrections|account-events|links|live)\/\*$/`)},
		},
	}}, jsii.Bool(true))
}

// outputs exports what a user needs after deploy.
func (s *ivsSessions) outputs() {
	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(s.Construct, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	out("EventBusName", "the suite's event bus: enriched sessions and corrections", s.bus.EventBusName())
	out(catalog.OutputArchiveBucket, "one JSON record per session under "+SessionsPrefix, s.storage.archive.BucketName())
	out(catalog.OutputDatabase, "Glue database with the tables "+catalog.TableSessions+" and "+catalog.TableSessionsByChannel, jsii.String(s.analytics.dbName))
	out(catalog.OutputWorkGroup, "Athena workgroup with the saved queries", s.analytics.workGroup.Ref())
	out("AlarmTopicArn", "SNS topic of the suite's alarms", s.mon.topic.TopicArn())
	out("DashboardName", "CloudWatch dashboard", s.mon.dashboard.DashboardName())
}

func (s *ivsSessions) EventBus() awsevents.IEventBus { return s.bus }

func (s *ivsSessions) ArchiveBucket() awss3.IBucket { return s.storage.archive }

func (s *ivsSessions) Function(name string) awslambda.IFunction {
	if pf, ok := s.fns[name]; ok {
		return pf.fn
	}
	if name == suite.FunctionSweep && s.sweep != nil {
		return s.sweep.fn
	}
	return nil
}

func (s *ivsSessions) Queue(name string) awssqs.IQueue {
	if pf, ok := s.fns[name]; ok {
		return pf.queue
	}
	return nil
}

func (s *ivsSessions) QueueOf(name, region string) awssqs.IQueue {
	if pf, ok := s.fns[name]; ok {
		return pf.queueOf(region)
	}
	return nil
}

func (s *ivsSessions) FleetBus() awsevents.IEventBus {
	if s.fleetBus == nil {
		return nil
	}
	return s.fleetBus
}

func (s *ivsSessions) DeadLetterQueue(name string) awssqs.IQueue {
	if pf, ok := s.fns[name]; ok {
		return pf.dlq
	}
	return nil
}

func (s *ivsSessions) AlarmTopic() awssns.ITopic { return s.mon.topic }

func (s *ivsSessions) Alarms() []awscloudwatch.IAlarm {
	out := make([]awscloudwatch.IAlarm, len(s.mon.alarms))
	for i, a := range s.mon.alarms {
		out[i] = a
	}
	return out
}

func (s *ivsSessions) Dashboard() awscloudwatch.Dashboard { return s.mon.dashboard }

func (s *ivsSessions) GlueDatabase() string { return s.analytics.dbName }

func (s *ivsSessions) AthenaWorkGroup() string { return *s.analytics.workGroup.Name() }
