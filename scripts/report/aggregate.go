package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Session is one archived session record as the report reads it.
type Session struct {
	session.Record
	// Key is the object's key in the archive.
	Key string
}

// verdict is the session's quality verdict (quality.verdict), or notMeasured.
func (s Session) verdict() string {
	if s.Quality != nil && s.Quality.Verdict != "" {
		return string(s.Quality.Verdict)
	}
	return notMeasured
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
	// Overall is every session of the range; PerRegion the same per account and region (a
	// fleet's: one entry in a single-region deployment), by account then region; PerChannel per
	// channel, by name then ID.
	Overall    Summary          `json:"overall"`
	PerRegion  []RegionSummary  `json:"perRegion"`
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

// ReadStats says how the figures were made: read directly (how much, how fast) or by Athena
// (what its queries scanned and what that costs).
type ReadStats struct {
	// Mode is ModeDirect or ModeAthena.
	Mode    string  `json:"mode"`
	Source  string  `json:"source"`
	Objects int     `json:"objects"`
	Records int     `json:"records"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	// RecordsPerSecond and Workers: the direct reader's rate and concurrent readers.
	RecordsPerSecond float64 `json:"recordsPerSecond,omitempty"`
	Workers          int     `json:"workers,omitempty"`
	// Undecodable are objects that are not session records (each named on stderr; in Athena
	// mode, rows the SerDe could not read).
	Undecodable int `json:"undecodable,omitempty"`
	// Why says why the report read the range this way (a flag, or how many objects the listing
	// found against -athena-above).
	Why string `json:"why,omitempty"`
	// Athena is what the Athena queries did (Athena mode).
	Athena *AthenaStats `json:"athena,omitempty"`
}

// AthenaStats says what a run's Athena queries scanned and what that costs.
type AthenaStats struct {
	WorkGroup string       `json:"workGroup"`
	Database  string       `json:"database"`
	Queries   []QueryStats `json:"queries"`
	// ScannedBytes is the sum of the queries' DataScannedInBytes; CostUSD its price at
	// PricePerTB.
	ScannedBytes int64   `json:"scannedBytes"`
	CostUSD      float64 `json:"costUsd"`
	// BilledBytes is what Athena bills: each query rounded up to a megabyte, 10 MB at least.
	BilledBytes int64   `json:"billedBytes"`
	BilledUSD   float64 `json:"billedUsd"`
}

// QueryStats is one Athena query of a run.
type QueryStats struct {
	ID           string `json:"id"`
	What         string `json:"what"`
	ScannedBytes int64  `json:"scannedBytes"`
	EngineMillis int64  `json:"engineMillis"`
}

// The modes.
const (
	ModeDirect = "direct"
	ModeAthena = "athena"
)

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
	// table: count_if(outcome = 'refused' AND correction.decision.conflict = 'ad-insertion'),
	// as the Athena mode counts it (sql.go).
	LeftForAds int     `json:"leftForAds"`
	Verdicts   []Count `json:"verdicts"` // by quality verdict
}

// ChannelSummary is the Summary of one channel, with the account and region it is in (its
// records'; empty for records that name none).
type ChannelSummary struct {
	ChannelID string `json:"channelId"`
	Name      string `json:"name,omitempty"`
	Account   string `json:"account,omitempty"`
	Region    string `json:"region,omitempty"`
	Summary
}

// RegionSummary is the Summary of one account's region: the sessions of its channels.
type RegionSummary struct {
	Account  string `json:"account"`
	Region   string `json:"region"`
	Channels int    `json:"channels"`
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

// dayOf is the day (midnight UTC) of an archive key's year=/month=/day= segments; zero for a
// key without them.
func dayOf(key string) time.Time {
	var y, m, d int
	rest, ok := strings.CutPrefix(key, session.KeyPrefix)
	if !ok {
		return time.Time{}
	}
	if _, err := fmt.Sscanf(rest, "year=%d/month=%d/day=%d/", &y, &m, &d); err != nil {
		return time.Time{}
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

// counts returns the counts, most first, then by label.
func counts(m map[string]int) []Count {
	out := []Count{}
	for k, n := range m {
		if n > 0 {
			out = append(out, Count{Label: k, N: n})
		}
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Label, b.Label)) })
	return out
}

// startOf is when a session started: the earliest of its start time (GetStreamSession's, to the
// millisecond) and its events' times (EventBridge's, to the second).
func startOf(s Session) time.Time {
	t := s.StartTime
	for _, e := range s.Events {
		if t.IsZero() || e.Time.Before(t) {
			t = e.Time
		}
	}
	return t.UTC()
}

// lastSeen is the latest time the record knows of the session: its start, its events' times,
// its end.
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

// bucketWidths are the timeline's possible bucket widths, narrowest first; each is a whole
// number of the ones before it.
var bucketWidths = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// maxBuckets is the most buckets a timeline has (wider buckets past it).
const maxBuckets = 30

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
