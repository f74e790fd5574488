package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	fleetclients "github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// testBus is the name of the suite's bus in these tests.
const testBus = "ivs-sessions-test"

// stack is the local world one test runs against: the local IVS (ivstest) with a fake clock,
// the local bus (localbus, routing with the suite's rules) whose archive queue captures every
// published event, and a Handler wired to both with real SDK clients.
type stack struct {
	*awstest.Stack
	clock *ivstest.FakeClock
	h     *Handler
	p     *batch.Processor

	mu        sync.Mutex
	published []string // envelopes delivered to the archive queue, in order
}

// stackOption adjusts a stack before its Handler is built.
type stackOption func(*stackConfig)

type stackConfig struct {
	ivsOpts []func(*ivs.Options)
	busWrap func(http.Handler) http.Handler
	cfg     Config

	archive   bool // a local S3 with the archive bucket, read by the handler
	throttles *ivsquota.Pacer
	fleet     suite.Fleet // a fleet's local AWS, and the handler's IVS main's for a fleet
}

func newStack(t testing.TB, opts ...stackOption) *stack {
	t.Helper()
	sc := stackConfig{cfg: Config{
		EventBusName: testBus,
		MaxAttempts:  3,
		LivePhase:    true,
		Correction:   multitrack.Config{Mode: multitrack.ModeApply, AllowContainerFormatChange: true, OptOutTag: suite.DefaultOptOutTag},
	}}
	for _, o := range opts {
		o(&sc)
	}
	s := &stack{clock: ivstest.NewFakeClock(time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC))}
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
	s.Stack = awstest.New(t, awstest.Options{
		IVS: &ivstest.Options{Clock: s.clock},
		Bus: &localbus.Config{
			Rules: localbus.SuiteRules(testBus),
			Queues: []localbus.QueueConfig{
				{Name: suite.FunctionEnrich, Handler: ack},
				{Name: suite.FunctionCorrect, Handler: ack},
				{Name: suite.FunctionArchive, Handler: capture, MaxConcurrency: 1},
				{Name: suite.FunctionQuality, Handler: ack},
			},
		},
		WrapBus: sc.busWrap,
		Bucket:  map[bool]string{true: testArchiveBucket}[sc.archive],
		Fleet:   sc.fleet,
	})
	// The clock reads a second after the test's messages were sent (sentAt): none waited long.
	s.h = &Handler{IVS: s.IVSClient(sc.ivsOpts...), Bus: s.EventBridgeClient(), Log: s.Log, Metrics: s.Metrics, Cfg: sc.cfg,
		Now: func() time.Time { return sentAt.Add(time.Second) }}
	if sc.fleet.Enabled() {
		// As main builds it in a fleet, from the environment the deployment gives the function.
		base, fl, account, err := s.FleetConfig(suite.FunctionEnrich)
		if err != nil {
			t.Fatal(err)
		}
		s.h.Cfg.Fleet, s.h.Cfg.Account = fl, account
		s.h.IVS = fleetclients.NewIVS(s.h.Cfg.Fleet, s.h.Cfg.Account, suite.FunctionEnrich, base, ivsquota.NewPacer(0))
	}
	if sc.throttles != nil {
		s.h.Throttles = sc.throttles
	}
	if sc.archive {
		s.h.Archive, s.h.Cfg.ArchiveBucket = s.S3Client(), testArchiveBucket
	}
	s.p = &batch.Processor{Function: suite.FunctionEnrich, Log: s.Log, Metrics: s.Metrics, Do: s.h.Handle}
	return s
}

// createChannel creates a channel on the local IVS, named studio-a unless in has a name; the
// stack checks that its secrets never leave the function.
func (s *stack) createChannel(t testing.TB, in *ivs.CreateChannelInput) awstest.Channel {
	t.Helper()
	if in == nil {
		in = &ivs.CreateChannelInput{}
	}
	if in.Name == nil {
		in.Name = aws.String("studio-a")
	}
	return s.CreateChannel(t, in)
}

// connect starts a session on ch at the stack's current time with enc's ladder.
func (s *stack) connect(t testing.TB, ch awstest.Channel, video []ivstest.VideoTrack) ivstest.Result {
	t.Helper()
	enc := ivstest.OBS(ch.StreamKey, 1)
	enc.Video = video
	res, err := s.IVS.Connect(context.Background(), enc)
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
	if err := s.Bus.WaitIdle(ctx); err != nil {
		t.Fatalf("local bus not idle: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.published...)
}

// onePublished waits until the bus is idle and returns the detail of the one event published,
// failing the test unless exactly one was.
func (s *stack) onePublished(t testing.TB) session.Enriched {
	t.Helper()
	pub := s.publishedEvents(t)
	if len(pub) != 1 {
		t.Fatalf("published %d events, want 1", len(pub))
	}
	var got session.Enriched
	if err := json.Unmarshal(decodeEnvelope(t, pub[0]).Detail, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// sentAt is when the enrich queue received the messages of sqsBatch.
var sentAt = time.UnixMilli(1793727603000)

// sqsBatch returns the SQS event of bodies (message IDs msg-0, msg-1, ...), each received
// receiveCount times.
// The messages were sent just now: the bootstrap reads the wall clock, and a go-live event that
// waited longer than suite.LivePhaseMaxLag would make no call.
func sqsBatch(t testing.TB, receiveCount int, bodies ...[]byte) json.RawMessage {
	t.Helper()
	return awstest.SQSEvent(t, awstest.SQSMessages(suite.FunctionEnrich, receiveCount, time.Now(), bodies...)...)
}

// processSQS runs the processor over an SQS batch and returns the IDs of the failed messages.
func (s *stack) processSQS(t testing.TB, receiveCount int, bodies ...[]byte) []string {
	t.Helper()
	return awstest.ProcessSQS(t, s.p.Process, awstest.SQSMessages(suite.FunctionEnrich, receiveCount, sentAt, bodies...)...)
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

// decodeEnvelope decodes a published envelope strictly, as aws-lambda-go's EventBridgeEvent:
// a key it does not know fails the test.
func decodeEnvelope(t testing.TB, body string) events.EventBridgeEvent {
	t.Helper()
	var env events.EventBridgeEvent
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

// withFleet runs the handler as a fleet's: its IVS calls go to each channel's region and
// account of the local fleet f.
func withFleet(f suite.Fleet) stackOption {
	return func(sc *stackConfig) { sc.fleet = f }
}

// withConfig changes the handler's configuration.
func withConfig(fn func(*Config)) stackOption {
	return func(sc *stackConfig) { fn(&sc.cfg) }
}

// testArchiveBucket is the archive bucket of withArchive.
const testArchiveBucket = "ivs-sessions-archive-test"

// withArchive gives the handler a local S3 archive to read.
func withArchive() stackOption {
	return func(sc *stackConfig) { sc.archive = true }
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
