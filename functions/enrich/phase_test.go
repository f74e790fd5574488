package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// sessionEvents returns the sample events named, pointed at the channel and stream of a
// session the local IVS holds.
func sessionEvents(t testing.TB, ch awstest.Channel, streamID string, samples ...string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range samples {
		out = append(out, retarget(t, awstest.LoadEvent(t, name), ch.ARN, streamID))
	}
	return out
}

// calls is how many GetStreamSession calls the local IVS answered.
func (s *stack) calls() int { return s.IVS.Stats()[ivstest.OpGetStreamSession].Calls }

// TestPhaseCalls: GetStreamSession at most once per phase of a session, each event delivered in
// its own batch: a live session costs two calls (one with the live phase off), a refused one.
func TestPhaseCalls(t *testing.T) {
	lifecycle := []string{"session-created", "stream-start", "starvation-start", "starvation-end", "stream-end", "session-ended"}
	tests := map[string]struct {
		ended     string // the sample that sets up the session
		events    []string
		livePhase bool
		want      map[phase]int
	}{
		"live session":            {"session-ended", lifecycle, true, map[phase]int{phaseLive: 1, phaseEnd: 1}},
		"live session, phase off": {"session-ended", lifecycle, false, map[phase]int{phaseEnd: 1}},
		"refused session": {"session-ended-multitrack-input-not-allowed",
			[]string{"session-created", "session-ended-multitrack-input-not-allowed"}, true, map[phase]int{phaseEnd: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, withConfig(func(c *Config) { c.LivePhase = tc.livePhase }))
			ch, streamID, _ := endedSession(t, s, tc.ended)
			for i, body := range sessionEvents(t, ch, streamID, tc.events...) {
				if failed := s.processSQS(t, 1, body); len(failed) != 0 {
					t.Fatalf("%s: failed %v", tc.events[i], failed)
				}
			}
			total := 0
			for _, p := range []phase{phaseLive, phaseEnd} {
				total += tc.want[p]
				if n := s.Metric(t, suite.MetricStreamSessionCalls, metrics.Dim{Name: suite.DimensionPhase, Value: string(p)}); n != float64(tc.want[p]) {
					t.Errorf("metric %s{Phase=%s} = %v, want %d", suite.MetricStreamSessionCalls, p, n, tc.want[p])
				}
			}
			if got := s.calls(); got != total {
				t.Errorf("GetStreamSession called %d times for %d events, want %d", got, len(tc.events), total)
			}
			if pub := s.publishedEvents(t); len(pub) != len(tc.events) {
				t.Errorf("published %d events, want %d (every event is published)", len(pub), len(tc.events))
			}
		})
	}
}

// TestOneCallPerBatch: the events of one session in one batch cost one call (the answer with
// the end time serves both phases), and the same event twice decides once; without the
// invocation's memo each phase event calls.
func TestOneCallPerBatch(t *testing.T) {
	for _, withMemoCtx := range []bool{true, false} {
		s := newStack(t)
		ch, streamID, _ := endedSession(t, s, "session-ended")
		msgs := awstest.SQSMessages(suite.FunctionEnrich, 1, sentAt, sessionEvents(t, ch, streamID, "stream-start", "stream-end", "session-ended", "session-ended")...)
		ctx := context.Background()
		if withMemoCtx {
			ctx = withMemo(ctx)
		}
		out, err := s.p.Process(ctx, awstest.SQSEvent(t, msgs...))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(out); bytes.Contains(b, []byte("itemIdentifier")) {
			t.Fatalf("batch failures: %s", b)
		}
		want := map[bool]int{true: 1, false: 3}[withMemoCtx]
		if got := s.calls(); got != want {
			t.Errorf("memo %v: GetStreamSession called %d times, want %d", withMemoCtx, got, want)
		}
		if withMemoCtx {
			for reason, want := range map[string]float64{"batch": 1, "repeated": 1} {
				if n := s.Metric(t, suite.MetricCallsSaved, metrics.Dim{Name: suite.DimensionReason, Value: reason}); n != want {
					t.Errorf("metric %s{Reason=%s} = %v, want %v", suite.MetricCallsSaved, reason, n, want)
				}
			}
			pub := s.publishedEvents(t)
			if d := decodeDetail(t, pub[len(pub)-1]).Decision; d.Action != multitrack.ActionNone || !strings.Contains(d.Reason, "repeated") {
				t.Errorf("the repeated Session Ended decided %+v, want none", d)
			}
			for _, body := range s.publishedEvents(t) {
				if r := decodeDetail(t, body).Record; r.Enriched && r.EndTime.IsZero() {
					t.Errorf("a record enriched without the end time the batch's answer had: %+v", r)
				}
			}
		}
	}
}

// decodeDetail decodes a published envelope's detail.
func decodeDetail(t testing.TB, body string) session.Enriched {
	t.Helper()
	var e session.Enriched
	if err := json.Unmarshal(decodeEnvelope(t, body).Detail, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// archive writes the record of a published envelope to the local archive, as the archive
// function would.
func (s *stack) archive(t testing.TB, body string) {
	t.Helper()
	r := decodeDetail(t, body).Record
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.S3Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testArchiveBucket), Key: aws.String(r.Key()), Body: bytes.NewReader(b)}); err != nil {
		t.Fatal(err)
	}
}

// TestRepeatedEventFromArchive: a redelivered event whose phase the archive already holds,
// enriched, costs an S3 read and no IVS call, and decides nothing (the refusal is corrected
// once); one whose phase is not archived yet, or archived unenriched, calls.
func TestRepeatedEventFromArchive(t *testing.T) {
	s := newStack(t, withArchive())
	ch, streamID, refusal := endedSession(t, s, "session-ended-multitrack-input-not-allowed")
	created := sessionEvents(t, ch, streamID, "session-created")[0]

	// Session Created: no call, published from the event alone, archived unenriched.
	if failed := s.processSQS(t, 1, created); len(failed) != 0 {
		t.Fatal(failed)
	}
	s.archive(t, s.publishedEvents(t)[0])
	// The first Session Ended: the archive holds the session, unenriched: one call.
	if failed := s.processSQS(t, 1, refusal); len(failed) != 0 {
		t.Fatal(failed)
	}
	first := s.publishedEvents(t)[1]
	if d := decodeDetail(t, first).Decision; d.Action != multitrack.ActionApply {
		t.Fatalf("first delivery decided %+v, want apply", d)
	}
	s.archive(t, first)
	// The redelivery: the archive holds the end phase, enriched.
	if failed := s.processSQS(t, 2, refusal); len(failed) != 0 {
		t.Fatal(failed)
	}
	if got := s.calls(); got != 1 {
		t.Errorf("GetStreamSession called %d times, want 1 (the redelivery reads the archive)", got)
	}
	if n := s.Metric(t, suite.MetricCallsSaved, metrics.Dim{Name: suite.DimensionReason, Value: "archive"}); n != 1 {
		t.Errorf("metric %s{Reason=archive} = %v, want 1", suite.MetricCallsSaved, n)
	}
	again := decodeDetail(t, s.publishedEvents(t)[2])
	if again.Decision.Action != multitrack.ActionNone || routes(t, suite.CorrectionsNeeded, again) {
		t.Errorf("the redelivery decided %+v, want none (corrected once)", again.Decision)
	}
	if again.Record.StreamID != streamID || again.Record.Code != ivsevent.CodeMultitrackInputNotAllowed {
		t.Errorf("the redelivery's record = %+v, want the event's session and code", again.Record)
	}
}

// TestArchiveKeys: the keys looked up are dated by the event's day and the days the session
// may have started on.
func TestArchiveKeys(t *testing.T) {
	ev, err := ivsevent.Parse(awstest.LoadEvent(t, "session-ended"))
	if err != nil {
		t.Fatal(err)
	}
	ev.Time = time.Date(2026, 11, 3, 0, 5, 0, 0, time.UTC)
	day := func(d int) string { return "year=2026/month=11/day=0" + string(rune('0'+d)) + "/" }
	tests := map[phase][]string{phaseLive: {day(3), day(2)}, phaseEnd: {day(3), day(2), day(1)}}
	for p, want := range tests {
		keys := archiveKeys(ev, p)
		if len(keys) != len(want) {
			t.Fatalf("%s: keys %q, want %d", p, keys, len(want))
		}
		for i, k := range keys {
			if !strings.HasPrefix(k, session.KeyPrefix+want[i]) || !strings.HasSuffix(k, "/"+ev.StreamID()+".json") {
				t.Errorf("%s: key %d = %q, want under %s", p, i, k, want[i])
			}
		}
	}
	ev.Time = time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	if keys := archiveKeys(ev, phaseLive); len(keys) != 1 {
		t.Errorf("live phase at noon: keys %q, want the event's day only", keys)
	}
}

// TestRefusalUnconfirmed: a Session Ended whose stream session exists but does not carry the
// refusal leads to an unverified decision, published, and no correction.
func TestRefusalUnconfirmed(t *testing.T) {
	s := newStack(t)
	ch := s.createChannel(t, nil)
	start := time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)
	ss := &types.StreamSession{
		StreamId: aws.String("st-1A2b3c4D5e6F78ghij9Klmn"), StartTime: aws.Time(start), EndTime: aws.Time(start.Add(time.Minute)),
		Channel: &types.Channel{Arn: aws.String(ch.ARN), Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatTs},
		TruncatedEvents: []types.StreamEvent{{Name: aws.String(ivsevent.EventSessionEnded), Type: aws.String(ivsevent.DetailTypeStreamStateChange),
			EventTime: aws.Time(start.Add(time.Minute))}}, // no code
	}
	s.h.IVS = fakeGetter(func(context.Context, *ivs.GetStreamSessionInput) (*types.StreamSession, error) { return ss, nil })
	body := retarget(t, awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed"), ch.ARN, aws.ToString(ss.StreamId))
	if failed := s.processSQS(t, 1, body); len(failed) != 0 {
		t.Fatal(failed)
	}
	got := s.onePublished(t)
	if d := got.Decision; d.Action != multitrack.ActionUnverified || !strings.Contains(d.Reason, "carry no") {
		t.Errorf("decision %+v, want unverified: the session's events carry no refusal", d)
	}
	if routes(t, suite.CorrectionsNeeded, got) {
		t.Error("an unconfirmed refusal routes to the corrector")
	}
	// The same answer carrying the code confirms it.
	ss.TruncatedEvents[0].Code = aws.String(ivsevent.CodeMultitrackInputNotAllowed)
	s2 := newStack(t)
	s2.h.IVS = s.h.IVS
	ch2 := s2.createChannel(t, nil)
	ss.Channel.Arn = aws.String(ch2.ARN)
	if failed := s2.processSQS(t, 1, retarget(t, awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed"), ch2.ARN, aws.ToString(ss.StreamId))); len(failed) != 0 {
		t.Fatal(failed)
	}
	if d := s2.onePublished(t).Decision; d.Action != multitrack.ActionApply {
		t.Errorf("confirmed refusal decided %+v, want apply", d)
	}
}

// TestTruncatedEventsRecover: the Session Ended's answer brings the session's events that were
// never delivered (here: Stream Start, Stream End) into the record.
func TestTruncatedEventsRecover(t *testing.T) {
	s := newStack(t)
	_, _, body := endedSession(t, s, "session-ended")
	if failed := s.processSQS(t, 1, body); len(failed) != 0 {
		t.Fatal(failed)
	}
	seen := map[string]bool{}
	for _, e := range s.onePublished(t).Record.Events {
		seen[e.Name] = true
	}
	for _, name := range []string{ivsevent.EventStreamStart, ivsevent.EventStreamEnd, ivsevent.EventSessionEnded} {
		if !seen[name] {
			t.Errorf("record events lack %s (from truncatedEvents): %v", name, seen)
		}
	}
}

// TestArchivedButUndecided: a refusal whose session the archive holds enriched and ended (a
// live-phase answer that came after the end) but not decided is still decided: one call.
func TestArchivedButUndecided(t *testing.T) {
	s := newStack(t, withArchive())
	ch, streamID, refusal := endedSession(t, s, "session-ended-multitrack-input-not-allowed")
	out, err := s.IVSClient().GetStreamSession(context.Background(), &ivs.GetStreamSessionInput{ChannelArn: aws.String(ch.ARN), StreamId: aws.String(streamID)})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := session.FromStreamSession(out.StreamSession, nil)
	if err != nil || rec.EndTime.IsZero() {
		t.Fatalf("record %+v, %v: want an ended one", rec, err)
	}
	b, _ := json.Marshal(rec)
	if _, err := s.S3Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testArchiveBucket), Key: aws.String(rec.Key()), Body: bytes.NewReader(b)}); err != nil {
		t.Fatal(err)
	}
	before := s.calls()
	if failed := s.processSQS(t, 1, refusal); len(failed) != 0 {
		t.Fatal(failed)
	}
	if got := s.calls() - before; got != 1 {
		t.Errorf("GetStreamSession called %d times, want 1 (the refusal is not decided yet)", got)
	}
	if d := s.onePublished(t).Decision; d.Action != multitrack.ActionApply {
		t.Errorf("decided %+v, want apply", d)
	}
}

// TestLateGoLiveKeepsTheSession reproduces the burst of issue 26: the go-live call, late behind
// the pacer, already sees the session ended, and its record (start, tracks, end) is archived;
// the Session Ended is then served from the archive. What it publishes must carry everything
// the archive knows (start, tracks, end, enriched), so the quality function measures the
// session's real window, and it must route to the quality function.
func TestLateGoLiveKeepsTheSession(t *testing.T) {
	s := newStack(t, withArchive())
	ch, streamID, ended := endedSession(t, s, "session-ended")
	start := sessionEvents(t, ch, streamID, "stream-start")[0]
	if failed := s.processSQS(t, 1, start); len(failed) != 0 {
		t.Fatal(failed)
	}
	late := decodeDetail(t, s.publishedEvents(t)[0]).Record
	if !late.Enriched || late.EndTime.IsZero() || late.VideoTrackCount == 0 {
		t.Fatalf("the late go-live call published %+v, want the ended session enriched", late)
	}
	s.archive(t, s.publishedEvents(t)[0])
	if failed := s.processSQS(t, 1, ended); len(failed) != 0 {
		t.Fatal(failed)
	}
	if got := s.calls(); got != 1 {
		t.Errorf("GetStreamSession called %d times, want 1 (the end phase is archived)", got)
	}
	e := decodeDetail(t, s.publishedEvents(t)[1])
	r := e.Record
	if !r.Enriched || r.StartTime.IsZero() || !r.StartTime.Equal(late.StartTime) || !r.EndTime.Equal(late.EndTime) ||
		r.VideoTrackCount != late.VideoTrackCount || r.Outcome != session.OutcomeEnded {
		t.Errorf("the Session Ended published %+v; want what the archive knows: enriched, start %v, end %v, %d video tracks",
			r, late.StartTime, late.EndTime, late.VideoTrackCount)
	}
	if !routes(t, suite.EndedSessions, e) {
		t.Error("the Session Ended does not route to the quality function")
	}
}

// TestGoLiveGivesWay: under a backlog the go-live call is the one given up, and the Stream
// Start is published from the event alone (counted as StreamSessionCallsSaved{Reason=backlog}):
// when its message waited in the queue longer than suite.LivePhaseMaxLag, and when its turn
// at the pacer is further off than suite.LivePhaseMaxWait. The end phase still calls.
func TestGoLiveGivesWay(t *testing.T) {
	t.Run("waited in the queue", func(t *testing.T) {
		s := newStack(t)
		ch, streamID, ended := endedSession(t, s, "session-ended")
		s.h.Now = func() time.Time { return sentAt.Add(suite.LivePhaseMaxLag + time.Second) }
		if failed := s.processSQS(t, 1, sessionEvents(t, ch, streamID, "stream-start")[0], ended); len(failed) != 0 {
			t.Fatal(failed)
		}
		checkGaveWay(t, s)
	})
	t.Run("behind the pacer", func(t *testing.T) {
		p := ivsquota.NewPacer(0.01) // a turn every 100 s
		s := newStack(t, withPacer(p, 1))
		ch, streamID, ended := endedSession(t, s, "session-ended")
		// The end-phase call takes the turn; the go-live call, next, would wait 100 s.
		for _, body := range [][]byte{ended, sessionEvents(t, ch, streamID, "stream-start")[0]} {
			if failed := s.processSQS(t, 1, body); len(failed) != 0 {
				t.Fatal(failed)
			}
		}
		checkGaveWay(t, s)
	})
}

func checkGaveWay(t *testing.T, s *stack) {
	t.Helper()
	if got := s.calls(); got != 1 {
		t.Errorf("GetStreamSession called %d times, want 1 (the end phase)", got)
	}
	if n := s.Metric(t, suite.MetricCallsSaved, metrics.Dim{Name: suite.DimensionReason, Value: savedBacklog}); n != 1 {
		t.Errorf("metric %s{Reason=%s} = %v, want 1", suite.MetricCallsSaved, savedBacklog, n)
	}
	var goLive, end session.Enriched
	for _, body := range s.publishedEvents(t) {
		switch e := decodeDetail(t, body); e.Trigger.Name {
		case ivsevent.EventStreamStart:
			goLive = e
		case ivsevent.EventSessionEnded:
			end = e
		}
	}
	if goLive.Record.Enriched || goLive.Record.StreamID == "" {
		t.Errorf("the Stream Start published %+v, want it from the event alone", goLive.Record)
	}
	if !end.Record.Enriched || end.Record.VideoTrackCount == 0 || end.Record.StartTime.IsZero() {
		t.Errorf("the Session Ended published %+v, want it enriched with its start and tracks", end.Record)
	}
}

// TestUnconfirmedClaimRedelivered: a refusal IVS does not confirm is archived as a claim, marked
// (issue 22, item 3): the record keeps no code. Its redelivery, served from the archive without
// a call, publishes the claim marked again, so the record never turns refused.
func TestUnconfirmedClaimRedelivered(t *testing.T) {
	s := newStack(t, withArchive())
	ch := s.createChannel(t, nil)
	start := time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)
	ss := &types.StreamSession{
		StreamId: aws.String("st-1A2b3c4D5e6F78ghij9Klmn"), StartTime: aws.Time(start), EndTime: aws.Time(start.Add(time.Minute)),
		Channel: &types.Channel{Arn: aws.String(ch.ARN), Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatTs},
		TruncatedEvents: []types.StreamEvent{{Name: aws.String(ivsevent.EventSessionEnded), Type: aws.String(ivsevent.DetailTypeStreamStateChange),
			EventTime: aws.Time(start.Add(time.Minute))}}, // no code
	}
	calls := 0
	s.h.IVS = fakeGetter(func(context.Context, *ivs.GetStreamSessionInput) (*types.StreamSession, error) {
		calls++
		return ss, nil
	})
	body := retarget(t, awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed"), ch.ARN, aws.ToString(ss.StreamId))
	claimed := func(r session.Record) bool {
		return slices.ContainsFunc(r.Events, func(e session.Event) bool {
			return e.Code == ivsevent.CodeMultitrackInputNotAllowed && strings.Contains(e.Unconfirmed, "carry no")
		})
	}
	if failed := s.processSQS(t, 1, body); len(failed) != 0 {
		t.Fatal(failed)
	}
	first := s.publishedEvents(t)[0]
	if r := decodeDetail(t, first).Record; r.Code != "" || r.Outcome != session.OutcomeEnded || !claimed(r) {
		t.Errorf("first delivery: record code %q, outcome %s, events %+v; want no code, ended, the claim marked", r.Code, r.Outcome, r.Events)
	}
	s.archive(t, first)
	if failed := s.processSQS(t, 2, body); len(failed) != 0 {
		t.Fatal(failed)
	}
	if calls != 1 {
		t.Errorf("GetStreamSession called %d times, want 1 (the redelivery reads the archive)", calls)
	}
	again := decodeDetail(t, s.publishedEvents(t)[1])
	if r := again.Record; r.Code != "" || r.Outcome != session.OutcomeEnded || !claimed(r) {
		t.Errorf("redelivery: record code %q, outcome %s, events %+v; want no code, ended, the claim marked", r.Code, r.Outcome, r.Events)
	}
	if routes(t, suite.CorrectionsNeeded, again) {
		t.Error("the redelivered claim routes to the corrector")
	}
}
