package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The test deployment's names.
const (
	testBus     = "ivs-sessions-test"
	testRegion  = ivstest.DefaultRegion
	testAccount = ivstest.DefaultAccount
)

// applyCfg is the policy's configuration in mode apply with the suite's defaults.
var applyCfg = multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: suite.DefaultOptOutTag, AllowContainerFormatChange: true}

// call is one request a wire recorder saw.
type call struct {
	Op   string // IVS operation (path) or X-Amz-Target
	Body []byte
}

// wire records the requests that pass through it to next.
type wire struct {
	mu    sync.Mutex
	calls []call
}

func (w *wire) wrap(next http.Handler, op func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		w.mu.Lock()
		w.calls = append(w.calls, call{Op: op(r), Body: body})
		w.mu.Unlock()
		next.ServeHTTP(rw, r)
	})
}

// bodies returns the bodies of the calls of op, in order.
func (w *wire) bodies(op string) [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for _, c := range w.calls {
		if c.Op == op {
			out = append(out, c.Body)
		}
	}
	return out
}

func (w *wire) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (loggers on queue goroutines).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one test's deployment: a local IVS, a local bus (EventBridge and SQS) and the
// handler wired to them with real SDK clients, each behind a wire recorder.
type env struct {
	t      testing.TB
	ivs    *ivstest.Server
	admin  *ivs.Client // the test's own client, straight to the server (not recorded)
	ivsURL string      // the handler's IVS endpoint (recorded)
	ivsLog *wire       // IVS calls of the handler, by operation
	bus    *localbus.Bus
	busURL string
	busLog *wire // PutEvents and SQS calls, by X-Amz-Target
	logs   *syncBuffer
	emf    *syncBuffer
	rec    *metrics.Recorder
	h      *Handler
	p      *batch.Processor
	pacer  *ivsquota.Pacer

	mu         sync.Mutex
	activities []localbus.Activity
	notify     chan struct{}
	secrets    []string // stream keys and SRT passphrases of the channels created
}

// envOptions adjust newEnv.
type envOptions struct {
	cfg             multitrack.Config // the corrector's policy; zero means applyCfg
	maxReceiveCount int               // the correct queue's; 0 means no DLQ
	pacer           bool              // give the IVS client ivsquota's retryer (3 attempts, 1 ms backoff)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, ivsLog: &wire{}, busLog: &wire{}, logs: &syncBuffer{}, emf: &syncBuffer{}, notify: make(chan struct{}, 1)}
	e.ivs = ivstest.NewServer(ivstest.Options{Region: testRegion, Account: testAccount})
	t.Cleanup(e.ivs.Close)
	e.admin = ivstest.Client(t, e.ivs)
	ivsTS := httptest.NewServer(e.ivsLog.wrap(e.ivs.Handler(), func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") }))
	t.Cleanup(ivsTS.Close)
	e.ivsURL = ivsTS.URL

	bus, err := localbus.New(localbus.Config{
		Region:  testRegion,
		Account: testAccount,
		Rules:   localbus.SuiteRules(testBus),
		Second:  time.Millisecond, // a 60 s visibility timeout lasts 60 ms
		Queues: []localbus.QueueConfig{
			{Name: suite.FunctionEnrich},
			{Name: suite.FunctionArchive, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
				return events.SQSEventResponse{}, nil
			}},
			{Name: suite.FunctionCorrect, ReportBatchItemFailures: true, MaxReceiveCount: o.maxReceiveCount,
				VisibilityTimeout: 100 * time.Millisecond, BatchSize: 10},
		},
		OnActivity: func(a localbus.Activity) {
			e.mu.Lock()
			e.activities = append(e.activities, a)
			e.mu.Unlock()
			select {
			case e.notify <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	e.bus = bus
	busTS := httptest.NewServer(e.busLog.wrap(bus, func(r *http.Request) string { return r.Header.Get("X-Amz-Target") }))
	t.Cleanup(busTS.Close)
	e.busURL = busTS.URL

	cfg := o.cfg
	if cfg.Mode == "" {
		cfg = applyCfg
	}
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")
	var ivsOpts []func(*ivs.Options)
	if o.pacer {
		e.pacer = ivsquota.NewPacer(0) // no pacing, only the retryer and the throttle count
		ivsOpts = append(ivsOpts, e.pacer.ClientOptions(3), func(o *ivs.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
		})
	}
	ivsClient := ivs.New(ivs.Options{Region: testRegion, BaseEndpoint: aws.String(e.ivsURL), Credentials: creds, Retryer: aws.NopRetryer{}}, ivsOpts...)
	ebClient := eventbridge.New(eventbridge.Options{Region: testRegion, BaseEndpoint: aws.String(e.busURL), Credentials: creds, Retryer: aws.NopRetryer{}})
	sqsClient := sqs.New(sqs.Options{Region: testRegion, BaseEndpoint: aws.String(e.busURL), Credentials: creds, Retryer: aws.NopRetryer{}})

	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.rec = metrics.New(suite.MetricNamespace, e.emf)
	e.h = &Handler{
		Channels: ivsClient, Streams: ivsClient, Updater: ivsClient, Events: ebClient,
		Cfg:     Config{EventBusName: testBus, Correction: cfg, MaxAge: 24 * time.Hour, RetryDelay: 60 * time.Second},
		Log:     log,
		Metrics: e.rec,
	}
	if e.pacer != nil {
		e.h.Throttles = e.pacer.Throttles
	}
	e.p = &batch.Processor{Function: suite.FunctionCorrect, Log: log, Metrics: e.rec, Do: e.h.Handle, Queue: sqsClient}
	t.Cleanup(e.checkNoSecrets)
	return e
}

// serveQueue makes the processor the correct queue's function.
func (e *env) serveQueue() {
	e.t.Helper()
	err := e.bus.SetHandler(suite.FunctionCorrect, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		payload, err := json.Marshal(ev)
		if err != nil {
			return events.SQSEventResponse{}, err
		}
		out, err := e.p.Process(ctx, payload)
		resp, _ := out.(events.SQSEventResponse)
		return resp, err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// channelSpec is how a test channel is created.
type channelSpec struct {
	typ        types.ChannelType
	container  types.ContainerFormat
	multitrack *types.MultitrackInputConfiguration
	tags       map[string]string
}

// createChannel creates a channel and remembers its secrets for checkNoSecrets.
func (e *env) createChannel(spec channelSpec) (arn, streamKey string) {
	e.t.Helper()
	ctx := context.Background()
	out, err := e.admin.CreateChannel(ctx, &ivs.CreateChannelInput{
		Name: aws.String("studio-" + strconv.Itoa(len(e.secrets))), Type: spec.typ, ContainerFormat: spec.container,
		MultitrackInputConfiguration: spec.multitrack, Tags: spec.tags,
	})
	if err != nil {
		e.t.Fatalf("create channel: %v", err)
	}
	arn, streamKey = aws.ToString(out.Channel.Arn), aws.ToString(out.StreamKey.Value)
	if out.Channel.Srt == nil || aws.ToString(out.Channel.Srt.Passphrase) == "" || streamKey == "" {
		e.t.Fatalf("create channel: want an SRT passphrase and a stream key to guard, got %+v", out.Channel.Srt)
	}
	e.mu.Lock()
	e.secrets = append(e.secrets, streamKey, aws.ToString(out.Channel.Srt.Passphrase))
	e.mu.Unlock()
	return arn, streamKey
}

// checkNoSecrets fails the test if a stream key or SRT passphrase reached the logs, the
// metrics or an event the handler published.
func (e *env) checkNoSecrets() {
	e.mu.Lock()
	secrets := append([]string(nil), e.secrets...)
	e.mu.Unlock()
	published := e.busLog.bodies("AWSEvents.PutEvents")
	outputs := map[string]string{"logs": e.logs.String(), "metrics": e.emf.String(), "published events": string(bytes.Join(published, nil))}
	for where, text := range outputs {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				e.t.Errorf("a secret (%s) appears in the %s", secretKind(s), where)
			}
		}
	}
}

// secretKind names a secret without showing it.
func secretKind(s string) string {
	if strings.HasPrefix(s, "sk_") {
		return "a stream key"
	}
	return "an SRT passphrase"
}

// refuse connects enc and wants the session refused with code.
func (e *env) refuse(enc ivstest.Encoder, code string) ivstest.Result {
	e.t.Helper()
	res, err := e.ivs.Connect(context.Background(), enc)
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	if res.Code != code {
		e.t.Fatalf("connect: got code %q (live %v), want %q", res.Code, res.Live, code)
	}
	return res
}

// goLive connects a single-track encoder and wants it live.
func (e *env) goLive(streamKey string) {
	e.t.Helper()
	res, err := e.ivs.Connect(context.Background(), ivstest.Encoder{StreamKey: streamKey, Video: ivstest.Ladder(1), Audio: []ivstest.AudioTrack{ivstest.AudioAAC}})
	if err != nil || !res.Live {
		e.t.Fatalf("go live: %+v, %v", res, err)
	}
}

// enrich does what the enrich function does for the Session Ended event of res: the record
// from GetStreamSession and the event, and the policy's decision on the channel the session
// saw, with cfg.
func (e *env) enrich(res ivstest.Result, cfg multitrack.Config) session.Enriched {
	e.t.Helper()
	var ev *ivsevent.Event
	for _, x := range e.ivs.Events() {
		parsed, err := ivsevent.Parse(x.JSON)
		if err == nil && parsed.StreamID() == res.StreamID && parsed.Name() == ivsevent.EventSessionEnded {
			ev = parsed
		}
	}
	if ev == nil {
		e.t.Fatalf("no Session Ended event for %s", res.StreamID)
	}
	out, err := e.admin.GetStreamSession(context.Background(), &ivs.GetStreamSessionInput{ChannelArn: aws.String(res.ChannelARN), StreamId: aws.String(res.StreamID)})
	if err != nil {
		e.t.Fatalf("get stream session: %v", err)
	}
	rec, err := session.FromStreamSession(out.StreamSession, ev)
	if err != nil {
		e.t.Fatalf("record: %v", err)
	}
	d := multitrack.Decide(multitrack.Input{Code: ev.Code(), TopVideoHeight: rec.TopVideoHeight(), Channel: *out.StreamSession.Channel}, cfg)
	return session.Enriched{Record: rec, Decision: d, Trigger: session.TriggerOf(ev)}
}

// envelope returns en as EventBridge delivers it from the suite's bus.
func envelope(t testing.TB, en session.Enriched) []byte {
	t.Helper()
	detail, err := json.Marshal(en)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "5b3f8a57-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "detail-type": suite.DetailTypeSessionEnriched,
		"source": suite.EventSource, "account": testAccount, "time": en.Trigger.Time.Add(2 * time.Second).Format(time.RFC3339),
		"region": testRegion, "resources": []string{en.Record.ChannelARN}, "detail": json.RawMessage(detail),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqsRecord returns body as the correct queue delivers it for the receiveCount-th time.
func sqsRecord(id string, body []byte, receiveCount int, sent time.Time) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "handle-" + id + "-" + strconv.Itoa(receiveCount), Body: string(body),
		Attributes: map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(receiveCount),
			"SentTimestamp":                    strconv.FormatInt(sent.UnixMilli(), 10),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sent.UnixMilli(), 10),
		},
		EventSourceARN: fmt.Sprintf("arn:aws:sqs:%s:%s:%s", testRegion, testAccount, suite.FunctionCorrect),
		EventSource:    "aws:sqs", AWSRegion: testRegion,
	}
}

// process invokes the function with an SQS batch and returns the IDs it reported as failed.
func (e *env) process(records ...events.SQSMessage) []string {
	e.t.Helper()
	payload, err := json.Marshal(events.SQSEvent{Records: records})
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.p.Process(context.Background(), payload)
	if err != nil {
		e.t.Fatalf("process: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		e.t.Fatalf("process: got %T, want events.SQSEventResponse", out)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// put publishes en on the suite's bus, as enrich does; the rules route it.
func (e *env) put(en session.Enriched) {
	e.t.Helper()
	detail, err := json.Marshal(en)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.bus.Put(localbus.Entry{Bus: testBus, Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched,
		Detail: string(detail), Resources: []string{en.Record.ChannelARN}}); err != nil {
		e.t.Fatal(err)
	}
}

// waitFor waits until cond holds for the activities so far, or fails after 10 s.
func (e *env) waitFor(what string, cond func([]localbus.Activity) bool) {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		e.mu.Lock()
		ok := cond(e.activities)
		e.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-e.notify:
		case <-deadline:
			e.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitIdle waits until every queue is empty.
func (e *env) waitIdle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.bus.WaitIdle(ctx); err != nil {
		e.t.Fatalf("wait idle: %v", err)
	}
}

// count returns the activities of kind on queue.
func count(acts []localbus.Activity, kind localbus.ActivityKind, queue string) int {
	n := 0
	for _, a := range acts {
		if a.Kind == kind && a.Queue == queue {
			n++
		}
	}
	return n
}

// published returns the corrections the handler put on the suite's bus, in order.
func (e *env) published() []session.Corrected {
	e.t.Helper()
	var out []session.Corrected
	for _, body := range e.busLog.bodies("AWSEvents.PutEvents") {
		var req struct {
			Entries []struct {
				Source, DetailType, Detail, EventBusName string
				Resources                                []string
			}
		}
		if err := json.Unmarshal(body, &req); err != nil {
			e.t.Fatalf("PutEvents body: %v", err)
		}
		for _, en := range req.Entries {
			if en.EventBusName != testBus {
				continue // refused by the bus (a test of a failing publication)
			}
			if en.Source != suite.EventSource || en.DetailType != suite.DetailTypeChannelCorrected {
				e.t.Fatalf("published %s / %s, want %s / %s", en.Source, en.DetailType, suite.EventSource, suite.DetailTypeChannelCorrected)
			}
			var c session.Corrected
			if err := json.Unmarshal([]byte(en.Detail), &c); err != nil {
				e.t.Fatalf("published detail: %v", err)
			}
			if len(en.Resources) != 1 || en.Resources[0] != c.ChannelARN {
				e.t.Errorf("published resources %v, want [%s]", en.Resources, c.ChannelARN)
			}
			out = append(out, c)
		}
	}
	return out
}

// successes returns how many calls of op the IVS server answered without an error.
func (e *env) successes(op string) int {
	st := e.ivs.Stats()[op]
	return st.Calls - st.Errors
}

// channel returns the channel as the server has it now.
func (e *env) channel(arn string) types.Channel {
	e.t.Helper()
	out, err := e.admin.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil {
		e.t.Fatalf("get channel: %v", err)
	}
	return *out.Channel
}

// metric sums a counter with the dimension dim over the EMF documents written so far (the
// processor flushes at the end of every invocation).
func (e *env) metric(name string, dim metrics.Dim) float64 {
	e.t.Helper()
	var total float64
	for _, line := range strings.Split(e.emf.String(), "\n") {
		if line == "" {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			e.t.Fatalf("EMF line %q: %v", line, err)
		}
		v, ok := doc[name].(float64)
		if ok && doc[dim.Name] == dim.Value {
			total += v
		}
	}
	return total
}
