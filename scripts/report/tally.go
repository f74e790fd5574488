package main

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// tally holds the report's figures while they are counted: the direct reader adds records one
// by one (add), the Athena mode adds the rows of its queries. Its memory grows with channels,
// labels (codes, verdicts, ladders), timeline buckets, live sessions and refusals not yet
// answered by a correction, never with the records read: records are counted and dropped.
//
// Two figures depend on the order of sessions in time, so records come a day at a time, in
// the order of the days (the archive's keys are dated by the session's start): a channel that
// "still refuses" has a refusal after its last applied correction, and a live session is over
// when a later session of its channel started. A day's refusals and starts are kept until the
// day is done (endDay); nothing else of a day is.
type tally struct {
	opts Options
	// grain is the width of the timeline's buckets as counted, origin where bucket 0 starts
	// (aligned to every width): the report's buckets (bucketWidths) are whole numbers of them.
	grain  time.Duration
	origin time.Time

	channels    map[string]*channelTally
	buckets     map[int64]*bucketTally
	live        []*liveSession
	records     int
	undecodable int

	day map[string]*dayTally // the day being read, by channel (direct reader)
}

// channelTally is one channel's figures.
type channelTally struct {
	sessions, ended, refused, withTracks, multitrack, recovered int
	// leftForAds counts its refusals whose correction was left to a person because the channel
	// has an ad configuration.
	leftForAds int
	// liveMillis is how long its sessions that were not refused lasted, in milliseconds
	// (records give durations to the millisecond, so the sum is exact in any order).
	liveMillis int64
	// name is the name of its latest session (by start, then stream ID) that has one; nameKey
	// is that session's start (session.TimeLayout) and stream ID.
	name, nameKey string
	first, last   time.Time // earliest and latest start
	// account and region are where the channel is: the greatest its records name (a channel
	// ID is unique only within its account and region, and every record of a channel names
	// the same; the Athena mode takes max() alike).
	account, region string

	refusals, corrections, verdicts, ladders map[string]int // ladders by ladderKey

	// applied is when a correction was last applied to it; after counts its refusals that
	// started after that, by code.
	applied time.Time
	after   map[string]*afterCount
}

type afterCount struct {
	n    int
	last time.Time
}

type bucketTally struct {
	sessions, refused, withTracks, multitrack int
	verdicts                                  map[string]int
}

// liveSession is a session archived live, and the first session of its channel that started
// after it was last heard of (nil: none yet).
type liveSession struct {
	channel, stream, key string
	account, region      string
	start, seen          time.Time
	next                 *startAt
}

type startAt struct {
	start  time.Time
	stream string
}

// before orders starts as the report sorts sessions: by start, then stream ID.
func (a startAt) before(b startAt) bool {
	return a.start.Before(b.start) || a.start.Equal(b.start) && a.stream < b.stream
}

// dayTally is what one channel's day keeps until endDay: its latest applied correction, its
// refusals and the starts of its sessions.
type dayTally struct {
	applied  time.Time
	refusals []refusalAt
	starts   []startAt
}

type refusalAt struct {
	start time.Time
	code  string
}

func newTally(o Options, grain time.Duration, origin time.Time) *tally {
	return &tally{opts: o, grain: grain, origin: origin, channels: map[string]*channelTally{}, buckets: map[int64]*bucketTally{}, day: map[string]*dayTally{}}
}

func (t *tally) channel(id string) *channelTally {
	c := t.channels[id]
	if c == nil {
		c = &channelTally{refusals: map[string]int{}, corrections: map[string]int{}, verdicts: map[string]int{}, ladders: map[string]int{}, after: map[string]*afterCount{}}
		t.channels[id] = c
	}
	return c
}

func (t *tally) bucket(i int64) *bucketTally {
	b := t.buckets[i]
	if b == nil {
		b = &bucketTally{verdicts: map[string]int{}}
		t.buckets[i] = b
	}
	return b
}

// bucketOf is the index of the grain bucket of a session started at st.
func (t *tally) bucketOf(st time.Time) int64 {
	d := st.Sub(t.origin)
	i := int64(d / t.grain)
	if d < 0 && d%t.grain != 0 {
		i-- // floor, not truncation
	}
	return i
}

// seenStart records that a channel had a session started at st (first, last).
func (c *channelTally) seenStart(st time.Time) {
	if c.first.IsZero() || st.Before(c.first) {
		c.first = st
	}
	if st.After(c.last) {
		c.last = st
	}
}

// place records an account and region the channel's records name (see channelTally).
func (c *channelTally) place(account, region string) {
	c.account, c.region = max(c.account, account), max(c.region, region)
}

// add counts one record (the direct reader).
func (t *tally) add(s Session) {
	t.records++
	c := t.channel(s.ChannelID)
	c.place(s.Account, s.Region)
	st := startOf(s)
	c.sessions++
	c.seenStart(st)
	refused := s.Outcome == session.OutcomeRefused
	switch s.Outcome {
	case session.OutcomeRefused:
		c.refused++
		c.refusals[s.Code]++
		if s.NextSession != nil {
			c.recovered++
		}
		if s.Correction != nil && s.Correction.Decision.Conflict == multitrack.ConflictAdInsertion {
			c.leftForAds++
		}
	case session.OutcomeEnded:
		c.ended++
	}
	tracks := s.VideoTrackCount > 0 && !refused
	if !refused {
		c.liveMillis += int64(math.Round(s.DurationSeconds * 1000))
		c.verdicts[s.verdict()]++
		if tracks {
			c.withTracks++
			if s.Multitrack {
				c.multitrack++
			}
		}
	}
	if s.VideoTrackCount > 0 { // a refused broadcast's ladder too: what the encoder sent
		c.ladders[ladderKeyOf(s.Record)]++
	}
	if s.Correction != nil {
		c.corrections[string(s.Correction.Outcome)]++
	}
	if s.Channel != nil && s.Channel.Name != "" {
		if k := session.FormatTime(st) + "|" + s.StreamID; k > c.nameKey {
			c.nameKey, c.name = k, s.Channel.Name
		}
	}

	b := t.bucket(t.bucketOf(st))
	b.sessions++
	if refused {
		b.refused++
	} else {
		b.verdicts[s.verdict()]++
		if tracks {
			b.withTracks++
			if s.Multitrack {
				b.multitrack++
			}
		}
	}

	d := t.day[s.ChannelID]
	if d == nil {
		d = &dayTally{}
		t.day[s.ChannelID] = d
	}
	d.starts = append(d.starts, startAt{start: st, stream: s.StreamID})
	if refused {
		d.refusals = append(d.refusals, refusalAt{start: st, code: s.Code})
	}
	if cr := s.Correction; cr != nil && cr.Outcome == session.CorrectionApplied && cr.At.After(d.applied) {
		d.applied = cr.At.UTC()
	}
	if s.Outcome == session.OutcomeLive {
		t.live = append(t.live, &liveSession{channel: s.ChannelID, stream: s.StreamID, key: s.Key, account: s.Account, region: s.Region, start: st, seen: lastSeen(s)})
	}
}

// endDay closes the day being read: each channel's refusals are weighed against its latest
// applied correction, and its live sessions against the day's starts.
func (t *tally) endDay() {
	for id, d := range t.day {
		c := t.channel(id)
		threshold := later(c.applied, d.applied)
		after := map[string]*afterCount{}
		for _, r := range d.refusals {
			if threshold.IsZero() || r.start.After(threshold) {
				a := after[r.code]
				if a == nil {
					a = &afterCount{}
					after[r.code] = a
				}
				a.n++
				a.last = later(a.last, r.start)
			}
		}
		c.mergeSegment(d.applied, after)
		t.nextStarts(id, d.starts)
	}
	clear(t.day)
}

// mergeSegment adds a segment of days (the direct reader's day, an Athena query's range of
// days), read in the order of the days: applied is its latest applied correction (zero if
// none) and after its refusals that started after both that and the corrections of earlier
// segments. A correction applied in the segment came after every refusal of the earlier
// segments (a correction is applied after its session started), so they no longer count.
func (c *channelTally) mergeSegment(applied time.Time, after map[string]*afterCount) {
	if !applied.IsZero() {
		clear(c.after)
		c.applied = later(c.applied, applied)
	}
	for code, a := range after {
		have := c.after[code]
		if have == nil {
			have = &afterCount{}
			c.after[code] = have
		}
		have.n += a.n
		have.last = later(have.last, a.last)
	}
}

// nextStarts offers the starts of a channel's sessions to its live sessions that have no later
// session yet: the first one started after a live session was last heard of is its next.
func (t *tally) nextStarts(channel string, starts []startAt) {
	for _, l := range t.live {
		if l.channel != channel {
			continue
		}
		for _, s := range starts {
			if s.start.After(l.seen) && (l.next == nil || s.before(*l.next)) {
				n := s
				l.next = &n
			}
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ladderKeyOf is the key of a record's ladder: each video track's resolution and target
// bitrate, Track0 first ("1920x1080@6000000 1280x720@2500000"). The Athena mode's SQL builds
// the same key.
func ladderKeyOf(r session.Record) string {
	parts := make([]string, len(r.Video))
	for i, v := range r.Video {
		parts[i] = strconv.FormatInt(v.Width, 10) + "x" + strconv.FormatInt(v.Height, 10) + "@" + strconv.FormatInt(v.TargetBitrate, 10)
	}
	return strings.Join(parts, " ")
}

// ladderOfKey is the ladder a ladderKeyOf key names.
func ladderOfKey(key string, sessions int) Ladder {
	l := Ladder{Resolutions: []string{}, BitratesBps: []int64{}, Sessions: sessions}
	for _, part := range strings.Fields(key) {
		res, bps, _ := strings.Cut(part, "@")
		n, _ := strconv.ParseInt(bps, 10, 64)
		l.Resolutions = append(l.Resolutions, res)
		l.BitratesBps = append(l.BitratesBps, n)
	}
	l.Tracks = len(l.Resolutions)
	return l
}

// report makes the Report of what was counted; it does not fill From, To, Channels and Read.
func (t *tally) report() Report {
	r := Report{PerChannel: []ChannelSummary{}, Timeline: []Bucket{}, StillLive: []StaleSession{}, Disagreeing: []Disagreement{}}
	ids := slices.Collect(maps.Keys(t.channels))
	slices.SortFunc(ids, func(a, b string) int { // by name, then ID
		return cmp.Or(cmp.Compare(t.channels[a].name, t.channels[b].name), cmp.Compare(a, b))
	})
	all := newSum()
	regions := map[[2]string]*channelTally{}
	regionChannels := map[[2]string]int{}
	live := map[string][]*liveSession{}
	for _, l := range t.live {
		live[l.channel] = append(live[l.channel], l)
	}
	for _, id := range ids {
		c := t.channels[id]
		r.PerChannel = append(r.PerChannel, ChannelSummary{ChannelID: id, Name: c.name, Account: c.account, Region: c.region, Summary: c.summary()})
		all.absorb(c)
		place := [2]string{c.account, c.region}
		if regions[place] == nil {
			regions[place] = newSum()
		}
		regions[place].absorb(c)
		regionChannels[place]++

		ls := live[id]
		slices.SortFunc(ls, func(a, b *liveSession) int {
			return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.stream, b.stream))
		})
		for _, l := range ls {
			why := ""
			if l.next != nil {
				why = "session " + l.next.stream + " started on the channel at " + session.FormatTime(l.next.start)
			} else if t.opts.StaleAfter > 0 && t.opts.Now.Sub(l.seen) > t.opts.StaleAfter {
				why = "nothing heard for " + t.opts.Now.Sub(l.seen).Round(time.Minute).String()
			}
			if why != "" {
				r.StillLive = append(r.StillLive, StaleSession{ChannelID: id, StreamID: l.stream, Key: l.key, LastSeen: l.seen, Why: why})
			}
		}
		if len(c.after) > 0 {
			d := Disagreement{ChannelID: id, Name: c.name, LastCorrection: c.applied, Codes: slices.Sorted(maps.Keys(c.after))}
			for _, a := range c.after {
				d.RefusalsAfter += a.n
				d.LastRefusal = later(d.LastRefusal, a.last)
			}
			r.Disagreeing = append(r.Disagreeing, d)
		}
	}
	r.Overall = all.summary()
	places := slices.Collect(maps.Keys(regions))
	slices.SortFunc(places, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	r.PerRegion = []RegionSummary{}
	for _, p := range places {
		r.PerRegion = append(r.PerRegion, RegionSummary{Account: p[0], Region: p[1], Channels: regionChannels[p], Summary: regions[p].summary()})
	}
	r.Bucket, r.Timeline = t.timeline(all.first, all.last)
	return r
}

// newSum is an empty channelTally that channels' figures are added to (absorb).
func newSum() *channelTally {
	return &channelTally{refusals: map[string]int{}, corrections: map[string]int{}, verdicts: map[string]int{}, ladders: map[string]int{}}
}

// absorb adds channel c's figures to sum (the overall figures, a region's).
func (sum *channelTally) absorb(c *channelTally) {
	sum.sessions += c.sessions
	sum.ended += c.ended
	sum.refused += c.refused
	sum.withTracks += c.withTracks
	sum.multitrack += c.multitrack
	sum.recovered += c.recovered
	sum.leftForAds += c.leftForAds
	sum.liveMillis += c.liveMillis
	for _, m := range [][2]map[string]int{{sum.refusals, c.refusals}, {sum.corrections, c.corrections}, {sum.verdicts, c.verdicts}, {sum.ladders, c.ladders}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
	if !c.first.IsZero() && (sum.first.IsZero() || c.first.Before(sum.first)) {
		sum.first = c.first
	}
	sum.last = later(sum.last, c.last)
}

func (c *channelTally) summary() Summary {
	s := Summary{Sessions: c.sessions, Ended: c.ended, Refused: c.refused, Live: c.sessions - c.ended - c.refused,
		HoursLive: roundTo(float64(c.liveMillis)/float64(time.Hour/time.Millisecond), 3), Multitrack: c.multitrack, WithTracks: c.withTracks,
		Recovered: c.recovered, LeftForAds: c.leftForAds, Ladders: []Ladder{}}
	if s.WithTracks > 0 {
		s.MultitrackShare = roundTo(float64(s.Multitrack)/float64(s.WithTracks), 3)
	}
	for k, n := range c.ladders {
		s.Ladders = append(s.Ladders, ladderOfKey(k, n))
	}
	slices.SortFunc(s.Ladders, func(a, b Ladder) int {
		return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(b.Tracks, a.Tracks), cmp.Compare(fmtLadder(a), fmtLadder(b)))
	})
	s.Refusals, s.Corrections, s.Verdicts = counts(c.refusals), counts(c.corrections), counts(c.verdicts)
	return s
}

// fmtLadder orders ladders of as many sessions and tracks.
func fmtLadder(l Ladder) string { return fmt.Sprint(l.Resolutions, l.BitratesBps) }

// timeline buckets the counted sessions by start, with the narrowest width (bucketWidths) that
// gives at most maxBuckets buckets from the first start to the last; empty buckets in between
// are kept, so the axis is time.
func (t *tally) timeline(first, last time.Time) (string, []Bucket) {
	if len(t.buckets) == 0 {
		return "", []Bucket{}
	}
	width := bucketWidths[len(bucketWidths)-1]
	for _, w := range bucketWidths {
		if int(last.Truncate(w).Sub(first.Truncate(w))/w)+1 <= maxBuckets {
			width = w
			break
		}
	}
	width = max(width, t.grain) // a grain bucket is not split
	origin := first.Truncate(width)
	n := int(last.Truncate(width).Sub(origin)/width) + 1
	out := make([]Bucket, n)
	for i := range out {
		out[i] = Bucket{Start: origin.Add(time.Duration(i) * width), Verdicts: map[string]int{}}
	}
	for i, g := range t.buckets {
		at := t.origin.Add(time.Duration(i) * t.grain).Truncate(width)
		j := int(at.Sub(origin) / width)
		if j < 0 || j >= n {
			continue // outside the first and last start: cannot happen for counted sessions
		}
		b := &out[j]
		b.Sessions += g.sessions
		b.Refused += g.refused
		b.WithTracks += g.withTracks
		b.Multitrack += g.multitrack
		for v, k := range g.verdicts {
			b.Verdicts[v] += k
		}
	}
	for i := range out {
		if out[i].WithTracks > 0 {
			out[i].MultitrackShare = roundTo(float64(out[i].Multitrack)/float64(out[i].WithTracks), 3)
		}
	}
	return widthLabel(width), out
}

// grainFor is the timeline grain for data whose first start is in firstDay and last in lastDay
// (from the listing): the widest of bucketWidths that is narrower than any width the report
// can pick for them (a longer span needs a wider width), so every width the report picks is
// a whole number of grains.
func grainFor(firstDay, lastDay time.Time) time.Duration {
	least := lastDay.Sub(firstDay) - 24*time.Hour // the least span: the end of the first day to the start of the last
	grain := bucketWidths[0]
	for _, w := range bucketWidths {
		if least/w > maxBuckets {
			grain = w
		}
	}
	return grain
}

// timelineOrigin is where bucket 0 of a range's grain buckets starts: the range's first day
// truncated to the widest width, so it is aligned to every width.
func timelineOrigin(from time.Time) time.Time {
	return from.Truncate(bucketWidths[len(bucketWidths)-1])
}
