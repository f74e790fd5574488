package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/liveindex"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const (
	testBus    = "ivs-sessions-test"
	testBucket = "ivs-sessions-archive-test"
)

// queues are the suite's queues, each acknowledging what it receives (the test reads what was
// published from the PutEvents requests).
func queues() []localbus.QueueConfig {
	var out []localbus.QueueConfig
	for _, fn := range suite.Functions {
		out = append(out, localbus.QueueConfig{Name: fn, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}})
	}
	return out
}

type world struct {
	*awstest.Stack
	clock *ivstest.FakeClock
	sw    *Sweeper
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: ivstest.NewFakeClock(time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC))}
	w.Stack = awstest.New(t, awstest.Options{
		IVS:    &ivstest.Options{Clock: w.clock},
		Bus:    &localbus.Config{Rules: localbus.SuiteRules(testBus), Queues: queues()},
		Bucket: testBucket,
	})
	w.sw = &Sweeper{IVS: w.IVSClient(), S3: w.S3Client(), Bus: w.EventBridgeClient(), Bucket: testBucket, BusName: testBus, Account: awstest.Account, Region: awstest.Region,
		Correction: multitrack.Config{Mode: multitrack.ModeApply, AllowContainerFormatChange: true, OptOutTag: suite.DefaultOptOutTag},
		Log:        w.Log, Metrics: w.Metrics, Now: w.clock.Now}
	return w
}

// session starts a session on a new channel (create nil: a TS channel without multitrack) with
// tracks video tracks, at the clock's time; it ends it a minute later when end is set.
func (w *world) session(t *testing.T, tracks int, end bool) (awstest.Channel, ivstest.Result) {
	t.Helper()
	ch := w.CreateChannel(t, nil)
	res, err := w.IVS.Connect(context.Background(), ivstest.OBS(ch.StreamKey, tracks))
	if err != nil {
		t.Fatal(err)
	}
	if end && res.Live {
		w.clock.Advance(time.Minute)
		if err := w.IVS.Disconnect(context.Background(), ch.ARN); err != nil {
			t.Fatal(err)
		}
	}
	return ch, res
}

// published returns the records and decisions published so far.
func (w *world) published(t *testing.T) []session.Enriched {
	t.Helper()
	var out []session.Enriched
	for _, body := range w.PublishedBodies() {
		var req struct{ Entries []struct{ Detail string } }
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		for _, e := range req.Entries {
			var en session.Enriched
			if err := json.Unmarshal([]byte(e.Detail), &en); err != nil {
				t.Fatal(err)
			}
			out = append(out, en)
		}
	}
	return out
}

// archive writes a record as the archive function would (merged with what is there, the live
// index kept as session.LiveIndexChange says); sessionEnded says it came with its session's
// Session Ended.
func (w *world) archive(t *testing.T, r session.Record, sessionEnded bool) {
	t.Helper()
	ctx := context.Background()
	key := r.Key()
	old, found, _ := w.sw.record(ctx, key)
	if found {
		r = session.Merge(old, r)
	}
	mark, clear := session.LiveIndexChange(old, found, r, sessionEnded)
	if mark {
		if err := liveindex.Mark(ctx, w.S3Client(), testBucket, key); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(r)
	if _, err := w.S3Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
		t.Fatal(err)
	}
	if clear {
		if err := liveindex.Clear(ctx, w.S3Client(), testBucket, key); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *world) calls(op string) int { return w.IVS.Stats()[op].Calls }

// TestLive: a record left live whose stream IVS no longer lists is fetched once and published
// ended; a stream still live is left alone; with nothing live, no IVS call is made.
func TestLive(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ended, endedRes := w.session(t, 1, true)
	_, liveRes := w.session(t, 1, false)
	for _, r := range []struct {
		ch  awstest.Channel
		res ivstest.Result
	}{{ended, endedRes}, {awstest.Channel{ARN: liveRes.ChannelARN}, liveRes}} {
		arn, _ := ivsevent.ParseChannelARN(r.res.ChannelARN)
		w.archive(t, session.Record{ChannelARN: arn.String(), ChannelID: arn.ID, StreamID: r.res.StreamID, StartTime: w.clock.Now().Add(-time.Minute), Outcome: session.OutcomeLive}, false)
	}
	rep, err := w.sw.Live(ctx)
	if err != nil || !rep.Done || rep.Published != 1 || rep.Checked != 2 {
		t.Fatalf("Live = %+v, %v; want 2 checked, 1 published, done", rep, err)
	}
	pub := w.published(t)
	if len(pub) != 1 || pub[0].Record.StreamID != endedRes.StreamID || pub[0].Record.Outcome != session.OutcomeEnded ||
		!pub[0].Record.Enriched || pub[0].Record.VideoTrackCount != 1 || pub[0].Trigger.Name != ivsevent.EventSessionEnded {
		t.Fatalf("published %+v, want the ended session, enriched with its track, triggered by Session Ended", pub)
	}
	if got := w.calls(ivstest.OpGetStreamSession); got != 1 {
		t.Errorf("GetStreamSession called %d times, want 1", got)
	}
	// The archive merges it; the live one stays; a rerun fetches nothing new.
	w.archive(t, pub[0].Record, true)
	if rep, err := w.sw.Live(ctx); err != nil || rep.Published != 0 {
		t.Errorf("rerun: Live = %+v, %v; want nothing published", rep, err)
	}
	if got := w.calls(ivstest.OpGetStreamSession); got != 1 {
		t.Errorf("rerun: GetStreamSession called %d times in all, want 1", got)
	}
}

// TestLiveNothingLive: no live record, no IVS call.
func TestLiveNothingLive(t *testing.T) {
	w := newWorld(t)
	if rep, err := w.sw.Live(context.Background()); err != nil || !rep.Done {
		t.Fatalf("Live = %+v, %v", rep, err)
	}
	for op, st := range w.IVS.Stats() {
		if st.Calls > 0 {
			t.Errorf("%s called %d times with nothing live", op, st.Calls)
		}
	}
}

// TestWindow: the sessions that ended in the window and that the archive lacks (a lost one, a
// refused one) are published, the refusal decided (and confirmed by IVS); an archived,
// finished one is not fetched; a rerun publishes nothing and keeps the watermark.
func TestWindow(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	from := w.clock.Now()
	_, lost := w.session(t, 1, true)
	_, refused := w.session(t, 3, false) // a TS channel without multitrack: MultitrackInputNotAllowed
	if refused.Code != ivsevent.CodeMultitrackInputNotAllowed {
		t.Fatalf("the local IVS answered %+v, want a refusal", refused)
	}
	_, archived := w.session(t, 1, true)
	out, err := w.IVSClient().GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(archived.ChannelARN), StreamId: aws.String(archived.StreamID)})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := session.FromStreamSession(out.StreamSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.archive(t, rec, true)
	before := w.calls(ivstest.OpGetStreamSession)
	w.clock.Advance(time.Hour)

	var progress []Progress
	w.sw.Progress = func(p Progress) { progress = append(progress, p) }
	rep, err := w.sw.Window(ctx, KindBackfill, from, w.clock.Now())
	if err != nil || !rep.Done || rep.Published != 2 || rep.Checked != 3 {
		t.Fatalf("Window = %+v, %v; want 3 checked, 2 published, done", rep, err)
	}
	if got := w.calls(ivstest.OpGetStreamSession) - before; got != 2 {
		t.Errorf("GetStreamSession called %d times, want 2 (the archived session is not fetched)", got)
	}
	byStream := map[string]session.Enriched{}
	for _, e := range w.published(t) {
		byStream[e.Record.StreamID] = e
	}
	if e := byStream[refused.StreamID]; e.Record.Outcome != session.OutcomeRefused || e.Decision.Action != multitrack.ActionApply {
		t.Errorf("refused session published %+v / %+v, want refused and apply", e.Record, e.Decision)
	}
	if e := byStream[lost.StreamID]; e.Record.Outcome != session.OutcomeEnded || !e.Record.Enriched {
		t.Errorf("lost session published %+v, want ended, enriched", e.Record)
	}
	if last := progress[len(progress)-1]; last.Stage != "fetching" || last.Done != 2 || last.Total != 2 {
		t.Errorf("last progress %+v, want fetching 2 of 2", last)
	}
	// Archived now: a rerun of the same window publishes nothing.
	for _, e := range w.published(t) {
		w.archive(t, e.Record, true)
	}
	rep, err = w.sw.Window(ctx, KindBackfill, from, w.clock.Now())
	if err != nil || rep.Published != 0 || !rep.Done {
		t.Errorf("rerun: Window = %+v, %v; want nothing published", rep, err)
	}
	// The daily sweep starts at its watermark: a second daily run covers only what is new.
	if _, err := w.sw.Window(ctx, KindDaily, from, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	var st state
	key, _ := w.sw.stateKey(string(KindDaily))
	err = w.sw.loadState(ctx, key, &st)
	if err != nil || st.Run != nil || !st.Watermark.Equal(w.clock.Now()) {
		t.Errorf("daily state %+v, %v; want the watermark at the window's end and no run", st, err)
	}
}

// TestWindowResumes: a run cut short by its deadline saves its progress; the next call
// resumes it and every session is published once.
func TestWindowResumes(t *testing.T) {
	w := newWorld(t)
	from := w.clock.Now()
	for range 3 {
		w.session(t, 1, true)
	}
	w.clock.Advance(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	w.sw.Reserve = 2 * time.Hour // late at once: nothing done, the state saved
	rep, err := w.sw.Window(ctx, KindBackfill, from, w.clock.Now())
	if err != nil || rep.Done {
		t.Fatalf("Window = %+v, %v; want cut short", rep, err)
	}
	if ok, err := w.sw.Unfinished(ctx, KindBackfill); !ok || err != nil {
		t.Fatalf("Unfinished = %v, %v", ok, err)
	}
	w.sw.Reserve = time.Second
	rep, err = w.sw.Window(ctx, KindBackfill, time.Time{}, w.clock.Now())
	if err != nil || !rep.Done || rep.Published != 3 {
		t.Fatalf("resumed Window = %+v, %v; want the 3 sessions", rep, err)
	}
	if got := len(w.published(t)); got != 3 {
		t.Errorf("published %d, want 3", got)
	}
}

// TestEndedEvent: the event is the session's own Session Ended, with its code, and its ID is
// the same on every call.
func TestEndedEvent(t *testing.T) {
	end := time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)
	ss := &types.StreamSession{StreamId: aws.String("st-1A2b3c4D5e6F78ghij9Klmn"), EndTime: aws.Time(end),
		Channel:         &types.Channel{Arn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"), Name: aws.String("a")},
		TruncatedEvents: []types.StreamEvent{{Name: aws.String(ivsevent.EventSessionEnded), Code: aws.String(ivsevent.CodeMultitrackInputRequired), EventTime: aws.Time(end.Add(time.Second))}}}
	a, err := EndedEvent(ss)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EndedEvent(ss)
	if a.ID != b.ID || a.Code() != ivsevent.CodeMultitrackInputRequired || !a.Time.Equal(end.Add(time.Second)) || a.Name() != ivsevent.EventSessionEnded {
		t.Errorf("EndedEvent = %+v (id %s, again %s)", a, a.ID, b.ID)
	}
	if id, err := uuid.Parse(a.ID); err != nil || id.Version() != 5 {
		t.Errorf("ID %s (%v): want a name-based (version 5) UUID", a.ID, err)
	}
	other := *ss
	other.StreamId = aws.String("st-9Z8y7X6w5V4u3T2s1R0qPon")
	if c, _ := EndedEvent(&other); c.ID == a.ID {
		t.Errorf("two stream sessions share the ID %s", a.ID)
	}
}

// TestPublishRefused: a swept session EventBridge refuses is sent again as the suite's
// PutEvents policy says (putevents: a retryable code, Attempts times in all) and then fails the
// run, naming the session; nothing is counted as published.
func TestPublishRefused(t *testing.T) {
	w := newWorld(t)
	_, res := w.session(t, 2, true)
	out, err := w.IVSClient().GetStreamSession(context.Background(), &ivs.GetStreamSessionInput{ChannelArn: aws.String(res.ChannelARN), StreamId: aws.String(res.StreamID)})
	if err != nil {
		t.Fatal(err)
	}
	bus := &refusingBus{}
	w.sw.Bus = bus
	err = w.sw.Publish(context.Background(), out.StreamSession)
	if err == nil || !strings.Contains(err.Error(), res.StreamID) || !strings.Contains(err.Error(), "InternalFailure") {
		t.Errorf("Publish = %v, want the refusal, naming the session", err)
	}
	if bus.calls != putevents.Attempts {
		t.Errorf("%d PutEvents calls, want %d", bus.calls, putevents.Attempts)
	}
}

// refusingBus refuses every entry with InternalFailure, a code EventBridge documents as
// retryable.
type refusingBus struct{ calls int }

func (b *refusingBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.calls++
	out := &eventbridge.PutEventsOutput{FailedEntryCount: int32(len(in.Entries))}
	for range in.Entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again")})
	}
	return out, nil
}

// indexKeys lists the live index's keys of every account and region.
func (w *world) indexKeys(t *testing.T) []string {
	t.Helper()
	out, err := w.S3Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String(session.LiveKeyPrefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// TestLiveEndedAndStaleEntries: a session whose record says ended but whose Session Ended
// never reached the archive (its go-live event enriched after the end, its Session Ended lost)
// keeps its entry and is published ended, so quality measures it; the archive's merge of that
// Session Ended deletes the entry. An entry with no record whose session IVS does not show is
// deleted; an entry of another account's or region's index is neither listed nor touched.
func TestLiveEndedAndStaleEntries(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ch, res := w.session(t, 1, true)
	arn, _ := ivsevent.ParseChannelARN(res.ChannelARN)
	rec := session.Record{ChannelARN: arn.String(), ChannelID: arn.ID, StreamID: res.StreamID, StartTime: w.clock.Now().Add(-time.Minute), EndTime: w.clock.Now(), Outcome: session.OutcomeEnded, Enriched: true}
	w.archive(t, rec, false)
	ghost := session.Record{ChannelARN: ch.ARN, ChannelID: arn.ID, StreamID: "st-00000000000000000000000", StartTime: rec.StartTime}
	if err := liveindex.Mark(ctx, w.S3Client(), testBucket, ghost.Key()); err != nil {
		t.Fatal(err)
	}
	other := rec
	other.ChannelARN = ivsevent.ChannelARN{Account: arn.Account, Region: "eu-west-1", ID: arn.ID}.String()
	other.Region = "eu-west-1"
	if err := liveindex.Mark(ctx, w.S3Client(), testBucket, other.Key()); err != nil {
		t.Fatal(err)
	}
	rep, err := w.sw.Live(ctx)
	if err != nil || !rep.Done || rep.Healed != 1 || rep.Published != 1 || rep.Checked != 2 {
		t.Fatalf("Live = %+v, %v; want 2 checked, 1 published, 1 healed", rep, err)
	}
	pub := w.published(t)
	if len(pub) != 1 || pub[0].Record.StreamID != res.StreamID || pub[0].Trigger.Name != ivsevent.EventSessionEnded || pub[0].Record.Outcome != session.OutcomeEnded {
		t.Fatalf("published %+v, want the ended session's Session Ended", pub)
	}
	if got := w.calls(ivstest.OpGetStreamSession); got != 2 {
		t.Errorf("GetStreamSession called %d times, want 2 (each entry of this region)", got)
	}
	w.archive(t, pub[0].Record, true)
	otherKey, _ := session.LiveKeyOf(other.Key())
	if keys := w.indexKeys(t); len(keys) != 1 || keys[0] != otherKey {
		t.Errorf("index %v, want only the other region's entry %s", keys, otherKey)
	}
}

// TestLiveResumes: a run that reaches its budget stops, counts what it left as the backlog
// (metric LiveSweepBacklog) and saves where it stopped; the next run starts there.
func TestLiveResumes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var streams []string
	for range 2 {
		_, res := w.session(t, 1, true)
		arn, _ := ivsevent.ParseChannelARN(res.ChannelARN)
		w.archive(t, session.Record{ChannelARN: arn.String(), ChannelID: arn.ID, StreamID: res.StreamID, StartTime: w.clock.Now().Add(-time.Minute), Outcome: session.OutcomeLive}, false)
		streams = append(streams, res.StreamID)
	}
	// Every reading of the clock is a minute later: the budget allows one session.
	w.sw.Now = func() time.Time { w.clock.Advance(time.Minute); return w.clock.Now() }
	w.sw.LiveBudget = 90 * time.Second
	rep, err := w.sw.Live(ctx)
	if err != nil || rep.Done || rep.Published != 1 || rep.Backlog != 1 {
		t.Fatalf("Live = %+v, %v; want 1 published, 1 left, not done", rep, err)
	}
	if n := w.Metric(t, suite.MetricLiveSweepBacklog); n != 1 {
		t.Errorf("metric %s = %v, want 1", suite.MetricLiveSweepBacklog, n)
	}
	first := w.published(t)[0].Record.StreamID
	w.sw.Now, w.sw.LiveBudget = w.clock.Now, 0
	rep, err = w.sw.Live(ctx)
	if err != nil || !rep.Done || rep.Published != 1 || rep.Backlog != 0 {
		t.Fatalf("resumed Live = %+v, %v; want the other session published, done", rep, err)
	}
	pub := w.published(t)
	if len(pub) != 2 || pub[1].Record.StreamID == first {
		t.Fatalf("published %d, the second %s: want the session the first run left", len(pub), pub[len(pub)-1].Record.StreamID)
	}
	got := []string{pub[0].Record.StreamID, pub[1].Record.StreamID}
	slices.Sort(got)
	slices.Sort(streams)
	if !slices.Equal(got, streams) {
		t.Errorf("published %v, want each of %v once", got, streams)
	}
	var st liveState
	key, _ := w.sw.stateKey("live")
	if err := w.sw.loadState(ctx, key, &st); err != nil || st.After != "" {
		t.Errorf("state after the resumed run %+v, %v; want it cleared", st, err)
	}
}

// TestWindowPages: a window works one page of channels at a time; cut short, its saved state
// holds that page alone; resumed, it publishes every lost session once.
func TestWindowPages(t *testing.T) {
	defer func(n int32) { channelPage = n }(channelPage)
	channelPage = 2
	w := newWorld(t)
	from := w.clock.Now()
	for range 5 {
		w.session(t, 1, true)
	}
	w.clock.Advance(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	w.sw.Progress = func(Progress) {
		if steps++; steps == 4 { // the first page done: its two channels listed, its two sessions fetched
			cancel()
		}
	}
	rep, err := w.sw.Window(ctx, KindBackfill, from, w.clock.Now())
	if err != nil || rep.Done {
		t.Fatalf("Window = %+v, %v; want cut short", rep, err)
	}
	var st state
	key, _ := w.sw.stateKey(string(KindBackfill))
	if err := w.sw.loadState(context.Background(), key, &st); err != nil || st.Run == nil {
		t.Fatalf("state %+v, %v", st, err)
	}
	if len(st.Run.Channels) > 2 || st.Run.Done != 2 || st.Run.PageToken == "" {
		t.Errorf("saved run %+v: want the second page alone, 2 channels done", st.Run)
	}
	w.sw.Progress = nil
	rep, err = w.sw.Window(context.Background(), KindBackfill, time.Time{}, w.clock.Now())
	if err != nil || !rep.Done {
		t.Fatalf("resumed Window = %+v, %v", rep, err)
	}
	seen := map[string]int{}
	for _, e := range w.published(t) {
		seen[e.Record.StreamID]++
	}
	if len(seen) != 5 {
		t.Errorf("published %d sessions, want 5", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("session %s published %d times", id, n)
		}
	}
	if got := w.calls(ivstest.OpListChannels); got != 3 {
		t.Errorf("ListChannels called %d times, want 3 (pages of 2, 2 and 1)", got)
	}
}
