package quality_test

import (
	"fmt"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// A two-minute single-track session whose bitrate halves for its last 30 seconds.
func ExampleCompute() {
	start := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	s := quality.Session{
		ChannelID: "abcdABCDefgh", Start: start, End: start.Add(119 * time.Second),
		Tracks: []quality.Target{{Track: "Track0", Kind: quality.KindVideo, TargetBitrate: 6_000_000, TargetFrameRate: 60}},
	}
	q, err := quality.NewQuery(s, s.End.Add(5*time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("one call, %d metrics, period %v\n", q.Metrics, q.Period)

	series := quality.Series{}
	for i := range 120 {
		at, bps := start.Add(time.Duration(i)*time.Second), 6_000_000.0
		if i >= 90 {
			bps = 3_000_000
		}
		series[quality.SeriesKey{Track: "Track0", Metric: quality.MetricIngestVideoBitrate}] = append(
			series[quality.SeriesKey{Track: "Track0", Metric: quality.MetricIngestVideoBitrate}], quality.Point{Time: at, Value: bps})
	}
	r := quality.Compute(s, series, q.Period, quality.DefaultThresholds)
	fmt.Println(r.Verdict, r.Reasons[0].Code, r.Reasons[0].Track, r.Tracks[0].BitrateLowShare)
	// Output:
	// one call, 4 metrics, period 1s
	// degraded low-bitrate Track0 0.25
}
