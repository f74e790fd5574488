package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// The record as a reader meets it: every session that ended has a duration, a correction alone
// does not make a live session.
func TestRecordAsReaderMeetsIt(t *testing.T) {
	decision := multitrack.Decision{Action: multitrack.ActionApply, Reason: "enable", Code: ivsevent.CodeMultitrackInputNotAllowed}
	correctionOnly := Record{SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID,
		Correction: &Correction{Decision: decision, Outcome: CorrectionApplied, At: at(time.Minute)}}
	tests := map[string]struct {
		parts        []Record
		wantOutcome  Outcome
		wantCode     string
		wantDuration float64
	}{
		"refused, from its events only": {
			parts: []Record{
				FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), "not enriched"),
				FromEvent(stateEvent(t, at(2*time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed), "not enriched"),
			},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputNotAllowed, wantDuration: 2,
		},
		"refused in the second it was created": {
			parts:       []Record{FromEvent(stateEvent(t, t0, ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputRequired), "")},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputRequired, wantDuration: 0,
		},
		"ended, events only, stream end before session ended": {
			parts: []Record{
				FromEvent(stateEvent(t, at(time.Second), ivsevent.EventStreamStart, ""), ""),
				FromEvent(stateEvent(t, at(time.Hour), ivsevent.EventStreamEnd, ""), ""),
				FromEvent(stateEvent(t, at(time.Hour+time.Second), ivsevent.EventSessionEnded, ""), ""),
			},
			wantOutcome: OutcomeEnded, wantDuration: 3600,
		},
		"live: no duration yet": {
			parts:       []Record{FromEvent(stateEvent(t, t0, ivsevent.EventStreamStart, ""), "")},
			wantOutcome: OutcomeLive, wantDuration: 0,
		},
		"GetStreamSession's start wins over an event in the same second": {
			parts: []Record{
				FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), ""),
				Merge(Record{StartTime: t0.Add(400 * time.Millisecond), EndTime: t0.Add(400 * time.Millisecond)}, FromEvent(stateEvent(t, t0, ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputRequired), "")),
			},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputRequired, wantDuration: 0,
		},
		"GetStreamSession's times win over the events'": {
			parts:       []Record{mustFromSS(t)},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputNotAllowed, wantDuration: 1.5,
		},
		"a correction archived before its session": {
			parts:       []Record{correctionOnly},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputNotAllowed,
		},
		"a correction, then its session's events": {
			parts: []Record{correctionOnly,
				FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), ""),
				FromEvent(stateEvent(t, at(time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed), ""),
			},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputNotAllowed, wantDuration: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var r Record
			for _, p := range tc.parts {
				r = Merge(r, p)
			}
			if r.Outcome != tc.wantOutcome || r.Code != tc.wantCode || r.DurationSeconds != tc.wantDuration {
				t.Errorf("outcome %s, code %q, duration %v; want %s, %q, %v", r.Outcome, r.Code, r.DurationSeconds, tc.wantOutcome, tc.wantCode, tc.wantDuration)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"durationSeconds":`) {
				t.Errorf("no durationSeconds in %s", b)
			}
		})
	}
}

func mustFromSS(t *testing.T) Record {
	t.Helper()
	r, err := FromStreamSession(refusedSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A refused session links to the first session that went live after its correction, whatever
// the order the links arrive in.
func TestNextSession(t *testing.T) {
	refused := mustFromSS(t)
	link := func(stream string, start time.Time) Record {
		return Record{SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID,
			NextSession: &SessionLink{StreamID: stream, Key: "sessions/" + stream + ".json", StartTime: start}}
	}
	first, second := link("st-2BbbbbbbbbbbbbbbbbbbbbB", at(time.Minute)), link("st-3CccccccccccccccccccccC", at(time.Hour))
	for _, order := range [][]Record{{refused, first, second}, {second, refused, first}, {first, second, refused}} {
		var r Record
		for _, p := range order {
			r = Merge(r, p)
		}
		if r.NextSession == nil || r.NextSession.StreamID != "st-2BbbbbbbbbbbbbbbbbbbbbB" || r.Outcome != OutcomeRefused {
			t.Errorf("next session %+v, outcome %s; want the first, refused", r.NextSession, r.Outcome)
		}
	}
	b, err := json.Marshal(Merge(refused, first))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"nextSession":{"streamId":"st-2BbbbbbbbbbbbbbbbbbbbbB","key":"sessions/st-2BbbbbbbbbbbbbbbbbbbbbB.json","startTime":"2024-09-09T16:18:26.000Z"}`; !strings.Contains(string(b), want) {
		t.Errorf("JSON %s lacks %s", b, want)
	}
	// A link alone does not leave a live record.
	if r := Merge(Record{}, first); r.Outcome != OutcomeEnded {
		t.Errorf("a link alone: outcome %s, want ended", r.Outcome)
	}
}

func TestParseCorrectionKey(t *testing.T) {
	at := time.Date(2026, 11, 3, 17, 40, 8, 123e6, time.UTC)
	for _, outcome := range []CorrectionOutcome{CorrectionApplied, CorrectionDryRun, CorrectionFailed} {
		c := Corrected{ChannelARN: testARN, StreamID: testStreamID, Correction: Correction{Outcome: outcome, At: at}}
		stream, got, gotAt, ok := ParseCorrectionKey(c.Key())
		if !ok || stream != testStreamID || got != outcome || !gotAt.Equal(at) {
			t.Errorf("ParseCorrectionKey(%s) = %s, %s, %v, %v", c.Key(), stream, got, gotAt, ok)
		}
		ch := ivsevent.ChannelARN{Account: "123456789012", Region: "us-west-2", ID: "abcdABCDefgh"}
		if !strings.HasPrefix(c.Key(), CorrectionDayPrefix(ch, at)) {
			t.Errorf("key %s is not under %s", c.Key(), CorrectionDayPrefix(ch, at))
		}
	}
	for _, bad := range []string{"", "sessions/x.json", "corrections/x/st-abc-applied-1.json", "corrections/x/st-1AuTyMDASvHUTSb8p5PvbsO-applied-x.json", "corrections/x/st-1AuTyMDASvHUTSb8p5PvbsO.json"} {
		if _, _, _, ok := ParseCorrectionKey(bad); ok {
			t.Errorf("ParseCorrectionKey(%q) ok; want not a correction key", bad)
		}
	}
}

func TestWentLive(t *testing.T) {
	tests := map[string]struct {
		r    Record
		want bool
	}{
		"refused, with tracks":  {r: mustFromSS(t), want: false},
		"stream started":        {r: FromEvent(stateEvent(t, t0, ivsevent.EventStreamStart, ""), ""), want: true},
		"session created only":  {r: FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), ""), want: false},
		"ended with tracks":     {r: Merge(Record{Video: []VideoTrack{{Track: "Track0", Width: 1280, Height: 720}}}, FromEvent(stateEvent(t, t0, ivsevent.EventSessionEnded, ""), "")), want: true},
		"a correction, nothing": {r: Merge(Record{}, Record{Correction: &Correction{Outcome: CorrectionApplied}}), want: false},
	}
	for name, tc := range tests {
		if got := tc.r.WentLive(); got != tc.want {
			t.Errorf("%s: WentLive %v, want %v", name, got, tc.want)
		}
	}
}
