package ivstest

import (
	"fmt"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// MetricSink stores CloudWatch datapoints (a *cloudwatchtest.Server).
type MetricSink interface {
	Put(namespace, metric string, dims map[string]string, data ...cloudwatchtest.Datum)
}

var _ MetricSink = (*cloudwatchtest.Server)(nil)

// The kinds of Degradation.
const (
	// DegradeBitrate: the track's ingest bitrate is Factor of its target.
	DegradeBitrate = "bitrate-dip"
	// DegradeFrames: the track's ingest frame rate is Factor of its target (dropped frames).
	DegradeFrames = "frame-drops"
	// DegradeKeyframes: the track's keyframe interval is KeyframeInterval seconds.
	DegradeKeyframes = "keyframe-interval"
)

// Degradation is how one video track falls short of its targets during part of a session.
type Degradation struct {
	// Kind is DegradeBitrate, DegradeFrames or DegradeKeyframes.
	Kind string `json:"kind"`
	// Track is the index of the video track (0 for Track0).
	Track int `json:"track"`
	// From and To bound the degraded part of the session, as fractions of its duration
	// (0 ≤ From < To ≤ 1); To 0 means 1.
	From float64 `json:"from,omitempty"`
	To   float64 `json:"to,omitempty"`
	// Factor multiplies the target for DegradeBitrate and DegradeFrames; 0 means 0.5.
	Factor float64 `json:"factor,omitempty"`
	// KeyframeInterval is the interval in seconds for DegradeKeyframes; 0 means 6.
	KeyframeInterval float64 `json:"keyframeInterval,omitempty"`
}

// Validate reports what is wrong with d for an encoder of videoTracks video tracks.
func (d Degradation) Validate(videoTracks int) error {
	switch d.Kind {
	case DegradeBitrate, DegradeFrames, DegradeKeyframes:
	default:
		return fmt.Errorf("degradation: kind: want %s, %s or %s, got %q", DegradeBitrate, DegradeFrames, DegradeKeyframes, d.Kind)
	}
	if d.Track < 0 || d.Track >= videoTracks {
		return fmt.Errorf("degradation: track: want a video track index below %d, got %d", videoTracks, d.Track)
	}
	to := d.to()
	if d.From < 0 || to > 1 || d.From >= to {
		return fmt.Errorf("degradation: from, to: want 0 ≤ from < to ≤ 1, got %v, %v", d.From, d.To)
	}
	if d.Factor < 0 || d.KeyframeInterval < 0 {
		return fmt.Errorf("degradation: factor and keyframeInterval cannot be negative")
	}
	return nil
}

func (d Degradation) to() float64 {
	if d.To == 0 {
		return 1
	}
	return d.To
}

// MetricUnits are the CloudWatch units IVS publishes its metrics in: IngestFramerate in
// Count/Second, as the monitoring guide documents it since it changed from frames per second;
// the bitrates in Megabits/Second, KeyframeInterval in Seconds and ConcurrentViews in Count, the
// standard units of what the guide's table says (Mbps, seconds, a count). The quality function
// names no unit when it reads them, so none of these labels matters to it (a test holds it to
// that).
var MetricUnits = map[string]string{
	quality.MetricIngestVideoBitrate: "Megabits/Second",
	quality.MetricIngestAudioBitrate: "Megabits/Second",
	quality.MetricIngestFramerate:    "Count/Second",
	quality.MetricKeyframeInterval:   "Seconds",
	quality.MetricConcurrentViews:    "Count",
}

// KeyframeInterval is the keyframe interval, in seconds, of a track that is not degraded.
const KeyframeInterval = 2

// viewers is the simulated audience: ConcurrentViews at second i of a session.
func viewers(i int) float64 { return float64(10 + i%7) }

// SessionMetrics returns the CloudWatch series IVS publishes for a session of enc that ran from
// start to end on channel channelID, keyed by metric and dimensions as quality reads them: one
// datapoint a second (from the first whole second), every video track's IngestVideoBitrate
// (Mbps), IngestFramerate and KeyframeInterval, every audio track's IngestAudioBitrate (Mbps),
// the channel's ConcurrentViews, at the targets except where enc.Degradations say otherwise,
// and no datapoint at all while the stream starved (starving: Starvation Start/End times).
func SessionMetrics(channelID string, enc Encoder, start, end time.Time, starving []time.Time) map[quality.SeriesKey][]cloudwatchtest.Datum {
	out := map[quality.SeriesKey][]cloudwatchtest.Datum{}
	first := start.Truncate(time.Second)
	if first.Before(start) {
		first = first.Add(time.Second)
	}
	n := int(end.Sub(first)/time.Second) + 1
	if !end.After(first) {
		n = 1 // a session shorter than a second still has its one datapoint
	}
	dur := end.Sub(start)
	add := func(track, metric string, at time.Time, v float64) {
		k := quality.SeriesKey{Track: track, Metric: metric}
		out[k] = append(out[k], cloudwatchtest.Datum{Time: at, Value: v, Unit: MetricUnits[metric]})
	}
	for i := range n {
		at := first.Add(time.Duration(i) * time.Second)
		if starved(starving, at) {
			continue
		}
		frac := 0.0
		if dur > 0 {
			frac = float64(at.Sub(start)) / float64(dur)
		}
		for ti, v := range enc.Video {
			track := fmt.Sprintf("Track%d", ti)
			br, fr, kf := float64(v.Bitrate), float64(v.Framerate), float64(KeyframeInterval)
			for _, d := range enc.Degradations {
				if d.Track != ti || frac < d.From || frac >= d.to() {
					continue
				}
				factor := d.Factor
				if factor == 0 {
					factor = 0.5
				}
				switch d.Kind {
				case DegradeBitrate:
					br *= factor
				case DegradeFrames:
					fr *= factor
				case DegradeKeyframes:
					kf = d.KeyframeInterval
					if kf == 0 {
						kf = 6
					}
				}
			}
			add(track, quality.MetricIngestVideoBitrate, at, br/quality.BitrateUnit)
			add(track, quality.MetricIngestFramerate, at, fr)
			add(track, quality.MetricKeyframeInterval, at, kf)
		}
		for ai, a := range enc.Audio {
			add(fmt.Sprintf("Track%d", ai), quality.MetricIngestAudioBitrate, at, float64(a.Bitrate)/quality.BitrateUnit)
		}
		add("", quality.MetricConcurrentViews, at, viewers(i))
	}
	return out
}

// starved reports whether at falls in a starvation: after an odd number of the alternating
// Starvation Start/End times.
func starved(alternating []time.Time, at time.Time) bool {
	in := false
	for _, t := range alternating {
		if t.After(at) {
			break
		}
		in = !in
	}
	return in
}

// publishMetrics puts the series of a session that was live into the metric sink. Callers
// hold s.mu.
func (s *Server) publishMetrics(c *channel, sess *session) {
	if s.metrics == nil {
		return
	}
	var starving []time.Time
	in := false
	for _, e := range sess.events {
		switch {
		case e.name == ivsevent.EventStarvationStart && !in, e.name == ivsevent.EventStarvationEnd && in:
			starving = append(starving, e.at)
			in = !in
		}
	}
	for k, data := range SessionMetrics(c.id, sess.encoder, sess.start, sess.end, starving) {
		dims := map[string]string{quality.DimensionChannel: c.id}
		if k.Track != "" {
			dims[quality.DimensionTrack] = k.Track
		}
		s.metrics.Put(quality.Namespace, k.Metric, dims, data...)
	}
}
