package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// outcomes maps a message body to what the test Func returns for it.
var outcomes = map[string]error{
	`{"detail-type":"ok","id":"e1"}`:        nil,
	`{"detail-type":"later","id":"e2"}`:     retryable.Later("channel is live", 0, nil),
	`{"detail-type":"malformed","id":"e3"}`: errors.New("detail.stream_id: want an IVS stream ID"),
}

func newProcessor(t *testing.T) (*Processor, *bytes.Buffer, *[]Message) {
	t.Helper()
	var logs bytes.Buffer // logs and metrics go to one stream, as on Lambda
	var seen []Message
	p := &Processor{
		Function: "enrich",
		Log:      slog.New(slog.NewJSONHandler(&logs, nil)),
		Metrics:  metrics.New(suite.MetricNamespace, &logs),
		Do: func(ctx context.Context, m Message) error {
			seen = append(seen, m)
			return outcomes[string(m.Body)]
		},
	}
	return p, &logs, &seen
}

func sqsPayload(t *testing.T, bodies ...string) json.RawMessage {
	t.Helper()
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      "m" + string(rune('1'+i)),
			ReceiptHandle:  "rh",
			Body:           b,
			EventSourceARN: "arn:aws:sqs:us-west-2:123456789012:enrich",
			Attributes:     map[string]string{"ApproximateReceiveCount": "3", "SentTimestamp": "1700000000000"},
		})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestProcessSQSBatch(t *testing.T) {
	p, logs, seen := newProcessor(t)
	payload := sqsPayload(t, `{"detail-type":"ok","id":"e1"}`, `{"detail-type":"later","id":"e2"}`, `{"detail-type":"malformed","id":"e3"}`, `{"detail-type":"ok","id":"e1"}`)
	out, err := p.Process(context.Background(), payload)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("Process returned %T, want events.SQSEventResponse", out)
	}
	want := []events.SQSBatchItemFailure{{ItemIdentifier: "m2"}}
	if !slices.Equal(resp.BatchItemFailures, want) {
		t.Errorf("BatchItemFailures = %v, want %v", resp.BatchItemFailures, want)
	}
	if len(*seen) != 4 {
		t.Errorf("processed %d messages, want 4 (a bad one must not stop its neighbours)", len(*seen))
	}
	m := (*seen)[0]
	if m.ReceiveCount != 3 || m.Sent != time.UnixMilli(1700000000000).UTC() || m.QueueARN == "" || m.ReceiptHandle != "rh" {
		t.Errorf("message attributes not carried: %+v", m)
	}
	if want := `"RejectedEvents":1`; !strings.Contains(logs.String(), want) {
		t.Errorf("no %s metric written: %s", want, logs.String())
	}
	if !strings.Contains(logs.String(), "detail.stream_id") {
		t.Errorf("the rejection reason is not logged: %s", logs.String())
	}
}

func TestProcessBareEvent(t *testing.T) {
	tests := map[string]struct {
		payload     string
		wantErr     bool
		wantOutcome string
	}{
		"done":      {`{"detail-type":"ok","id":"e1"}`, false, "done"},
		"transient": {`{"detail-type":"later","id":"e2"}`, true, ""},
		"permanent": {`{"detail-type":"malformed","id":"e3"}`, false, "rejected"},
		"garbage":   {`[1,2`, false, "rejected"},
		"neither":   {`{"hello":"world"}`, false, "rejected"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, _, _ := newProcessor(t)
			out, err := p.Process(context.Background(), json.RawMessage(tc.payload))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				if !retryable.Is(err) {
					t.Errorf("returned error %v is not transient", err)
				}
				return
			}
			res, ok := out.(Result)
			if !ok || res.Outcome != tc.wantOutcome {
				t.Errorf("result = %#v, want outcome %q", out, tc.wantOutcome)
			}
		})
	}
}

func TestProcessDeadlineLeavesRestForRedelivery(t *testing.T) {
	p, _, seen := newProcessor(t)
	// The deadline is inside the reserve: nothing may start.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(Reserve/2))
	defer cancel()
	out, err := p.Process(ctx, sqsPayload(t, `{"detail-type":"ok","id":"e1"}`, `{"detail-type":"ok","id":"e1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.SQSEventResponse)
	if len(resp.BatchItemFailures) != 2 || len(*seen) != 0 {
		t.Errorf("failures = %v, processed = %d; want both records failed, none processed", resp.BatchItemFailures, len(*seen))
	}
}

// An error of an invocation cut short is transient whatever it says: the work was not done.
func TestCutShortIsTransient(t *testing.T) {
	p, _, _ := newProcessor(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Do = func(ctx context.Context, m Message) error {
		cancel() // the runtime ends the invocation while the call runs
		return fmt.Errorf("get channel: %w", context.Canceled)
	}
	out, err := p.Process(ctx, sqsPayload(t, `{"detail-type":"x","id":"e"}`))
	if err != nil {
		t.Fatal(err)
	}
	if failed := out.(events.SQSEventResponse).BatchItemFailures; len(failed) != 1 {
		t.Errorf("failures = %v, want the message left for redelivery", failed)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	p.Do = func(context.Context, Message) error { cancel2(); return errors.New("permanent-looking") }
	if _, err := p.Process(ctx2, json.RawMessage(`{"detail-type":"x","id":"e"}`)); err == nil {
		t.Error("a bare event cut short returned no error, want one so that it is retried")
	}
}
