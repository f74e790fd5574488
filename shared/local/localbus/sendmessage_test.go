package localbus_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

func stringAttr(typ, v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
}

// TestSendMessageToDeadLetterQueueSDK is the corrector giving up on a correction: it sends the
// message to its queue's DLQ itself, with a reason, through the real SQS client (which checks
// MD5OfMessageBody). The message joins the queue's dead letters, as one moved there by
// maxReceiveCount does.
func TestSendMessageToDeadLetterQueueSDK(t *testing.T) {
	var mu sync.Mutex
	var dead []localbus.Activity
	b, err := localbus.New(localbus.Config{
		Queues: []localbus.QueueConfig{{Name: suite.FunctionCorrect, MaxReceiveCount: 100}},
		OnActivity: func(a localbus.Activity) {
			if a.Kind == localbus.ActivityDeadLetter {
				mu.Lock()
				dead = append(dead, a)
				mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	client := sqsClient(srv.URL)

	const body = `{"detail-type":"IVS Session Enriched","detail":{"x":"é"}}`
	// The real queue URL's form works as well: the queue is the last path segment.
	url := "https://sqs.us-east-1.amazonaws.com/123456789012/" + suite.FunctionCorrect + localbus.DeadLetterSuffix
	out, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String(body),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"reason": stringAttr("String", "correction expired")},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if aws.ToString(out.MessageId) == "" || aws.ToString(out.MD5OfMessageAttributes) == "" {
		t.Errorf("output %+v, want a message ID and MD5OfMessageAttributes", out)
	}
	letters, err := b.DeadLetters(suite.FunctionCorrect)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 || letters[0].Body != body || letters[0].MessageID != aws.ToString(out.MessageId) ||
		letters[0].ReceiveCount != 0 || letters[0].Sent.IsZero() || letters[0].Attributes["reason"] != "correction expired" {
		t.Fatalf("dead letters %+v, want the message with its reason, never received", letters)
	}
	st := b.Stats().Queues[suite.FunctionCorrect]
	if st.DeadLettered != 1 || st.SentToDeadLetter != 1 || st.Sent != 0 || st.Waiting != 0 {
		t.Errorf("stats %+v, want one dead letter, sent, and nothing in the source queue", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 1 || dead[0].Queue != suite.FunctionCorrect || dead[0].MessageID != aws.ToString(out.MessageId) {
		t.Errorf("dead-letter activities %+v, want one for the message", dead)
	}
}

// TestSendMessageToQueueSDK: a message sent to a queue is delivered to its function with its
// attributes, after its delay.
func TestSendMessageToQueueSDK(t *testing.T) {
	b, srv, recs := newBus(t, localbus.QueueConfig{})
	client := sqsClient(srv.URL)
	got := make(chan events.SQSMessage, 1)
	if err := b.SetHandler(suite.FunctionArchive, func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		got <- ev.Records[0]
		return events.SQSEventResponse{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	out, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(srv.URL + "/123456789012/" + suite.FunctionArchive), MessageBody: aws.String(`{"a":1}`), DelaySeconds: 2,
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"reason": stringAttr("String", "because"),
			"blob":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	sent := b.Clock().Now()
	waitIdle(t, b) // moves the clock past the delay
	var m events.SQSMessage
	select {
	case m = <-got:
	default:
		t.Fatal("the message was never delivered")
	}
	if waited := b.Clock().Now().Sub(sent); waited != 2*10*time.Millisecond {
		t.Errorf("delivered %v after it was sent, want its delay of 2 SQS seconds (20ms)", waited)
	}
	if m.MessageId != aws.ToString(out.MessageId) || m.Body != `{"a":1}` || m.Md5OfMessageAttributes != aws.ToString(out.MD5OfMessageAttributes) {
		t.Errorf("delivered %+v, want the message sent (%+v)", m, out)
	}
	if a := m.MessageAttributes["reason"]; a.DataType != "String" || aws.ToString(a.StringValue) != "because" {
		t.Errorf("attribute reason %+v", a)
	}
	if a := m.MessageAttributes["blob"]; a.DataType != "Binary" || string(a.BinaryValue) != "\x00\x01\x02" {
		t.Errorf("attribute blob %+v", a)
	}
	if st := b.Stats().Queues[suite.FunctionArchive]; st.Sent != 1 || st.Deleted != 1 {
		t.Errorf("stats %+v, want the message sent and deleted", st)
	}
	if len(recs[suite.FunctionArchive].records()) != 0 {
		t.Error("the recorder saw the message; the handler was replaced")
	}
}

// TestMessageAttributesMD5 checks MD5OfMessageAttributes against values SQS computed, as
// other SQS implementations test them.
func TestMessageAttributesMD5(t *testing.T) {
	b, srv, _ := newBus(t, localbus.QueueConfig{MaxReceiveCount: 1})
	client := sqsClient(srv.URL)
	tests := map[string]struct {
		attrs map[string]sqstypes.MessageAttributeValue
		want  string
	}{
		"one Number":      {map[string]sqstypes.MessageAttributeValue{"timestamp": stringAttr("Number", "1493147359900")}, "235c5c510d26fb653d073faed50ae77c"},
		"one String":      {map[string]sqstypes.MessageAttributeValue{"SellerName": stringAttr("String", "Example Store")}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		"sorted by names": {map[string]sqstypes.MessageAttributeValue{"ordinal": stringAttr("Number", "1"), "category": stringAttr("String", "test")}, "d21ae90c49061e927f57df5f5d72be1f"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
				QueueUrl: aws.String(srv.URL + "/123456789012/enrich-dlq"), MessageBody: aws.String("x"), MessageAttributes: tc.attrs,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.MD5OfMessageAttributes); got != tc.want {
				t.Errorf("MD5OfMessageAttributes = %s, want %s", got, tc.want)
			}
		})
	}
	if letters, _ := b.DeadLetters(suite.FunctionEnrich); len(letters) != len(tests) {
		t.Errorf("dead letters %d, want %d", len(letters), len(tests))
	}
}

// nonExistentQueue is QueueDoesNotExist's query-compatible code, which the SDK reports.
const nonExistentQueue = "AWS.SimpleQueueService.NonExistentQueue"

func TestSendMessageErrors(t *testing.T) {
	b, srv, _ := newBus(t, localbus.QueueConfig{}) // no MaxReceiveCount: no dead-letter queues
	client := sqsClient(srv.URL)
	queueURL := srv.URL + "/123456789012/" + suite.FunctionCorrect
	many := map[string]sqstypes.MessageAttributeValue{}
	for _, n := range strings.Split("a b c d e f g h i j k", " ") {
		many[n] = stringAttr("String", "v")
	}
	tests := map[string]struct {
		in   sqs.SendMessageInput
		want string // the error code (SQS's query-compatible one, as the SDK reports it)
	}{
		"unknown queue":          {sqs.SendMessageInput{QueueUrl: aws.String(srv.URL + "/123456789012/nope"), MessageBody: aws.String("x")}, nonExistentQueue},
		"DLQ of a queue without": {sqs.SendMessageInput{QueueUrl: aws.String(queueURL + localbus.DeadLetterSuffix), MessageBody: aws.String("x")}, nonExistentQueue},
		"empty body":             {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("")}, "MissingParameter"},
		"body too large":         {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(strings.Repeat("x", 1<<20+1))}, "InvalidParameterValue"},
		"invalid character":      {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("bell \x07")}, "InvalidMessageContents"},
		"delay above 900 s":      {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("x"), DelaySeconds: 901}, "InvalidParameterValue"},
		"eleven attributes":      {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("x"), MessageAttributes: many}, "InvalidParameterValue"},
		"unknown attribute type": {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("x"),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"a": stringAttr("Text", "v")}}, "InvalidParameterValue"},
		"empty attribute value": {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("x"),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"a": stringAttr("String", "")}}, "InvalidParameterValue"},
		"reserved attribute name": {sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("x"),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"AWS.trace": stringAttr("String", "v")}}, "InvalidParameterValue"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := client.SendMessage(context.Background(), &tc.in)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.want {
				t.Errorf("SendMessage error = %v, want %s", err, tc.want)
			}
		})
	}
	if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(srv.URL + "/123456789012/nope"), MessageBody: aws.String("x")}); !errors.As(err, new(*sqstypes.QueueDoesNotExist)) {
		t.Errorf("SendMessage to an unknown queue: %v, want the typed QueueDoesNotExist", err)
	}

	// What the SDK validates before sending, on the wire.
	for name, body := range map[string]string{
		"no body":      `{"QueueUrl":"` + queueURL + `"}`,
		"no queue URL": `{"MessageBody":"x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
			req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(got), "MissingParameter") {
				t.Errorf("%d %s, want 400 MissingParameter", resp.StatusCode, got)
			}
		})
	}
	st := b.Stats()
	for fn, q := range st.Queues {
		if q.Sent != 0 || q.DeadLettered != 0 {
			t.Errorf("%s: %+v, want nothing sent by a refused request", fn, q)
		}
	}
}

// TestDeliveryDelay checks that an event routed to a queue with a delivery delay is delivered
// the delay after it was put, by the bus's clock, on a manual clock and on the wall clock.
func TestDeliveryDelay(t *testing.T) {
	for name, clock := range map[string]localbus.Clock{"manual clock": localbus.NewManualClock(epoch), "wall clock": nil} {
		t.Run(name, func(t *testing.T) {
			delivered := make(chan time.Time, 1)
			var bus *localbus.Bus
			bus, err := localbus.New(localbus.Config{
				Clock: clock,
				Rules: []localbus.Rule{{Name: "all", Bus: "b", Pattern: `{"source":["s"]}`, Queue: "q"}},
				Queues: []localbus.QueueConfig{{Name: "q", DeliveryDelay: 150 * time.Millisecond,
					Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
						delivered <- bus.Clock().Now()
						return events.SQSEventResponse{}, nil
					}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer bus.Close()
			put := bus.Clock().Now()
			if _, err := bus.Put(localbus.Entry{Bus: "b", Source: "s", DetailType: "d", Detail: `{}`}); err != nil {
				t.Fatal(err)
			}
			if clock != nil {
				waitIdle(t, bus)
			}
			select {
			case at := <-delivered:
				if waited := at.Sub(put); waited < 150*time.Millisecond || (clock != nil && waited != 150*time.Millisecond) {
					t.Errorf("delivered after %v, want the 150ms delay", waited)
				}
			case <-time.After(waitTimeout):
				t.Fatal("never delivered")
			}
		})
	}
}
