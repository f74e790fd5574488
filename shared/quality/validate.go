package quality

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Bounds of a Report that arrives from outside (an "IVS Session Quality" event, Validate): far
// above what Compute makes of any IVS session, far below what would hurt a record or a page.
const (
	// MaxTracks bounds Report.Tracks: IVS takes at most 5 video tracks and a few audio ones.
	MaxTracks = 16
	// MaxReasons bounds Report.Reasons: at most three per video track and one for starvation.
	MaxReasons = 3*MaxTracks + 1
	// MaxTrackNameLength bounds a track's name (IVS names them Track0, Track1, ...).
	MaxTrackNameLength = 64
	// MaxPeriodSeconds bounds Report.PeriodSeconds: the coarsest period CloudWatch keeps (1 h).
	MaxPeriodSeconds = 3600
	// MaxAttempts bounds Report.Attempts: the quality queue's deliveries.
	MaxAttempts = 1000
)

// Verdicts lists the verdicts, ReasonCodes the reasons, Kinds the kinds of track: the whole
// vocabulary of a Report.
var (
	Verdicts    = []Verdict{VerdictHealthy, VerdictDegraded, VerdictUnknown}
	ReasonCodes = []ReasonCode{ReasonLowBitrate, ReasonLowFrameRate, ReasonKeyframeInterval, ReasonStarvation}
	Kinds       = []Kind{KindVideo, KindAudio}
)

// Validate checks a report that arrives from outside against the vocabulary (a verdict, reason
// codes and kinds Compute makes) and the bounds (at most MaxTracks tracks and MaxReasons
// reasons, names of at most MaxTrackNameLength bytes and texts of at most
// ivsevent.MaxTextLength, without control characters; finite, non-negative numbers; shares
// from 0 to 1; times in the archive's years, the window's end not before its start). It returns
// a *invalid.FieldError whose Field is under field (e.g. "quality.verdict").
func (r Report) Validate(field string) error {
	f := func(name string) string { return field + "." + name }
	if !slices.Contains(Verdicts, r.Verdict) {
		return &invalid.FieldError{Field: f("verdict"), Want: "healthy, degraded or unknown", Got: string(r.Verdict)}
	}
	if len(r.Reasons) > MaxReasons {
		return &invalid.FieldError{Field: f("reasons"), Want: fmt.Sprintf("at most %d reasons", MaxReasons), Got: strconv.Itoa(len(r.Reasons))}
	}
	for i, reason := range r.Reasons {
		rf := fmt.Sprintf("%s.reasons[%d]", field, i)
		if !slices.Contains(ReasonCodes, reason.Code) {
			return &invalid.FieldError{Field: rf + ".code", Want: "low-bitrate, low-frame-rate, keyframe-interval or starvation", Got: string(reason.Code)}
		}
		if err := invalid.First(checkTrack(rf+".track", reason.Track), ivsevent.CheckText(rf+".detail", reason.Detail)); err != nil {
			return err
		}
	}
	if err := invalid.First(checkTrack(f("worstTrack"), r.WorstTrack), ivsevent.CheckText(f("note"), r.Note)); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"windowStart", r.WindowStart}, {"windowEnd", r.WindowEnd}, {"measuredAt", r.MeasuredAt}} {
		if !t.at.IsZero() {
			if err := ivsevent.CheckTime(f(t.name), t.at); err != nil {
				return err
			}
		}
	}
	if !r.WindowStart.IsZero() && r.WindowEnd.Before(r.WindowStart) {
		return &invalid.FieldError{Field: f("windowEnd"), Want: "a time at or after windowStart", Got: r.WindowEnd.UTC().Format(time.RFC3339Nano)}
	}
	if r.PeriodSeconds < 0 || r.PeriodSeconds > MaxPeriodSeconds {
		return &invalid.FieldError{Field: f("periodSeconds"), Want: fmt.Sprintf("0 to %d seconds", MaxPeriodSeconds), Got: strconv.Itoa(r.PeriodSeconds)}
	}
	if r.Attempts < 0 || r.Attempts > MaxAttempts {
		return &invalid.FieldError{Field: f("attempts"), Want: fmt.Sprintf("0 to %d", MaxAttempts), Got: strconv.Itoa(r.Attempts)}
	}
	if err := checkNumber(f("starvationSeconds"), r.StarvationSeconds); err != nil {
		return err
	}
	if v := r.Viewers; v != nil {
		if err := invalid.First(checkNumber(f("viewers.peak"), v.Peak), checkNumber(f("viewers.mean"), v.Mean)); err != nil {
			return err
		}
	}
	if len(r.Tracks) > MaxTracks {
		return &invalid.FieldError{Field: f("tracks"), Want: fmt.Sprintf("at most %d tracks", MaxTracks), Got: strconv.Itoa(len(r.Tracks))}
	}
	for i, t := range r.Tracks {
		if err := t.validate(fmt.Sprintf("%s.tracks[%d]", field, i)); err != nil {
			return err
		}
	}
	return nil
}

func (t TrackReport) validate(field string) error {
	f := func(name string) string { return field + "." + name }
	if t.Track == "" {
		return &invalid.FieldError{Field: f("track"), Want: "the track's name", Got: ""}
	}
	if !slices.Contains(Kinds, t.Kind) {
		return &invalid.FieldError{Field: f("kind"), Want: "video or audio", Got: string(t.Kind)}
	}
	if t.TargetBitrate < 0 || t.TargetFrameRate < 0 {
		return &invalid.FieldError{Field: f("targetBitrate"), Want: "targets at or above 0", Got: fmt.Sprintf("%d bps, %d fps", t.TargetBitrate, t.TargetFrameRate)}
	}
	return invalid.First(
		checkTrack(f("track"), t.Track),
		checkStats(f("bitrate"), t.Bitrate), checkStats(f("frameRate"), t.FrameRate), checkStats(f("keyframeInterval"), t.KeyframeInterval),
		checkShare(f("bitrateLowShare"), t.BitrateLowShare), checkShare(f("frameRateLowShare"), t.FrameRateLowShare),
		checkShare(f("keyframeOffShare"), t.KeyframeOffShare),
	)
}

// checkTrack checks a track name: empty, or at most MaxTrackNameLength bytes of text.
func checkTrack(field, name string) error {
	if len(name) > MaxTrackNameLength {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("a track name of at most %d bytes", MaxTrackNameLength), Got: name}
	}
	return ivsevent.CheckText(field, name)
}

func checkStats(field string, s *Stats) error {
	if s == nil {
		return nil
	}
	if s.Samples < 0 {
		return &invalid.FieldError{Field: field + ".samples", Want: "a count at or above 0", Got: strconv.Itoa(s.Samples)}
	}
	return invalid.First(checkNumber(field+".min", s.Min), checkNumber(field+".mean", s.Mean), checkNumber(field+".p5", s.P5), checkNumber(field+".max", s.Max))
}

// checkNumber checks a measurement: a finite number at or above 0.
func checkNumber(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return &invalid.FieldError{Field: field, Want: "a finite number at or above 0", Got: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	return nil
}

// checkShare checks a share of samples: from 0 to 1.
func checkShare(field string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return &invalid.FieldError{Field: field, Want: "a share from 0 to 1", Got: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	return nil
}
