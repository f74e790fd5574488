package quality

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Verdict is the session's quality verdict.
type Verdict string

// The verdicts.
const (
	// VerdictHealthy: every track met its targets and the stream never starved.
	VerdictHealthy Verdict = "healthy"
	// VerdictDegraded: at least one Reason.
	VerdictDegraded Verdict = "degraded"
	// VerdictUnknown: CloudWatch had no series for at least one video track of the session
	// (metrics late, expired or never sent); Report.Note says which.
	VerdictUnknown Verdict = "unknown"
)

// Kind is a track's kind.
type Kind string

// The kinds of track.
const (
	KindVideo Kind = "video"
	KindAudio Kind = "audio"
)

// ReasonCode names why a session is degraded.
type ReasonCode string

// The reasons a session is degraded.
const (
	// ReasonLowBitrate: a track's ingest bitrate was below Thresholds.BitrateFraction of its
	// target for more than Thresholds.MaxShare of its samples.
	ReasonLowBitrate ReasonCode = "low-bitrate"
	// ReasonLowFrameRate: a video track's ingest frame rate was below
	// Thresholds.FrameRateFraction of its target for more than Thresholds.MaxShare of its samples.
	ReasonLowFrameRate ReasonCode = "low-frame-rate"
	// ReasonKeyframeInterval: a video track's keyframe interval was off IVS's expected interval
	// (Thresholds.KeyframeInterval ± Thresholds.KeyframeTolerance) for more than
	// Thresholds.MaxShare of its samples.
	ReasonKeyframeInterval ReasonCode = "keyframe-interval"
	// ReasonStarvation: IVS reported the stream starved (Starvation Start) for longer than
	// Thresholds.MaxStarvation.
	ReasonStarvation ReasonCode = "starvation"
)

// Reason is one reason a session is degraded.
type Reason struct {
	Code   ReasonCode `json:"code"`
	Track  string     `json:"track,omitempty"` // "" for the session (starvation)
	Detail string     `json:"detail"`          // for a person: what was measured against what
}

// Thresholds decide the verdict. DefaultThresholds are the suite's.
type Thresholds struct {
	// BitrateFraction: a bitrate sample below this fraction of the track's target is low.
	BitrateFraction float64
	// FrameRateFraction: a frame-rate sample below this fraction of the target is low.
	FrameRateFraction float64
	// KeyframeInterval is the keyframe interval IVS expects and KeyframeTolerance how far a
	// sample may be from it.
	KeyframeInterval  time.Duration
	KeyframeTolerance time.Duration
	// MaxShare is the share of a track's samples that may be low or off before the track
	// degrades the session.
	MaxShare float64
	// MaxStarvation is how long the stream may starve before the session is degraded.
	MaxStarvation time.Duration
}

// DefaultThresholds: a track is degraded when more than 5 % of its samples are below 80 % of
// its target bitrate or 90 % of its target frame rate, or have a keyframe interval more than
// 0.5 s away from the 2 s IVS expects (the keyframe interval IVS's broadcast setup guide asks
// for, and the keyint_sec GetClientConfiguration hands multitrack encoders); any starvation
// degrades the session.
var DefaultThresholds = Thresholds{
	BitrateFraction:   0.8,
	FrameRateFraction: 0.9,
	KeyframeInterval:  2 * time.Second,
	KeyframeTolerance: 500 * time.Millisecond,
	MaxShare:          0.05,
	MaxStarvation:     0,
}

// Target is what the broadcaster promised for one track (GetStreamSession).
type Target struct {
	Track           string // Track0, Track1, ...
	Kind            Kind
	TargetBitrate   int64 // bps
	TargetFrameRate int64 // frames per second; 0 for audio
}

// HealthEvent is one IVS Stream Health Change event of the session.
type HealthEvent struct {
	Time     time.Time
	Starving bool // true for Starvation Start, false for Starvation End
}

// Session is what Compute and NewQuery need to know of a session.
type Session struct {
	ChannelID string // the channel's resource ID (the Channel dimension)
	Start     time.Time
	End       time.Time
	Tracks    []Target // video and audio, in track order
	Health    []HealthEvent
}

// Validate reports what is missing for a session to be measured: a channel ID, a start and an
// end after it, at least one video track.
func (s Session) Validate() error {
	switch {
	case s.ChannelID == "":
		return fmt.Errorf("quality: session without a channel ID")
	case s.Start.IsZero() || s.End.IsZero():
		return fmt.Errorf("quality: session without a start and an end (start %v, end %v)", s.Start, s.End)
	case !s.End.After(s.Start):
		return fmt.Errorf("quality: session ends (%v) before it starts (%v)", s.End, s.Start)
	}
	for _, t := range s.Tracks {
		if t.Kind == KindVideo {
			return nil
		}
	}
	return fmt.Errorf("quality: session without a video track")
}

// Point is one datapoint of a series: the period's average starting at Time.
type Point struct {
	Time  time.Time
	Value float64
}

// SeriesKey names a series: a track's metric, or a channel metric (Track "").
type SeriesKey struct {
	Track  string
	Metric string
}

// Series holds a session's series by key, in the record's units: bitrates in bps, frame rates
// in frames per second, keyframe intervals in seconds, viewers as a count.
type Series map[SeriesKey][]Point

// Stats summarises one series over the session's window.
type Stats struct {
	Min     float64 `json:"min"`
	Mean    float64 `json:"mean"`
	P5      float64 `json:"p5"` // 5th percentile (nearest rank)
	Max     float64 `json:"max"`
	Samples int     `json:"samples"`
}

// TrackReport is how one track streamed.
type TrackReport struct {
	Track           string `json:"track"`
	Kind            Kind   `json:"kind"`
	TargetBitrate   int64  `json:"targetBitrate"`             // bps
	TargetFrameRate int64  `json:"targetFrameRate,omitempty"` // fps
	Bitrate         *Stats `json:"bitrate,omitempty"`         // bps; nil: no samples
	// BitrateLowShare is the share of bitrate samples below Thresholds.BitrateFraction of the target.
	BitrateLowShare float64 `json:"bitrateLowShare"`
	FrameRate       *Stats  `json:"frameRate,omitempty"` // fps
	// FrameRateLowShare is the share of frame-rate samples below Thresholds.FrameRateFraction of the target.
	FrameRateLowShare float64 `json:"frameRateLowShare,omitempty"`
	KeyframeInterval  *Stats  `json:"keyframeInterval,omitempty"` // seconds
	// KeyframeOffShare is the share of keyframe-interval samples off the expected interval.
	KeyframeOffShare float64 `json:"keyframeOffShare,omitempty"`
}

// worst is the track's largest share of bad samples.
func (t TrackReport) worst() float64 {
	return max(t.BitrateLowShare, t.FrameRateLowShare, t.KeyframeOffShare)
}

// Audience is the channel's ConcurrentViews over the session's window.
type Audience struct {
	Peak float64 `json:"peak"`
	Mean float64 `json:"mean"`
}

// Report is a session's measured quality: what the record keeps and the published event carries.
type Report struct {
	Verdict Verdict  `json:"verdict"`
	Reasons []Reason `json:"reasons,omitempty"`
	// WorstTrack is the track with the largest share of low or off samples ("" when no track
	// had any).
	WorstTrack string `json:"worstTrack,omitempty"`
	// WindowStart and WindowEnd bound the samples used (the session's start and end).
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
	// PeriodSeconds is the period of the series (Query).
	PeriodSeconds int `json:"periodSeconds"`
	// StarvationSeconds is how long the stream starved in the window (health events).
	StarvationSeconds float64       `json:"starvationSeconds"`
	Viewers           *Audience     `json:"viewers,omitempty"`
	Tracks            []TrackReport `json:"tracks,omitempty"`
	// Note says why the verdict is unknown or the data partial.
	Note string `json:"note,omitempty"`
	// MeasuredAt is when the metrics were read; Attempts how many reads it took.
	MeasuredAt time.Time `json:"measuredAt,omitzero"`
	Attempts   int       `json:"attempts,omitempty"`
}

// Compute measures session s from its series, read at the given period, against th. Samples
// outside [s.Start, s.End] are ignored (ConcurrentViews is a channel metric: only the session's
// own window counts). The verdict is unknown when a video track has no bitrate samples;
// otherwise degraded when any Reason applies, else healthy. MeasuredAt and Attempts are left to
// the caller.
func Compute(s Session, series Series, period time.Duration, th Thresholds) Report {
	r := Report{
		WindowStart:   s.Start.UTC(),
		WindowEnd:     s.End.UTC(),
		PeriodSeconds: int(period / time.Second),
	}
	in := func(k SeriesKey) []float64 { return window(series[k], s.Start, s.End) }

	var missing []string
	for _, t := range s.Tracks {
		tr := TrackReport{Track: t.Track, Kind: t.Kind, TargetBitrate: t.TargetBitrate, TargetFrameRate: t.TargetFrameRate}
		switch t.Kind {
		case KindVideo:
			br := in(SeriesKey{t.Track, MetricIngestVideoBitrate})
			if len(br) == 0 {
				missing = append(missing, t.Track)
			}
			tr.Bitrate, tr.BitrateLowShare = stats(br), shareBelow(br, th.BitrateFraction*float64(t.TargetBitrate))
			fr := in(SeriesKey{t.Track, MetricIngestFramerate})
			tr.FrameRate, tr.FrameRateLowShare = stats(fr), shareBelow(fr, th.FrameRateFraction*float64(t.TargetFrameRate))
			kf := in(SeriesKey{t.Track, MetricKeyframeInterval})
			tr.KeyframeInterval, tr.KeyframeOffShare = stats(kf), shareOff(kf, th.KeyframeInterval.Seconds(), th.KeyframeTolerance.Seconds())
		case KindAudio:
			br := in(SeriesKey{t.Track, MetricIngestAudioBitrate})
			tr.Bitrate, tr.BitrateLowShare = stats(br), shareBelow(br, th.BitrateFraction*float64(t.TargetBitrate))
		}
		r.Tracks = append(r.Tracks, tr)
	}
	if v := in(SeriesKey{"", MetricConcurrentViews}); len(v) > 0 {
		st := stats(v)
		r.Viewers = &Audience{Peak: st.Max, Mean: st.Mean}
	}
	starved := Starvation(s.Health, s.Start, s.End)
	r.StarvationSeconds = round3(starved.Seconds())

	worst := 0.0
	for _, t := range r.Tracks {
		if w := t.worst(); w > worst {
			worst, r.WorstTrack = w, t.Track
		}
	}
	if len(missing) > 0 {
		r.Verdict = VerdictUnknown
		r.Note = "no " + MetricIngestVideoBitrate + " samples for " + strings.Join(missing, ", ")
		return r
	}
	pct := func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }
	for _, t := range r.Tracks {
		if t.BitrateLowShare > th.MaxShare {
			r.Reasons = append(r.Reasons, Reason{Code: ReasonLowBitrate, Track: t.Track, Detail: fmt.Sprintf(
				"%s of samples below %s of the %d bps target (p5 %.0f bps)", pct(t.BitrateLowShare), pct(th.BitrateFraction), t.TargetBitrate, t.Bitrate.P5)})
		}
		if t.FrameRateLowShare > th.MaxShare {
			r.Reasons = append(r.Reasons, Reason{Code: ReasonLowFrameRate, Track: t.Track, Detail: fmt.Sprintf(
				"%s of samples below %s of the %d fps target (p5 %.1f fps)", pct(t.FrameRateLowShare), pct(th.FrameRateFraction), t.TargetFrameRate, t.FrameRate.P5)})
		}
		if t.KeyframeOffShare > th.MaxShare {
			r.Reasons = append(r.Reasons, Reason{Code: ReasonKeyframeInterval, Track: t.Track, Detail: fmt.Sprintf(
				"%s of samples off %v ± %v (mean %.2f s)", pct(t.KeyframeOffShare), th.KeyframeInterval, th.KeyframeTolerance, t.KeyframeInterval.Mean)})
		}
	}
	if starved > th.MaxStarvation {
		r.Reasons = append(r.Reasons, Reason{Code: ReasonStarvation, Detail: fmt.Sprintf("the stream starved for %v", starved.Round(time.Millisecond))})
	}
	r.Verdict = VerdictHealthy
	if len(r.Reasons) > 0 {
		r.Verdict = VerdictDegraded
	}
	return r
}

// Starvation returns how long the stream starved within [start, end]: from each Starvation
// Start to the next Starvation End (or end). Events may come in any order and repeat.
func Starvation(events []HealthEvent, start, end time.Time) time.Duration {
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b HealthEvent) int { return a.Time.Compare(b.Time) })
	var total time.Duration
	var since time.Time // zero: not starving
	clip := func(from, to time.Time) time.Duration {
		from, to = later(from, start), earlier(to, end)
		if to.After(from) {
			return to.Sub(from)
		}
		return 0
	}
	for _, e := range evs {
		switch {
		case e.Starving && since.IsZero():
			since = e.Time
		case !e.Starving && !since.IsZero():
			total += clip(since, e.Time)
			since = time.Time{}
		}
	}
	if !since.IsZero() {
		total += clip(since, end)
	}
	return total
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// window returns the values of the points within [start, end].
func window(ps []Point, start, end time.Time) []float64 {
	var vs []float64
	for _, p := range ps {
		if !p.Time.Before(start) && !p.Time.After(end) && !math.IsNaN(p.Value) {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// stats summarises vs; nil when empty.
func stats(vs []float64) *Stats {
	if len(vs) == 0 {
		return nil
	}
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	sum := 0.0
	for _, v := range sorted {
		sum += v
	}
	rank := int(math.Ceil(0.05*float64(len(sorted)))) - 1
	return &Stats{
		Min:     round3(sorted[0]),
		Mean:    round3(sum / float64(len(sorted))),
		P5:      round3(sorted[max(rank, 0)]),
		Max:     round3(sorted[len(sorted)-1]),
		Samples: len(sorted),
	}
}

// shareBelow is the share of vs below limit (0 when vs is empty or limit is not positive).
func shareBelow(vs []float64, limit float64) float64 {
	if len(vs) == 0 || limit <= 0 {
		return 0
	}
	n := 0
	for _, v := range vs {
		if v < limit {
			n++
		}
	}
	return round3(float64(n) / float64(len(vs)))
}

// shareOff is the share of vs farther than tol from want.
func shareOff(vs []float64, want, tol float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	n := 0
	for _, v := range vs {
		if math.Abs(v-want) > tol {
			n++
		}
	}
	return round3(float64(n) / float64(len(vs)))
}

// round3 rounds to three decimals, so records compare and read well.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
