package ivssessions

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// This file holds what makes a failure reach a person and what keeps the suite's own
// decisions its own: the notifications of failed corrections and of sessions only a person or
// the broadcaster can fix, the keeping of IVS events the suite does not know, the bus policy
// and the IAM guard on opted-out channels.

// newNotifications creates one rule per suite.Notifications entry on the suite's bus, which
// sends its text to the topic (an SNS target with an input transformer). EventBridge publishes to the encrypted
// topic with the key grant newMonitoring gives it.
func newNotifications(scope constructs.Construct, bus awsevents.IEventBus, topic awssns.ITopic) []awsevents.Rule {
	rules := make([]awsevents.Rule, 0, len(suite.Notifications))
	field := func(path string) string { return *awsevents.EventField_FromPath(jsii.String(path)) }
	for _, n := range suite.Notifications {
		pattern, err := eventPattern(n.Pattern)
		if err != nil {
			panic(fmt.Sprintf("ivssessions: notification %s: %v", n.Name, err))
		}
		rule := awsevents.NewRule(scope, jsii.String(n.Name), &awsevents.RuleProps{
			Description:  jsii.String(fmt.Sprintf("%s: %s events on the suite's bus to the alarm topic", suite.Name, n.Name)),
			EventBus:     bus,
			EventPattern: pattern,
		})
		rule.AddTarget(awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromText(jsii.String(n.Text(field))),
		}))
		rules = append(rules, rule)
	}
	return rules
}

// ivsArchiveName is the name of the EventBridge archive of every IVS event on the default bus.
const ivsArchiveName = suite.Name + "-ivs-events"

// knownIvsDetailTypes are the detail-types of source aws.ivs that IVS documents: the four the
// suite enriches (ivsevent.DetailTypes), the real-time ones it ignores, and CloudTrail's (see
// /work/shared/reference/ivs-notes.md §1.1, "Envelope, source, detail-types").
var knownIvsDetailTypes = slices.Concat(ivsevent.DetailTypes, []string{
	"IVS Stage Update", "IVS Composition State Change", "IVS Publisher Recording State Change",
	"IVS Participant Recording State Change", "AWS API Call via CloudTrail",
})

// keepIvsEvents keeps every IVS event the suite may not know:
//   - an EventBridge archive on the default bus of every aws.ivs event, for the event archive's
//     retention: an event that enrich rejects because it names something new (RejectedEvents,
//     alarmed) can be replayed once the suite knows it;
//   - a rule that sends an event of a detail-type nobody documented yet (which the suite's own
//     rule does not match) to enrich's dead-letter queue, where it stays 14 days and its depth
//     alarms; the rule's MatchedEvents alarms too.
func keepIvsEvents(scope constructs.Construct, enrich *suiteFunction, p IvsSessionsProps) (awsevents.Archive, awsevents.Rule) {
	defaultBus := awsevents.EventBus_FromEventBusName(scope, jsii.String("DefaultBus"), jsii.String("default"))
	archive := archiveIvsEvents(scope, "IvsEventArchive", ivsArchiveName, "every IVS event", defaultBus, p)
	rule := awsevents.NewRule(scope, jsii.String("UnknownIvsEvents"), &awsevents.RuleProps{
		Description:  jsii.String(fmt.Sprintf("%s: IVS events of a detail-type the suite does not know, kept in the enrich dead-letter queue", suite.Name)),
		EventPattern: unknownIvsEvents(),
	})
	keepInDeadLetterQueue(rule, enrich)
	return archive, rule
}

// archiveIvsEvents archives every aws.ivs event of bus for the event archive's retention (what,
// "every IVS event …", opens its description).
func archiveIvsEvents(scope constructs.Construct, id, name, what string, bus awsevents.IEventBus, p IvsSessionsProps) awsevents.Archive {
	return awsevents.NewArchive(scope, jsii.String(id), &awsevents.ArchiveProps{
		ArchiveName:    jsii.String(name),
		Description:    jsii.String(fmt.Sprintf("%s: %s, for a replay once the suite knows an event it rejected", suite.Name, what)),
		SourceEventBus: bus,
		EventPattern:   &awsevents.EventPattern{Source: jsii.Strings(ivsevent.Source)},
		Retention:      durationDays(p.EventArchiveRetentionDays),
	})
}

// unknownIvsEvents matches the aws.ivs events of a detail-type outside knownIvsDetailTypes.
func unknownIvsEvents() *awsevents.EventPattern {
	known := make([]any, len(knownIvsDetailTypes))
	for i, d := range knownIvsDetailTypes {
		known[i] = d
	}
	return &awsevents.EventPattern{Source: jsii.Strings(ivsevent.Source), DetailType: awsevents.Match_AnythingBut(known...)}
}

// keepInDeadLetterQueue makes fn's dead-letter queue the target of rule, which its queue policy
// (restrictQueues) then lets in: where events no queue of the suite reads wait 14 days, their
// depth alarmed.
func keepInDeadLetterQueue(rule awsevents.Rule, fn *suiteFunction) {
	rule.AddTarget(awseventstargets.NewSqsQueue(fn.dlq, &awseventstargets.SqsQueueProps{
		RetryAttempts: jsii.Number(targetRetryAttempts),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(targetMaxEventAgeH)),
	}))
	fn.dlqRules = append(fn.dlqRules, rule.RuleArn())
}

// restrictQueues lets only the suite send to its queues: a Deny of sqs:SendMessage, on each
// queue and dead-letter queue, for every principal but the EventBridge rules that target it
// (aws:SourceArn, which the service sets and no caller can) and the roles that send to it
// (aws:PrincipalArn): the function's own role (a record a deadline left unstarted goes back to
// its queue), correct's role to its dead-letter queue (a correction given up on), and the
// roles of queueSenders (a person's redrive, which sends as that person's role). IAM policies
// alone allow any principal of the account with sqs:SendMessage on * to put a forged decision
// on the correct queue; this refuses it, whatever its policies say.
func restrictQueues(fns map[string]*suiteFunction, extraSenders []string) {
	for _, name := range suite.Functions {
		pf := fns[name]
		senders := []*string{pf.role.RoleArn()}
		for _, a := range extraSenders {
			senders = append(senders, jsii.String(a))
		}
		denySendMessage(pf.queue, pf.queueRules, senders)
		dlqSenders := []*string{}
		if name == suite.FunctionCorrect {
			dlqSenders = append(dlqSenders, pf.role.RoleArn()) // DEAD_LETTER_QUEUE_URL
		}
		// SQS moves a message received maxReceiveCount times itself; should it name the source
		// queue as the source of the move, the move is let in too.
		denySendMessage(pf.dlq, append(slices.Clone(pf.dlqRules), pf.queue.QueueArn()), dlqSenders)
	}
}

// denySendMessage adds to q's policy the Deny of sqs:SendMessage for every principal that is
// neither one of rules (aws:SourceArn) nor one of roles (aws:PrincipalArn).
func denySendMessage(q awssqs.Queue, rules, roles []*string) {
	notFrom := map[string]any{"aws:SourceArn": rules}
	if len(roles) > 0 {
		notFrom["aws:PrincipalArn"] = roles
	}
	q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyTheSuiteSends"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{q.QueueArn()},
		Conditions: &map[string]any{"ArnNotEquals": notFrom},
	}))
}

// unknownEventsMetric counts the events the UnknownIvsEvents rule matched.
func unknownEventsMetric(rule awsevents.Rule, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Events"),
		MetricName:    jsii.String("MatchedEvents"),
		DimensionsMap: &map[string]*string{"RuleName": rule.RuleName()},
		Statistic:     jsii.String("Sum"),
		Period:        period,
	})
}

// restrictBus lets only the suite's publishers (the roles given) put events of the suite's
// source on its bus: a Deny for every other principal, whatever its IAM policies allow, so that
// nobody else in the account can publish an "apply" decision the corrector would act on.
// (Synth prints a deprecation warning for CfnEventBusPolicy#principal: the CDK reads that
// property of every event bus policy, this one has none; the warning is jsii's, not ours.)
func restrictBus(bus awsevents.EventBus, publishers []awsiam.IRole) {
	arns := make([]*string, len(publishers))
	for i, r := range publishers {
		arns[i] = r.RoleArn()
	}
	bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyTheSuitePublishesItsEvents"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("events:PutEvents"),
		Resources:  &[]*string{bus.EventBusArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"events:source": suite.EventSource},
			"ArnNotEquals": map[string]any{"aws:PrincipalArn": arns},
		},
	}))
}

// optOutGuard is correct's IAM guard on opted-out channels: UpdateChannel is denied on any
// channel that carries the opt-out tag (any value), so that no bug can change one; the policy
// skips such channels before it gets there (multitrack.Decide).
func optOutGuard(channels []*string, optOutTag string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("NeverUpdateAnOptedOutChannel"),
		Effect:     awsiam.Effect_DENY,
		Actions:    jsii.Strings("ivs:UpdateChannel"),
		Resources:  &channels,
		Conditions: &map[string]any{"Null": map[string]any{"aws:ResourceTag/" + optOutTag: "false"}},
	})
}
