package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// sessionSamples are the sample events of one session, in the order IVS emits them.
var sessionSamples = []string{
	"session-created", "recording-start", "stream-start", "limit-breach-ingest-bitrate",
	"starvation-start", "starvation-end", "stream-end", "session-ended", "recording-end",
}

// sessionMessages returns the enriched events of the sample session: one not enriched per
// sample event (GetStreamSession did not show the session), and one enriched.
func sessionMessages(t testing.TB) ([][]byte, []session.Record) {
	t.Helper()
	var bodies [][]byte
	var recs []session.Record
	for _, name := range sessionSamples {
		rec, tr := sampleRecord(t, name)
		bodies = append(bodies, enrichedOf(t, rec, tr))
		recs = append(recs, rec)
	}
	rec, tr := enrichedRecord(t)
	bodies = append(bodies, enrichedOf(t, rec, tr))
	recs = append(recs, rec)
	return bodies, recs
}

// TestAnyOrder archives the records of one session in several orders, with duplicates and the
// end arriving last, and checks that every order ends in the same complete record.
func TestAnyOrder(t *testing.T) {
	bodies, recs := sessionMessages(t)
	var want session.Record
	for _, r := range recs {
		want = session.Merge(want, r)
	}
	reversed := slices.Clone(bodies)
	slices.Reverse(reversed)
	shuffled := slices.Clone(bodies)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var duplicated [][]byte
	for _, b := range bodies {
		duplicated = append(duplicated, b, b)
	}
	lateEnd := append(slices.Clone(bodies[len(bodies)-1:]), bodies[:len(bodies)-1]...) // enriched first, ends last
	orders := map[string][][]byte{
		"in order": bodies, "reversed": reversed, "shuffled": shuffled, "duplicated": duplicated, "late end": lateEnd,
	}
	var finals []string
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			for i, b := range order {
				if err := s.deliver(t, b); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			if keys := s.records(t); len(keys) != 1 || keys[0] != sessionKey {
				t.Fatalf("objects %v, want the one record %s", keys, sessionKey)
			}
			got := s.record(t, sessionKey)
			if g, w := withoutUpdatedAt(t, got), withoutUpdatedAt(t, want); g != w {
				t.Errorf("archived record differs from the merge of all records:\n got %s\nwant %s", g, w)
			}
			if got.Outcome != session.OutcomeEnded || !got.Enriched || got.Recording == nil || got.Recording.Status != ivsevent.RecordingEnd ||
				len(got.LimitBreaches) != 1 || !got.Multitrack || got.EnrichmentNote != "" {
				t.Errorf("record is not complete: outcome %s enriched %v recording %+v breaches %d multitrack %v note %q",
					got.Outcome, got.Enriched, got.Recording, len(got.LimitBreaches), got.Multitrack, got.EnrichmentNote)
			}
			if got.UpdatedAt.IsZero() {
				t.Error("updatedAt is not set")
			}
			puts, _ := s.faults.counts()
			if puts > len(bodies) {
				t.Errorf("%d writes for %d distinct records: duplicates must not write", puts, len(bodies))
			}
			if n := s.Metric(t, suite.MetricSessions); n != 1 {
				t.Errorf("metric %s = %v, want 1", suite.MetricSessions, n)
			}
			if n := s.Metric(t, suite.MetricMultitrack); n != 1 {
				t.Errorf("metric %s = %v, want 1", suite.MetricMultitrack, n)
			}
			if ct := s.contentType(t, sessionKey); ct != s3doc.ContentType {
				t.Errorf("content type %q, want %q", ct, s3doc.ContentType)
			}
			if n := s.Metric(t, suite.MetricArchiveWrites); n != float64(puts) {
				t.Errorf("metric %s = %v, want %d (the writes made)", suite.MetricArchiveWrites, n, puts)
			}
			s.Secrets.Check(t, map[string]string{"archive": string(s.object(t, sessionKey)), "logs": s.Logs.String()})
			finals = append(finals, withoutUpdatedAt(t, got))
			if name == "in order" {
				var buf bytes.Buffer
				_ = json.Indent(&buf, s.object(t, sessionKey), "", "  ")
				buf.WriteByte('\n')
				golden.Check(t, filepath.Join("testdata", "session.golden.json"), buf.Bytes())
			}
		})
	}
	for i := 1; i < len(finals); i++ {
		if finals[i] != finals[0] {
			t.Errorf("orders ended in different records")
		}
	}
}

// TestRedeliveryWritesNothing checks that a record merged again changes nothing in S3.
func TestRedeliveryWritesNothing(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	body := enrichedOf(t, rec, tr)
	for i := range 3 {
		if err := s.handle(t, body); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if puts, _ := s.faults.counts(); puts != 1 {
		t.Errorf("%d writes for one record delivered 3 times, want 1", puts)
	}
	if n := strings.Count(s.Logs.String(), "record unchanged"); n != 2 {
		t.Errorf("logged %d unchanged records, want 2", n)
	}
}

// TestConcurrentWriters merges different events into one key from many goroutines at once,
// retrying transient failures as SQS redelivers them, and checks that no update is lost.
func TestConcurrentWriters(t *testing.T) {
	s := newStack(t)
	const writers = 12
	base := time.Date(2026, 11, 3, 18, 20, 0, 0, time.UTC)
	sample, tr := sampleRecord(t, "starvation-start")
	var bodies [][]byte
	for i := range writers {
		rec := sample
		rec.Events = []session.Event{{Time: base.Add(time.Duration(i) * time.Second), DetailType: ivsevent.DetailTypeStreamHealthChange, Name: ivsevent.EventStarvationStart}}
		tr.EventID = fmt.Sprintf("starvation-%d", i)
		bodies = append(bodies, enrichedOf(t, rec, tr))
	}
	// The first conditional write is held in progress until another writer has met it (S3
	// answers 409 ConditionalRequestConflict): a conflict is sure to happen, not left to timing.
	var hold sync.Once
	var held atomic.Bool
	s.S3.SetConditionalWriteHook(func(string, string) {
		hold.Do(func() {
			held.Store(true)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				if _, conflicts := s.faults.counts(); conflicts > 0 {
					return
				}
			}
		})
	})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for _, b := range bodies {
		wg.Go(func() {
			for delivery := 1; delivery <= 20; delivery++ {
				err := s.handleN(t, b, delivery)
				if err == nil {
					return
				}
				if !retryable.Is(err) {
					errs <- err
					return
				}
			}
			errs <- errors.New("still failing after 20 deliveries")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := s.record(t, sessionKey)
	if len(got.Events) != writers {
		t.Errorf("record has %d events, want the %d merged concurrently: %+v", len(got.Events), writers, got.Events)
	}
	_, conflicts := s.faults.counts()
	if !held.Load() || conflicts == 0 {
		t.Errorf("held a write: %v; %d conditional writes lost: the test met no conflict", held.Load(), conflicts)
	}
	t.Logf("%d writers, %d conditional writes lost and retried", writers, conflicts)
}

// TestCorrections checks that a correction is archived beside the sessions, once, and merged
// into its session's record.
func TestCorrections(t *testing.T) {
	applied := session.Correction{
		Decision: multitrack.Decision{Action: multitrack.ActionApply, Reason: "enable multitrack", Code: ivsevent.CodeMultitrackInputNotAllowed,
			Change: &multitrack.Change{ContainerFormat: types.ContainerFormatFragmentedMP4,
				Multitrack: &multitrack.MultitrackInput{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionHd}}},
		Outcome: session.CorrectionApplied,
		At:      time.Date(2026, 11, 3, 19, 5, 0, 0, time.UTC),
	}
	trigger := session.Trigger{EventID: "29be5d21-2981-4b38-a4c2-771116e58928", DetailType: ivsevent.DetailTypeStreamStateChange,
		Name: ivsevent.EventSessionEnded, Code: ivsevent.CodeMultitrackInputNotAllowed, Time: time.Date(2026, 11, 3, 17, 40, 3, 0, time.UTC)}
	corrected := session.Corrected{ChannelARN: sampleARN, StreamID: sampleStrm, SessionKey: sessionKey, Correction: applied,
		Before: &session.Channel{Name: "studio-a", ContainerFormat: "TS"}, After: &session.Channel{Name: "studio-a", ContainerFormat: "FRAGMENTED_MP4"}, Trigger: trigger}
	correctionKey := "corrections/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=" + sampleID + "/" + sampleStrm + "-applied-1793732700000.json"

	t.Run("beside an archived session", func(t *testing.T) {
		s := newStack(t)
		rec, tr := enrichedRecord(t)
		if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
			t.Fatal(err)
		}
		body := envelopeOf(t, "corr-1", suite.DetailTypeChannelCorrected, []string{sampleARN}, corrected)
		if err := s.handle(t, body); err != nil {
			t.Fatal(err)
		}
		if c := corrected.Key(); c != correctionKey {
			t.Fatalf("Corrected.Key() = %s, want %s", c, correctionKey)
		}
		var got session.Corrected
		if err := json.Unmarshal(s.object(t, correctionKey), &got); err != nil {
			t.Fatalf("correction object: %v", err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, corrected); g != w {
			t.Errorf("correction object = %s, want %s", g, w)
		}
		r := s.record(t, sessionKey)
		if r.Correction == nil || r.Correction.Outcome != session.CorrectionApplied || !r.Enriched || r.VideoTrackCount != 2 {
			t.Errorf("session record correction %+v (enriched %v, %d tracks), want the applied correction merged into the enriched record", r.Correction, r.Enriched, r.VideoTrackCount)
		}
		putsBefore, _ := s.faults.counts()
		if err := s.handle(t, body); err != nil {
			t.Fatal(err)
		}
		if puts, _ := s.faults.counts(); puts != putsBefore+1 {
			t.Errorf("a duplicate correction made %d writes, want 1 (refused by If-None-Match) and no session write", puts-putsBefore)
		}
		if keys := s.records(t); len(keys) != 3 {
			t.Errorf("objects %v, want the session, the correction and the channel's applied corrections", keys)
		}
		arn, err := ivsevent.ParseChannelARN(sampleARN)
		if err != nil {
			t.Fatal(err)
		}
		linkKey, err := session.LinkKey(arn)
		if err != nil {
			t.Fatal(err)
		}
		var applied session.AppliedCorrections
		if err := json.Unmarshal(s.object(t, linkKey), &applied); err != nil || !slices.Equal(applied.Keys, []string{correctionKey}) {
			t.Errorf("the channel's applied corrections %v (%v), want [%s]", applied.Keys, err, correctionKey)
		}
	})
	t.Run("written after a 409, when the other conditional write fails", func(t *testing.T) {
		// S3 answers 409 ConditionalRequestConflict to a conditional write while another one
		// to the key is in progress, and that other write may fail: the correction must be
		// written all the same (it once read 409 as "already archived" and lost it).
		s := newStack(t)
		held, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		s.S3.SetConditionalWriteHook(func(_, key string) {
			if key == correctionKey {
				once.Do(func() { close(held); <-release }) // the first: the other writer's
			}
		})
		other := make(chan int, 1)
		go func() {
			// Another writer's conditional write to the key, which fails: If-Match on an ETag
			// the key does not have.
			req, err := http.NewRequest(http.MethodPut, s.S3URL+"/"+testBucket+"/"+correctionKey, strings.NewReader(`{"other":true}`))
			if err != nil {
				other <- 0
				return
			}
			req.Header.Set("If-Match", `"an-etag-the-key-does-not-have"`)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				other <- 0
				return
			}
			resp.Body.Close()
			other <- resp.StatusCode
		}()
		<-held
		go func() {
			// Let the other write fail once the archive has met it.
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && s.faults.conflicted() == 0; time.Sleep(time.Millisecond) {
			}
			close(release)
		}()
		body := envelopeOf(t, "corr-409", suite.DetailTypeChannelCorrected, []string{sampleARN}, corrected)
		var err error
		for delivery := 1; delivery <= 5; delivery++ { // SQS delivers a transient failure again
			if err = s.handle(t, body); err == nil || !retryable.Is(err) {
				break
			}
		}
		if err != nil {
			t.Fatalf("archive the correction: %v", err)
		}
		if code := <-other; code != http.StatusPreconditionFailed && code != http.StatusNotFound {
			t.Fatalf("the other write got %d, want it to fail (412 or 404): the test did not test it", code)
		}
		if s.faults.conflicted() == 0 {
			t.Fatal("the archive's write never met 409: the test did not test it")
		}
		var got session.Corrected
		if err := json.Unmarshal(s.object(t, correctionKey), &got); err != nil {
			t.Fatalf("correction object after a 409: %v", err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, corrected); g != w {
			t.Errorf("correction object = %s, want %s", g, w)
		}
		if r := s.record(t, sessionKey); r.Correction == nil || r.Correction.Outcome != session.CorrectionApplied {
			t.Errorf("session record correction %+v, want applied", r.Correction)
		}
	})
	t.Run("before its session, without a session key", func(t *testing.T) {
		s := newStack(t)
		c := corrected
		c.SessionKey = ""
		if err := s.handle(t, envelopeOf(t, "corr-2", suite.DetailTypeChannelCorrected, []string{sampleARN}, c)); err != nil {
			t.Fatal(err)
		}
		r := s.record(t, sessionKey) // dated by the trigger: the day the session started
		if r.Correction == nil || r.Correction.Outcome != session.CorrectionApplied || r.ChannelARN != sampleARN || r.StreamID != sampleStrm {
			t.Errorf("record = %+v, want the correction for the sample session", r)
		}
		// The session's own record arrives later and completes it.
		rec, tr := enrichedRecord(t)
		if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
			t.Fatal(err)
		}
		r = s.record(t, sessionKey)
		if r.Correction == nil || r.Correction.Outcome != session.CorrectionApplied || !r.Enriched {
			t.Errorf("record after the session = correction %+v enriched %v, want both", r.Correction, r.Enriched)
		}
	})
	t.Run("links the refused session to the session that went live after it", func(t *testing.T) {
		s := newStack(t)
		refused := sampleRefused(t)
		if err := s.handle(t, enrichedOf(t, refused, trigger)); err != nil {
			t.Fatal(err)
		}
		if err := s.handle(t, envelopeOf(t, "corr-4", suite.DetailTypeChannelCorrected, []string{sampleARN}, corrected)); err != nil {
			t.Fatal(err)
		}
		wentLive := func(stream string, start time.Time) session.Record {
			rec, _ := enrichedRecord(t)
			rec.StreamID, rec.StartTime, rec.EndTime, rec.Events, rec.Correction = stream, start, time.Time{}, nil, nil
			return session.Merge(rec, session.Record{})
		}
		stream := func(name string) string { return "st-" + name + strings.Repeat("0", 23-len(name)) }
		before := wentLive(stream("Before"), applied.At.Add(-time.Minute)) // not after the correction
		next := wentLive(stream("Next"), applied.At.Add(5*time.Minute))
		later := wentLive(stream("Later"), applied.At.Add(time.Hour))
		for _, rec := range []session.Record{later, before, next, next} {
			if err := s.handle(t, enrichedOf(t, rec, trigger)); err != nil {
				t.Fatal(err)
			}
		}
		r := s.record(t, sessionKey)
		want := session.SessionLink{StreamID: next.StreamID, Key: next.Key(), StartTime: next.StartTime}
		if r.NextSession == nil || *r.NextSession != want || r.Outcome != session.OutcomeRefused {
			t.Errorf("refused record: next session %+v, outcome %s; want %+v, refused", r.NextSession, r.Outcome, want)
		}
		for _, rec := range []session.Record{before, next, later} {
			if got := s.record(t, rec.Key()); got.NextSession != nil {
				t.Errorf("%s links to %+v; only the refused session links", rec.StreamID, got.NextSession)
			}
		}
	})
	t.Run("a session key for another session", func(t *testing.T) {
		s := newStack(t)
		c := corrected
		c.SessionKey = session.KeyPrefix + "year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=Other1234567/" + sampleStrm + ".json"
		if err := s.handle(t, envelopeOf(t, "corr-3", suite.DetailTypeChannelCorrected, []string{sampleARN}, c)); err != nil {
			t.Fatal(err)
		}
		if s.object(t, c.SessionKey) != nil || s.object(t, sessionKey) == nil {
			t.Errorf("objects %v: want the correction merged at its own session's key only", s.records(t))
		}
		if !strings.Contains(s.Logs.String(), "sessionKey is not its session's key") {
			t.Error("the bad session key is not logged")
		}
	})
}

// sampleRefused is the sample session as refused (MultitrackInputNotAllowed), enriched.
func sampleRefused(t testing.TB) session.Record {
	t.Helper()
	rec, _ := enrichedRecord(t)
	rec.Video, rec.Audio = nil, nil
	rec.Events = append(rec.Events, session.Event{Time: rec.StartTime.Add(time.Second), DetailType: ivsevent.DetailTypeStreamStateChange,
		Name: ivsevent.EventSessionEnded, Code: ivsevent.CodeMultitrackInputNotAllowed})
	return session.Merge(rec, session.Record{})
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAccountLevel checks that an account-level event is archived once under account-events/.
func TestAccountLevel(t *testing.T) {
	s := newStack(t)
	rec, tr := sampleRecord(t, "limit-breach-concurrent-viewers")
	body := enrichedOf(t, rec, tr)
	for range 2 {
		if err := s.handle(t, body); err != nil {
			t.Fatal(err)
		}
	}
	key := "account-events/year=2026/month=11/day=03/account=123456789012/region=us-west-2/" + tr.EventID + ".json"
	if got, err := session.AccountEventKey(rec.Account, rec.Region, tr.EventID, tr.Time); got != key {
		t.Errorf("AccountEventKey = %s (%v), want %s", got, err, key)
	}
	got := s.record(t, key)
	if len(got.LimitBreaches) != 1 || got.LimitBreaches[0].LimitName != ivsevent.LimitConcurrentViewers || got.UpdatedAt.IsZero() {
		t.Errorf("account-level record = %+v", got)
	}
	if puts, _ := s.faults.counts(); puts != 2 {
		t.Errorf("%d PUTs reached S3, want 2 (the second refused by If-None-Match)", puts)
	}
	if n := s.Metric(t, suite.MetricArchiveWrites); n != 1 {
		t.Errorf("metric %s = %v, want 1", suite.MetricArchiveWrites, n)
	}
}

// TestRejected checks that events the archive cannot use are rejected with the field at fault,
// and never fail their neighbours.
func TestRejected(t *testing.T) {
	good, tr := enrichedRecord(t)
	badStream := good
	badStream.StreamID = "st-short"
	accountBadTrigger, accTr := sampleRecord(t, "limit-breach-concurrent-viewers")
	accTr.EventID = "../../etc"
	accountGood, accGoodTr := sampleRecord(t, "limit-breach-concurrent-viewers")
	corr := session.Corrected{ChannelARN: sampleARN, StreamID: sampleStrm, Correction: session.Correction{Outcome: session.CorrectionApplied}}
	tests := map[string]struct {
		body      []byte
		wantField string
	}{
		"not JSON":         {[]byte(`{"id":`), ""},
		"wrong source":     {bytes.Replace(enrichedOf(t, good, tr), []byte(`"source":"ivs-sessions"`), []byte(`"source":"aws.ivs"`), 1), "source"},
		"unknown type":     {envelopeOf(t, "x", "IVS Something Else", nil, map[string]any{}), "detail-type"},
		"detail a string":  {envelopeOf(t, "x", suite.DetailTypeSessionEnriched, nil, "hello"), "detail"},
		"bad stream ID":    {enrichedOf(t, badStream, tr), "detail.record.streamId"},
		"bad trigger ID":   {bytes.Replace(enrichedOf(t, accountBadTrigger, accTr), []byte(`"id":"pub-../../etc"`), []byte(`"id":"pub-1"`), 1), "detail.trigger.eventId"},
		"bad envelope ID":  {enrichedOf(t, accountBadTrigger, accTr), "id"},
		"correction no at": {envelopeOf(t, "x", suite.DetailTypeChannelCorrected, nil, corr), "detail.correction.at"},
		"correction bad ARN": {envelopeOf(t, "x", suite.DetailTypeChannelCorrected, nil,
			session.Corrected{ChannelARN: "arn:aws:ivs:us-west-2:aws_account_id:channel/x", StreamID: sampleStrm}), "detail.channelArn"},
		// Issue 10: keys come from validated identifiers only; a key that cannot be built is a
		// permanent, specific error (a 1,100-character outcome used to be retried until the DLQ).
		"correction outcome a path": {envelopeOf(t, "x", suite.DetailTypeChannelCorrected, nil,
			withOutcome(corr, "../../sessions/x")), "detail.correction.outcome"},
		"correction outcome of 1,100 characters": {envelopeOf(t, "x", suite.DetailTypeChannelCorrected, nil,
			withOutcome(corr, session.CorrectionOutcome(strings.Repeat("a", 1100)))), "detail.correction.outcome"},
		"correction in 1970": {envelopeOf(t, "x", suite.DetailTypeChannelCorrected, nil,
			func() session.Corrected {
				c := withOutcome(corr, session.CorrectionApplied)
				c.Correction.At = time.Unix(5, 0)
				return c
			}()), "detail.correction.at"},
		"record region contradicts its ARN":  {enrichedOf(t, withRecord(good, func(r *session.Record) { r.Region = "eu-west-1" }), tr), "detail.record.region"},
		"record account contradicts its ARN": {enrichedOf(t, withRecord(good, func(r *session.Record) { r.Account = "999999999999" }), tr), "detail.record.account"},
		"record dated 2999": {enrichedOf(t, withRecord(good, func(r *session.Record) {
			r.StartTime = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
		}), tr), "detail.record.startTime"},
		"account-level event of a bad account": {enrichedOf(t, withRecord(accountGood, func(r *session.Record) { r.Account = "../x" }), accGoodTr), "detail.record.account"},
		// Strict decoding: a duplicate key, a name in the wrong case, trailing data.
		"duplicate detail-type": {bytes.Replace(enrichedOf(t, good, tr), []byte(`"detail-type":`), []byte(`"detail-type":"IVS Channel Multitrack Corrected","detail-type":`), 1), "detail-type"},
		"Source in capitals":    {bytes.Replace(enrichedOf(t, good, tr), []byte(`"source":`), []byte(`"Source":`), 1), "source"},
		"trailing data":         {append(enrichedOf(t, good, tr), []byte(` {}`)...), ""},
	}
	s := newStack(t)
	batchBodies := [][]byte{enrichedOf(t, good, tr)}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := s.handle(t, tc.body)
			var fe *invalid.FieldError
			if retryable.Is(err) || !errors.As(err, &fe) || fe.Field != tc.wantField {
				t.Errorf("Handle = %v, want a permanent FieldError for %q", err, tc.wantField)
			}
		})
		batchBodies = append(batchBodies, tc.body)
	}
	s = newStack(t)
	if failed := s.processSQS(t, batchBodies...); len(failed) != 0 {
		t.Errorf("failed %v, want none: rejected events are acknowledged", failed)
	}
	if s.object(t, sessionKey) == nil {
		t.Error("the valid neighbour was not archived")
	}
	if n := strings.Count(s.EMF.String(), `"`+suite.MetricRejected+`"`); n == 0 || s.Metric(t, suite.MetricRejected) != float64(len(tests)) {
		t.Errorf("metric %s = %v, want %d", suite.MetricRejected, s.Metric(t, suite.MetricRejected), len(tests))
	}
}

// TestS3Errors checks that S3 failures are batch item failures and that nothing is lost: once
// S3 recovers, the redelivered message is archived.
func TestS3Errors(t *testing.T) {
	tests := map[string]fault{
		"GET 500":              {method: "GET", status: 500, code: "InternalError", count: -1},
		"PUT 503 SlowDown":     {method: "PUT", status: 503, code: "SlowDown", count: -1},
		"PUT 403":              {method: "PUT", status: 403, code: "AccessDenied", count: -1},
		"GET 404 NoSuchBucket": {method: "GET", status: 404, code: "NoSuchBucket", count: -1},
	}
	for name, ft := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			first, tr := sampleRecord(t, "stream-start")
			if err := s.handle(t, enrichedOf(t, first, tr)); err != nil {
				t.Fatal(err)
			}
			rec, tr := enrichedRecord(t)
			body := enrichedOf(t, rec, tr)
			s.faults.set(&ft)
			if failed := s.processSQS(t, body); len(failed) != 1 {
				t.Fatalf("failed %v, want the message", failed)
			}
			s.faults.set(nil)
			if got := s.record(t, sessionKey); got.Enriched {
				t.Fatal("the record changed although S3 failed")
			}
			if failed := s.processSQS(t, body); len(failed) != 0 {
				t.Fatalf("redelivery failed %v", failed)
			}
			if got := s.record(t, sessionKey); !got.Enriched || len(got.Events) < 2 {
				t.Errorf("after redelivery: enriched %v, %d events; want both records merged", got.Enriched, len(got.Events))
			}
		})
	}
	t.Run("retried by the SDK", func(t *testing.T) {
		s := newStack(t, func(o *s3.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond)
		})
		rec, tr := enrichedRecord(t)
		s.faults.set(&fault{method: "PUT", status: 503, code: "SlowDown", count: 2})
		if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
			t.Fatalf("Handle = %v, want the SDK to retry SlowDown", err)
		}
		if s.object(t, sessionKey) == nil {
			t.Error("not archived")
		}
	})
	t.Run("unreadable record", func(t *testing.T) {
		s := newStack(t)
		_, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(sessionKey), Body: strings.NewReader("not json")})
		if err != nil {
			t.Fatal(err)
		}
		rec, tr := enrichedRecord(t)
		if err := s.handle(t, enrichedOf(t, rec, tr)); !retryable.Is(err) {
			t.Errorf("Handle = %v, want a transient error (to the DLQ, never overwritten)", err)
		}
		if string(s.object(t, sessionKey)) != "not json" {
			t.Error("the unreadable object was overwritten")
		}
	})
}

// TestCancelled checks that an invocation cut short leaves the message for redelivery.
func TestCancelled(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Through the processor, as Lambda calls it: the message must be left for redelivery.
	out, err := s.p.Process(ctx, awstest.SQSEvent(t, awstest.SQSMessage(suite.FunctionArchive, "m", enrichedOf(t, rec, tr), 1, time.Time{})))
	if err != nil {
		t.Fatal(err)
	}
	if failed := out.(events.SQSEventResponse).BatchItemFailures; len(failed) != 1 {
		t.Errorf("failures with a cancelled context = %v, want the message", failed)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := map[string]struct {
		env     map[string]string
		want    Config
		wantErr bool
	}{
		"bucket":    {env: map[string]string{suite.EnvArchiveBucket: "b"}, want: Config{Bucket: "b"}},
		"no bucket": {env: map[string]string{}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr {
				var fe *invalid.FieldError
				if !errors.As(err, &fe) || fe.Field != suite.EnvArchiveBucket {
					t.Errorf("LoadConfig error = %v, want a FieldError for %s", err, suite.EnvArchiveBucket)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("LoadConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// BenchmarkHandle measures one enriched record through the handler against the local S3 over
// loopback HTTP with the real SDK client: "new" is a first write (GetObject miss, PutObject
// If-None-Match), "redelivery" a merge that changes nothing (GetObject only).
func BenchmarkHandle(b *testing.B) {
	rec, tr := enrichedRecord(b)
	ctx := context.Background()
	b.Run("new", func(b *testing.B) {
		s := newStack(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := rec
			r.StreamID = fmt.Sprintf("st-%023d", i)
			i++
			if err := s.h.Handle(ctx, batchMessage(enrichedOf(b, r, tr))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redelivery", func(b *testing.B) {
		s := newStack(b)
		body := enrichedOf(b, rec, tr)
		if err := s.h.Handle(ctx, batchMessage(body)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.h.Handle(ctx, batchMessage(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func withOutcome(c session.Corrected, o session.CorrectionOutcome) session.Corrected {
	c.Correction.Outcome = o
	c.Correction.At = time.Date(2026, 11, 3, 19, 5, 0, 0, time.UTC)
	return c
}

func withRecord(r session.Record, change func(*session.Record)) session.Record {
	change(&r)
	return r
}

// TestIdentity: a session is (account, region, channel, stream). An event with our channel ID
// and stream ID under another account or region is another session: it gets its own object and
// never turns our ended record into a refused one (issue 10).
func TestIdentity(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
		t.Fatal(err)
	}
	refused, rtr := sampleRecord(t, "session-ended-multitrack-input-not-allowed")
	for _, other := range []struct{ account, region string }{{"999999999999", "us-west-2"}, {"123456789012", "eu-west-1"}} {
		r := refused
		r.ChannelARN = "arn:aws:ivs:" + other.region + ":" + other.account + ":channel/" + sampleID
		r.Account, r.Region, r.StreamID = other.account, other.region, sampleStrm
		if err := s.deliver(t, enrichedOf(t, r, rtr)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.record(t, sessionKey); got.Outcome != session.OutcomeEnded || got.Account != "123456789012" || got.Region != "us-west-2" {
		t.Errorf("our record: outcome %s, account %s, region %s; want ended in 123456789012 us-west-2", got.Outcome, got.Account, got.Region)
	}
	if keys := s.records(t); len(keys) != 3 {
		t.Errorf("objects %v, want three sessions (one per account and region)", keys)
	}
}

// TestEventAfterMidnightJoinsItsSession: a session that started before midnight UTC is archived
// under its start's day; an event of it after midnight, published from the event alone (no
// start time), merges into that record, not into a second one under its own day.
func TestEventAfterMidnightJoinsItsSession(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	start := time.Date(2026, 11, 3, 23, 59, 58, 0, time.UTC)
	rec.StartTime, rec.EndTime = start, time.Time{}
	if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
		t.Fatal(err)
	}
	end, etr := sampleRecord(t, "stream-end")
	after := time.Date(2026, 11, 4, 0, 0, 2, 0, time.UTC)
	for i := range end.Events {
		end.Events[i].Time = after
	}
	etr.Time = after
	if err := s.handle(t, enrichedOf(t, end, etr)); err != nil {
		t.Fatalf("the event after midnight: %v", err)
	}
	if keys := s.records(t); len(keys) != 1 || keys[0] != sessionKey {
		t.Fatalf("objects %v, want the one record under its start's day, %s", keys, sessionKey)
	}
	got := s.record(t, sessionKey)
	if !slices.ContainsFunc(got.Events, func(e session.Event) bool { return e.Name == ivsevent.EventStreamEnd && e.Time.Equal(after) }) || got.Outcome != session.OutcomeEnded {
		t.Errorf("record outcome %s, events %+v: want the Stream End after midnight merged, and ended", got.Outcome, got.Events)
	}
}

// TestEventBeforeItsSessionWaitsOnce: an event alone of a session the archive holds no record
// of (its enriched events not archived yet) waits, once, for that record rather than start one
// under its own day; delivered again, it is archived all the same.
func TestEventBeforeItsSessionWaitsOnce(t *testing.T) {
	s := newStack(t)
	end, etr := sampleRecord(t, "stream-end")
	body := enrichedOf(t, end, etr)
	err := s.handleN(t, body, 1)
	var later *retryable.LaterError
	if !errors.As(err, &later) {
		t.Fatalf("first delivery: %v, want a retryable.LaterError", err)
	}
	if keys := s.records(t); len(keys) != 0 {
		t.Fatalf("objects %v after the first delivery, want none", keys)
	}
	if err := s.handleN(t, body, 2); err != nil {
		t.Fatalf("second delivery: %v", err)
	}
	if got := s.record(t, sessionKey); got.Outcome != session.OutcomeEnded {
		t.Errorf("record after the second delivery: outcome %s, want ended", got.Outcome)
	}
	// An event at its session's start needs no wait: its day is the session's.
	s2 := newStack(t)
	created, ctr := sampleRecord(t, "session-created")
	if err := s2.handleN(t, enrichedOf(t, created, ctr), 1); err != nil {
		t.Errorf("Session Created, first delivery: %v, want archived", err)
	}
}

// TestLiveIndex: the first record that says live writes the session's live index entry before
// the record (an index write that fails leaves the record unwritten, so the redelivery writes
// both); a record that stays live touches nothing; a record ended by its Stream End keeps the
// entry (only the Session Ended takes a session to quality: the sweep publishes it when it is
// lost); the Session Ended deletes it, and when that delete fails, its redelivery deletes it
// though the record is unchanged.
func TestLiveIndex(t *testing.T) {
	s := newStack(t)
	liveKey, err := session.LiveKeyOf(sessionKey)
	if err != nil {
		t.Fatal(err)
	}
	start, tr := sampleRecord(t, "stream-start")
	s.faults.set(&fault{method: http.MethodPut, status: 503, code: "SlowDown", count: -1}) // the index PUT comes first
	if err := s.handle(t, enrichedOf(t, start, tr)); err == nil || !retryable.Is(err) {
		t.Fatalf("Handle with the index write failing = %v, want a transient error", err)
	}
	s.faults.set(nil)
	if s.object(t, sessionKey) != nil {
		t.Fatal("the record was written though its live index entry was not")
	}
	if err := s.handle(t, enrichedOf(t, start, tr)); err != nil {
		t.Fatal(err)
	}
	if keys := s.keys(t); !slices.Equal(keys, []string{liveKey, sessionKey}) {
		t.Fatalf("objects %v, want the entry %s and the record", keys, liveKey)
	}
	var body struct{ Record string }
	if err := json.Unmarshal(s.object(t, liveKey), &body); err != nil || body.Record != sessionKey {
		t.Errorf("entry body %+v, %v; want it to name %s", body, err, sessionKey)
	}
	before := s.faults.index
	starve, tr2 := sampleRecord(t, "starvation-start") // the session stays live
	if err := s.handle(t, enrichedOf(t, starve, tr2)); err != nil {
		t.Fatal(err)
	}
	if s.faults.index != before {
		t.Errorf("a record that stays live made %d index requests, want none", s.faults.index-before)
	}
	streamEnd, tr3 := sampleRecord(t, "stream-end")
	if err := s.handle(t, enrichedOf(t, streamEnd, tr3)); err != nil {
		t.Fatal(err)
	}
	if got := s.record(t, sessionKey); got.Outcome != session.OutcomeEnded {
		t.Fatalf("outcome %s after the Stream End, want ended", got.Outcome)
	}
	if keys := s.keys(t); !slices.Equal(keys, []string{liveKey, sessionKey}) {
		t.Errorf("objects %v after the Stream End, want the entry kept until the Session Ended", keys)
	}
	ended, tr4 := sampleRecord(t, "session-ended")
	s.faults.set(&fault{method: http.MethodDelete, status: 503, code: "SlowDown", count: -1})
	if err := s.handle(t, enrichedOf(t, ended, tr4)); err != nil {
		t.Fatalf("Handle with the index delete failing = %v, want archived (the record is written)", err)
	}
	s.faults.set(nil)
	if keys := s.keys(t); !slices.Equal(keys, []string{liveKey, sessionKey}) {
		t.Fatalf("objects %v, want the entry left by the failed delete", keys)
	}
	written, _ := s.faults.counts()
	if err := s.handle(t, enrichedOf(t, ended, tr4)); err != nil { // SQS delivers it again
		t.Fatal(err)
	}
	if puts, _ := s.faults.counts(); puts != written {
		t.Errorf("the redelivery wrote the record again (%d PUTs), want it unchanged", puts-written)
	}
	if keys := s.keys(t); !slices.Equal(keys, []string{sessionKey}) {
		t.Errorf("objects %v once its Session Ended was delivered again, want the record alone", keys)
	}
}
