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
