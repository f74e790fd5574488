package ivssessions

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// This file holds what a fleet (IvsSessionsProps.Regions) adds to the home stack: the fleet bus
// that the other regions and the member accounts forward their IVS events to, with its policy,
// its archive and its rules; the IAM that lets each function call IVS (and CloudWatch) in every
// region of the fleet and assume the member accounts' roles; and the notification of the
// forwarders' alarms. The forwarders themselves are forwarder.go's.

// The CloudWatch alarms' state changes, as EventBridge carries them (source aws.cloudwatch): a
// forwarder's alarm in another region or account reaches the home alarm topic this way.
const (
	alarmEventSource     = "aws.cloudwatch"
	alarmEventDetailType = "CloudWatch Alarm State Change"
)

// checkHomeRegion panics unless the stack of scope is in the fleet's home region: the fleet's
// policies and forwarders name the home region, which must be where the suite is.
func checkHomeRegion(scope constructs.Construct, fleet suite.Fleet) {
	region := awscdk.Stack_Of(scope).Region()
	unresolved := *awscdk.Token_IsUnresolved(region)
	if unresolved || *region != fleet.Home() {
		got := "an environment-agnostic stack"
		if !unresolved {
			got = "region " + *region
		}
		panic(fmt.Sprintf("ivssessions: a fleet's suite belongs in its home region %s (the first of regions): give its stack env.region %s, got %s",
			fleet.Home(), fleet.Home(), got))
	}
}

// newFleetBus creates the fleet bus (suite.FleetBusName): the home account's other regions
// forward to it with their own role (an identity policy, as within one account); member
// accounts are let in by its resource policy, by list or by organization, and only with
// events of source aws.ivs (their IVS events) and aws.cloudwatch (their forwarder's alarm), which
// no account can put itself (PutEvents refuses aws.* sources): the bus carries only events AWS
// emitted.
func newFleetBus(scope constructs.Construct, fleet suite.Fleet) awsevents.EventBus {
	bus := awsevents.NewEventBus(scope, jsii.String("FleetBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(suite.FleetBusName),
		Description:  jsii.String(fmt.Sprintf("%s: the IVS events of the fleet's other regions and member accounts (%s)", suite.Name, strings.Join(fleet.Regions, ", "))),
	})
	if len(fleet.Accounts) == 0 {
		return bus
	}
	conditions := map[string]any{"StringEquals": map[string]any{"events:source": []string{ivsevent.Source, alarmEventSource}}}
	var principals []awsiam.IPrincipal
	sid := "MemberAccountsForwardTheirIvsEvents"
	if fleet.Organization != "" {
		principals = []awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
		conditions["StringEquals"].(map[string]any)["aws:PrincipalOrgID"] = fleet.Organization
		sid = "OrganizationAccountsForwardTheirIvsEvents"
	} else {
		for _, a := range fleet.Accounts {
			principals = append(principals, awsiam.NewAccountPrincipal(jsii.String(a)))
		}
	}
	bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &principals,
		Actions:    jsii.Strings("events:PutEvents"),
		Resources:  &[]*string{bus.EventBusArn()},
		Conditions: &conditions,
	}))
	return bus
}

// keepFleetIvsEvents keeps what arrives on the fleet bus as keepIvsEvents keeps the default
// bus's: an archive of every IVS event, and unknown detail-types into enrich's dead-letter
// queue. It also keeps there the IVS events of a region outside the fleet (a member that
// forwards from a region not listed): no queue of the suite reads them. It returns the rules
// whose matched events alarm.
func keepFleetIvsEvents(scope constructs.Construct, bus awsevents.IEventBus, enrich *suiteFunction, p IvsSessionsProps) []awsevents.Rule {
	c := constructs.NewConstruct(scope, jsii.String("FleetIvsEvents"))
	archiveIvsEvents(c, "Archive", suite.FleetBusName+"-ivs-events", "every IVS event of the fleet bus", bus, p)
	regions := make([]any, len(p.Regions))
	for i, r := range p.Regions {
		regions[i] = r
	}
	var rules []awsevents.Rule
	for _, k := range []struct {
		id, what string
		pattern  *awsevents.EventPattern
	}{
		{"Unknown", "IVS events of a detail-type the suite does not know", unknownIvsEvents()},
		{"OutsideTheFleet", "IVS events of a region outside the fleet", &awsevents.EventPattern{
			Source: jsii.Strings(ivsevent.Source), Region: awsevents.Match_AnythingBut(regions...)}},
	} {
		rule := awsevents.NewRule(c, jsii.String(k.id), &awsevents.RuleProps{
			Description:  jsii.String(fmt.Sprintf("%s: %s on the fleet bus, kept in the enrich dead-letter queue", suite.Name, k.what)),
			EventBus:     bus,
			EventPattern: k.pattern,
		})
		keepInDeadLetterQueue(rule, enrich)
		rules = append(rules, rule)
	}
	return rules
}

// newForwardedAlarms sends the state changes of the forwarders' alarms (each in its own region
// or member account, forwarded to the fleet bus) to the alarm topic, with what the alarm says to
// do: every alarm of the fleet reaches the one topic of the home region.
func newForwardedAlarms(scope constructs.Construct, bus awsevents.IEventBus, topic awssns.ITopic) awsevents.Rule {
	field := func(path string) string { return *awsevents.EventField_FromPath(jsii.String(path)) }
	rule := awsevents.NewRule(scope, jsii.String("NotifyForwarderAlarms"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("%s: the forwarders' alarms (other regions, member accounts) to the alarm topic", suite.Name)),
		EventBus:    bus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(alarmEventSource),
			DetailType: jsii.Strings(alarmEventDetailType),
		},
	})
	rule.AddTarget(awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
		Message: awsevents.RuleTargetInput_FromText(jsii.String(fmt.Sprintf("%s: alarm %s in account %s, region %s, is now %s: %s. %s",
			suite.Name, field("$.detail.alarmName"), field("$.account"), field("$.region"), field("$.detail.state.value"),
			field("$.detail.state.reason"), field("$.detail.configuration.description")))),
	}))
	return rule
}

// channelARNs is arn:<partition>:ivs:<region>:<account>:channel/* for each region the suite
// calls IVS in: the stack's own in a single-region deployment, each of the fleet's in a fleet.
// The channels are the customer's, created outside this stack, so they are matched by pattern,
// but never beyond IVS channels of this account and those regions (a member account's are
// reached through its own role).
func (s *ivsSessions) channelARNs() []*string {
	arn := func(region *string) *string {
		return awscdk.Stack_Of(s.Construct).FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("ivs"),
			Region:       region,
			Resource:     jsii.String("channel"),
			ResourceName: jsii.String("*"),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})
	}
	if !s.fleet.Enabled() {
		return []*string{arn(nil)}
	}
	out := make([]*string, len(s.fleet.Regions))
	for i, r := range s.fleet.Regions {
		out[i] = arn(jsii.String(r))
	}
	return out
}

// channelsAppliesTo is what the IAM5 suppressions of the channel wildcard apply to: the
// channelARNs resources as cdk-nag writes them.
func (s *ivsSessions) channelsAppliesTo() *[]any {
	if !s.fleet.Enabled() {
		return &[]any{jsii.String("Resource::arn:<AWS::Partition>:ivs:<AWS::Region>:<AWS::AccountId>:channel/*")}
	}
	quoted := make([]string, len(s.fleet.Regions))
	for i, r := range s.fleet.Regions {
		quoted[i] = regexp.QuoteMeta(r)
	}
	// The partition is resolved where the region is known (aws for us-west-2), so it is not
	// matched literally.
	return &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(fmt.Sprintf(`/^Resource::arn:[^:]+:ivs:(%s):<AWS::AccountId>:channel\/\*$/`, strings.Join(quoted, "|")))}}
}

// channelsReason is the reason of the IAM5 suppressions of the channel wildcard.
func (s *ivsSessions) channelsReason(what string) string {
	where := "this account and region"
	if s.fleet.Enabled() {
		where = "this account in the fleet's regions (" + strings.Join(s.fleet.Regions, ", ") + ")"
	}
	return what + " The channels are the customer's, created outside this stack, and cannot be listed at deploy time; the wildcard covers only IVS channel ARNs of " +
		where + " (a channel opts out with the opt-out tag)."
}

// inFleetRegions narrows a statement on Resource * (an action with no resource-level
// permissions: IVS's account-level lists, CloudWatch's GetMetricData) to the fleet's regions,
// with aws:RequestedRegion; a single-region deployment's statement stays as it was.
func (s *ivsSessions) inFleetRegions(props *awsiam.PolicyStatementProps) *awsiam.PolicyStatementProps {
	if s.fleet.Enabled() {
		props.Conditions = &map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": s.fleet.Regions}}
	}
	return props
}

// grantMemberRoles lets function pf assume its role in every member account and region of the
// fleet (suite.FleetRoleName), and no other role: an exact list of ARNs.
func (s *ivsSessions) grantMemberRoles(pf *suiteFunction) {
	if len(s.fleet.Accounts) == 0 {
		return
	}
	var roles []*string
	for _, a := range s.fleet.Accounts {
		for _, r := range s.fleet.Regions {
			roles = append(roles, memberRoleARN(jsii.String(a), pf.name, r))
		}
	}
	pf.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeTheMemberAccountsRoles"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: &roles,
	}))
}

// memberRoleARN is the ARN of function fn's role in region of account (suite.FleetRoleName).
func memberRoleARN(account *string, fn, region string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::"), account, jsii.String(":role/" + suite.FleetRoleName(fn, region)),
	})
}

// fleetWidgets are the dashboard's rows for the fleet's other regions: the age of each
// regional queue (the home region's are in the rows above), and what each region's forwarder
// did: the IVS events its rule matched, the deliveries to the fleet bus that failed, and the
// events left in its dead-letter queue. The forwarders' metrics are read in their own region
// (a dashboard may graph any region of its account); the member accounts' forwarders alarm
// through the fleet bus instead (NotifyForwarderAlarms).
func fleetWidgets(fns []*suiteFunction, fleet suite.Fleet) []*[]awscloudwatch.IWidget {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	var rows []*[]awscloudwatch.IWidget
	for _, region := range fleet.Regions[1:] {
		var ages []awscloudwatch.IMetric
		for _, pf := range fns {
			for _, q := range pf.queues {
				if q.region == region {
					ages = append(ages, q.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
						Statistic: jsii.String("Maximum"), Period: five, Label: jsii.String(pf.name + " queue"),
					}))
				}
			}
		}
		metric := func(namespace, name, dim, value, stat, label string) awscloudwatch.IMetric {
			return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(namespace), MetricName: jsii.String(name), Region: jsii.String(region),
				DimensionsMap: &map[string]*string{dim: jsii.String(value)}, Statistic: jsii.String(stat), Period: five, Label: jsii.String(label),
			})
		}
		row := []awscloudwatch.IWidget{
			graph(region+": age of the oldest queued message (s)", ages...),
			graph(region+": forwarded IVS events",
				metric("AWS/Events", "MatchedEvents", "RuleName", suite.ForwarderRuleName, "Sum", "matched"),
				metric("AWS/Events", "FailedInvocations", "RuleName", suite.ForwarderRuleName, "Sum", "failed deliveries"),
				metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", suite.ForwarderDeadLetterQueueName, "Maximum", "in the forwarder's DLQ")),
		}
		rows = append(rows, &row)
	}
	return rows
}

// fleetActions are the calls function fn makes in a channel's account and region, for its
// role there: the IVS actions on channels (the sweep's lists included, scoped to channels as
// the IVS user guide's IAM examples scope them), and the actions on Resource * (CloudWatch's
// GetMetricData), which the roles narrow to the region they are for.
func fleetActions(fn string) (onChannels, onAny []string) {
	switch fn {
	case suite.FunctionSweep:
		return SweepIVSActions, nil
	case suite.FunctionQuality:
		return nil, qualityActions
	}
	return ivsActions[fn], nil
}
