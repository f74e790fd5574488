package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Session is one archived session record as the report reads it.
type Session struct {
	session.Record
	// Verdict is the record's quality verdict (quality.verdict, or a top-level verdict field)
	// when the record has one; "" when it was not measured.
	Verdict string
	// Key is the object's key in the archive.
	Key string
}

// Verdict labels for sessions without one.
const notMeasured = "not measured"

// Options are what the aggregation needs besides the sessions.
type Options struct {
	// Now is the time the report is made, for sessions still live.
	Now time.Time
	// StaleAfter is how long after its last sign of life a live session is taken to be over
	// (IVS ends a stream after 48 hours at most).
	StaleAfter time.Duration
}

// Report is everything the report shows; its JSON is what -json prints.
type Report struct {
	From     string    `json:"from"` // first day (UTC), inclusive
	To       string    `json:"to"`   // last day (UTC), inclusive
	Channels []string  `json:"channels,omitempty"`
	Read     ReadStats `json:"read"`
	// Overall is every session of the range; PerChannel the same per channel, by name then ID.
	Overall    Summary          `json:"overall"`
	PerChannel []ChannelSummary `json:"perChannel"`
	// Bucket is the width of a Timeline bucket, e.g. "1h".
	Bucket   string   `json:"bucket"`
	Timeline []Bucket `json:"timeline"`
	// StillLive are sessions archived live that are over: a later session of their channel
	// started, or nothing was heard of them for StaleAfter.
	StillLive []StaleSession `json:"stillLive"`
	// Disagreeing are the channels whose configuration still refuses their broadcasters: a
	// refusal after their last applied correction, or refusals and none applied.
	Disagreeing []Disagreement `json:"disagreeing"`
}

// ReadStats says how much was read and how fast.
type ReadStats struct {
	Source           string  `json:"source"`
	Objects          int     `json:"objects"`
	Records          int     `json:"records"`
	Bytes            int64   `json:"bytes"`
	Seconds          float64 `json:"seconds"`
	RecordsPerSecond float64 `json:"recordsPerSecond"`
	Workers          int     `json:"workers"`
	// Undecodable are objects that are not session records (each named on stderr).
	Undecodable int `json:"undecodable,omitempty"`
}

// Summary aggregates a set of sessions.
type Summary struct {
	Sessions        int      `json:"sessions"`
	Live            int      `json:"live"`
	Ended           int      `json:"ended"`
	Refused         int      `json:"refused"`
	HoursLive       float64  `json:"hoursLive"`
	Multitrack      int      `json:"multitrack"`
	MultitrackShare float64  `json:"multitrackShare"` // of the sessions that went live with tracks
	WithTracks      int      `json:"withTracks"`
	Ladders         []Ladder `json:"ladders"`  // of every session that sent tracks, refused too
	Refusals        []Count  `json:"refusals"` // by code
	// Recovered counts the refused sessions that a session went live after, once corrected
	// (the record's nextSession).
	Recovered   int     `json:"recovered"`
	Corrections []Count `json:"corrections"` // by outcome
	// LeftForAds counts the refused sessions whose correction was left to a person because the
	// channel has an ad configuration (the decision's conflict is ad-insertion: the corrector
	// never gives such a channel FRAGMENTED_MP4 or multitrack input). In SQL over the sessions
	// table: count_if(outcome = 'refused' AND correction.decision.conflict = 'ad-insertion').
	LeftForAds int     `json:"leftForAds"`
	Verdicts   []Count `json:"verdicts"` // by quality verdict
}

// ChannelSummary is the Summary of one channel.
type ChannelSummary struct {
	ChannelID string `json:"channelId"`
	Name      string `json:"name,omitempty"`
	Summary
}

// Ladder is one video ladder seen, with how many sessions sent it.
type Ladder struct {
	Tracks      int      `json:"tracks"`
	Resolutions []string `json:"resolutions"` // per video track, Track0 first
	BitratesBps []int64  `json:"bitratesBps"` // per video track
	Sessions    int      `json:"sessions"`
}

// Count is a label and how many times it was seen.
type Count struct {
	Label string `json:"label"`
	N     int    `json:"n"`
}

// Bucket is one interval of the timeline (sessions dated by their start).
type Bucket struct {
	Start      time.Time `json:"start"`
	Sessions   int       `json:"sessions"`
	Refused    int       `json:"refused"`
	Multitrack int       `json:"multitrack"`
	WithTracks int       `json:"withTracks"`
	// MultitrackShare is Multitrack / WithTracks (0 when no session sent tracks).
	MultitrackShare float64        `json:"multitrackShare"`
	Verdicts        map[string]int `json:"verdicts"`
}

// StaleSession is a session archived live that is over.
type StaleSession struct {
	ChannelID string    `json:"channelId"`
	StreamID  string    `json:"streamId"`
	Key       string    `json:"key"`
	LastSeen  time.Time `json:"lastSeen"`
	Why       string    `json:"why"`
}

// Disagreement is a channel that still refuses its broadcasters.
type Disagreement struct {
	ChannelID string `json:"channelId"`
	Name      string `json:"name,omitempty"`
	// LastCorrection is when a correction was last applied to the channel; zero when never.
	LastCorrection time.Time `json:"lastCorrection,omitzero"`
	RefusalsAfter  int       `json:"refusalsAfter"`
	LastRefusal    time.Time `json:"lastRefusal"`
	Codes          []string  `json:"codes"`
}

// Aggregate computes the report of sessions; it does not fill From, To, Channels and Read.
// It is pure: sessions are not modified, and the order they come in does not matter.
func Aggregate(sessions []Session, o Options) Report {
	sessions = slices.Clone(sessions)
	slices.SortFunc(sessions, func(a, b Session) int {
		return cmp.Or(startOf(a).Compare(startOf(b)), cmp.Compare(a.ChannelID, b.ChannelID), cmp.Compare(a.StreamID, b.StreamID))
	})
	r := Report{Overall: summarize(sessions), PerChannel: []ChannelSummary{}, Timeline: []Bucket{}, StillLive: []StaleSession{}, Disagreeing: []Disagreement{}}

	byChannel := map[string][]Session{}
	for _, s := range sessions {
		byChannel[s.ChannelID] = append(byChannel[s.ChannelID], s)
	}
	ids := slices.Collect(maps.Keys(byChannel))
	slices.SortFunc(ids, func(a, b string) int { // by name, then ID
		return cmp.Or(cmp.Compare(channelName(byChannel[a]), channelName(byChannel[b])), cmp.Compare(a, b))
	})
	for _, id := range ids {
		ss := byChannel[id]
		r.PerChannel = append(r.PerChannel, ChannelSummary{ChannelID: id, Name: channelName(ss), Summary: summarize(ss)})
		r.StillLive = append(r.StillLive, staleSessions(ss, o)...)
		if d, ok := disagreement(id, ss); ok {
			d.Name = channelName(ss)
			r.Disagreeing = append(r.Disagreeing, d)
		}
	}
	r.Bucket, r.Timeline = timeline(sessions)
	return r
}

func summarize(ss []Session) Summary {
	s := Summary{Sessions: len(ss), Ladders: []Ladder{}}
	refusals, corrections, verdicts := map[string]int{}, map[string]int{}, map[string]int{}
	ladders := map[string]*Ladder{}
	for _, x := range ss {
		switch x.Outcome {
		case session.OutcomeRefused:
			s.Refused++
			refusals[x.Code]++
			if x.NextSession != nil {
				s.Recovered++
			}
			if x.Correction != nil && x.Correction.Decision.Conflict == multitrack.ConflictAdInsertion {
				s.LeftForAds++
			}
		case session.OutcomeEnded:
			s.Ended++
		default:
			s.Live++
		}
		if x.Outcome != session.OutcomeRefused {
			s.HoursLive += x.DurationSeconds / 3600
		}
		if x.VideoTrackCount > 0 && x.Outcome != session.OutcomeRefused {
			s.WithTracks++
			if x.Multitrack {
				s.Multitrack++
			}
		}
		if x.VideoTrackCount > 0 { // a refused broadcast's ladder too: what the encoder sent
			l := ladderOf(x.Record)
			k := fmt.Sprint(l.Resolutions, l.BitratesBps)
			if ladders[k] == nil {
				ladders[k] = &l
			}
			ladders[k].Sessions++
		}
		if x.Correction != nil {
			corrections[string(x.Correction.Outcome)]++
		}
		if x.Outcome != session.OutcomeRefused {
			verdicts[cmp.Or(x.Verdict, notMeasured)]++
		}
	}
	s.HoursLive = roundTo(s.HoursLive, 3)
	if s.WithTracks > 0 {
		s.MultitrackShare = roundTo(float64(s.Multitrack)/float64(s.WithTracks), 3)
	}
	for _, l := range ladders {
		s.Ladders = append(s.Ladders, *l)
	}
	slices.SortFunc(s.Ladders, func(a, b Ladder) int {
		return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(b.Tracks, a.Tracks), cmp.Compare(fmt.Sprint(a.Resolutions, a.BitratesBps), fmt.Sprint(b.Resolutions, b.BitratesBps)))
	})
	s.Refusals, s.Corrections, s.Verdicts = counts(refusals), counts(corrections), counts(verdicts)
	return s
}

func ladderOf(r session.Record) Ladder {
	l := Ladder{Tracks: len(r.Video), Resolutions: []string{}, BitratesBps: []int64{}}
	for _, v := range r.Video {
		l.Resolutions = append(l.Resolutions, strconv.FormatInt(v.Width, 10)+"x"+strconv.FormatInt(v.Height, 10))
		l.BitratesBps = append(l.BitratesBps, v.TargetBitrate)
	}
	return l
}

// counts returns the counts, most first, then by label.
func counts(m map[string]int) []Count {
	out := []Count{}
	for k, n := range m {
		out = append(out, Count{Label: k, N: n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Label, b.Label)) })
	return out
}

// startOf is when a session started: its start time, else its earliest event.
func startOf(s Session) time.Time {
	t := s.StartTime
	for _, e := range s.Events {
		if t.IsZero() || e.Time.Before(t) {
			t = e.Time
		}
	}
	return t.UTC()
}

// lastSeen is the latest time the record knows of the session.
func lastSeen(s Session) time.Time {
	t := startOf(s)
	for _, e := range s.Events {
		if e.Time.After(t) {
			t = e.Time
		}
	}
	if s.EndTime.After(t) {
		t = s.EndTime
	}
	return t.UTC()
}

func channelName(ss []Session) string {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].Channel != nil && ss[i].Channel.Name != "" {
			return ss[i].Channel.Name
		}
	}
	return ""
}

// staleSessions returns the sessions of one channel (sorted by start) archived live that are
// over: a later session of the channel started (a channel streams one session at a time), or
// nothing was heard of them for o.StaleAfter.
func staleSessions(ss []Session, o Options) []StaleSession {
	var out []StaleSession
	for i, s := range ss {
		if s.Outcome != session.OutcomeLive {
			continue
		}
		seen := lastSeen(s)
		why := ""
		for _, later := range ss[i+1:] {
			if st := startOf(later); st.After(seen) {
				why = fmt.Sprintf("session %s started on the channel at %s", later.StreamID, session.FormatTime(st))
				break
			}
		}
		if why == "" && o.StaleAfter > 0 && o.Now.Sub(seen) > o.StaleAfter {
			why = fmt.Sprintf("nothing heard for %s", o.Now.Sub(seen).Round(time.Minute))
		}
		if why != "" {
			out = append(out, StaleSession{ChannelID: s.ChannelID, StreamID: s.StreamID, Key: s.Key, LastSeen: seen, Why: why})
		}
	}
	return out
}

// disagreement reports whether a channel (its sessions, sorted by start) still refuses its
// broadcasters: a session refused that started after the channel's last applied correction, or
// refusals and no correction ever applied (decided, failed, dry-run, manual or found unchanged
// leave the channel as it was).
func disagreement(id string, ss []Session) (Disagreement, bool) {
	d := Disagreement{ChannelID: id, Codes: []string{}}
	for _, s := range ss {
		if c := s.Correction; c != nil && c.Outcome == session.CorrectionApplied && c.At.After(d.LastCorrection) {
			d.LastCorrection = c.At.UTC()
		}
	}
	codes := map[string]bool{}
	for _, s := range ss {
		if s.Outcome != session.OutcomeRefused {
			continue
		}
		at := startOf(s)
		if !d.LastCorrection.IsZero() && !at.After(d.LastCorrection) {
			continue
		}
		d.RefusalsAfter++
		d.LastRefusal = at
		codes[s.Code] = true
	}
	d.Codes = slices.Sorted(maps.Keys(codes))
	return d, d.RefusalsAfter > 0
}

// bucketWidths are the timeline's possible bucket widths, narrowest first.
var bucketWidths = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// maxBuckets is the most buckets a timeline has (wider buckets past it).
const maxBuckets = 30

// timeline buckets the sessions (sorted by start) by start time, with the narrowest width that
// gives at most maxBuckets buckets; empty buckets in between are kept, so the axis is time.
func timeline(ss []Session) (string, []Bucket) {
	if len(ss) == 0 {
		return "", []Bucket{}
	}
	first, last := startOf(ss[0]), startOf(ss[len(ss)-1])
	width := bucketWidths[len(bucketWidths)-1]
	for _, w := range bucketWidths {
		if int(last.Truncate(w).Sub(first.Truncate(w))/w)+1 <= maxBuckets {
			width = w
			break
		}
	}
	origin := first.Truncate(width)
	n := int(last.Truncate(width).Sub(origin)/width) + 1
	out := make([]Bucket, n)
	for i := range out {
		out[i] = Bucket{Start: origin.Add(time.Duration(i) * width), Verdicts: map[string]int{}}
	}
	for _, s := range ss {
		b := &out[int(startOf(s).Truncate(width).Sub(origin)/width)]
		b.Sessions++
		if s.Outcome == session.OutcomeRefused {
			b.Refused++
			continue
		}
		if s.VideoTrackCount > 0 {
			b.WithTracks++
			if s.Multitrack {
				b.Multitrack++
			}
		}
		b.Verdicts[cmp.Or(s.Verdict, notMeasured)]++
	}
	for i := range out {
		if out[i].WithTracks > 0 {
			out[i].MultitrackShare = roundTo(float64(out[i].Multitrack)/float64(out[i].WithTracks), 3)
		}
	}
	return widthLabel(width), out
}

func widthLabel(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strings.TrimSuffix(d.String(), "0s")
}

func roundTo(f float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(f*p+0.5)) / p
}
