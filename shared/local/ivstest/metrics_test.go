package ivstest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

var m0 = time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)

func values(ds []cloudwatchtest.Datum) []float64 {
	var out []float64
	for _, d := range ds {
		out = append(out, d.Value)
	}
	return out
}

func TestSessionMetrics(t *testing.T) {
	enc := ivstest.OBS("sk", 2) // 480p30 at 1 Mbps, 360p30 at 0.5 Mbps, AAC at 160 kbps
	enc.Degradations = []ivstest.Degradation{
		{Kind: ivstest.DegradeBitrate, Track: 1, From: 0.5, Factor: 0.4},
		{Kind: ivstest.DegradeFrames, Track: 0, From: 0, To: 0.2},
		{Kind: ivstest.DegradeKeyframes, Track: 0, From: 0.9, KeyframeInterval: 4},
	}
	// 20:00:00.5 to 20:00:10.5: samples at whole seconds 01..10.
	series := ivstest.SessionMetrics("chan", enc, m0.Add(500*time.Millisecond), m0.Add(10500*time.Millisecond), nil)
	key := func(track, metric string) []cloudwatchtest.Datum {
		return series[quality.SeriesKey{Track: track, Metric: metric}]
	}
	br1 := key("Track1", quality.MetricIngestVideoBitrate)
	if len(br1) != 10 || !br1[0].Time.Equal(m0.Add(time.Second)) {
		t.Fatalf("Track1 bitrate: %d samples from %v, want 10 from %v", len(br1), br1[0].Time, m0.Add(time.Second))
	}
	// Samples at 0.05, 0.15, ... of the session: the last five are at 40% of 0.5 Mbps.
	want := []float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2}
	for i, v := range values(br1) {
		if v != want[i] {
			t.Fatalf("Track1 bitrate (Mbps) %v, want %v", values(br1), want)
		}
	}
	if fr := values(key("Track0", quality.MetricIngestFramerate)); fr[0] != 15 || fr[1] != 15 || fr[2] != 30 {
		t.Errorf("Track0 frame rate %v: want 15 for the first 20%%, then 30", fr)
	}
	if kf := values(key("Track0", quality.MetricKeyframeInterval)); kf[8] != 2 || kf[9] != 4 {
		t.Errorf("Track0 keyframe interval %v: want 4 in the last 10%%", kf)
	}
	if ab := values(key("Track0", quality.MetricIngestAudioBitrate)); len(ab) != 10 || ab[0] != 0.16 {
		t.Errorf("audio bitrate %v", ab)
	}
	if v := key("", quality.MetricConcurrentViews); len(v) != 10 {
		t.Errorf("viewers: %d samples", len(v))
	}
	// IVS documents IngestFramerate in Count/Second now (it was frames per second).
	for _, d := range key("Track0", quality.MetricIngestFramerate) {
		if d.Unit != "Count/Second" {
			t.Fatalf("frame rate datum %+v: want unit Count/Second", d)
		}
	}

	// Starving from 3 s to 6 s: no datapoint at 3, 4 and 5.
	starved := ivstest.SessionMetrics("chan", ivstest.OBS("sk", 1), m0, m0.Add(9*time.Second), []time.Time{m0.Add(3 * time.Second), m0.Add(6 * time.Second)})
	if n := len(starved[quality.SeriesKey{Track: "Track0", Metric: quality.MetricIngestVideoBitrate}]); n != 7 {
		t.Errorf("%d samples with 3 s of starvation in 10, want 7", n)
	}
	// A session shorter than a second has one datapoint.
	if n := len(ivstest.SessionMetrics("chan", ivstest.OBS("sk", 1), m0, m0.Add(300*time.Millisecond), nil)[quality.SeriesKey{Track: "Track0", Metric: quality.MetricIngestFramerate}]); n != 1 {
		t.Errorf("a short session has %d samples, want 1", n)
	}
}

func TestServerPublishesMetrics(t *testing.T) {
	clock := ivstest.NewFakeClock(m0)
	cw := cloudwatchtest.New(cloudwatchtest.Options{})
	srv, client := newServer(t, ivstest.Options{Clock: clock, Metrics: cw})
	arn, key := createChannel(t, client, &ivs.CreateChannelInput{})
	id := arn[strings.LastIndex(arn, "/")+1:]
	ctx := context.Background()
	if res, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil || !res.Live {
		t.Fatalf("connect: %+v %v", res, err)
	}
	clock.Advance(4 * time.Second)
	if err := srv.Starve(ctx, arn); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	if err := srv.Recover(ctx, arn); err != nil {
		t.Fatal(err)
	}
	clock.Advance(4 * time.Second)
	if got := cw.Series(quality.Namespace, quality.MetricIngestVideoBitrate, map[string]string{quality.DimensionChannel: id, quality.DimensionTrack: "Track0"}); len(got) != 0 {
		t.Fatalf("%d datapoints while live, want none until the session ends", len(got))
	}
	if err := srv.Disconnect(ctx, arn); err != nil {
		t.Fatal(err)
	}
	// 0..10 s: 11 seconds, less 4 and 5 (starving).
	got := cw.Series(quality.Namespace, quality.MetricIngestVideoBitrate, map[string]string{quality.DimensionChannel: id, quality.DimensionTrack: "Track0"})
	if len(got) != 9 || got[0].Value != 6 {
		t.Errorf("Track0 bitrate: %d datapoints (first %+v), want 9 at 6 Mbps", len(got), got)
	}
	if v := cw.Series(quality.Namespace, quality.MetricConcurrentViews, map[string]string{quality.DimensionChannel: id}); len(v) != 9 {
		t.Errorf("viewers: %d datapoints, want 9", len(v))
	}

	// A degradation the encoder cannot have is refused.
	bad := ivstest.OBS(key, 1)
	bad.Degradations = []ivstest.Degradation{{Kind: ivstest.DegradeBitrate, Track: 3}}
	if _, err := srv.Connect(ctx, bad); err == nil || !strings.Contains(err.Error(), "track") {
		t.Errorf("a degradation of track 3 of 1: %v, want an error naming the track", err)
	}
}
