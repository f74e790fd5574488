package engine

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

func TestSummarize(t *testing.T) {
	const other = "arn:aws:ivs:us-west-2:123456789012:channel/ZyXwvu9T8srq"
	arch := Archive{
		Sessions: []ArchivedSession{
			{Record: session.Record{ChannelARN: sampleARN, StreamID: "st-1", Outcome: session.OutcomeRefused, Code: "MultitrackInputNotAllowed",
				VideoTrackCount: 5, Multitrack: true,
				Correction: &session.Correction{Decision: multitrack.Decision{Action: multitrack.ActionApply}, Outcome: session.CorrectionApplied}}},
			{Record: session.Record{ChannelARN: sampleARN, StreamID: "st-2", Outcome: session.OutcomeEnded, VideoTrackCount: 5, AudioTrackCount: 1, Multitrack: true,
				Quality: &quality.Report{Verdict: quality.VerdictDegraded, Reasons: []quality.Reason{
					{Code: quality.ReasonLowBitrate, Track: "Track1"}, {Code: quality.ReasonLowBitrate, Track: "Track2"}, {Code: quality.ReasonStarvation}}}}},
			{Record: session.Record{ChannelARN: other, StreamID: "st-3", Outcome: session.OutcomeRefused, Code: "MultitrackInputNotAllowed", VideoTrackCount: 5, Multitrack: true,
				Correction: &session.Correction{Decision: multitrack.Decision{Action: multitrack.ActionManual}, Outcome: session.CorrectionDecided}}},
			{Record: session.Record{ChannelARN: other, StreamID: "st-4", Outcome: session.OutcomeRefused, Code: "MultitrackInputRequired", VideoTrackCount: 1,
				Correction: &session.Correction{Decision: multitrack.Decision{Action: multitrack.ActionApply}, Outcome: session.CorrectionDecided}}},
		},
		Corrections: []ArchivedCorrection{{Corrected: session.Corrected{ChannelARN: sampleARN, StreamID: "st-1",
			Correction: session.Correction{Outcome: session.CorrectionApplied}}}},
	}
	c := Counters{
		Events: 9,
		Calls: map[string]map[string]CallCount{
			"enrich":    {"GetStreamSession": {Calls: 10, OK: 8, Throttled: 2}},
			"correct":   {"GetChannel": {Calls: 1, OK: 1}, "GetStream": {Calls: 2, Offline: 1, Errors: 1}, "UpdateChannel": {Calls: 1, OK: 1}},
			"neighbour": {"GetStreamSession": {Calls: 6, OK: 3, Throttled: 3}},
		},
		Metrics:       map[string]float64{"RejectedEvents Function=enrich": 2},
		Invocations:   map[string]int{"enrich": 3, "correct": 1, "archive": 4},
		Notifications: map[string]int{"NotifyChannelForAPerson": 1},
	}
	s := Summarize(arch, c, map[string]int{"enrich": 0, "correct": 0, "archive": 1})
	if s.Sessions != 4 || s.Multitrack != 3 || s.VideoTracks != 16 || s.AudioTracks != 1 {
		t.Errorf("sessions %d, multitrack %d, tracks %d/%d", s.Sessions, s.Multitrack, s.VideoTracks, s.AudioTracks)
	}
	if s.Refusals["MultitrackInputNotAllowed"] != 2 || s.Refusals["MultitrackInputRequired"] != 1 {
		t.Errorf("refusals = %v", s.Refusals)
	}
	if s.Corrections["applied"] != 1 || s.Corrections["manual"] != 1 || s.Corrections["pending"] != 1 || len(s.Corrections) != 3 {
		t.Errorf("corrections = %v, want applied 1, manual 1, pending 1", s.Corrections)
	}
	if s.Quality["degraded"] != 1 || s.Quality["degraded: low-bitrate"] != 1 || s.Quality["degraded: starvation"] != 1 || len(s.Quality) != 3 {
		t.Errorf("quality = %v, want one degraded by low-bitrate (once, on two tracks) and starvation", s.Quality)
	}
	if s.Throttles != 2 || s.Rejected["enrich"] != 2 || s.DeadLetterTotal() != 1 {
		t.Errorf("throttles %d, rejected %v, dead letters %d", s.Throttles, s.Rejected, s.DeadLetterTotal())
	}
	if s.Notifications["NotifyChannelForAPerson"] != 1 {
		t.Errorf("notifications = %v, want the one that reached a person", s.Notifications)
	}
	if _, ok := s.OtherCalls["neighbour"]; !ok || len(s.OtherCalls) != 1 {
		t.Errorf("other calls = %v, want the neighbour's only", s.OtherCalls)
	}

	if got := s.Calls["GetStream"]; got.Offline != 1 || got.Errors != 1 {
		t.Errorf("GetStream %+v, want the ChannelNotBroadcasting answer apart from the error", got)
	}
	s.Restarts = map[string]int{"enrich": 2}

	var b bytes.Buffer
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "summary.golden.txt"), b.Bytes())
}
