package ivssessions

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// alarmPeriodMinutes is the period of every alarm: one bad 5-minute period alarms, one good one
// clears it.
const alarmPeriodMinutes = 5

// monitoring is the alarm topic (with its key), the alarms and the dashboard.
type monitoring struct {
	key       awskms.Key
	topic     awssns.Topic
	alarms    []awscloudwatch.Alarm
	dashboard awscloudwatch.Dashboard
}

func newMonitoring(scope constructs.Construct, fns []*suiteFunction, p IvsSessionsProps) *monitoring {
	m := &monitoring{}
	stack := awscdk.Stack_Of(scope)
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)

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
	}

	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	action := awscloudwatchactions.NewSnsAction(m.topic)
	alarm := func(scope constructs.Construct, id, description string, metric awscloudwatch.IMetric) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			// No data points means no messages and no invocations: nothing is wrong.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		m.alarms = append(m.alarms, a)
	}
	for _, pf := range fns {
		sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
		alarm(pf.dlq, "DepthAlarm",
			fmt.Sprintf("%s %s: messages in the dead-letter queue. Inspect them, fix the cause, then redrive them to the %s queue.", suite.Name, pf.name, pf.name),
			pf.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period}))
		alarm(pf.fn, "ErrorsAlarm",
			fmt.Sprintf("%s %s: invocations failed as a whole (crash or timeout); records are retried, then dead-lettered.", suite.Name, pf.name),
			pf.fn.MetricErrors(sum))
		alarm(pf.fn, "ThrottlesAlarm",
			fmt.Sprintf("%s %s: Lambda throttled invocations; the account's concurrency is exhausted.", suite.Name, pf.name),
			pf.fn.MetricThrottles(sum))
	}

	m.dashboard = awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
		Widgets:         dashboardWidgets(fns),
	})
	return m
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
// RejectedEvents by Function.
func dashboardWidgets(fns []*suiteFunction) *[]*[]awscloudwatch.IWidget {
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

	return &[]*[]awscloudwatch.IWidget{
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
	}
}
