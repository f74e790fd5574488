package localaws_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestAssembly starts every peer and reaches each with its real SDK client, through the wraps.
func TestAssembly(t *testing.T) {
	ctx := context.Background()
	var ivsCalls atomic.Int64
	var queues []localbus.QueueConfig
	for _, fn := range suite.Functions {
		queues = append(queues, localbus.QueueConfig{Name: fn, MaxReceiveCount: 3})
	}
	a, err := localaws.Start(localaws.Config{
		Region: "eu-west-1", IVS: &ivstest.Options{}, Bucket: "archive", CloudWatch: &cloudwatchtest.Options{},
		Bus: &localbus.Config{Rules: localbus.SuiteRules(suite.BusSessions), Queues: queues},
		WrapIVS: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ivsCalls.Add(1); h.ServeHTTP(w, r) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	ch, err := a.IVSClient().CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("c")})
	if err != nil || ivsCalls.Load() != 1 || !strings.Contains(aws.ToString(ch.Channel.Arn), ":eu-west-1:") {
		t.Errorf("CreateChannel through the wrap: %v, %d calls, ARN %s", err, ivsCalls.Load(), aws.ToString(ch.Channel.Arn))
	}
	out, err := a.EventBridgeClient().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(suite.BusSessions), Source: aws.String(suite.EventSource), DetailType: aws.String(suite.DetailTypeChannelCorrected), Detail: aws.String(`{}`)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Errorf("PutEvents: %v, %+v", err, out)
	}
	if _, err := a.SQSClient().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(a.Resources(suite.FunctionCorrect).DeadLetterQueueURL), MessageBody: aws.String("x")}); err != nil {
		t.Errorf("SendMessage to correct's dead-letter queue: %v", err)
	}
	if _, err := a.S3Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Errorf("PutObject: %v", err)
	}
	a.CloudWatch.Put("AWS/IVS", "IngestVideoBitrate", map[string]string{"Channel": "c"}, cloudwatchtest.Datum{Time: time.Now().Add(-time.Minute), Value: 1})
	md, err := a.CloudWatchClient().GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now()),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Average"),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/IVS"), MetricName: aws.String("IngestVideoBitrate"), Dimensions: []cwtypes.Dimension{{Name: aws.String("Channel"), Value: aws.String("c")}}}}}},
	})
	if err != nil || len(md.MetricDataResults) != 1 || len(md.MetricDataResults[0].Values) != 1 {
		t.Errorf("GetMetricData: %v, %+v", err, md)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestFunctionEnv: a function's environment is the deployment's (suite.Settings.Environment)
// pointed at the peers, and nothing points at AWS itself.
func TestFunctionEnv(t *testing.T) {
	a, err := localaws.Start(localaws.Config{IVS: &ivstest.Options{}, Bucket: "archive", CloudWatch: &cloudwatchtest.Options{},
		Bus: &localbus.Config{Queues: []localbus.QueueConfig{{Name: suite.FunctionCorrect, MaxReceiveCount: 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s := suite.DefaultSettings()
	env := a.FunctionEnv(suite.FunctionCorrect, s)
	for k, v := range s.Environment(suite.FunctionCorrect, a.Resources(suite.FunctionCorrect)) {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for k, want := range map[string]string{
		"AWS_ENDPOINT_URL_IVS": a.IVSURL, "AWS_ENDPOINT_URL_EVENTBRIDGE": a.BusURL, "AWS_ENDPOINT_URL_SQS": a.BusURL, "AWS_ENDPOINT_URL_S3": a.S3URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH": a.CloudWatchURL,
		"AWS_REGION":                  localaws.Region, "AWS_ACCESS_KEY_ID": localaws.AccessKeyID, "AWS_LAMBDA_LOG_FORMAT": "JSON",
		suite.EnvEventBusName: suite.BusSessions, suite.EnvLockBucket: "archive",
		suite.EnvDeadLetterQueueURL: a.BusURL + "/" + localaws.Account + "/correct" + localbus.DeadLetterSuffix,
	} {
		if env[k] != want || want == "" {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}

	none, err := localaws.Start(localaws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	for k := range none.Env() {
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
			t.Errorf("Env() has %s without a peer: a function would reach AWS", k)
		}
	}
}
