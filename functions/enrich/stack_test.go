package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// testBus is the name of the suite's bus in these tests.
const testBus = "ivs-sessions-test"

// lockedBuffer is a bytes.Buffer safe for concurrent writers (loggers, metrics).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stack is the local world one test runs against: the local IVS (ivstest) with a fake clock,
// the local bus (localbus, routing with the suite's rules) whose archive queue captures every
// published event, and a Handler wired to both with real SDK clients.
type stack struct {
	ivs     *ivstest.Server
	clock   *ivstest.FakeClock
	client  *ivs.Client
	bus     *localbus.Bus
	busURL  string
	logs    *lockedBuffer
	emf     *lockedBuffer
	metrics *metrics.Recorder
	h       *Handler
	p       *batch.Processor

	mu        sync.Mutex
	published []string // envelopes delivered to the archive queue, in order
}

// stackOption adjusts a stack before its Handler is built.
type stackOption func(*stackConfig)

type stackConfig struct {
	ivsOpts   []func(*ivs.Options)
	busWrap   func(http.Handler) http.Handler
	cfg       Config
	throttles throttleCounter
}

func newStack(t testing.TB, opts ...stackOption) *stack {
	t.Helper()
	sc := stackConfig{cfg: Config{
		EventBusName: testBus,
		MaxAttempts:  3,
		Correction:   multitrack.Config{Mode: multitrack.ModeApply, AllowContainerFormatChange: true, OptOutTag: suite.DefaultOptOutTag},
	}}
	for _, o := range opts {
		o(&sc)
	}
	s := &stack{clock: ivstest.NewFakeClock(time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC)), logs: &lockedBuffer{}, emf: &lockedBuffer{}}
	s.ivs = ivstest.NewServer(ivstest.Options{Clock: s.clock})
	t.Cleanup(s.ivs.Close)

	capture := func(ctx context.Context, b events.SQSEvent) (events.SQSEventResponse, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range b.Records {
			s.published = append(s.published, r.Body)
		}
		return events.SQSEventResponse{}, nil
	}
	ack := func(ctx context.Context, b events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, nil
	}
	bus, err := localbus.New(localbus.Config{
		Region: ivstest.DefaultRegion, Account: ivstest.DefaultAccount,
		Rules: localbus.SuiteRules(testBus),
		Queues: []localbus.QueueConfig{
			{Name: suite.FunctionEnrich, Handler: ack},
			{Name: suite.FunctionCorrect, Handler: ack},
			{Name: suite.FunctionArchive, Handler: capture, MaxConcurrency: 1},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	s.bus = bus
	var busHandler http.Handler = bus
	if sc.busWrap != nil {
		busHandler = sc.busWrap(bus)
	}
	busSrv := httptest.NewServer(busHandler)
	t.Cleanup(busSrv.Close)
	s.busURL = busSrv.URL

	s.client = ivstest.Client(t, s.ivs, sc.ivsOpts...)
	s.metrics = metrics.New(suite.MetricNamespace, s.emf)
	log := slog.New(slog.NewJSONHandler(s.logs, nil))
	s.h = &Handler{IVS: s.client, Bus: ebClient(busSrv.URL), Log: log, Metrics: s.metrics, Cfg: sc.cfg}
	if sc.throttles != nil {
		s.h.Throttles = sc.throttles
	}
	s.p = &batch.Processor{Function: suite.FunctionEnrich, Log: log, Metrics: s.metrics, Do: s.h.Handle}
	return s
}

func ebClient(url string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region:       ivstest.DefaultRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// channel is a channel created on the local IVS, with its secrets (for the leak checks).
type channel struct {
	arn, id, streamKey, passphrase string
}

func (s *stack) createChannel(t testing.TB, in *ivs.CreateChannelInput) channel {
	t.Helper()
	if in == nil {
		in = &ivs.CreateChannelInput{}
	}
	if in.Name == nil {
		in.Name = aws.String("studio-a")
	}
	out, err := s.client.CreateChannel(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	arn := aws.ToString(out.Channel.Arn)
	parsed, err := ivsevent.ParseChannelARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	c := channel{arn: arn, id: parsed.ID, streamKey: aws.ToString(out.StreamKey.Value)}
	if out.Channel.Srt != nil {
		c.passphrase = aws.ToString(out.Channel.Srt.Passphrase)
	}
	if c.streamKey == "" || c.passphrase == "" {
		t.Fatal("the local channel has no stream key or SRT passphrase: the leak checks would prove nothing")
	}
	return c
}

// connect starts a session on ch at the stack's current time with enc's ladder.
func (s *stack) connect(t testing.TB, ch channel, video []ivstest.VideoTrack) ivstest.Result {
	t.Helper()
	enc := ivstest.OBS(ch.streamKey, 1)
	enc.Video = video
	res, err := s.ivs.Connect(context.Background(), enc)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return res
}

// publishedEvents waits until the bus is idle and returns the envelopes published so far.
func (s *stack) publishedEvents(t testing.TB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.bus.WaitIdle(ctx); err != nil {
		t.Fatalf("local bus not idle: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.published...)
}

// sqsBatch returns the SQS event of bodies, each received receiveCount times.
func sqsBatch(t testing.TB, receiveCount int, bodies ...[]byte) json.RawMessage {
	t.Helper()
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      fmt.Sprintf("msg-%d", i),
			ReceiptHandle:  fmt.Sprintf("handle-%d", i),
			Body:           string(b),
			Attributes:     map[string]string{"ApproximateReceiveCount": strconv.Itoa(receiveCount), "SentTimestamp": "1793727603000"},
			EventSourceARN: "arn:aws:sqs:us-west-2:123456789012:enrich",
			EventSource:    "aws:sqs",
			AWSRegion:      "us-west-2",
		})
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

// processSQS runs the processor over an SQS batch and returns the IDs of the failed messages.
func (s *stack) processSQS(t testing.TB, receiveCount int, bodies ...[]byte) []string {
	t.Helper()
	out, err := s.p.Process(context.Background(), sqsBatch(t, receiveCount, bodies...))
	if err != nil {
		t.Fatalf("Process(SQS batch) error: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("Process(SQS batch) returned %T, want events.SQSEventResponse", out)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// retarget points a sample event at a local channel and stream: the local IVS cannot create a
// channel with a given ARN or a session with a given stream ID.
func retarget(t testing.TB, sample []byte, arn, streamID string) []byte {
	t.Helper()
	ev, err := ivsevent.Parse(sample)
	if err != nil {
		t.Fatalf("sample: %v", err)
	}
	out := bytes.ReplaceAll(sample, []byte(ev.Channel.String()), []byte(arn))
	if id := ev.StreamID(); id != "" && streamID != "" {
		out = bytes.ReplaceAll(out, []byte(id), []byte(streamID))
	}
	return out
}

// envelope is an EventBridge event as the local bus delivers it.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// decodeEnvelope decodes a published envelope strictly.
func decodeEnvelope(t testing.TB, body string) envelope {
	t.Helper()
	var env envelope
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("published envelope: %v\n%s", err, body)
	}
	return env
}

// withPacer gives the IVS client the retryer and pacing middleware of main (ivsquota), with
// backoff delays capped at a millisecond so retries are quick, and reports its throttles.
func withPacer(p *ivsquota.Pacer, maxAttempts int) stackOption {
	return func(sc *stackConfig) {
		sc.ivsOpts = append(sc.ivsOpts, p.ClientOptions(maxAttempts), func(o *ivs.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
		})
		sc.throttles = p
	}
}

// withConfig changes the handler's configuration.
func withConfig(fn func(*Config)) stackOption {
	return func(sc *stackConfig) { fn(&sc.cfg) }
}

// withBusWrap puts h in front of the local bus's HTTP API (fault injection).
func withBusWrap(wrap func(http.Handler) http.Handler) stackOption {
	return func(sc *stackConfig) { sc.busWrap = wrap }
}

// fakeGetter is a GetStreamSession answering from a function: for tests about our logic
// (oversized sessions), not the wire.
type fakeGetter func(ctx context.Context, in *ivs.GetStreamSessionInput) (*types.StreamSession, error)

func (f fakeGetter) GetStreamSession(ctx context.Context, in *ivs.GetStreamSessionInput, _ ...func(*ivs.Options)) (*ivs.GetStreamSessionOutput, error) {
	ss, err := f(ctx, in)
	if err != nil {
		return nil, err
	}
	return &ivs.GetStreamSessionOutput{StreamSession: ss}, nil
}
