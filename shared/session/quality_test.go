package session

import (
	"reflect"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// measuredRecord is the record archive merges from a quality measurement.
func measuredRecord(v quality.Verdict, measured time.Time) Record {
	q := &quality.Report{Verdict: v, MeasuredAt: measured, WindowStart: t0, WindowEnd: at(time.Hour), PeriodSeconds: 1}
	if v == quality.VerdictDegraded {
		q.Reasons = []quality.Reason{{Code: quality.ReasonStarvation, Detail: "the stream starved for 3s"}}
	}
	return Record{SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID, Outcome: OutcomeLive, Quality: q}
}

func TestMergeQuality(t *testing.T) {
	unknownLater := measuredRecord(quality.VerdictUnknown, at(5*time.Hour))
	degraded := measuredRecord(quality.VerdictDegraded, at(time.Hour))
	healthyLater := measuredRecord(quality.VerdictHealthy, at(2*time.Hour))
	tests := map[string]struct {
		a, b Record
		want quality.Verdict
	}{
		"data beats a later unknown": {a: unknownLater, b: degraded, want: quality.VerdictDegraded},
		"the later measurement wins": {a: degraded, b: healthyLater, want: quality.VerdictHealthy},
		"a measurement beats none":   {a: Record{}, b: unknownLater, want: quality.VerdictUnknown},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ab, ba := Merge(tc.a, tc.b), Merge(tc.b, tc.a)
			if ab.Quality == nil || ab.Quality.Verdict != tc.want {
				t.Fatalf("merged quality %+v, want verdict %s", ab.Quality, tc.want)
			}
			if !reflect.DeepEqual(ab, ba) {
				t.Error("Merge is not commutative on quality")
			}
		})
	}
	if got := Merge(degraded, degraded); got.Quality == degraded.Quality {
		t.Error("Merge shares the argument's report instead of copying it")
	}
}

func TestQualitySession(t *testing.T) {
	r, err := FromStreamSession(multitrackSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Events = append(r.Events,
		Event{Time: at(10 * time.Second), DetailType: ivsevent.DetailTypeStreamHealthChange, Name: ivsevent.EventStarvationStart},
		Event{Time: at(13 * time.Second), DetailType: ivsevent.DetailTypeStreamHealthChange, Name: ivsevent.EventStarvationEnd})
	s := r.QualitySession()
	if s.ChannelID != r.ChannelID || !s.Start.Equal(r.StartTime) || !s.End.Equal(r.EndTime) {
		t.Errorf("session %s %v..%v, want %s %v..%v", s.ChannelID, s.Start, s.End, r.ChannelID, r.StartTime, r.EndTime)
	}
	if len(s.Tracks) != len(r.Video)+len(r.Audio) {
		t.Fatalf("%d tracks, want %d", len(s.Tracks), len(r.Video)+len(r.Audio))
	}
	for i, v := range r.Video {
		if tr := s.Tracks[i]; tr.Track != v.Track || tr.Kind != quality.KindVideo || tr.TargetBitrate != v.TargetBitrate || tr.TargetFrameRate != v.FrameRate {
			t.Errorf("track %d = %+v, want %+v", i, tr, v)
		}
	}
	if got := quality.Starvation(s.Health, s.Start, s.End); got < 3*time.Second {
		t.Errorf("starvation %v, want at least the 3 s added", got)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("an enriched ended multitrack session does not validate: %v", err)
	}

	// From events alone: the window is the events'.
	ev := FromEvent(stateEvent(t, at(time.Hour), ivsevent.EventSessionEnded, ""), "")
	ev = Merge(ev, FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), ""))
	s = ev.QualitySession()
	if !s.Start.Equal(t0) || !s.End.Equal(at(time.Hour)) {
		t.Errorf("from events: %v..%v, want %v..%v", s.Start, s.End, t0, at(time.Hour))
	}
}
