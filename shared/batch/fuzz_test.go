package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// FuzzProcess checks the batch loop on arbitrary payloads: it never panics (not even when the
// work does), and no record is acknowledged silently: when an SQS batch is answered with a
// response, every record that carries a messageId was either worked on or reported as failed,
// and every record whose work failed transiently or panicked is reported.
func FuzzProcess(f *testing.F) {
	f.Add([]byte(`{"Records":[` + validRecord("m1") + `]}`))
	f.Add([]byte(`{"Records":[1,2,3,` + validRecord("m1") + `]}`))
	f.Add([]byte(`{"Records":[` + validRecord("m1") + `,{"messageId":"m2","body":5}]}`))
	f.Add([]byte(`{"Records":[{"messageId":"boom","body":"boom"},{"messageId":"later","body":"later"},{"messageId":"bad","body":"bad"}]}`))
	f.Add([]byte(`{"detail-type":"ok","id":"e1","Records":[]}`))
	f.Add([]byte(`{"Records":[]}`))
	f.Add([]byte(okBody))
	f.Add([]byte(okBody + "x"))
	f.Add([]byte(`{"Records":[{"messageId":"m1","messageId":"m2","body":"x"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var logs bytes.Buffer
		worked := map[string]int{}
		mustFail := map[string]bool{}
		p := &Processor{
			Function: "enrich",
			Log:      slog.New(slog.NewJSONHandler(&logs, nil)),
			Metrics:  metrics.New(suite.MetricNamespace, &logs),
			Do: func(_ context.Context, m Message) error {
				worked[m.ID]++
				switch string(m.Body) {
				case "boom":
					mustFail[m.ID] = true
					panic("boom")
				case "later":
					mustFail[m.ID] = true
					return retryable.Later("later", 0, nil)
				case "bad":
					return errors.New("permanent")
				}
				return nil
			},
		}
		out, err := p.Process(context.Background(), payload)
		resp, isBatch := out.(events.SQSEventResponse)
		if err != nil || !isBatch {
			return // the invocation failed (nothing acknowledged), or a bare event or rejection
		}
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			if f.ItemIdentifier == "" {
				t.Fatalf("a batch item failure without an ID: %v", resp.BatchItemFailures)
			}
			failed[f.ItemIdentifier] = true
		}
		for id := range mustFail {
			if !failed[id] {
				t.Fatalf("record %s failed (transient or panic) but is not reported: %v", id, resp.BatchItemFailures)
			}
		}
		// Every record with a messageId: worked on, or reported.
		var probe struct {
			Records []jsontext.Value `json:"Records"`
		}
		if jsonv2.Unmarshal(payload, &probe, jsontext.AllowDuplicateNames(true)) != nil {
			return
		}
		for _, r := range probe.Records {
			var rec struct {
				MessageID any `json:"messageId"`
			}
			if json.Unmarshal(r, &rec) != nil {
				continue
			}
			if id, ok := rec.MessageID.(string); ok && id != "" && worked[id] == 0 && !failed[id] {
				t.Fatalf("record %s acknowledged without being worked on: payload %s, failures %v", id, payload, resp.BatchItemFailures)
			}
		}
	})
}
