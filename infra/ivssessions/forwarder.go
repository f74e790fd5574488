package ivssessions

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// ForwarderProps configures a Forwarder.
type ForwarderProps struct {
	// HomeRegion is the fleet's home region, where the fleet bus is. Required.
	HomeRegion string
	// HomeAccount is the home account, where the fleet bus is; nil means the stack's own
	// account (another region of the home account).
	HomeAccount *string
}

// Forwarder is what a region of the fleet other than the home region needs, and what each
// member account needs in every region of the fleet: a rule on the region's default bus that
// sends every IVS event (source aws.ivs) to the fleet bus in the home region, with a role that
// may put events on that bus only, and a dead-letter queue for what EventBridge could not deliver
// after its retries (24 hours, 185 attempts: an event bus target takes no retry policy of its
// own), whose depth alarms; the alarm's state changes are forwarded to the fleet bus too, where
// the home stack sends them to the alarm topic. Nothing here calls IVS or holds a session: the
// functions, the archive and the person to notify are all in the home region.
type Forwarder interface {
	constructs.Construct
	// Rule is the rule that forwards the region's IVS events.
	Rule() awsevents.Rule
	// DeadLetterQueue holds the events that could not be delivered to the fleet bus.
	DeadLetterQueue() awssqs.IQueue
	// Alarm is the alarm on DeadLetterQueue's depth.
	Alarm() awscloudwatch.Alarm
}

type forwarder struct {
	constructs.Construct
	rule  awsevents.Rule
	dlq   awssqs.Queue
	alarm awscloudwatch.Alarm
}

func (f *forwarder) Rule() awsevents.Rule           { return f.rule }
func (f *forwarder) DeadLetterQueue() awssqs.IQueue { return f.dlq }
func (f *forwarder) Alarm() awscloudwatch.Alarm     { return f.alarm }

// fleetBusARN is the ARN of the fleet bus in the home region of account (the stack's own when
// nil).
func fleetBusARN(homeRegion string, account *string) *string {
	if account == nil {
		account = awscdk.Aws_ACCOUNT_ID()
	}
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":events:" + homeRegion + ":"), account,
		jsii.String(":event-bus/" + suite.FleetBusName),
	})
}

// NewForwarder adds a Forwarder to scope (a stack in the region to forward from) under id. It
// panics without props.HomeRegion.
func NewForwarder(scope constructs.Construct, id *string, props *ForwarderProps) Forwarder {
	if props == nil || ivsevent.CheckRegion("HomeRegion", props.HomeRegion) != nil {
		panic("ivssessions: a forwarder needs the fleet's home region (ForwarderProps.HomeRegion)")
	}
	c := constructs.NewConstruct(scope, id)
	f := &forwarder{Construct: c}
	target := awsevents.EventBus_FromEventBusArn(c, jsii.String("FleetBus"), fleetBusARN(props.HomeRegion, props.HomeAccount))

	// Named, so that the home region's dashboard can graph them (suite.ForwarderRuleName,
	// suite.ForwarderDeadLetterQueueName): each name is unique in its account and region.
	f.dlq = awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		QueueName:       jsii.String(suite.ForwarderDeadLetterQueueName),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(f.dlq, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the forwarding rule's EventBridge target (events EventBridge could not deliver " +
			"to the fleet bus after 24 hours of retries); a dead-letter queue has no dead-letter queue of its own."),
	}}, jsii.Bool(true))

	// Our own role, not CDK's shared one: it may put events on the fleet bus and nothing else,
	// and only EventBridge rules of this account may use it.
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		}),
		Description: jsii.String(fmt.Sprintf("%s: forwards this region's IVS events to the fleet bus in %s", suite.Name, props.HomeRegion)),
	})
	toFleet := func() awsevents.IRuleTarget {
		return awseventstargets.NewEventBus(target, &awseventstargets.EventBusProps{DeadLetterQueue: f.dlq, Role: role})
	}
	f.rule = awsevents.NewRule(c, jsii.String("Rule"), &awsevents.RuleProps{
		RuleName:     jsii.String(suite.ForwarderRuleName),
		Description:  jsii.String(fmt.Sprintf("%s: every IVS event of this region to the fleet bus in %s", suite.Name, props.HomeRegion)),
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(ivsevent.Source)},
		Targets:      &[]awsevents.IRuleTarget{toFleet()},
	})

	f.alarm = awscloudwatch.NewAlarm(c, jsii.String("DeadLetterAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("%s forwarder: IVS events of this region could not be delivered to the fleet bus in %s after "+
			"EventBridge's retries (24 hours); they are in this region's queue %s (kept 14 days). Fix the cause (the fleet bus's policy, the "+
			"forwarder's role), then move them back with aws sqs start-message-move-task... or replay them from the EventBridge events in the "+
			"queue; meanwhile the sweep archives their sessions.", suite.Name, props.HomeRegion, suite.ForwarderDeadLetterQueueName)),
		Metric: f.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: alarmPeriod(),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	// No alarm action here: the alarm's state changes travel to the home region like the IVS
	// events, and the home stack sends them to its alarm topic (NotifyForwarderAlarms).
	awsevents.NewRule(c, jsii.String("AlarmRule"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("%s: the forwarder's alarm to the fleet bus in %s", suite.Name, props.HomeRegion)),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(alarmEventSource),
			DetailType: jsii.Strings(alarmEventDetailType),
			Resources:  &[]*string{f.alarm.AlarmArn()},
		},
		Targets: &[]awsevents.IRuleTarget{toFleet()},
	})
	return f
}

// MemberAccessProps configures a MemberAccess.
type MemberAccessProps struct {
	// Regions are the fleet's regions, the home region first. Required.
	Regions []string
	// HomeAccount is the home account's ID. Required: a CfnParameter's value for a template
	// deployed by a StackSet.
	HomeAccount *string
	// OptOutTag is the channel tag key that makes the corrector leave a channel alone (as the
	// home stack's). Default suite.DefaultOptOutTag.
	OptOutTag string
}

// MemberAccess is what a member account needs in each region of the fleet: the Forwarder of the
// region's IVS events to the fleet bus in the home account, and one role per function that calls
// IVS or CloudWatch (suite.FleetFunctions), named suite.FleetRoleName(function, region), which
// only that function's role in the home account may assume, with exactly the calls that function
// makes, on this account's channels in this region. The same template serves every member account
// and region (a StackSet); a deployment in a region outside the fleet, or in the home account,
// fails.
type MemberAccess interface {
	constructs.Construct
	// Forwarder forwards the region's IVS events.
	Forwarder() Forwarder
	// Role returns function fn's role (one of suite.FleetFunctions), or nil.
	Role(fn string) awsiam.IRole
}

type memberAccess struct {
	constructs.Construct
	fwd   Forwarder
	roles map[string]awsiam.Role
}

func (m *memberAccess) Forwarder() Forwarder { return m.fwd }

func (m *memberAccess) Role(fn string) awsiam.IRole {
	if r, ok := m.roles[fn]; ok {
		return r
	}
	return nil
}

// NewMemberAccess adds a MemberAccess to scope (a stack deployed in a member account, in each of
// the fleet's regions) under id. It panics without regions or a home account.
func NewMemberAccess(scope constructs.Construct, id *string, props *MemberAccessProps) MemberAccess {
	if props == nil || props.HomeAccount == nil || (suite.Fleet{Regions: props.Regions}).Check() != nil || len(props.Regions) == 0 {
		panic("ivssessions: member access needs the fleet's regions (home first) and the home account")
	}
	fleet := suite.Fleet{Regions: props.Regions}
	optOutTag := props.OptOutTag
	if optOutTag == "" {
		optOutTag = suite.DefaultOptOutTag
	}
	c := constructs.NewConstruct(scope, id)
	m := &memberAccess{Construct: c, roles: map[string]awsiam.Role{}}

	regions := make([]*string, len(fleet.Regions))
	for i, r := range fleet.Regions {
		regions[i] = jsii.String(r)
	}
	awscdk.NewCfnRule(c, jsii.String("InAFleetRegionOfAMemberAccount"), &awscdk.CfnRuleProps{
		Assertions: &[]*awscdk.CfnRuleAssertion{
			{
				Assert:            awscdk.Fn_ConditionContains(&regions, awscdk.Aws_REGION()),
				AssertDescription: jsii.String("Deploy this template in the fleet's regions only: " + strings.Join(fleet.Regions, ", ")),
			},
			{
				Assert:            awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(awscdk.Aws_ACCOUNT_ID(), props.HomeAccount)),
				AssertDescription: jsii.String("This template is for the member accounts; the home account has the IvsSessions stacks."),
			},
		},
	})

	m.fwd = NewForwarder(c, jsii.String("Forwarder"), &ForwarderProps{HomeRegion: fleet.Home(), HomeAccount: props.HomeAccount})

	channels := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":ivs:"), awscdk.Aws_REGION(), jsii.String(":"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":channel/*"),
	})
	for _, fn := range suite.FleetFunctions {
		home := awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::"), props.HomeAccount, jsii.String(":role/" + suite.FleetRoleName(fn, fleet.Home())),
		})
		role := awsiam.NewRole(c, jsii.String(fn+"Role"), &awsiam.RoleProps{
			RoleName: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(suite.Name + "-" + fn + "-"), awscdk.Aws_REGION()}),
			// The home account, and in it only the function's own role: an ArnEquals on the
			// principal's ARN, which survives that role being re-created (a role ARN as the
			// principal would not).
			AssumedBy: awsiam.NewAccountPrincipal(props.HomeAccount).WithConditions(&map[string]any{
				"ArnEquals": map[string]any{"aws:PrincipalArn": home},
			}),
			Description: jsii.String(fmt.Sprintf("%s: the %s function of the home account calls this region's IVS (and CloudWatch) here", suite.Name, fn)),
		})
		onChannels, onAny := fleetActions(fn)
		if len(onChannels) > 0 {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("IvsChannelsOfThisAccountAndRegion"),
				Actions:   jsii.Strings(onChannels...),
				Resources: &[]*string{channels},
			}))
		}
		if len(onAny) > 0 {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("InThisRegionOnly"),
				Actions:    jsii.Strings(onAny...),
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": awscdk.Aws_REGION()}},
			}))
		}
		if fn == suite.FunctionCorrect {
			role.AddToPrincipalPolicy(optOutGuard([]*string{channels}, optOutTag))
		}
		var suppressions []*cdknag.NagPackSuppression
		if len(onChannels) > 0 {
			suppressions = append(suppressions, &cdknag.NagPackSuppression{
				Id: jsii.String("AwsSolutions-IAM5"),
				Reason: jsii.String("The home account's " + fn + " function acts on this account's IVS channels, which are created outside this " +
					"stack and cannot be listed at deploy time; the wildcard covers only IVS channel ARNs of this account and region."),
				AppliesTo: &[]any{jsii.String("Resource::arn:<AWS::Partition>:ivs:<AWS::Region>:<AWS::AccountId>:channel/*")},
			})
		}
		if len(onAny) > 0 {
			suppressions = append(suppressions, &cdknag.NagPackSuppression{
				Id: jsii.String("AwsSolutions-IAM5"),
				Reason: jsii.String(strings.Join(onAny, " and ") + " support no resource-level permissions: Resource * is the only form AWS accepts; " +
					"the statement is limited to this region with aws:RequestedRegion."),
				AppliesTo: &[]any{jsii.String("Resource::*")},
			})
		}
		cdknag.NagSuppressions_AddResourceSuppressions(role, &suppressions, jsii.Bool(true))
		m.roles[fn] = role
	}
	return m
}

// The names of a fleet's other stacks (cdk.out/<name>.template.json).
const (
	// ForwarderStackPrefix starts the name of the forwarding stack of a region:
	// IvsSessionsForwarder-<region>.
	ForwarderStackPrefix = "IvsSessionsForwarder-"
	// MemberStackName is the member accounts' template.
	MemberStackName = "IvsSessionsMember"
)

// FleetStacks are a fleet's stacks besides the home one.
type FleetStacks struct {
	// Forwarders are the forwarding stacks, by region (every region of the fleet but the home).
	Forwarders map[string]awscdk.Stack
	// Member is the member accounts' template; nil without member accounts.
	Member awscdk.Stack
}

// AddFleetStacks adds to app a fleet's stacks besides home (the stack holding the suite, in the
// home region): a forwarding stack in each other region (ForwarderStackPrefix + region), each
// deployed after home, whose fleet bus it targets; and, with member accounts, their template
// (MemberStackName), a StackSet template that needs no CDK bootstrap in the member accounts
// (no assets, no bootstrap version check) and takes the home account as the parameter
// HomeAccountId. props must be a fleet's (props.Regions).
func AddFleetStacks(app constructs.Construct, home awscdk.Stack, props IvsSessionsProps) FleetStacks {
	fleet := props.Fleet()
	if !fleet.Enabled() {
		panic("ivssessions: AddFleetStacks needs a fleet (IvsSessionsProps.Regions)")
	}
	out := FleetStacks{Forwarders: map[string]awscdk.Stack{}}
	for _, region := range fleet.Regions[1:] {
		st := awscdk.NewStack(app, jsii.String(ForwarderStackPrefix+region), &awscdk.StackProps{
			Env:         &awscdk.Environment{Region: jsii.String(region)},
			Description: jsii.String(fmt.Sprintf("ivs-sessions: forwards the IVS events of %s to the fleet bus in %s", region, fleet.Home())),
		})
		NewForwarder(st, jsii.String("Forwarder"), &ForwarderProps{HomeRegion: fleet.Home()})
		st.AddStackDependency(home, jsii.String("the forwarder targets the home stack's fleet bus"))
		out.Forwarders[region] = st
	}
	if len(fleet.Accounts) == 0 {
		return out
	}
	st := awscdk.NewStack(app, jsii.String(MemberStackName), &awscdk.StackProps{
		Description: jsii.String(fmt.Sprintf("ivs-sessions member account: forwards this region's IVS events to the fleet bus in %s and "+
			"lets the home account's functions call IVS here (deploy in %s)", fleet.Home(), strings.Join(fleet.Regions, ", "))),
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{GenerateBootstrapVersionRule: jsii.Bool(false)}),
	})
	homeAccount := awscdk.NewCfnParameter(st, jsii.String("HomeAccountId"), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		AllowedPattern:        jsii.String("^[0-9]{12}$"),
		ConstraintDescription: jsii.String("the 12-digit ID of the account that has the IvsSessions stack"),
		Description:           jsii.String("The home account: where the IvsSessions stack and its fleet bus are"),
	})
	optOutTag := props.OptOutTag
	NewMemberAccess(st, jsii.String("Member"), &MemberAccessProps{Regions: fleet.Regions, HomeAccount: homeAccount.ValueAsString(), OptOutTag: optOutTag})
	out.Member = st
	return out
}
