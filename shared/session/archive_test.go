package session

import (
	"errors"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func testIdentity(t *testing.T, stream string) Identity {
	t.Helper()
	arn, err := ivsevent.ParseChannelARN(testARN)
	if err != nil {
		t.Fatal(err)
	}
	id, err := IdentityOf(arn, stream)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

const otherStream = "st-2BvUzNEBTwIVUTc9q6QwctP"

func TestSessionKeyFor(t *testing.T) {
	id := testIdentity(t, testStreamID)
	other := testIdentity(t, otherStream)
	day1, _ := SessionKey(id, at(0))
	day2, _ := SessionKey(id, at(30*time.Hour))
	otherKey, _ := SessionKey(other, at(0))
	tests := map[string]struct {
		claimed      string
		want         string
		wantRejected bool
	}{
		"no claim: dated by the time":     {want: day2},
		"the session's own key: its day":  {claimed: day1, want: day1},
		"another session's key: rejected": {claimed: otherKey, want: day2, wantRejected: true},
		"not a key: rejected":             {claimed: "sessions/../../locks/x.json", want: day2, wantRejected: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, rejected, err := SessionKeyFor(id, tc.claimed, at(30*time.Hour))
			if err != nil || got != tc.want || rejected != tc.wantRejected {
				t.Errorf("SessionKeyFor = %q, %v, %v; want %q, %v", got, rejected, err, tc.want, tc.wantRejected)
			}
		})
	}
}

func TestLatestApplied(t *testing.T) {
	id := testIdentity(t, otherStream)
	key := func(stream string, outcome CorrectionOutcome, d time.Duration) string {
		k, err := CorrectionKey(testIdentity(t, stream), outcome, at(d))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	start := at(time.Hour)
	early, late := key(testStreamID, CorrectionApplied, 10*time.Minute), key(testStreamID, CorrectionApplied, 50*time.Minute)
	tests := map[string]struct {
		keys       []string
		want       string
		wantStream string
	}{
		"none":                            {},
		"the latest applied before start": {keys: []string{early, late}, want: late, wantStream: testStreamID},
		"applied after start: not":        {keys: []string{early, key(testStreamID, CorrectionApplied, 2*time.Hour)}, want: early, wantStream: testStreamID},
		"not applied: not":                {keys: []string{key(testStreamID, CorrectionDryRun, 50*time.Minute)}},
		"the session's own: not":          {keys: []string{key(id.StreamID, CorrectionApplied, 50*time.Minute)}},
		"not a correction key":            {keys: []string{"corrections/x.json", "sessions/y.json"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, stream, ok := LatestApplied(tc.keys, id.StreamID, start)
			if got != tc.want || stream != tc.wantStream || ok != (tc.want != "") {
				t.Errorf("LatestApplied = %q, %q, %v; want %q, %q", got, stream, ok, tc.want, tc.wantStream)
			}
		})
	}
}

func TestMergeArchived(t *testing.T) {
	now := at(2 * time.Hour)
	rec, err := FromStreamSession(multitrackSession(), stateEvent(t, at(4*time.Second), ivsevent.EventStreamStart, ""))
	if err != nil {
		t.Fatal(err)
	}
	archived := Merge(rec, rec)
	archived.UpdatedAt = at(time.Hour)
	ended := FromEvent(stateEvent(t, at(90*time.Minute), ivsevent.EventSessionEnded, ""), "")
	another := rec
	another.StreamID = otherStream
	tests := map[string]struct {
		archived  Record
		found     bool
		rec       Record
		wantWrite bool
		wantErr   error
	}{
		"nothing archived: written":      {rec: rec, wantWrite: true},
		"the same again: nothing":        {archived: archived, found: true, rec: rec},
		"a new event: written":           {archived: archived, found: true, rec: ended, wantWrite: true},
		"another session's record: kept": {archived: another, found: true, rec: rec, wantErr: ErrOtherSession},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, write, err := MergeArchived(tc.archived, tc.found, tc.rec, now)
			if !errors.Is(err, tc.wantErr) || write != tc.wantWrite {
				t.Fatalf("MergeArchived = write %v, %v; want %v, %v", write, err, tc.wantWrite, tc.wantErr)
			}
			if write && !got.UpdatedAt.Equal(now) {
				t.Errorf("updatedAt %s, want %s", got.UpdatedAt, now)
			}
			if !write && err == nil && !got.UpdatedAt.Equal(tc.archived.UpdatedAt) {
				t.Errorf("updatedAt %s, want the archived %s", got.UpdatedAt, tc.archived.UpdatedAt)
			}
		})
	}
}

func TestStubs(t *testing.T) {
	id := testIdentity(t, testStreamID)
	c := Corrected{ChannelARN: testARN, StreamID: testStreamID, Correction: Correction{Outcome: CorrectionApplied, At: at(time.Minute)}}
	r := c.CorrectionRecord(id)
	if got, err := r.Identity(); err != nil || got != id || r.Correction == nil || r.Correction.Outcome != CorrectionApplied || r.SchemaVersion != SchemaVersion {
		t.Errorf("CorrectionRecord = %+v (%v)", r, err)
	}
	next := Record{StreamID: otherStream, StartTime: at(time.Hour)}
	l := LinkRecord(id, next, "sessions/next.json")
	if got, err := l.Identity(); err != nil || got != id || *l.NextSession != (SessionLink{StreamID: otherStream, Key: "sessions/next.json", StartTime: at(time.Hour)}) {
		t.Errorf("LinkRecord = %+v (%v)", l, err)
	}
	if got := c.SessionTime(); !got.Equal(at(time.Minute)) {
		t.Errorf("SessionTime without a trigger = %s, want the correction's", got)
	}
	c.Trigger.Time = at(0)
	if got := c.SessionTime(); !got.Equal(at(0)) {
		t.Errorf("SessionTime = %s, want the trigger's", got)
	}
	if gotID, key, err := c.IdentityAndKey(); err != nil || gotID != id || key != c.Key() {
		t.Errorf("Corrected.IdentityAndKey = %v, %q, %v; want %v, %q", gotID, key, err, id, c.Key())
	}
	rec := id.Stub()
	rec.StartTime = at(0)
	if gotID, key, err := rec.IdentityAndKey(); err != nil || gotID != id || key != rec.Key() {
		t.Errorf("Record.IdentityAndKey = %v, %q, %v; want %v, %q", gotID, key, err, id, rec.Key())
	}
}
