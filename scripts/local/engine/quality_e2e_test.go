package engine_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// checkQuality compares each record of the ingest-quality scenario with the CloudWatch series
// the broadcast simulator published for its session: every track's samples, min, mean and max
// (computed here from the datapoints, independently of package quality), and the verdicts: the
// steady channel healthy, the flaky one degraded by low-bitrate on Track1 and by starvation.
func checkQuality(t *testing.T, stack *engine.Stack, res engine.Result) {
	t.Helper()
	if len(res.Archive.Sessions) != 2 {
		t.Fatalf("%d records, want 2", len(res.Archive.Sessions))
	}
	for _, as := range res.Archive.Sessions {
		rec := as.Record
		q := rec.Quality
		if q == nil {
			t.Fatalf("record %s has no quality", rec.StreamID)
		}
		for _, tr := range q.Tracks {
			metric, scale := quality.MetricIngestVideoBitrate, quality.BitrateUnit
			if tr.Kind == quality.KindAudio {
				metric = quality.MetricIngestAudioBitrate
			}
			data := stack.CloudWatch.Series(quality.Namespace, metric, map[string]string{quality.DimensionChannel: rec.ChannelID, quality.DimensionTrack: tr.Track})
			var vs []float64
			for _, d := range data {
				if !d.Time.Before(q.WindowStart) && !d.Time.After(q.WindowEnd) {
					vs = append(vs, d.Value*scale)
				}
			}
			if len(vs) == 0 || tr.Bitrate == nil {
				t.Fatalf("%s %s: %d simulated samples, stats %+v", rec.StreamID, tr.Track, len(vs), tr.Bitrate)
			}
			sum := 0.0
			for _, v := range vs {
				sum += v
			}
			want := [4]float64{float64(len(vs)), slices.Min(vs), sum / float64(len(vs)), slices.Max(vs)}
			got := [4]float64{float64(tr.Bitrate.Samples), tr.Bitrate.Min, tr.Bitrate.Mean, tr.Bitrate.Max}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1 {
					t.Errorf("%s %s %s: record (samples, min, mean, max) %v, simulated %v", rec.StreamID, tr.Kind, tr.Track, got, want)
					break
				}
			}
		}
		var codes []string
		for _, r := range q.Reasons {
			codes = append(codes, string(r.Code)+" "+r.Track)
		}
		switch name := channelName(t, res, rec.ChannelARN); name {
		case "s7-steady":
			if q.Verdict != quality.VerdictHealthy || len(q.Reasons) != 0 || q.StarvationSeconds != 0 {
				t.Errorf("steady: %s %v starved %v s, want healthy", q.Verdict, codes, q.StarvationSeconds)
			}
		case "s7-flaky":
			if q.Verdict != quality.VerdictDegraded || !slices.Equal(codes, []string{"low-bitrate Track1", "starvation "}) || q.WorstTrack != "Track1" {
				t.Errorf("flaky: %s %v worst %s, want degraded by low-bitrate on Track1 and starvation", q.Verdict, codes, q.WorstTrack)
			}
			if q.StarvationSeconds < 0.9 || q.StarvationSeconds > 1.5 {
				t.Errorf("flaky: starved %v s, want about the scenario's 1 s", q.StarvationSeconds)
			}
		default:
			t.Errorf("a record of channel %q", name)
		}
	}
}

// channelName returns the scenario's name of the channel arn.
func channelName(t *testing.T, res engine.Result, arn string) string {
	t.Helper()
	for name, a := range res.Channels {
		if a == arn {
			return name
		}
	}
	if _, err := ivsevent.ParseChannelARN(arn); err != nil {
		t.Errorf("record channel %q: %v", arn, err)
	}
	return ""
}
