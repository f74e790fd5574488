package session

import (
	"encoding/json"
	"errors"
	"slices"
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
			id, err := tc.rec.Identity()
			if err != nil {
				t.Fatal(err)
			}
			got, write, err := MergeArchived(tc.archived, tc.found, id, tc.rec, now)
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

func TestAppliedCorrections(t *testing.T) {
	refused := testIdentity(t, testStreamID)
	next := testIdentity(t, otherStream)
	key := func(id Identity, outcome CorrectionOutcome, d time.Duration) string {
		k, err := CorrectionKey(id, outcome, at(d))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	early, late := key(refused, CorrectionApplied, 10*time.Minute), key(refused, CorrectionApplied, 50*time.Minute)
	old := key(refused, CorrectionApplied, -AppliedKept-time.Hour)

	t.Run("LinkKey", func(t *testing.T) {
		want := "links/account=" + refused.Account + "/region=" + refused.Region + "/channel=" + refused.ChannelID + ".json"
		if got, err := LinkKey(refused.ChannelARN()); err != nil || got != want {
			t.Errorf("LinkKey = %q, %v; want %q", got, err, want)
		}
		bad := refused.ChannelARN()
		bad.ID = "../x"
		if got, err := LinkKey(bad); err == nil {
			t.Errorf("LinkKey of channel %q = %q, want an error", bad.ID, got)
		}
	})

	t.Run("With", func(t *testing.T) {
		tests := map[string]struct {
			keys        []string
			add         string
			want        []string
			wantChanged bool
		}{
			"the first":                    {add: early, want: []string{early}, wantChanged: true},
			"kept oldest first":            {keys: []string{late}, add: early, want: []string{early, late}, wantChanged: true},
			"already there: unchanged":     {keys: []string{early, late}, add: late, want: []string{early, late}},
			"not applied: unchanged":       {keys: []string{early}, add: key(refused, CorrectionDryRun, time.Hour), want: []string{early}},
			"not a correction: unchanged":  {keys: []string{early}, add: "sessions/x.json", want: []string{early}},
			"older than AppliedKept: gone": {keys: []string{old, early}, add: late, want: []string{early, late}, wantChanged: true},
			"an unreadable key: dropped":   {keys: []string{"corrections/junk.json"}, add: early, want: []string{early}, wantChanged: true},
			"within AppliedKept: kept":     {keys: []string{key(refused, CorrectionApplied, -AppliedKept+time.Hour)}, add: early, want: []string{key(refused, CorrectionApplied, -AppliedKept+time.Hour), early}, wantChanged: true},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				got, changed := AppliedCorrections{Keys: tc.keys}.With(tc.add)
				if changed != tc.wantChanged || !slices.Equal(got.Keys, tc.want) {
					t.Errorf("With = %v, %v; want %v, %v", got.Keys, changed, tc.want, tc.wantChanged)
				}
			})
		}
	})

	t.Run("AppliedMax", func(t *testing.T) {
		var a AppliedCorrections
		for i := range AppliedMax + 5 {
			a, _ = a.With(key(refused, CorrectionApplied, time.Duration(i)*time.Minute))
		}
		if len(a.Keys) != AppliedMax || a.Keys[0] != key(refused, CorrectionApplied, 5*time.Minute) {
			t.Errorf("%d keys from %s; want the newest %d", len(a.Keys), a.Keys[0], AppliedMax)
		}
		b, err := json.Marshal(a)
		if err != nil || int64(len(b)) > 64<<10 {
			t.Errorf("a full index is %d bytes (%v), over s3doc.AppliedIndex's 64 KiB", len(b), err)
		}
	})

	t.Run("LinkFor", func(t *testing.T) {
		dayBefore := key(refused, CorrectionApplied, -20*time.Hour)
		twoDaysBefore := key(refused, CorrectionApplied, -50*time.Hour)
		tests := map[string]struct {
			keys       []string
			start      time.Duration
			want       string
			wantStream string
		}{
			"none":                                  {start: time.Hour},
			"the latest applied before start":       {keys: []string{early, late}, start: time.Hour, want: late, wantStream: testStreamID},
			"applied after start: not":              {keys: []string{early, late}, start: 30 * time.Minute, want: early, wantStream: testStreamID},
			"the day before: linked":                {keys: []string{dayBefore}, start: time.Hour, want: dayBefore, wantStream: testStreamID},
			"two days before: not (as listing was)": {keys: []string{twoDaysBefore}, start: time.Hour},
			"the session's own correction: not":     {keys: []string{key(next, CorrectionApplied, 10*time.Minute)}, start: time.Hour},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				got, stream, ok := AppliedCorrections{Keys: tc.keys}.LinkFor(next, at(tc.start))
				if got != tc.want || stream != tc.wantStream || ok != (tc.want != "") {
					t.Errorf("LinkFor = %q, %q, %v; want %q, %q", got, stream, ok, tc.want, tc.wantStream)
				}
			})
		}
	})
}
