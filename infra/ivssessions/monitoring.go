package ivssessions

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// alarmPeriodMinutes is the period of every alarm: one bad 5-minute period alarms, one good one
// clears it.
const alarmPeriodMinutes = 5

// queueAgeLimits is how long a message may wait in a function's queue before its age alarms:
// enrich retries a session not yet visible for a few minutes, archive retries write conflicts
// and 5xx within seconds, quality waits for CloudWatch. correct's limit is the correction's maximum age plus an hour.
var queueAgeLimits = map[string]time.Duration{
	suite.FunctionEnrich:  30 * time.Minute,
	suite.FunctionArchive: 15 * time.Minute,
	// quality: the queue's 5-minute delay, then up to 5 reads 2 minutes apart (about 13 minutes).
	suite.FunctionQuality: 30 * time.Minute,
}

// errLogKey is the log attribute of a function's error (suite.LogKeyErr); the AccessErrors metric
// filter reads it.
const errLogKey = suite.LogKeyErr

// accessErrorRegex is what the AccessErrors metric filter matches in errLogKey.
const accessErrorRegex = suite.AccessErrorPattern

// noAlarmEmailWarning is the ID of the synth warning for a deployment without alarmEmail.
const noAlarmEmailWarning = "ivs-sessions:noAlarmEmail"

// NoAlarmEmailMessage is the warning every synth of a deployment without AlarmEmail prints.
const NoAlarmEmailMessage = "no alarmEmail: the alarms and the notifications of failed corrections, of channels that need a person and of " +
	"broadcasters to tell go to the SNS topic in the stack output AlarmTopicArn, and nobody is subscribed to it. " +
	"Deploy with -c alarmEmail=you@example.com, or subscribe to the topic."

// monitoring is the alarm topic (with its key), the alarms and the dashboard.
type monitoring struct {
	key       awskms.Key
	topic     awssns.Topic
	action    awscloudwatch.IAlarmAction
	alarms    []awscloudwatch.Alarm
	dashboard awscloudwatch.Dashboard
}

func newMonitoring(scope constructs.Construct, fns []*suiteFunction, p IvsSessionsProps) *monitoring {
	m := &monitoring{}
	stack := awscdk.Stack_Of(scope)
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	events := awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)

	// A customer-managed key, because CloudWatch alarms cannot publish to a topic encrypted with
	// the AWS-managed SNS key (its key policy cannot be changed to let CloudWatch in).
	m.key = awskms.NewKey(scope, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String(fmt.Sprintf("%s: encrypts the alarm topic", suite.Name)),
		EnableKeyRotation: jsii.Bool(true),
		// Nothing outlives the stack encrypted with it (SNS keeps no messages), so it goes too.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
	})
	// CloudWatch publishes as itself: it needs the data key to encrypt the notification (the
	// actions the SNS developer guide lists for an encrypted topic's publishers).
	m.key.Grant(cloudwatch, jsii.String("kms:Decrypt"), jsii.String("kms:GenerateDataKey*"))
	// So does EventBridge, which sends the notifications (newNotifications).
	m.key.Grant(events, jsii.String("kms:Decrypt"), jsii.String("kms:GenerateDataKey*"))

	m.topic = awssns.NewTopic(scope, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String(suite.Name + " alarms"),
		MasterKey:   m.key,
		EnforceSSL:  jsii.Bool(true),
	})
	// The topic policy CDK writes for EnforceSSL replaces SNS's default policy, so CloudWatch
	// alarms of this account must be let in explicitly.
	m.topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*m.topic.TopicArn()),
		Conditions: &map[string]any{
			"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		},
	}))
	if p.AlarmEmail != "" {
		m.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.AlarmEmail), nil))
	} else {
		// Said loudly at every synth and deploy: without it nobody hears of a failure.
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String(noAlarmEmailWarning), jsii.String(NoAlarmEmailMessage))
	}

	period := alarmPeriod()
	m.action = awscloudwatchactions.NewSnsAction(m.topic)
	alarmAt := m.alarm
	alarm := func(scope constructs.Construct, id, description string, metric awscloudwatch.IMetric) {
		m.alarm(scope, id, description, metric, 1)
	}
	maxAge := p.Settings().CorrectionMaxAge
	for _, pf := range fns {
		sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
		alarm(pf.fn, "RejectedAlarm",
			fmt.Sprintf("%s %s: events rejected (RejectedEvents): malformed, or an IVS event name, limit or recording status this version "+
				"of the suite does not know. The function's log says which field (\"rejected\"); every IVS event is kept in the %s archive: "+
				"upgrade the suite, then replay them from it.", suite.Name, pf.name, ivsArchiveName),
			alarmMetric(suite.MetricRejected, period, suite.DimensionFunction, pf.name))
		limit := queueAgeLimits[pf.name]
		if pf.name == suite.FunctionCorrect {
			limit = maxAge + time.Hour // a correction waits for its channel up to the maximum age
		}
		alarmAt(pf.queue, "AgeAlarm",
			fmt.Sprintf("%s %s: a message has waited in the queue for more than %s: the function keeps failing on it (look for \"transient failure\" "+
				"in its log) or cannot keep up.", suite.Name, pf.name, limit),
			pf.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period}),
			limit.Seconds())
		for _, q := range pf.queues[1:] {
			// A fleet's other regions: each region's queue ages apart, so the alarm names the
			// region whose calls fail or whose backlog grows.
			alarmAt(q.queue, "AgeAlarm",
				fmt.Sprintf("%s %s, region %s: a message has waited in the region's queue for more than %s: the function keeps failing on "+
					"that region's calls (look for \"transient failure\" in its log) or cannot keep up with the region.", suite.Name, pf.name, q.region, limit),
				q.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period}),
				limit.Seconds())
		}
		awslogs.NewMetricFilter(pf.logGroup, jsii.String("AccessErrors"), &awslogs.MetricFilterProps{
			LogGroup:        pf.logGroup,
			FilterPattern:   awslogs.FilterPattern_RegexValue(jsii.String("$."+errLogKey), jsii.String("="), jsii.String(accessErrorRegex)),
			MetricNamespace: jsii.String(suite.MetricNamespace),
			MetricName:      jsii.String(suite.MetricAccessErrors),
			MetricValue:     jsii.String("1"),
		})
		alarmAt(pf.dlq, "DepthAlarm",
			fmt.Sprintf("%s %s: messages in the dead-letter queue. Inspect them, fix the cause, then redrive them to the %s queue.", suite.Name, pf.name, pf.name),
			pf.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period}),
			suite.DeadLetterAlarmThreshold)
		alarm(pf.fn, "ErrorsAlarm",
			fmt.Sprintf("%s %s: invocations failed as a whole (crash or timeout); records are retried, then dead-lettered.", suite.Name, pf.name),
			pf.fn.MetricErrors(sum))
		alarm(pf.fn, "ThrottlesAlarm",
			fmt.Sprintf("%s %s: Lambda throttled invocations; the account's concurrency is exhausted.", suite.Name, pf.name),
			pf.fn.MetricThrottles(sum))
	}

	alarm(scope, "AccessErrorsAlarm",
		fmt.Sprintf("%s: AWS refused a function (AccessDenied, a missing bucket or queue): a permission or a resource is missing, and the "+
			"messages it fails on are retried until they reach the dead-letter queue hours later. Find the line: CloudWatch Logs Insights on "+
			"the functions' log groups, filter %s like /%s/.", suite.Name, errLogKey, accessErrorRegex),
		alarmMetric(suite.MetricAccessErrors, period))
	alarm(scope, "CorrectionsFailedAlarm",
		fmt.Sprintf("%s: a channel correction failed (Corrections{Outcome=failed}): the broadcaster is still refused. The notification on "+
			"this topic names the channel, the session and the cause; the message is in the correct dead-letter queue: fix the cause, then redrive it.", suite.Name),
		alarmMetric(suite.MetricCorrections, period, suite.DimensionOutcome, string(session.CorrectionFailed)))

	m.dashboard = awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
		Widgets:         dashboardWidgets(fns, p.Fleet()),
	})
	return m
}

// alarmPeriod is the period of every alarm.
func alarmPeriod() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes)) }

// alarm adds an alarm on metric at or above threshold in one period, which notifies the topic
// when it fires and when it clears.
func (m *monitoring) alarm(scope constructs.Construct, id, description string, metric awscloudwatch.IMetric, threshold float64) {
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		// No data points means no messages and no invocations: nothing is wrong.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(m.action)
	a.AddOkAction(m.action)
	m.alarms = append(m.alarms, a)
}

// alarmMetric is one of the suite's metrics, summed, with at most one dimension (name, value):
// without a label, so that the alarm is on the metric itself, not a metric math expression.
func alarmMetric(name string, period awscdk.Duration, dim ...string) awscloudwatch.Metric {
	props := &awscloudwatch.MetricProps{
		Namespace:  jsii.String(suite.MetricNamespace),
		MetricName: jsii.String(name),
		Statistic:  jsii.String("Sum"),
		Period:     period,
	}
	if len(dim) == 2 {
		props.DimensionsMap = &map[string]*string{dim[0]: jsii.String(dim[1])}
	}
	return awscloudwatch.NewMetric(props)
}

// suiteMetric is one of the functions' EMF metrics, without dimensions.
func suiteMetric(name, label string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(suite.MetricNamespace),
		MetricName: jsii.String(name),
		Statistic:  jsii.String("Sum"),
		Period:     period,
		Label:      jsii.String(label),
	})
}

// searchByDimension graphs metric once per value of its one dimension, whatever the values
// are (codes and outcomes are open sets), with a CloudWatch SEARCH expression; each line is
// labelled with its dimension value.
func searchByDimension(metric, dimension string, period awscdk.Duration) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s} MetricName="%s"', 'Sum', %d)`,
			suite.MetricNamespace, dimension, metric, int(*period.ToSeconds(nil)))),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Label:        jsii.String(fmt.Sprintf("${PROP('Dim.%s')}", dimension)),
		Period:       period,
	})
}

func graph(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title:  jsii.String(title),
		Left:   &metrics,
		Width:  jsii.Number(12),
		Height: jsii.Number(6),
	})
}

// dashboardWidgets lays the dashboard out in rows of two graphs. The suite metrics are read
// with exactly the dimensions the functions write (shared/metrics): Sessions and
// MultitrackSessions with none, Refusals by Code, Corrections by Outcome, IVSThrottles and
// RejectedEvents by Function. A fleet adds a row per other region (fleetWidgets).
func dashboardWidgets(fns []*suiteFunction, fleet suite.Fleet) *[]*[]awscloudwatch.IWidget {
	hour := awscdk.Duration_Hours(jsii.Number(1))
	five := awscdk.Duration_Minutes(jsii.Number(5))

	share := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(s > 0, 100 * m / s, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"m": suiteMetric(suite.MetricMultitrack, "multitrack sessions", hour),
			"s": suiteMetric(suite.MetricSessions, "sessions", hour),
		},
		Label:  jsii.String("multitrack sessions, % of sessions"),
		Period: hour,
	})

	var dlqs, errors, ages []awscloudwatch.IMetric
	for _, pf := range fns {
		dlqs = append(dlqs, pf.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: five, Label: jsii.String(pf.name + " DLQ"),
		}))
		errors = append(errors,
			pf.fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five, Label: jsii.String(pf.name + " errors")}),
			pf.fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five, Label: jsii.String(pf.name + " throttles")}))
		ages = append(ages, pf.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: five, Label: jsii.String(pf.name + " queue"),
		}))
	}

	rows := []*[]awscloudwatch.IWidget{
		{
			graph("Sessions per hour", suiteMetric(suite.MetricSessions, "sessions archived", hour)),
			graph("Multitrack share", share),
		},
		{
			graph("Refusals by code (per hour)", searchByDimension(suite.MetricRefusals, suite.DimensionCode, hour)),
			graph("Corrections by outcome (per hour)", searchByDimension(suite.MetricCorrections, suite.DimensionOutcome, hour)),
		},
		{
			graph("IVS throttles by function", searchByDimension(suite.MetricIVSThrottles, suite.DimensionFunction, five)),
			graph("Dead-letter queue depths", dlqs...),
		},
		{
			graph("Rejected events by function", searchByDimension(suite.MetricRejected, suite.DimensionFunction, five)),
			graph("Age of the oldest queued message (s)", ages...),
		},
		{
			graph("Function errors and throttles", errors...),
		},
		qualityWidgets(fns, hour),
	}
	if fleet.Enabled() {
		rows = append(rows, fleetWidgets(fns, fleet)...)
	}
	return &rows
}
