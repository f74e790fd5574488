package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestQualityMerged archives an enriched session, then its measured quality (before and after
// a redelivery, and an unknown one that must not replace it): the record carries the
// measurement, keeps everything else, and is found under the session's key.
func TestQualityMerged(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
		t.Fatal(err)
	}
	key := rec.Key()
	degraded := quality.Report{
		Verdict: quality.VerdictDegraded, WorstTrack: "Track1", WindowStart: rec.StartTime, WindowEnd: rec.EndTime, PeriodSeconds: 1,
		Reasons:    []quality.Reason{{Code: quality.ReasonLowBitrate, Track: "Track1", Detail: "30% of samples below 80% of the target"}},
		MeasuredAt: rec.EndTime.Add(5 * time.Minute), Attempts: 1,
	}
	measured := func(id string, r quality.Report, sessionKey string) []byte {
		return envelopeOf(t, id, suite.DetailTypeSessionQuality, []string{rec.ChannelARN},
			session.Measured{ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, SessionKey: sessionKey, Quality: r, Trigger: tr})
	}
	if err := s.handle(t, measured("q1", degraded, key)); err != nil {
		t.Fatal(err)
	}
	got := s.record(t, key)
	if got.Quality == nil || got.Quality.Verdict != quality.VerdictDegraded || got.Quality.WorstTrack != "Track1" {
		t.Fatalf("record quality %+v, want the degraded measurement", got.Quality)
	}
	if got.VideoTrackCount != rec.VideoTrackCount || !got.Enriched {
		t.Errorf("the record lost its tracks or enrichment: %+v", got)
	}

	// A later unknown does not replace data; a measurement without sessionKey finds the
	// record by its window's start.
	unknown := quality.Report{Verdict: quality.VerdictUnknown, WindowStart: rec.StartTime, WindowEnd: rec.EndTime, Note: "no samples", MeasuredAt: degraded.MeasuredAt.Add(time.Hour)}
	if err := s.handle(t, measured("q2", unknown, "")); err != nil {
		t.Fatal(err)
	}
	if keys := s.records(t); len(keys) != 1 || keys[0] != key {
		t.Errorf("keys %v, want only %s", keys, key)
	}
	if got := s.record(t, key); got.Quality.Verdict != quality.VerdictDegraded {
		t.Errorf("after an unknown measurement: %s, want degraded kept", got.Quality.Verdict)
	}

	// A measurement without a verdict is rejected, naming the field.
	err := s.handle(t, measured("q3", quality.Report{}, key))
	var fe *invalid.FieldError
	if !errors.As(err, &fe) || fe.Field != "detail.quality.verdict" {
		t.Errorf("no verdict: %v, want a FieldError on detail.quality.verdict", err)
	}
}

// TestQualityAfterMidnightJoinsItsSession: a measurement of a session that started before
// midnight UTC, keyed by an event after it (quality measured a record known only from its
// Session Ended at 00:00:01), merges into the session's record under its start's day, not into
// a second record under its own (the soak's midnight session, seed 3).
func TestQualityAfterMidnightJoinsItsSession(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	rec.StartTime, rec.EndTime = time.Date(2026, 11, 3, 23, 59, 58, 0, time.UTC), time.Time{}
	if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
		t.Fatal(err)
	}
	id, _, err := session.ParseSessionKey(sessionKey)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Date(2026, 11, 4, 0, 0, 1, 0, time.UTC)
	eventKey, err := session.SessionKey(id, after)
	if err != nil {
		t.Fatal(err)
	}
	unknown := quality.Report{Verdict: quality.VerdictUnknown, WindowStart: after, WindowEnd: after, Note: "session ends before it starts", MeasuredAt: after.Add(time.Minute)}
	body := envelopeOf(t, "q1", suite.DetailTypeSessionQuality, []string{rec.ChannelARN},
		session.Measured{ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, SessionKey: eventKey, Quality: unknown, Trigger: tr})
	if err := s.handle(t, body); err != nil {
		t.Fatal(err)
	}
	var records []string
	for _, k := range s.records(t) {
		if strings.HasPrefix(k, session.KeyPrefix) {
			records = append(records, k)
		}
	}
	if len(records) != 1 || records[0] != sessionKey {
		t.Fatalf("records %v, want the one under its start's day, %s", records, sessionKey)
	}
	if got := s.record(t, sessionKey); got.Quality == nil || got.Quality.Verdict != quality.VerdictUnknown {
		t.Errorf("record quality %+v, want the measurement merged", got.Quality)
	}
}

// TestQualityBorder: an IVS Session Quality event is checked like every other input. A verdict
// outside the vocabulary (a script tag, escape codes, 200 KB), a reason, a kind or a track out
// of bounds, and a sessionKey of another session or another day are rejected with the field
// named, and nothing is written; a measurement whose record is not archived (a consistent key
// and window of another day) never creates one: it waits, and would end in the dead-letter
// queue. Only the session's own record ever holds its quality.
func TestQualityBorder(t *testing.T) {
	s := newStack(t)
	rec, tr := enrichedRecord(t)
	if err := s.handle(t, enrichedOf(t, rec, tr)); err != nil {
		t.Fatal(err)
	}
	key := rec.Key()
	good := quality.Report{Verdict: quality.VerdictHealthy, WindowStart: rec.StartTime, WindowEnd: rec.EndTime, PeriodSeconds: 1, MeasuredAt: rec.EndTime.Add(5 * time.Minute), Attempts: 1,
		Tracks: []quality.TrackReport{{Track: "Track0", Kind: quality.KindVideo, TargetBitrate: 6_000_000, Bitrate: &quality.Stats{Min: 1, Mean: 2, P5: 1, Max: 3, Samples: 10}}}}
	otherDay := rec.StartTime.AddDate(0, 0, -3)
	otherKey := func() string {
		id, err := rec.Identity()
		if err != nil {
			t.Fatal(err)
		}
		k, err := session.SessionKey(id, otherDay)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}()
	tests := map[string]struct {
		edit  func(m *session.Measured)
		field string // "" for a transient error (the record is not archived)
	}{
		"verdict a script tag":      {func(m *session.Measured) { m.Quality.Verdict = "<script>alert(1)</script>" }, "detail.quality.verdict"},
		"verdict with escape codes": {func(m *session.Measured) { m.Quality.Verdict = "healthy\x1b[2J" }, "detail.quality.verdict"},
		"verdict of 200 KB":         {func(m *session.Measured) { m.Quality.Verdict = quality.Verdict(strings.Repeat("d", 200<<10)) }, "detail.quality.verdict"},
		"an unknown reason":         {func(m *session.Measured) { m.Quality.Reasons = []quality.Reason{{Code: "bad-vibes"}} }, "detail.quality.reasons[0].code"},
		"a note with a line break":  {func(m *session.Measured) { m.Quality.Note = "ok\n{\"level\":\"ERROR\"}" }, "detail.quality.note"},
		"a track of 1 KB":           {func(m *session.Measured) { m.Quality.Tracks[0].Track = strings.Repeat("T", 1024) }, "detail.quality.tracks[0].track"},
		"a kind outside the list":   {func(m *session.Measured) { m.Quality.Tracks[0].Kind = "smell" }, "detail.quality.tracks[0].kind"},
		"a negative bitrate":        {func(m *session.Measured) { m.Quality.Tracks[0].Bitrate.Mean = -1 }, "detail.quality.tracks[0].bitrate.mean"},
		"a share above 1":           {func(m *session.Measured) { m.Quality.Tracks[0].BitrateLowShare = 2 }, "detail.quality.tracks[0].bitrateLowShare"},
		"a window of three days":    {func(m *session.Measured) { m.Quality.WindowEnd = m.Quality.WindowStart.Add(72 * time.Hour) }, "detail.quality.windowEnd"},
		"another session's key": {func(m *session.Measured) {
			m.SessionKey = strings.Replace(key, sampleStrm, "st-0000000000000000000000A", 1)
		}, "detail.sessionKey"},
		"a key of another day": {func(m *session.Measured) { m.SessionKey = otherKey }, "detail.sessionKey"},
		"a key and window elsewhere": {func(m *session.Measured) {
			m.SessionKey, m.Quality.WindowStart, m.Quality.WindowEnd = otherKey, otherDay, otherDay.Add(time.Hour)
		}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := session.Measured{ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, SessionKey: key, Quality: good, Trigger: tr}
			m.Quality.Tracks = []quality.TrackReport{good.Tracks[0]}
			b := *good.Tracks[0].Bitrate
			m.Quality.Tracks[0].Bitrate = &b
			tc.edit(&m)
			err := s.handle(t, envelopeOf(t, "q", suite.DetailTypeSessionQuality, []string{rec.ChannelARN}, m))
			var fe *invalid.FieldError
			switch {
			case tc.field == "" && !retryable.Is(err):
				t.Errorf("err %v, want a transient error (the record is not archived)", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Errorf("err %v, want a FieldError on %s", err, tc.field)
			}
			if err != nil && len(err.Error()) > 2048 {
				t.Errorf("an error of %d bytes", len(err.Error()))
			}
			if keys := s.records(t); len(keys) != 1 || keys[0] != key {
				t.Errorf("keys %v, want only the session's record %s", keys, key)
			}
			if got := s.record(t, key); got.Quality != nil {
				t.Errorf("the record took the measurement %+v", got.Quality)
			}
		})
	}
}
