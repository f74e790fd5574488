package batch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const okBody = `{"detail-type":"ok","id":"e1"}`

// validRecord is an SQS record of okBody, as JSON.
func validRecord(id string) string {
	return `{"messageId":"` + id + `","receiptHandle":"rh","body":` + jsonString(okBody) +
		`,"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1700000000000"},"eventSourceARN":"arn:aws:sqs:us-west-2:123456789012:enrich"}`
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestNotABatch: a batch that is not a batch, or a record that is not a record, is reported as
// a failure of that record or of the invocation, never acknowledged with its neighbours; the
// good record beside it is processed (issue 10).
func TestNotABatch(t *testing.T) {
	tests := map[string]struct {
		payload      string
		wantErr      bool     // the invocation fails
		wantFailures []string // batch item failures
		wantSeen     int      // records processed
		wantLog      string
	}{
		"records are numbers":          {payload: `{"Records":[1,2,3,` + validRecord("m1") + `]}`, wantErr: true, wantSeen: 1, wantLog: "without a messageId"},
		"a body that is a number":      {payload: `{"Records":[` + validRecord("m1") + `,{"messageId":"m2","body":5}]}`, wantFailures: []string{"m2"}, wantSeen: 1, wantLog: "not an SQS message"},
		"a record without a messageId": {payload: `{"Records":[{"body":"x"},` + validRecord("m1") + `]}`, wantErr: true, wantSeen: 1},
		"Records an object":            {payload: `{"Records":{"messageId":"m1"}}`, wantErr: true, wantLog: "not a batch"},
		"Records null":                 {payload: `{"Records":null}`, wantErr: true, wantLog: "not a batch"},
		"an empty batch is logged":     {payload: `{"Records":[]}`, wantLog: "without records"},
		"a duplicate messageId key":    {payload: `{"Records":[{"messageId":"m9","messageId":"m2","body":"x"},` + validRecord("m1") + `]}`, wantFailures: []string{"m2"}, wantSeen: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, logs, seen := newProcessor(t)
			out, err := p.Process(context.Background(), json.RawMessage(tc.payload))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Process = %v, %v; want an error: %v", out, err, tc.wantErr)
			}
			if !tc.wantErr {
				resp, ok := out.(events.SQSEventResponse)
				var got []string
				for _, f := range resp.BatchItemFailures {
					got = append(got, f.ItemIdentifier)
				}
				if !ok || !slices.Equal(got, tc.wantFailures) {
					t.Errorf("failures = %v (%T), want %v", got, out, tc.wantFailures)
				}
			}
			if len(*seen) != tc.wantSeen {
				t.Errorf("processed %d records, want %d", len(*seen), tc.wantSeen)
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log has no %q: %s", tc.wantLog, logs.String())
			}
		})
	}
}

// TestAmbiguousOrMalformedPayload: a bare event that also has "Records": [] is rejected with a
// log line, not dropped; duplicate keys and trailing data are errors naming them.
func TestAmbiguousOrMalformedPayload(t *testing.T) {
	tests := map[string]struct{ payload, reason string }{
		"event with Records []": {`{"detail-type":"ok","id":"e1","Records":[]}`, "both an SQS batch"},
		"duplicate detail-type": {`{"detail-type":"malformed","detail-type":"ok","id":"e1"}`, "detail-type: want the member once"},
		"trailing data":         {okBody + ` {"detail-type":"ok"}`, "trailing data"},
		"Detail-Type":           {`{"Detail-Type":"ok","id":"e1"}`, "want an SQS batch (Records) or an EventBridge event"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, logs, seen := newProcessor(t)
			out, err := p.Invoke(context.Background(), []byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			var res Result
			if err := json.Unmarshal(out, &res); err != nil || res.Outcome != "rejected" || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("Invoke = %s, want rejected with %q", out, tc.reason)
			}
			if len(*seen) != 0 || !strings.Contains(logs.String(), "rejected") || !strings.Contains(logs.String(), `"`+suite.MetricRejected+`":1`) {
				t.Errorf("processed %d, logs %s: want nothing processed, a log line and a count", len(*seen), logs.String())
			}
		})
	}
}

// TestPanicFailsOnlyItsRecord: a record whose work panics fails alone; its neighbours are done
// (issue 11).
func TestPanicFailsOnlyItsRecord(t *testing.T) {
	p, logs, _ := newProcessor(t)
	var done []string
	p.Do = func(_ context.Context, m Message) error {
		if strings.Contains(string(m.Body), "boom") {
			var tracks []int
			_ = tracks[len(m.Body)] // a real runtime panic: index out of range
		}
		done = append(done, m.ID)
		return nil
	}
	out, err := p.Process(context.Background(), sqsPayload(t, okBody, `{"detail-type":"boom","id":"e2"}`, okBody))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.SQSEventResponse)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m2" || !slices.Equal(done, []string{"m1", "m3"}) {
		t.Errorf("failures %v, done %v; want m2 failed, m1 and m3 done", resp.BatchItemFailures, done)
	}
	if !strings.Contains(logs.String(), "panicked") || !strings.Contains(logs.String(), "index out of range") {
		t.Errorf("the panic is not logged: %s", logs.String())
	}
	if _, err := p.Process(context.Background(), json.RawMessage(`{"detail-type":"boom","id":"e2"}`)); err == nil {
		t.Error("a bare event that panicked returned no error")
	} else if pe := (*PanicError)(nil); !errors.As(err, &pe) {
		t.Errorf("error %v is not a *PanicError", err)
	}
}

// senderFunc adapts a func to MessageSender.
type senderFunc func(in *sqs.SendMessageInput) error

func (f senderFunc) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, f(in)
}

// TestDeadlineRequeues: records the deadline leaves unstarted are re-enqueued (a new message,
// whose receive count starts again) instead of spending a receive; at most MaxRequeues times,
// and when the send fails they are batch item failures as before (issue 11).
func TestDeadlineRequeues(t *testing.T) {
	payload := func(requeues string) json.RawMessage {
		var ev events.SQSEvent
		for _, id := range []string{"m1", "m2"} {
			rec := events.SQSMessage{MessageId: id, ReceiptHandle: "rh", Body: okBody, EventSourceARN: "arn:aws:sqs:us-west-2:123456789012:enrich",
				Attributes:        map[string]string{"ApproximateReceiveCount": "4", "SentTimestamp": "1700000000000"},
				MessageAttributes: map[string]events.SQSMessageAttribute{"origin": {DataType: "String", StringValue: aws.String("test")}}}
			if requeues != "" {
				rec.MessageAttributes[AttrRequeues] = events.SQSMessageAttribute{DataType: "Number", StringValue: aws.String(requeues)}
				rec.MessageAttributes[AttrFirstSent] = events.SQSMessageAttribute{DataType: "Number", StringValue: aws.String("1600000000000")}
			}
			ev.Records = append(ev.Records, rec)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := map[string]struct {
		payload      json.RawMessage
		sendErr      error
		noSender     bool
		wantSent     int
		wantFailures int
		wantFirst    string
		wantCount    string
	}{
		"re-enqueued, not failed":       {payload: payload(""), wantSent: 2, wantFirst: "1700000000000", wantCount: "1"},
		"again keeps the first sent":    {payload: payload("2"), wantSent: 2, wantFirst: "1600000000000", wantCount: "3"},
		"at most MaxRequeues times":     {payload: payload("3"), wantFailures: 2},
		"send fails: failure as before": {payload: payload(""), sendErr: errors.New("AccessDenied"), wantSent: 2, wantFailures: 2},
		"no sender: failure as before":  {payload: payload(""), noSender: true, wantFailures: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, _, seen := newProcessor(t)
			var sent []*sqs.SendMessageInput
			if !tc.noSender {
				p.Requeue = senderFunc(func(in *sqs.SendMessageInput) error { sent = append(sent, in); return tc.sendErr })
			}
			// The deadline is inside the reserve: nothing may start.
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(Reserve/2))
			defer cancel()
			out, err := p.Process(ctx, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(out.(events.SQSEventResponse).BatchItemFailures); n != tc.wantFailures || len(sent) != tc.wantSent || len(*seen) != 0 {
				t.Fatalf("failures %d, sent %d, processed %d; want %d, %d, 0", n, len(sent), len(*seen), tc.wantFailures, tc.wantSent)
			}
			for _, in := range sent {
				if aws.ToString(in.QueueUrl) != "https://sqs.us-west-2.amazonaws.com/123456789012/enrich" || aws.ToString(in.MessageBody) != okBody {
					t.Errorf("SendMessage(%s, %s)", aws.ToString(in.QueueUrl), aws.ToString(in.MessageBody))
				}
				a := in.MessageAttributes
				if tc.wantCount != "" && (aws.ToString(a[AttrFirstSent].StringValue) != tc.wantFirst || aws.ToString(a[AttrRequeues].StringValue) != tc.wantCount ||
					aws.ToString(a["origin"].StringValue) != "test") {
					t.Errorf("attributes %v", a)
				}
			}
		})
	}
	// The copy reports when its first copy was sent.
	var ev events.SQSEvent
	if err := json.Unmarshal(payload("1"), &ev); err != nil {
		t.Fatal(err)
	}
	if m := messageOf(ev.Records[0]); !m.Sent.Equal(time.UnixMilli(1600000000000)) {
		t.Errorf("Sent = %v, want the first copy's", m.Sent)
	}
}

// TestRejectionLogScrubbed: a rejected event's log line quotes its reason without the stream key
// the bad value held (issue 10).
func TestRejectionLogScrubbed(t *testing.T) {
	key := "sk_us-west-2_abcdABCDefgh_567890abcdef"
	p, logs, _ := newProcessor(t)
	p.Do = func(context.Context, Message) error {
		return errors.New(`detail.channel_name: want a name, got "` + key + `/x"`)
	}
	if _, err := p.Process(context.Background(), sqsPayload(t, okBody)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), key) || !strings.Contains(logs.String(), "REDACTED") {
		t.Errorf("the rejection log quotes the stream key: %s", logs.String())
	}
}
