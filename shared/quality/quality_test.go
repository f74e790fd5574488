package quality

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)

// ladder is a two-track video ladder with one audio track.
var ladder = []Target{
	{Track: "Track0", Kind: KindVideo, TargetBitrate: 6_000_000, TargetFrameRate: 60},
	{Track: "Track1", Kind: KindVideo, TargetBitrate: 1_000_000, TargetFrameRate: 30},
	{Track: "Track2", Kind: KindAudio, TargetBitrate: 160_000},
}

// steady returns n one-second points from t0 with value v, except those for which dip says
// otherwise.
func steady(n int, v float64, dip func(i int) (float64, bool)) []Point {
	ps := make([]Point, n)
	for i := range ps {
		val := v
		if dip != nil {
			if d, ok := dip(i); ok {
				val = d
			}
		}
		ps[i] = Point{Time: t0.Add(time.Duration(i) * time.Second), Value: val}
	}
	return ps
}

// healthySeries is 100 s of the ladder at target.
func healthySeries() Series {
	return Series{
		{"Track0", MetricIngestVideoBitrate}: steady(100, 6_000_000, nil),
		{"Track0", MetricIngestFramerate}:    steady(100, 60, nil),
		{"Track0", MetricKeyframeInterval}:   steady(100, 2, nil),
		{"Track1", MetricIngestVideoBitrate}: steady(100, 1_000_000, nil),
		{"Track1", MetricIngestFramerate}:    steady(100, 30, nil),
		{"Track1", MetricKeyframeInterval}:   steady(100, 2, nil),
		{"Track2", MetricIngestAudioBitrate}: steady(100, 160_000, nil),
		{"", MetricConcurrentViews}:          steady(100, 10, func(i int) (float64, bool) { return float64(10 + i), true }),
	}
}

func TestCompute(t *testing.T) {
	session := Session{ChannelID: "abc", Start: t0, End: t0.Add(99 * time.Second), Tracks: ladder}
	first10 := func(v float64) func(int) (float64, bool) {
		return func(i int) (float64, bool) { return v, i < 10 }
	}
	tests := map[string]struct {
		edit        func(s *Session, series Series)
		verdict     Verdict
		reasons     []Reason // codes and tracks only
		worst       string
		starvedSecs float64
	}{
		"healthy": {verdict: VerdictHealthy},
		"bitrate dip on Track1 for 10% of the session": {
			edit: func(_ *Session, series Series) {
				series[SeriesKey{"Track1", MetricIngestVideoBitrate}] = steady(100, 1_000_000, first10(400_000))
			},
			verdict: VerdictDegraded, reasons: []Reason{{Code: ReasonLowBitrate, Track: "Track1"}}, worst: "Track1",
		},
		"a dip of 5% of the samples is tolerated": {
			edit: func(_ *Session, series Series) {
				series[SeriesKey{"Track1", MetricIngestVideoBitrate}] = steady(100, 1_000_000, func(i int) (float64, bool) { return 400_000, i < 5 })
			},
			verdict: VerdictHealthy, worst: "Track1",
		},
		"frame drops on Track0": {
			edit: func(_ *Session, series Series) {
				series[SeriesKey{"Track0", MetricIngestFramerate}] = steady(100, 60, first10(40))
			},
			verdict: VerdictDegraded, reasons: []Reason{{Code: ReasonLowFrameRate, Track: "Track0"}}, worst: "Track0",
		},
		"keyframe interval of 4 s on Track0": {
			edit: func(_ *Session, series Series) {
				series[SeriesKey{"Track0", MetricKeyframeInterval}] = steady(100, 4, nil)
			},
			verdict: VerdictDegraded, reasons: []Reason{{Code: ReasonKeyframeInterval, Track: "Track0"}}, worst: "Track0",
		},
		"audio bitrate low": {
			edit: func(_ *Session, series Series) {
				series[SeriesKey{"Track2", MetricIngestAudioBitrate}] = steady(100, 64_000, nil)
			},
			verdict: VerdictDegraded, reasons: []Reason{{Code: ReasonLowBitrate, Track: "Track2"}}, worst: "Track2",
		},
		"starvation of 7 s": {
			edit: func(s *Session, _ Series) {
				s.Health = []HealthEvent{{Time: t0.Add(20 * time.Second), Starving: true}, {Time: t0.Add(27 * time.Second)}}
			},
			verdict: VerdictDegraded, reasons: []Reason{{Code: ReasonStarvation}}, starvedSecs: 7,
		},
		"no metrics for Track1: unknown": {
			edit: func(_ *Session, series Series) {
				delete(series, SeriesKey{"Track1", MetricIngestVideoBitrate})
			},
			verdict: VerdictUnknown,
		},
		"samples outside the window do not count": {
			edit: func(s *Session, series Series) {
				s.End = t0.Add(49 * time.Second)
				series[SeriesKey{"Track0", MetricIngestVideoBitrate}] = steady(100, 6_000_000, func(i int) (float64, bool) { return 0, i >= 50 })
			},
			verdict: VerdictHealthy,
		},
		"several reasons, in track order then starvation": {
			edit: func(s *Session, series Series) {
				series[SeriesKey{"Track1", MetricIngestFramerate}] = steady(100, 20, nil)
				series[SeriesKey{"Track0", MetricIngestVideoBitrate}] = steady(100, 1_000_000, nil)
				s.Health = []HealthEvent{{Time: t0.Add(90 * time.Second), Starving: true}}
			},
			verdict: VerdictDegraded, worst: "Track0", starvedSecs: 9,
			reasons: []Reason{{Code: ReasonLowBitrate, Track: "Track0"}, {Code: ReasonLowFrameRate, Track: "Track1"}, {Code: ReasonStarvation}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, series := session, healthySeries()
			if tc.edit != nil {
				tc.edit(&s, series)
			}
			r := Compute(s, series, time.Second, DefaultThresholds)
			if r.Verdict != tc.verdict {
				t.Fatalf("verdict %q (%+v, note %q), want %q", r.Verdict, r.Reasons, r.Note, tc.verdict)
			}
			if len(r.Reasons) != len(tc.reasons) {
				t.Fatalf("reasons %+v, want %+v", r.Reasons, tc.reasons)
			}
			for i, want := range tc.reasons {
				if got := r.Reasons[i]; got.Code != want.Code || got.Track != want.Track || got.Detail == "" {
					t.Errorf("reason %d = %+v, want code %q track %q and a detail", i, got, want.Code, want.Track)
				}
			}
			if r.WorstTrack != tc.worst {
				t.Errorf("worst track %q, want %q", r.WorstTrack, tc.worst)
			}
			if r.StarvationSeconds != tc.starvedSecs {
				t.Errorf("starvation %v s, want %v", r.StarvationSeconds, tc.starvedSecs)
			}
			if len(r.Tracks) != len(ladder) || r.PeriodSeconds != 1 {
				t.Errorf("tracks %d period %d, want %d and 1", len(r.Tracks), r.PeriodSeconds, len(ladder))
			}
			if tc.verdict == VerdictUnknown && r.Note == "" {
				t.Error("an unknown verdict without a note")
			}
		})
	}
}

func TestComputeStats(t *testing.T) {
	// Track1's bitrate: 1..100 Mbps-ish values; known min, mean, p5 (nearest rank: the 5th
	// smallest of 100) and max. Viewers: only the window's samples count.
	s := Session{ChannelID: "abc", Start: t0, End: t0.Add(99 * time.Second), Tracks: ladder}
	series := healthySeries()
	series[SeriesKey{"Track1", MetricIngestVideoBitrate}] = steady(100, 0, func(i int) (float64, bool) { return float64((i + 1) * 1000), true })
	series[SeriesKey{"", MetricConcurrentViews}] = append(series[SeriesKey{"", MetricConcurrentViews}], Point{Time: t0.Add(200 * time.Second), Value: 1e6})
	r := Compute(s, series, time.Second, DefaultThresholds)
	got := *r.Tracks[1].Bitrate
	want := Stats{Min: 1000, Mean: 50500, P5: 5000, Max: 100000, Samples: 100}
	if got != want {
		t.Errorf("Track1 bitrate stats %+v, want %+v", got, want)
	}
	if r.Tracks[1].BitrateLowShare != 1 {
		t.Errorf("low share %v, want 1 (every sample is below 80%% of 1 Mbps)", r.Tracks[1].BitrateLowShare)
	}
	if r.Viewers == nil || r.Viewers.Peak != 109 || r.Viewers.Mean != 59.5 {
		t.Errorf("viewers %+v, want peak 109 mean 59.5 (the sample after the window ignored)", r.Viewers)
	}
	if r.Tracks[2].FrameRate != nil || r.Tracks[2].Kind != KindAudio {
		t.Errorf("audio track %+v: want no frame rate", r.Tracks[2])
	}
}

func TestStarvation(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	start, end := at(0), at(100)
	tests := map[string]struct {
		events []HealthEvent
		want   time.Duration
	}{
		"none":                       {want: 0},
		"start and end":              {events: []HealthEvent{{at(10), true}, {at(15), false}}, want: 5 * time.Second},
		"out of order, repeated":     {events: []HealthEvent{{at(15), false}, {at(10), true}, {at(12), true}, {at(15), false}}, want: 5 * time.Second},
		"never ended: until the end": {events: []HealthEvent{{at(90), true}}, want: 10 * time.Second},
		"clipped to the window":      {events: []HealthEvent{{at(-10), true}, {at(5), false}}, want: 5 * time.Second},
		"an end alone":               {events: []HealthEvent{{at(50), false}}, want: 0},
		"two episodes":               {events: []HealthEvent{{at(10), true}, {at(11), false}, {at(20), true}, {at(22), false}}, want: 3 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Starvation(tc.events, start, end); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSessionValidate(t *testing.T) {
	good := Session{ChannelID: "abc", Start: t0, End: t0.Add(time.Minute), Tracks: ladder}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid session: %v", err)
	}
	bad := map[string]func(s *Session){
		"no channel":     func(s *Session) { s.ChannelID = "" },
		"no end":         func(s *Session) { s.End = time.Time{} },
		"ends before":    func(s *Session) { s.End = t0.Add(-time.Second) },
		"no video track": func(s *Session) { s.Tracks = ladder[2:] },
	}
	for name, edit := range bad {
		s := good
		edit(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
