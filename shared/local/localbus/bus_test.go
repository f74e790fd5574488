package localbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// waitTimeout bounds every wait in these tests; nothing should come close to it.
const waitTimeout = 10 * time.Second

// epoch is where the tests' manual clocks start.
var epoch = time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)

// recorder is a handler that records every batch and answers with a programmable function.
type recorder struct {
	mu      sync.Mutex
	batches []events.SQSEvent
	answer  func(ctx context.Context, ev events.SQSEvent, call int) (events.SQSEventResponse, error)
}

func (r *recorder) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	r.mu.Lock()
	r.batches = append(r.batches, ev)
	call := len(r.batches)
	r.mu.Unlock()
	if r.answer == nil {
		return events.SQSEventResponse{}, nil
	}
	return r.answer(ctx, ev, call)
}

func (r *recorder) records() []events.SQSMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.SQSMessage
	for _, b := range r.batches {
		out = append(out, b.Records...)
	}
	return out
}

func (r *recorder) batchSizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, len(b.Records))
	}
	return out
}

// newBus starts a bus on a manual clock with the suite's rules, one queue per function (each
// with the given settings and a recorder), and an HTTP server for its APIs.
func newBus(t *testing.T, qc localbus.QueueConfig) (*localbus.Bus, *httptest.Server, map[string]*recorder) {
	t.Helper()
	recs := map[string]*recorder{}
	cfg := localbus.Config{Rules: localbus.SuiteRules(""), Second: 10 * time.Millisecond, Clock: localbus.NewManualClock(epoch)}
	for _, fn := range suite.Functions {
		rec := &recorder{}
		recs[fn] = rec
		q := qc
		q.Name = fn
		q.Handler = rec.handle
		cfg.Queues = append(cfg.Queues, q)
	}
	b, err := localbus.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		srv.Close()
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b, srv, recs
}

// waitIdle runs a bus on a manual clock until it is idle (localbus.Bus.RunUntilIdle): what it
// did depends on its clock alone, not on how long the handlers took.
func waitIdle(t *testing.T, b *localbus.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := b.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func ebClient(url string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	})
}

func sqsClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	})
}

const enrichedApply = `{"channel_arn":"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","decision":{"action":"apply"}}`

func TestPutEventsSDK(t *testing.T) {
	b, srv, _ := newBus(t, localbus.QueueConfig{ReportBatchItemFailures: true})
	eb := ebClient(srv.URL)
	entry := func(mod func(*ebtypes.PutEventsRequestEntry)) ebtypes.PutEventsRequestEntry {
		e := ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(suite.BusSessions),
			Source:       aws.String(suite.EventSource),
			DetailType:   aws.String(suite.DetailTypeSessionEnriched),
			Detail:       aws.String(enrichedApply),
		}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	tests := map[string]struct {
		entry    ebtypes.PutEventsRequestEntry
		wantCode string // "" means accepted
	}{
		"valid": {entry(nil), ""},
		"valid, bus by ARN": {entry(func(e *ebtypes.PutEventsRequestEntry) {
			e.EventBusName = aws.String("arn:aws:events:us-east-1:123456789012:event-bus/ivs-sessions")
		}), ""},
		"no source":       {entry(func(e *ebtypes.PutEventsRequestEntry) { e.Source = nil }), "InvalidArgument"},
		"no detail-type":  {entry(func(e *ebtypes.PutEventsRequestEntry) { e.DetailType = nil }), "InvalidArgument"},
		"no detail":       {entry(func(e *ebtypes.PutEventsRequestEntry) { e.Detail = nil }), "InvalidArgument"},
		"detail not JSON": {entry(func(e *ebtypes.PutEventsRequestEntry) { e.Detail = aws.String(`{"a":`) }), "MalformedDetail"},
		"detail an array": {entry(func(e *ebtypes.PutEventsRequestEntry) { e.Detail = aws.String(`[1]`) }), "MalformedDetail"},
		"aws source":      {entry(func(e *ebtypes.PutEventsRequestEntry) { e.Source = aws.String("aws.ivs") }), "NotAuthorizedForSourceException"},
		"entry over 256 KiB": {entry(func(e *ebtypes.PutEventsRequestEntry) {
			e.Detail = aws.String(`{"pad":"` + strings.Repeat("x", 256*1024) + `"}`)
		}), "InvalidArgument"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{tc.entry, entry(nil)}})
			if err != nil {
				t.Fatalf("PutEvents: %v", err)
			}
			if len(out.Entries) != 2 {
				t.Fatalf("got %d result entries, want 2", len(out.Entries))
			}
			got := out.Entries[0]
			if tc.wantCode == "" {
				if got.ErrorCode != nil || aws.ToString(got.EventId) == "" || out.FailedEntryCount != 0 {
					t.Errorf("got %+v (failed %d), want an event ID and no error", got, out.FailedEntryCount)
				}
			} else {
				if aws.ToString(got.ErrorCode) != tc.wantCode || aws.ToString(got.ErrorMessage) == "" || got.EventId != nil || out.FailedEntryCount != 1 {
					t.Errorf("got code %q message %q id %v (failed %d), want code %s with a message", aws.ToString(got.ErrorCode), aws.ToString(got.ErrorMessage), got.EventId, out.FailedEntryCount, tc.wantCode)
				}
			}
			if aws.ToString(out.Entries[1].EventId) == "" {
				t.Errorf("the valid neighbour was not accepted: %+v", out.Entries[1])
			}
		})
	}
	waitIdle(t, b)
}

func TestPutEventsRequestErrors(t *testing.T) {
	_, srv, _ := newBus(t, localbus.QueueConfig{})
	eb := ebClient(srv.URL)
	valid := ebtypes.PutEventsRequestEntry{Source: aws.String("x"), DetailType: aws.String("y"), Detail: aws.String("{}")}
	tests := map[string]struct {
		entries  []ebtypes.PutEventsRequestEntry
		wantCode string
	}{
		"eleven entries": {entries: repeat(valid, 11), wantCode: "ValidationException"},
		"unknown bus":    {entries: []ebtypes.PutEventsRequestEntry{{EventBusName: aws.String("nope"), Source: aws.String("x"), DetailType: aws.String("y"), Detail: aws.String("{}")}}, wantCode: "ResourceNotFoundException"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: tc.entries})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode {
				t.Errorf("PutEvents error = %v, want API error %s", err, tc.wantCode)
			}
		})
	}
}

func repeat(e ebtypes.PutEventsRequestEntry, n int) []ebtypes.PutEventsRequestEntry {
	out := make([]ebtypes.PutEventsRequestEntry, n)
	for i := range out {
		out[i] = e
	}
	return out
}

// TestDeliveredEnvelope checks that a target receives the EventBridge envelope, keys in
// EventBridge's order, in an SQS record like an event source mapping builds.
func TestDeliveredEnvelope(t *testing.T) {
	b, srv, recs := newBus(t, localbus.QueueConfig{})
	at := time.Date(2026, 11, 3, 18, 0, 7, 0, time.UTC)
	out, err := ebClient(srv.URL).PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(suite.BusSessions),
		Source:       aws.String(suite.EventSource),
		DetailType:   aws.String(suite.DetailTypeSessionEnriched),
		Detail:       aws.String("{\n \"decision\": {\"action\": \"manual\"}\n}"),
		Resources:    []string{"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"},
		Time:         aws.Time(at),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, b)
	id := aws.ToString(out.Entries[0].EventId)
	recsArchive := recs[suite.FunctionArchive].records()
	if len(recsArchive) != 1 {
		t.Fatalf("archive got %d records, want 1", len(recsArchive))
	}
	if n := len(recs[suite.FunctionCorrect].records()); n != 0 {
		t.Errorf("correct got %d records for a manual decision, want 0", n)
	}
	r := recsArchive[0]
	want := `{"version":"0","id":"` + id + `","detail-type":"IVS Session Enriched","source":"ivs-sessions","account":"123456789012","time":"2026-11-03T18:00:07Z","region":"us-east-1","resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],"detail":{"decision":{"action":"manual"}}}`
	if r.Body != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal([]byte(r.Body), &ev); err != nil || ev.ID != id || !ev.Time.Equal(at) {
		t.Errorf("body does not decode as an EventBridgeEvent with id %s and time %v: %+v, %v", id, at, ev, err)
	}
	if r.EventSource != "aws:sqs" || r.EventSourceARN != "arn:aws:sqs:us-east-1:123456789012:archive" || r.AWSRegion != "us-east-1" {
		t.Errorf("record source = %q %q %q", r.EventSource, r.EventSourceARN, r.AWSRegion)
	}
	if r.MessageId == "" || r.ReceiptHandle == "" || r.Md5OfBody == "" {
		t.Errorf("record lacks an ID, receipt handle or MD5: %+v", r)
	}
	for _, k := range []string{"ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
		if r.Attributes[k] == "" {
			t.Errorf("attribute %s missing: %v", k, r.Attributes)
		}
	}
	if r.Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("ApproximateReceiveCount = %q, want 1", r.Attributes["ApproximateReceiveCount"])
	}
	// The Lambda record JSON has the keys the runtime sends.
	raw, _ := json.Marshal(r)
	for _, k := range []string{`"messageId"`, `"receiptHandle"`, `"eventSourceARN":"arn:aws:sqs:`, `"eventSource":"aws:sqs"`, `"awsRegion"`} {
		if !strings.Contains(string(raw), k) {
			t.Errorf("record JSON lacks %s: %s", k, raw)
		}
	}
}

// TestSuiteRouting injects the IVS samples and the suite's own events and checks which queues
// receive them.
func TestSuiteRouting(t *testing.T) {
	b, _, recs := newBus(t, localbus.QueueConfig{})
	samples, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, f := range samples {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Inject(localbus.DefaultBus, data); err != nil {
			t.Fatalf("Inject %s: %v", f, err)
		}
	}
	stage := `{"version":"0","id":"1","detail-type":"IVS Stage Update","source":"aws.ivs","account":"123456789012","time":"2026-11-03T18:00:05Z","region":"us-west-2","resources":[],"detail":{"event_name":"Participant Published"}}`
	if _, err := b.Inject("", []byte(stage)); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"apply", "manual", "none"} {
		if _, err := b.Put(localbus.Entry{Bus: suite.BusSessions, Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched, Detail: `{"decision":{"action":"` + action + `"}}`}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Put(localbus.Entry{Bus: suite.BusSessions, Source: suite.EventSource, DetailType: suite.DetailTypeChannelCorrected, Detail: `{}`}); err != nil {
		t.Fatal(err)
	}
	// Our own events on the default bus reach no one.
	if _, err := b.Put(localbus.Entry{Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched, Detail: `{"decision":{"action":"apply"}}`}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, b)
	want := map[string]int{
		suite.FunctionEnrich:  len(samples),
		suite.FunctionArchive: 4, // three enriched + one correction
		suite.FunctionCorrect: 1, // the apply decision
	}
	for fn, n := range want {
		if got := len(recs[fn].records()); got != n {
			t.Errorf("%s received %d messages, want %d", fn, got, n)
		}
	}
	s := b.Stats()
	if s.Unmatched != 2 || s.Routed["IvsEvents"] != len(samples) || s.Routed["CorrectionsNeeded"] != 1 || s.Routed["Corrections"] != 1 || s.Routed["EnrichedSessions"] != 3 {
		t.Errorf("stats = %+v", s)
	}
	if s.Accepted != len(samples)+6 {
		t.Errorf("accepted = %d, want %d", s.Accepted, len(samples)+6)
	}
}

func TestSuiteRulesBusName(t *testing.T) {
	rules := localbus.SuiteRules("prod-sessions")
	buses := map[string]bool{}
	for _, r := range rules {
		buses[r.Bus] = true
	}
	if len(rules) != len(suite.Routes)+len(suite.Notifications) || !buses["prod-sessions"] || !buses[localbus.DefaultBus] || buses[suite.BusSessions] {
		t.Errorf("SuiteRules(prod-sessions) = %+v", rules)
	}
}

// TestNotifications puts the suite's events that need a person on its bus: each notification
// rule publishes its text to the alarm topic, filled from the event as the deployed input
// transformer fills it; the other events publish nothing.
func TestNotifications(t *testing.T) {
	b, _, _ := newBus(t, localbus.QueueConfig{})
	const arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	put := func(detailType, detail string) {
		t.Helper()
		if _, err := b.Put(localbus.Entry{Bus: suite.BusSessions, Source: suite.EventSource, DetailType: detailType, Detail: detail}); err != nil {
			t.Fatal(err)
		}
	}
	enriched := func(action string) string {
		return `{"record":{"channelArn":"` + arn + `","streamId":"st-1"},"decision":{"action":"` + action + `","code":"MultitrackInputNotAllowed","reason":"the channel has an ad configuration"}}`
	}
	put(suite.DetailTypeSessionEnriched, enriched("manual"))
	put(suite.DetailTypeSessionEnriched, enriched("broadcaster"))
	put(suite.DetailTypeSessionEnriched, enriched("apply"))
	put(suite.DetailTypeChannelCorrected, `{"channelArn":"`+arn+`","streamId":"st-2","sessionKey":"sessions/k.json","correction":{"outcome":"unchanged","decision":{"action":"manual","code":"MultitrackInputNotAllowed","reason":"an ad configuration was added"}}}`)
	put(suite.DetailTypeChannelCorrected, `{"channelArn":"`+arn+`","streamId":"st-3","correction":{"outcome":"failed","detail":"UpdateChannel: ValidationException","decision":{"action":"apply"}}}`)
	put(suite.DetailTypeChannelCorrected, `{"channelArn":"`+arn+`","streamId":"st-4","correction":{"outcome":"applied","decision":{"action":"apply"}}}`)
	waitIdle(t, b)

	want := map[string][]string{
		"NotifyChannelForAPerson":    {arn, "st-1", "(MultitrackInputNotAllowed)", "the channel has an ad configuration"},
		"NotifyBroadcaster":          {arn, "st-1", "tell the channel's broadcaster"},
		"NotifyCorrectionForAPerson": {arn, "st-2", "an ad configuration was added", "sessions/k.json"},
		"NotifyCorrectionFailed":     {arn, "st-3", "UpdateChannel: ValidationException"},
	}
	pubs := b.Published(localbus.AlarmTopic)
	if len(pubs) != len(want) {
		t.Fatalf("%d publications, want %d: %+v", len(pubs), len(want), pubs)
	}
	for _, p := range pubs {
		parts, ok := want[p.Rule]
		if !ok {
			t.Errorf("published by %s: %s", p.Rule, p.Message)
			continue
		}
		delete(want, p.Rule)
		for _, part := range parts {
			if !strings.Contains(p.Message, part) {
				t.Errorf("%s: message %q lacks %q", p.Rule, p.Message, part)
			}
		}
		if strings.Contains(p.Message, "<") || p.EventID == "" {
			t.Errorf("%s: message %q has a placeholder left, or event ID %q", p.Rule, p.Message, p.EventID)
		}
	}
	if b.Stats().Routed["NotifyChannelForAPerson"] != 1 {
		t.Errorf("routed = %v, want the notification counted", b.Stats().Routed)
	}
}

// putN sends n enriched sessions to the archive queue and returns their event IDs.
func putN(t *testing.T, b *localbus.Bus, n int) {
	t.Helper()
	for i := range n {
		if _, err := b.Put(localbus.Entry{Bus: suite.BusSessions, Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched, Detail: fmt.Sprintf(`{"n":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func bodyN(t *testing.T, body string) int {
	t.Helper()
	var ev struct {
		Detail struct{ N int } `json:"detail"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Detail.N
}

func TestPartialBatchFailure(t *testing.T) {
	b, _, recs := newBus(t, localbus.QueueConfig{ReportBatchItemFailures: true, VisibilityTimeout: 20 * time.Millisecond, MaxReceiveCount: 5})
	rec := recs[suite.FunctionArchive]
	// Message 1 fails on its first delivery only.
	rec.answer = func(_ context.Context, ev events.SQSEvent, _ int) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if bodyN(t, r.Body) == 1 && r.Attributes["ApproximateReceiveCount"] == "1" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
	if err := b.SetHandler(suite.FunctionArchive, rec.handle); err != nil {
		t.Fatal(err)
	}
	putN(t, b, 3)
	waitIdle(t, b)
	got := map[int][]string{}
	for _, r := range rec.records() {
		got[bodyN(t, r.Body)] = append(got[bodyN(t, r.Body)], r.Attributes["ApproximateReceiveCount"])
	}
	want := map[int][]string{0: {"1"}, 1: {"1", "2"}, 2: {"1"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deliveries by message (receive counts) = %v, want %v", got, want)
	}
	qs := b.Stats().Queues[suite.FunctionArchive]
	if qs.Sent != 3 || qs.Delivered != 4 || qs.Redelivered != 1 || qs.Failed != 1 || qs.Deleted != 3 || qs.DeadLettered != 0 || qs.InFlight != 0 || qs.Waiting != 0 {
		t.Errorf("stats = %+v", qs)
	}
}

func TestResponseIgnoredWithoutReportBatchItemFailures(t *testing.T) {
	b, _, recs := newBus(t, localbus.QueueConfig{VisibilityTimeout: 20 * time.Millisecond})
	rec := recs[suite.FunctionArchive]
	rec.answer = func(_ context.Context, ev events.SQSEvent, _ int) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
	}
	putN(t, b, 1)
	waitIdle(t, b)
	if qs := b.Stats().Queues[suite.FunctionArchive]; qs.Delivered != 1 || qs.Deleted != 1 {
		t.Errorf("stats = %+v, want one delivery, deleted", qs)
	}
}

func TestWholeBatchFailures(t *testing.T) {
	tests := map[string]func(ev events.SQSEvent) (events.SQSEventResponse, error){
		"handler error": func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, errors.New("boom")
		},
		"handler panic": func(events.SQSEvent) (events.SQSEventResponse, error) {
			panic("boom")
		},
		"unknown item identifier": func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "not-a-message"}}}, nil
		},
		"empty item identifier": func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{}}}, nil
		},
	}
	for name, fail := range tests {
		t.Run(name, func(t *testing.T) {
			b, _, recs := newBus(t, localbus.QueueConfig{ReportBatchItemFailures: true, VisibilityTimeout: 20 * time.Millisecond, MaxReceiveCount: 3})
			rec := recs[suite.FunctionArchive]
			rec.answer = func(_ context.Context, ev events.SQSEvent, call int) (events.SQSEventResponse, error) {
				if call == 1 {
					return fail(ev)
				}
				return events.SQSEventResponse{}, nil
			}
			if err := b.SetHandler(suite.FunctionArchive, nil); err != nil {
				t.Fatal(err)
			}
			putN(t, b, 3) // held until the handler is set: one batch of three
			if err := b.SetHandler(suite.FunctionArchive, rec.handle); err != nil {
				t.Fatal(err)
			}
			waitIdle(t, b)
			qs := b.Stats().Queues[suite.FunctionArchive]
			if qs.Delivered != 6 || qs.Failed != 3 || qs.Redelivered != 3 || qs.Deleted != 3 || qs.BatchErrors != 1 {
				t.Errorf("stats = %+v, want every message delivered twice, the first batch failed", qs)
			}
			if sizes := fmt.Sprint(rec.batchSizes()); sizes != "[3 3]" {
				t.Errorf("batch sizes = %s, want [3 3]", sizes)
			}
		})
	}
}

func TestDeadLetterQueue(t *testing.T) {
	var activities []localbus.Activity
	var mu sync.Mutex
	rec := &recorder{answer: func(_ context.Context, ev events.SQSEvent, _ int) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if strings.Contains(r.Body, `"poison"`) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}}
	b, err := localbus.New(localbus.Config{
		Clock:  localbus.NewManualClock(epoch),
		Rules:  []localbus.Rule{{Name: "all", Bus: "default", Pattern: `{"source":["test"]}`, Queue: "q"}},
		Queues: []localbus.QueueConfig{{Name: "q", ReportBatchItemFailures: true, VisibilityTimeout: 10 * time.Millisecond, MaxReceiveCount: 3, Handler: rec.handle}},
		OnActivity: func(a localbus.Activity) {
			mu.Lock()
			activities = append(activities, a)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, d := range []string{`{"poison":true}`, `{"ok":true}`} {
		if _, err := b.Put(localbus.Entry{Source: "test", DetailType: "t", Detail: d}); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, b)
	dead, err := b.DeadLetters("q")
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ReceiveCount != 3 || !strings.Contains(dead[0].Body, `"poison"`) {
		t.Fatalf("dead letters = %+v, want the poison message after 3 receives", dead)
	}
	poisonDeliveries := 0
	for _, r := range rec.records() {
		if strings.Contains(r.Body, "poison") {
			poisonDeliveries++
		}
	}
	if poisonDeliveries != 3 {
		t.Errorf("poison message delivered %d times, want 3 (maxReceiveCount)", poisonDeliveries)
	}
	qs := b.Stats().Queues["q"]
	if qs.DeadLettered != 1 || qs.Deleted != 1 || qs.Failed != 3 {
		t.Errorf("stats = %+v", qs)
	}
	mu.Lock()
	defer mu.Unlock()
	kinds := map[localbus.ActivityKind]int{}
	for _, a := range activities {
		kinds[a.Kind]++
	}
	if kinds[localbus.ActivityPut] != 2 || kinds[localbus.ActivityRouted] != 2 || kinds[localbus.ActivityDeadLetter] != 1 || kinds[localbus.ActivityFailed] != 3 || kinds[localbus.ActivityDeleted] != 1 {
		t.Errorf("activities by kind = %v", kinds)
	}
	if _, err := b.DeadLetters("nope"); !errors.Is(err, localbus.ErrUnknownQueue) {
		t.Errorf("DeadLetters(nope) error = %v, want ErrUnknownQueue", err)
	}
}

// TestMaxConcurrency checks that at most MaxConcurrency batches run at once, and that that many
// do: the first two batches wait for each other, which only works if both run together.
func TestMaxConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	both := make(chan struct{})
	var once sync.Once
	rec := &recorder{answer: func(ctx context.Context, _ events.SQSEvent, call int) (events.SQSEventResponse, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == 2 {
			once.Do(func() { close(both) })
		}
		if call <= 2 {
			select {
			case <-both:
			case <-time.After(waitTimeout):
				return events.SQSEventResponse{}, errors.New("the second batch never ran alongside the first")
			}
		}
		return events.SQSEventResponse{}, nil
	}}
	b, err := localbus.New(localbus.Config{
		Clock:  localbus.NewManualClock(epoch),
		Rules:  []localbus.Rule{{Name: "all", Bus: "default", Pattern: `{"source":["test"]}`, Queue: "q"}},
		Queues: []localbus.QueueConfig{{Name: "q", BatchSize: 1, MaxConcurrency: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range 10 {
		if _, err := b.Put(localbus.Entry{Source: "test", DetailType: "t", Detail: `{}`}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SetHandler("q", rec.handle); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, b)
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency = %d, want 2", p)
	}
	if qs := b.Stats().Queues["q"]; qs.Deleted != 10 || qs.BatchErrors != 0 || qs.Batches != 10 {
		t.Errorf("stats = %+v", qs)
	}
}

func TestBatching(t *testing.T) {
	t.Run("batch size", func(t *testing.T) {
		b, _, recs := newBus(t, localbus.QueueConfig{BatchSize: 5, MaxConcurrency: 2})
		if err := b.SetHandler(suite.FunctionArchive, nil); err != nil {
			t.Fatal(err)
		}
		putN(t, b, 12)
		if err := b.SetHandler(suite.FunctionArchive, recs[suite.FunctionArchive].handle); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, b)
		sizes := recs[suite.FunctionArchive].batchSizes()
		sort.Ints(sizes)
		if fmt.Sprint(sizes) != "[2 5 5]" {
			t.Errorf("batch sizes = %v, want 5, 5 and 2", sizes)
		}
	})
	t.Run("batching window", func(t *testing.T) {
		b, _, recs := newBus(t, localbus.QueueConfig{BatchSize: 10, BatchWindow: 300 * time.Millisecond})
		putN(t, b, 3) // sent well within the window
		waitIdle(t, b)
		if sizes := fmt.Sprint(recs[suite.FunctionArchive].batchSizes()); sizes != "[3]" {
			t.Errorf("batch sizes = %s, want one batch of 3", sizes)
		}
	})
	t.Run("full batch does not wait for the window", func(t *testing.T) {
		b, _, recs := newBus(t, localbus.QueueConfig{BatchSize: 2, BatchWindow: time.Hour, MaxConcurrency: 1})
		putN(t, b, 2)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := b.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		if sizes := fmt.Sprint(recs[suite.FunctionArchive].batchSizes()); sizes != "[2]" {
			t.Errorf("batch sizes = %s, want [2]", sizes)
		}
	})
}

// TestChangeMessageVisibilitySDK is the corrector's "growing visibility timeout": the handler
// extends (here: shortens) an in-flight message's visibility through the SQS API and reports it
// failed; it comes back after the new timeout, not the queue's.
func TestChangeMessageVisibilitySDK(t *testing.T) {
	b, srv, recs := newBus(t, localbus.QueueConfig{ReportBatchItemFailures: true, VisibilityTimeout: time.Hour, MaxReceiveCount: 5})
	client := sqsClient(srv.URL)
	urlOut, err := client.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(suite.FunctionCorrect)})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	queueURL := aws.ToString(urlOut.QueueUrl)
	if !strings.HasSuffix(queueURL, "/123456789012/correct") {
		t.Errorf("queue URL = %q", queueURL)
	}
	rec := recs[suite.FunctionCorrect]
	rec.answer = func(ctx context.Context, ev events.SQSEvent, call int) (events.SQSEventResponse, error) {
		r := ev.Records[0]
		if call > 1 {
			return events.SQSEventResponse{}, nil
		}
		// A real-format URL works too: the queue is its last path segment.
		url := "https://sqs.us-east-1.amazonaws.com/123456789012/correct"
		if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(r.ReceiptHandle), VisibilityTimeout: 2}); err != nil {
			return events.SQSEventResponse{}, fmt.Errorf("change visibility: %w", err)
		}
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: r.MessageId}}}, nil
	}
	if err := b.SetHandler(suite.FunctionCorrect, rec.handle); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(localbus.Entry{Bus: suite.BusSessions, Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched, Detail: enrichedApply}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, b)
	qs := b.Stats().Queues[suite.FunctionCorrect]
	if qs.Delivered != 2 || qs.Redelivered != 1 || qs.Deleted != 1 || qs.BatchErrors != 0 {
		t.Errorf("stats = %+v, want a redelivery after the changed visibility timeout", qs)
	}
	sent := rec.records()
	if len(sent) != 2 || sent[1].Attributes["ApproximateReceiveCount"] != "2" || sent[0].ReceiptHandle == sent[1].ReceiptHandle {
		t.Errorf("deliveries = %+v", sent)
	}
}

func TestChangeMessageVisibilityErrors(t *testing.T) {
	b, srv, recs := newBus(t, localbus.QueueConfig{ReportBatchItemFailures: true, VisibilityTimeout: 20 * time.Millisecond})
	client := sqsClient(srv.URL)
	ctx := context.Background()
	queueURL := srv.URL + "/123456789012/correct"

	// One delivery, then the handler detaches itself, so the message is left visible again.
	handles := make(chan string, 1)
	rec := recs[suite.FunctionCorrect]
	rec.answer = func(_ context.Context, ev events.SQSEvent, _ int) (events.SQSEventResponse, error) {
		if err := b.SetHandler(suite.FunctionCorrect, nil); err != nil {
			return events.SQSEventResponse{}, err
		}
		handles <- ev.Records[0].ReceiptHandle
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
	}
	if err := b.SetHandler(suite.FunctionCorrect, rec.handle); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(localbus.Entry{Bus: suite.BusSessions, Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched, Detail: enrichedApply}); err != nil {
		t.Fatal(err)
	}
	handle := <-handles
	// Let the visibility timeout pass (the stats report the message as waiting, not in flight).
	settle, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if _, err := b.WaitSettled(settle); err != nil {
		t.Fatal(err)
	}
	if qs := b.Stats().Queues[suite.FunctionCorrect]; qs.InFlight != 1 {
		t.Fatalf("before its visibility timeout: %+v, want the message in flight", qs)
	}
	b.Clock().(*localbus.ManualClock).Advance(20 * time.Millisecond)
	if qs := b.Stats().Queues[suite.FunctionCorrect]; qs.InFlight != 0 || qs.Waiting != 1 {
		t.Fatalf("after its visibility timeout: %+v, want the message waiting", qs)
	}

	tests := map[string]struct {
		in      sqs.ChangeMessageVisibilityInput
		check   func(error) bool
		wantErr string
	}{
		"not in flight": {
			in:      sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(handle), VisibilityTimeout: 10},
			check:   func(err error) bool { var e *sqstypes.MessageNotInflight; return errors.As(err, &e) },
			wantErr: "MessageNotInflight",
		},
		"invalid receipt handle": {
			in:      sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 10},
			check:   func(err error) bool { var e *sqstypes.ReceiptHandleIsInvalid; return errors.As(err, &e) },
			wantErr: "ReceiptHandleIsInvalid",
		},
		"unknown queue": {
			in:      sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(srv.URL + "/123456789012/nope"), ReceiptHandle: aws.String(handle), VisibilityTimeout: 10},
			check:   func(err error) bool { var e *sqstypes.QueueDoesNotExist; return errors.As(err, &e) },
			wantErr: "QueueDoesNotExist",
		},
		"timeout above 12 hours": {
			in: sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(handle), VisibilityTimeout: 43201},
			check: func(err error) bool {
				var e smithy.APIError
				return errors.As(err, &e) && e.ErrorCode() == "InvalidParameterValue"
			},
			wantErr: "InvalidParameterValue",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := client.ChangeMessageVisibility(ctx, &tc.in)
			if !tc.check(err) {
				t.Errorf("ChangeMessageVisibility error = %v, want %s", err, tc.wantErr)
			}
		})
	}
	if _, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")}); !errors.As(err, new(*sqstypes.QueueDoesNotExist)) {
		t.Errorf("GetQueueUrl(nope) error = %v, want QueueDoesNotExist", err)
	}
	if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(queueURL)}); err == nil {
		t.Error("PurgeQueue: want an error for an operation the local bus does not implement")
	}
}

func TestHandlerTimeoutAndClose(t *testing.T) {
	deadlines := make(chan bool, 1)
	block := make(chan struct{})
	b, err := localbus.New(localbus.Config{
		Rules: []localbus.Rule{{Name: "all", Bus: "default", Pattern: `{"source":["test"]}`, Queue: "q"}},
		Queues: []localbus.QueueConfig{{Name: "q", Timeout: time.Hour, Handler: func(ctx context.Context, _ events.SQSEvent) (events.SQSEventResponse, error) {
			_, ok := ctx.Deadline()
			deadlines <- ok
			close(block)
			<-ctx.Done() // only Close ends it
			return events.SQSEventResponse{}, ctx.Err()
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(localbus.Entry{Source: "test", DetailType: "t", Detail: `{}`}); err != nil {
		t.Fatal(err)
	}
	if !<-deadlines {
		t.Error("the handler's context has no deadline, want the queue's Timeout")
	}
	<-block
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.WaitIdle(ctx); err == nil || !strings.Contains(err.Error(), "q: 1 messages, 1 batches") {
		t.Errorf("WaitIdle with a running batch = %v, want a deadline error naming what is busy", err)
	}
	if err := b.Close(); err != nil { // cancels the handler's context and waits for it
		t.Fatal(err)
	}
}

func TestNewErrors(t *testing.T) {
	q := localbus.QueueConfig{Name: "q"}
	tests := map[string]struct {
		cfg  localbus.Config
		want string
	}{
		"rule without queue": {localbus.Config{Rules: []localbus.Rule{{Name: "r", Bus: "default", Pattern: `{"source":["x"]}`, Queue: "missing"}}}, `rule "r": target "missing": unknown queue`},
		"bad pattern":        {localbus.Config{Queues: []localbus.QueueConfig{q}, Rules: []localbus.Rule{{Name: "r", Bus: "default", Pattern: `{"source":"x"}`, Queue: "q"}}}, `rule "r": event pattern source`},
		"duplicate queue":    {localbus.Config{Queues: []localbus.QueueConfig{q, q}}, `queue "q": defined twice`},
		"duplicate rule":     {localbus.Config{Queues: []localbus.QueueConfig{q}, Rules: []localbus.Rule{{Name: "r", Bus: "b", Pattern: `{"a":["b"]}`, Queue: "q"}, {Name: "r", Bus: "b", Pattern: `{"a":["b"]}`, Queue: "q"}}}, `rule "r" on bus "b": defined twice`},
		"queue without name": {localbus.Config{Queues: []localbus.QueueConfig{{}}}, "Name is required"},
		"negative setting":   {localbus.Config{Queues: []localbus.QueueConfig{{Name: "q", BatchSize: -1}}}, "negative"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := localbus.New(tc.cfg)
			if err == nil {
				b.Close()
				t.Fatalf("New = nil error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestGoAPIErrors(t *testing.T) {
	b, _, _ := newBus(t, localbus.QueueConfig{})
	if _, err := b.Put(localbus.Entry{Bus: "nope", Source: "x", DetailType: "y", Detail: "{}"}); !errors.Is(err, localbus.ErrUnknownBus) {
		t.Errorf("Put on an unknown bus: %v, want ErrUnknownBus", err)
	}
	var ee *localbus.EntryError
	if _, err := b.Put(localbus.Entry{Source: "x", DetailType: "y", Detail: "5"}); !errors.As(err, &ee) || ee.Code != "MalformedDetail" {
		t.Errorf("Put with detail 5: %v, want MalformedDetail", err)
	}
	if _, err := b.Inject("default", []byte(`[1]`)); err == nil {
		t.Error("Inject of a non-object: want an error")
	}
	if err := b.SetHandler("nope", nil); !errors.Is(err, localbus.ErrUnknownQueue) {
		t.Errorf("SetHandler(nope) = %v, want ErrUnknownQueue", err)
	}
	if err := b.ChangeMessageVisibility("nope", "h", 1); !errors.Is(err, localbus.ErrUnknownQueue) {
		t.Errorf("ChangeMessageVisibility(nope) = %v, want ErrUnknownQueue", err)
	}
	if err := b.ChangeMessageVisibility(suite.FunctionEnrich, "h", -1); !errors.Is(err, localbus.ErrInvalidVisibility) {
		t.Errorf("ChangeMessageVisibility(-1) = %v, want ErrInvalidVisibility", err)
	}
	if err := b.ChangeMessageVisibility(suite.FunctionEnrich, "h", 1); !errors.Is(err, localbus.ErrReceiptHandleInvalid) {
		t.Errorf("ChangeMessageVisibility(bogus handle) = %v, want ErrReceiptHandleInvalid", err)
	}
	if s := b.Stats(); s.Rejected != 1 {
		t.Errorf("rejected = %d, want 1", s.Rejected)
	}
	if got := b.QueueURL("http://127.0.0.1:1/", "enrich"); got != "http://127.0.0.1:1/123456789012/enrich" {
		t.Errorf("QueueURL = %q", got)
	}
}

// TestSlowHandlerOnManualClock: a handler slower, in real time, than its queue's visibility
// timeout (as any handler is on a loaded machine) is not delivered again meanwhile: on a manual
// clock what the bus does depends on the clock alone. (On the wall clock this handler's message
// would come back while it still runs: what made the tests on short real timeouts flaky.)
func TestSlowHandlerOnManualClock(t *testing.T) {
	const visibility = 20 * time.Millisecond
	b, _, recs := newBus(t, localbus.QueueConfig{ReportBatchItemFailures: true, VisibilityTimeout: visibility, MaxReceiveCount: 3})
	rec := recs[suite.FunctionArchive]
	rec.answer = func(_ context.Context, ev events.SQSEvent, call int) (events.SQSEventResponse, error) {
		time.Sleep(3 * visibility) // a slow machine
		if call == 1 {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
		}
		return events.SQSEventResponse{}, nil
	}
	putN(t, b, 1)
	waitIdle(t, b)
	qs := b.Stats().Queues[suite.FunctionArchive]
	if qs.Delivered != 2 || qs.Redelivered != 1 || qs.Failed != 1 || qs.Deleted != 1 {
		t.Errorf("stats = %+v, want one failed delivery and one more after the visibility timeout, none while the handler ran", qs)
	}
	var counts []string
	for _, r := range rec.records() {
		counts = append(counts, r.Attributes["ApproximateReceiveCount"])
	}
	if fmt.Sprint(counts) != "[1 2]" {
		t.Errorf("receive counts %v, want [1 2]", counts)
	}
}
