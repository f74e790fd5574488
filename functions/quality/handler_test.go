package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

const (
	testBus       = "ivs-sessions-test"
	testChannelID = "abcdABCDefgh"
	testChannel   = "arn:aws:ivs:us-west-2:123456789012:channel/" + testChannelID
	testStreamID  = "st-1AuTyMDASvHUTSb8p5PvbsO"
)

// start and end bound the test session (two minutes); now is five minutes after its end.
var (
	start = time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	end   = start.Add(2 * time.Minute)
	now   = end.Add(5 * time.Minute)
)

// stack is a Handler with the real CloudWatch client pointed at a local CloudWatch and the real
// EventBridge client at a local bus whose archive queue captures what is published.
type stack struct {
	*awstest.Stack
	cw *cloudwatchtest.Server
	h  *Handler
}

func newStack(t *testing.T) *stack { return newFleetStack(t, suite.Fleet{}) }

// newFleetStack is newStack on the local AWS of fleet f (one CloudWatch per account and
// region), with the handler's CloudWatch as main builds it for a fleet; cw is the home one.
func newFleetStack(t *testing.T, f suite.Fleet) *stack {
	t.Helper()
	ack := func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, nil
	}
	var queues []localbus.QueueConfig
	for _, fn := range suite.Functions {
		queues = append(queues, localbus.QueueConfig{Name: fn, Handler: ack})
	}
	s := &stack{Stack: awstest.New(t, awstest.Options{Bus: &localbus.Config{Rules: localbus.SuiteRules(testBus), Queues: queues},
		CloudWatch: &cloudwatchtest.Options{Now: func() time.Time { return now }}, Fleet: f})}
	s.cw = s.CloudWatch
	s.h = &Handler{
		CloudWatch: s.CloudWatchClient(), Bus: s.EventBridgeClient(), Pacer: NewPacer(suite.DefaultMetricsPerSecond), Log: s.Log, Metrics: s.Metrics,
		Cfg: Config{EventBusName: testBus, MaxAttempts: 3, RetryDelay: 2 * time.Minute, DatapointsPerSecond: suite.DefaultMetricsPerSecond},
		Now: func() time.Time { return now },
	}
	if f.Enabled() {
		// As main builds it in a fleet, from the environment the deployment gives the function.
		base, fl, account, err := s.FleetConfig(suite.FunctionQuality)
		if err != nil {
			t.Fatal(err)
		}
		s.h.Cfg.Fleet, s.h.Cfg.Account = fl, account
		s.h.CloudWatch = regionalCloudWatch{fleet.New(s.h.Cfg.Fleet, s.h.Cfg.Account, suite.FunctionQuality, base, sts.NewFromConfig(base),
			func(_ fleet.Target, c aws.Config) *cloudwatch.Client { return cloudwatch.NewFromConfig(c) })}
	}
	return s
}

// record is the enriched record of a two-track ladder with audio.
func record() session.Record {
	r := session.Record{
		SchemaVersion: session.SchemaVersion, ChannelARN: testChannel, ChannelID: testChannelID, Region: "us-west-2", Account: "123456789012",
		StreamID: testStreamID, StartTime: start, EndTime: end, Outcome: session.OutcomeEnded, Enriched: true,
		Video: []session.VideoTrack{
			{Track: "Track0", Codec: "avc1.64002A", Width: 1920, Height: 1080, FrameRate: 60, TargetBitrate: 6_000_000},
			{Track: "Track1", Codec: "avc1.64001F", Width: 1280, Height: 720, FrameRate: 30, TargetBitrate: 2_500_000},
		},
		Audio: []session.AudioTrack{{Track: "Track2", Codec: "mp4a.40.2", Channels: 2, SampleRate: 48000, TargetBitrate: 160_000}},
	}
	return session.Merge(r, session.Record{})
}

// message is the enriched event of rec, encoded as enrich publishes it (suiteevent), as the
// quality queue delivers it, on delivery n.
func message(t *testing.T, rec session.Record, n int) batch.Message {
	t.Helper()
	tr := session.Trigger{EventID: "ev-1", DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded, Time: end}
	entry, _, err := suiteevent.EnrichedEntry(testBus, session.Enriched{Record: rec, Decision: multitrack.Decision{Action: multitrack.ActionNone}, Trigger: tr})
	if err != nil {
		t.Fatal(err)
	}
	return batch.Message{ID: "m-1", Body: awstest.Delivered(t, "pub-1", end, entry), ReceiveCount: n}
}

// simulate puts one sample a second from start for the given seconds: every track at its
// target, except where dip says otherwise (Mbps for bitrates, as IVS reports them).
func (s *stack) simulate(seconds int, dip func(track, metric string, i int) (float64, bool)) {
	targets := map[string]map[string]float64{
		"Track0": {quality.MetricIngestVideoBitrate: 6, quality.MetricIngestFramerate: 60, quality.MetricKeyframeInterval: 2},
		"Track1": {quality.MetricIngestVideoBitrate: 2.5, quality.MetricIngestFramerate: 30, quality.MetricKeyframeInterval: 2},
		"Track2": {quality.MetricIngestAudioBitrate: 0.16},
	}
	for i := range seconds {
		at := start.Add(time.Duration(i) * time.Second)
		for track, ms := range targets {
			for m, v := range ms {
				if dip != nil {
					if d, ok := dip(track, m, i); ok {
						v = d
					}
				}
				s.cw.Put(quality.Namespace, m, map[string]string{quality.DimensionChannel: testChannelID, quality.DimensionTrack: track}, cloudwatchtest.Datum{Time: at, Value: v})
			}
		}
		s.cw.Put(quality.Namespace, quality.MetricConcurrentViews, map[string]string{quality.DimensionChannel: testChannelID}, cloudwatchtest.Datum{Time: at, Value: 42})
	}
}

// published returns the quality measurements published on the bus.
func (s *stack) published(t *testing.T) []session.Measured {
	t.Helper()
	var out []session.Measured
	for _, b := range s.PublishedBodies() {
		var req struct {
			Entries []struct{ DetailType, Detail string }
		}
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatal(err)
		}
		for _, e := range req.Entries {
			if e.DetailType != suite.DetailTypeSessionQuality {
				t.Errorf("published a %q", e.DetailType)
				continue
			}
			var m session.Measured
			if err := json.Unmarshal([]byte(e.Detail), &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

func (s *stack) one(t *testing.T) session.Measured {
	t.Helper()
	got := s.published(t)
	if len(got) != 1 {
		t.Fatalf("published %d measurements, want 1", len(got))
	}
	return got[0]
}

func TestHealthy(t *testing.T) {
	s := newStack(t)
	s.simulate(121, nil)
	if err := s.h.Handle(context.Background(), message(t, record(), 1)); err != nil {
		t.Fatal(err)
	}
	m := s.one(t)
	q := m.Quality
	if q.Verdict != quality.VerdictHealthy || len(q.Reasons) != 0 || q.PeriodSeconds != 1 || q.Attempts != 1 || !q.MeasuredAt.Equal(now) {
		t.Fatalf("quality %+v, want healthy at 1 s, measured now on the first attempt", q)
	}
	if m.SessionKey != record().Key() || m.ChannelARN != testChannel || m.StreamID != testStreamID {
		t.Errorf("identity %s %s %s", m.SessionKey, m.ChannelARN, m.StreamID)
	}
	if len(q.Tracks) != 3 {
		t.Fatalf("%d tracks, want 3", len(q.Tracks))
	}
	t0 := q.Tracks[0]
	if t0.Bitrate == nil || t0.Bitrate.Mean != 6_000_000 || t0.Bitrate.Samples != 121 || t0.FrameRate.Mean != 60 || t0.KeyframeInterval.Mean != 2 {
		t.Errorf("Track0 %+v", t0)
	}
	if q.Viewers == nil || q.Viewers.Peak != 42 {
		t.Errorf("viewers %+v, want peak 42", q.Viewers)
	}
	// The server's count and the handler's own (its metric): one request, sent once.
	if n := s.cw.Calls(cloudwatchtest.OpGetMetricData); n != 1 {
		t.Errorf("the server saw %d GetMetricData calls, want 1", n)
	}
	if n := s.Metrics.Count(suite.MetricGetMetricData); n != 1 {
		t.Errorf("%v GetMetricData calls, want 1", n)
	}
	if n := s.Metrics.Count(suite.MetricMetricsRequested); n != 8 {
		t.Errorf("metrics requested %v, want 8 (2 video × 3, 1 audio, viewers)", n)
	}
}

func TestDegraded(t *testing.T) {
	tests := map[string]struct {
		dip    func(track, metric string, i int) (float64, bool)
		reason quality.ReasonCode
		track  string
	}{
		"bitrate dip on Track1": {
			dip: func(track, metric string, i int) (float64, bool) {
				return 1, track == "Track1" && metric == quality.MetricIngestVideoBitrate && i >= 30 && i < 60
			},
			reason: quality.ReasonLowBitrate, track: "Track1",
		},
		"frame drops on Track0": {
			dip: func(track, metric string, i int) (float64, bool) {
				return 45, track == "Track0" && metric == quality.MetricIngestFramerate && i%4 == 0
			},
			reason: quality.ReasonLowFrameRate, track: "Track0",
		},
		"keyframe every 6 s on Track1": {
			dip: func(track, metric string, _ int) (float64, bool) {
				return 6, track == "Track1" && metric == quality.MetricKeyframeInterval
			},
			reason: quality.ReasonKeyframeInterval, track: "Track1",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			s.simulate(121, tc.dip)
			if err := s.h.Handle(context.Background(), message(t, record(), 1)); err != nil {
				t.Fatal(err)
			}
			q := s.one(t).Quality
			if q.Verdict != quality.VerdictDegraded || len(q.Reasons) != 1 || q.Reasons[0].Code != tc.reason || q.Reasons[0].Track != tc.track || q.WorstTrack != tc.track {
				t.Errorf("quality %s %+v worst %s, want degraded by %s on %s", q.Verdict, q.Reasons, q.WorstTrack, tc.reason, tc.track)
			}
		})
	}
	t.Run("starvation from the health events", func(t *testing.T) {
		s := newStack(t)
		s.simulate(121, nil)
		rec := record()
		rec.Events = []session.Event{
			{Time: start.Add(40 * time.Second), DetailType: ivsevent.DetailTypeStreamHealthChange, Name: ivsevent.EventStarvationStart},
			{Time: start.Add(52 * time.Second), DetailType: ivsevent.DetailTypeStreamHealthChange, Name: ivsevent.EventStarvationEnd},
		}
		if err := s.h.Handle(context.Background(), message(t, rec, 1)); err != nil {
			t.Fatal(err)
		}
		q := s.one(t).Quality
		if q.Verdict != quality.VerdictDegraded || q.StarvationSeconds != 12 || q.Reasons[0].Code != quality.ReasonStarvation {
			t.Errorf("quality %s %+v starved %v s, want degraded by 12 s of starvation", q.Verdict, q.Reasons, q.StarvationSeconds)
		}
	})
}

func TestWaitsForCloudWatchThenGivesUp(t *testing.T) {
	s := newStack(t)
	s.simulate(60, nil) // only the first minute has arrived
	err := s.h.Handle(context.Background(), message(t, record(), 1))
	if !retryable.Is(err) || retryable.RetryAfter(err) != 2*time.Minute {
		t.Fatalf("first read of half a session: %v, want a retry after 2m", err)
	}
	if len(s.published(t)) != 0 {
		t.Fatal("published before the metrics arrived")
	}
	// The last attempt publishes what there is, saying it is incomplete.
	if err := s.h.Handle(context.Background(), message(t, record(), 3)); err != nil {
		t.Fatal(err)
	}
	q := s.one(t).Quality
	if q.Verdict != quality.VerdictHealthy || q.Note == "" || q.Attempts != 3 {
		t.Errorf("quality %s note %q attempts %d, want healthy from the minute there is, with a note, after 3 attempts", q.Verdict, q.Note, q.Attempts)
	}
}

func TestUnknown(t *testing.T) {
	t.Run("no metrics at all", func(t *testing.T) {
		s := newStack(t)
		if err := s.h.Handle(context.Background(), message(t, record(), 3)); err != nil {
			t.Fatal(err)
		}
		if q := s.one(t).Quality; q.Verdict != quality.VerdictUnknown || q.Note == "" {
			t.Errorf("quality %s note %q, want unknown with a note", q.Verdict, q.Note)
		}
	})
	t.Run("a record without tracks: at once, without a call", func(t *testing.T) {
		s := newStack(t)
		rec := record()
		rec.Video, rec.Audio = nil, nil
		if err := s.h.Handle(context.Background(), message(t, session.Merge(rec, session.Record{}), 1)); err != nil {
			t.Fatal(err)
		}
		if q := s.one(t).Quality; q.Verdict != quality.VerdictUnknown || q.Note == "" {
			t.Errorf("quality %s note %q, want unknown with a note", q.Verdict, q.Note)
		}
		if n := s.cw.Calls(cloudwatchtest.OpGetMetricData); n != 0 {
			t.Errorf("%d GetMetricData calls, want none", n)
		}
	})
}

func TestCloudWatchFailure(t *testing.T) {
	s := newStack(t)
	s.simulate(121, nil)
	s.cw.SetFault(cloudwatchtest.Fault{Op: cloudwatchtest.OpGetMetricData, Count: 1, Status: 500, Type: "InternalServiceFault", Code: "InternalServiceError"})
	if err := s.h.Handle(context.Background(), message(t, record(), 1)); !retryable.Is(err) {
		t.Fatalf("a 500: %v, want a retry", err)
	}
	if err := s.h.Handle(context.Background(), message(t, record(), 2)); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	if q := s.one(t).Quality; q.Verdict != quality.VerdictHealthy {
		t.Errorf("verdict %s", q.Verdict)
	}
}

// TestPublishFailures: a measurement that cannot be published (the bus fails, or refuses the
// entry with a code PutEvents documents as retryable, then with one it does not) comes back
// to be measured again: the suite's PutEvents policy (putevents), every failure transient.
func TestPublishFailures(t *testing.T) {
	for name, code := range map[string]string{"refused, retryable code": "ThrottlingException", "refused, other code": "AccessDeniedException", "bus fails": ""} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			s.simulate(121, nil)
			bus := &refusingBus{code: code}
			s.h.Bus = bus
			err := s.h.Handle(context.Background(), message(t, record(), 1))
			if err == nil || !retryable.Is(err) {
				t.Fatalf("%v, want a transient error", err)
			}
			want := 1
			if code == "ThrottlingException" {
				want = putevents.Attempts
			}
			if bus.calls != want {
				t.Errorf("%d PutEvents calls, want %d", bus.calls, want)
			}
			if n := s.Metrics.Count(suite.MetricQualityVerdicts); n != 0 {
				t.Errorf("%v verdicts counted, want none before one is published", n)
			}
		})
	}
}

// refusingBus refuses every entry with code, or fails the call when code is "".
type refusingBus struct {
	code  string
	calls int
}

func (b *refusingBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.calls++
	if b.code == "" {
		return nil, errors.New("connection refused")
	}
	out := &eventbridge.PutEventsOutput{FailedEntryCount: int32(len(in.Entries))}
	for range in.Entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String(b.code), ErrorMessage: aws.String("no")})
	}
	return out, nil
}

// TestCloudWatchRefuses: a request CloudWatch refuses (a 400 retrying cannot fix) is not
// retried: the session is published unknown at once, with CloudWatch's reason.
func TestCloudWatchRefuses(t *testing.T) {
	s := newStack(t)
	s.simulate(121, nil)
	s.cw.SetFault(cloudwatchtest.Fault{Op: cloudwatchtest.OpGetMetricData, Count: 1, Status: 400, Type: "InvalidParameterValueException", Code: "InvalidParameterValue"})
	if err := s.h.Handle(context.Background(), message(t, record(), 1)); err != nil {
		t.Fatalf("a refused request: %v, want the session published unknown", err)
	}
	if q := s.one(t).Quality; q.Verdict != quality.VerdictUnknown || !strings.Contains(q.Note, "InvalidParameterValue") {
		t.Errorf("quality %s note %q, want unknown saying CloudWatch refused", q.Verdict, q.Note)
	}
	if n := s.cw.Calls(cloudwatchtest.OpGetMetricData); n != 1 {
		t.Errorf("%d GetMetricData calls, want 1 (no retry)", n)
	}
}

func TestRejected(t *testing.T) {
	s := newStack(t)
	bad := map[string][]byte{
		"not JSON":            []byte("{"),
		"another detail-type": []byte(`{"source":"ivs-sessions","detail-type":"IVS Channel Multitrack Corrected","detail":{}}`),
		"detail not object":   []byte(`{"source":"ivs-sessions","detail-type":"IVS Session Enriched","detail":[]}`),
		"record without ids":  []byte(`{"source":"ivs-sessions","detail-type":"IVS Session Enriched","detail":{"record":{}}}`),
	}
	for name, body := range bad {
		err := s.h.Handle(context.Background(), batch.Message{ID: "x", Body: body, ReceiveCount: 1})
		var fe *invalid.FieldError
		if err == nil || retryable.Is(err) || !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a permanent FieldError", name, err)
		}
	}
	if len(s.published(t)) != 0 {
		t.Error("published for a rejected event")
	}
}

func TestPacer(t *testing.T) {
	p := NewPacer(1000)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// The burst (one full response) passes at once; the next call must wait about its cost.
	if err := p.Wait(ctx, quality.MaxDatapoints); err != nil {
		t.Fatalf("first call: %v", err)
	}
	if err := p.Wait(ctx, 500); err == nil {
		t.Error("a second call right after a full burst at 1000 datapoints/s did not wait")
	}
	if p.minCost != 1000*4/suite.GetMetricDataTPS {
		t.Errorf("minimum cost %d", p.minCost)
	}
}

func TestLoadConfig(t *testing.T) {
	env := suite.DefaultSettings().Environment(suite.FunctionQuality, suite.Resources{EventBus: "bus", ArchiveBucket: "bucket"})
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EventBusName != "bus" || cfg.MaxAttempts != suite.DefaultQualityMaxAttempts || cfg.RetryDelay != suite.DefaultQualityRetryDelay || cfg.DatapointsPerSecond != suite.DefaultMetricsPerSecond {
		t.Errorf("config %+v", cfg)
	}
	for name, bad := range map[string]map[string]string{
		"no bus":         {},
		"bad attempts":   {suite.EnvEventBusName: "b", suite.EnvQualityMaxAttempts: "0"},
		"bad delay":      {suite.EnvEventBusName: "b", suite.EnvQualityRetryDelay: "soon"},
		"bad datapoints": {suite.EnvEventBusName: "b", suite.EnvMetricsPerSecond: "-1"},
	} {
		if _, err := LoadConfig(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestDegradedSessionsPattern: the rule pattern the README gives teams (suite.DegradedSessions)
// matches the quality event of a degraded session as published, and not a healthy one's.
func TestDegradedSessionsPattern(t *testing.T) {
	pattern, err := eventpattern.Compile([]byte(suite.DegradedSessions.JSON()))
	if err != nil {
		t.Fatal(err)
	}
	dip := func(track, metric string, i int) (float64, bool) {
		return 1, track == "Track1" && metric == quality.MetricIngestVideoBitrate && i >= 30 && i < 60
	}
	for name, tc := range map[string]struct {
		dip    func(track, metric string, i int) (float64, bool)
		replay string // the enriched event's replay-name
		want   bool
	}{
		"healthy":  {},
		"degraded": {dip: dip, want: true},
		// Measured again for an EventBridge replay of the suite's bus: published marked, and the
		// rule does not route it again.
		"degraded, replayed": {dip: dip, replay: "rebuild-archive"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			s.simulate(121, tc.dip)
			m := message(t, record(), 1)
			if tc.replay != "" {
				m.Body = bytes.Replace(m.Body, []byte(`{`), []byte(`{"replay-name":"`+tc.replay+`",`), 1)
			}
			if err := s.h.Handle(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			bodies := s.PublishedBodies()
			if len(bodies) != 1 {
				t.Fatalf("%d PutEvents calls, want 1", len(bodies))
			}
			var req struct {
				Entries []struct{ Source, DetailType, Detail string }
			}
			if err := json.Unmarshal(bodies[0], &req); err != nil || len(req.Entries) != 1 {
				t.Fatalf("PutEvents %s: %v", bodies[0], err)
			}
			e := req.Entries[0]
			// The event as EventBridge delivers it to a rule: the entry in the envelope.
			event, err := json.Marshal(map[string]any{"version": "0", "source": e.Source, "detail-type": e.DetailType, "detail": json.RawMessage(e.Detail)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := pattern.Match(event)
			if err != nil || got != tc.want {
				t.Errorf("suite.DegradedSessions matches the %s session's event: %v, %v; want %v", name, got, err, tc.want)
			}
			var measured session.Measured
			if err := json.Unmarshal([]byte(e.Detail), &measured); err != nil {
				t.Fatal(err)
			}
			if measured.Trigger.ReplayName != tc.replay {
				t.Errorf("published trigger replay %q, want %q", measured.Trigger.ReplayName, tc.replay)
			}
		})
	}
}
