package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// t0 is a fixed time, so that reports are stable.
var t0 = time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC)

const testAccount = "123456789012"

// fixture describes one session of a test archive.
type fixture struct {
	channel, name string
	stream        int
	start         time.Time
	// startLag puts GetStreamSession's startTime this much after the first event: events come
	// to the second, GetStreamSession to the millisecond, so a record's earliest time can be
	// an event's.
	startLag    time.Duration
	duration    time.Duration // 0: still live
	code        string        // a refusal code: refused
	ladder      [][3]int64    // width, height, bitrate per video track
	correction  session.CorrectionOutcome
	correctedAt time.Time
	verdict     string
	next        int  // the stream that went live after this refused session's correction
	ads         bool // the channel has an ad configuration: a refusal's correction is left to a person
	// account and region are where the channel is (a fleet's); empty: testAccount, us-west-2.
	account, region string
}

var obsLadder = [][3]int64{{1920, 1080, 6_000_000}, {1280, 720, 2_500_000}, {852, 480, 1_000_000}}
var singleHD = [][3]int64{{1280, 720, 3_500_000}}

// record builds the fixture's session record as the suite archives it (derived fields by
// session.Merge).
func (f fixture) record() session.Record {
	account, region := cmp.Or(f.account, testAccount), cmp.Or(f.region, "us-west-2")
	arn := fmt.Sprintf("arn:aws:ivs:%s:%s:channel/%s", region, account, f.channel)
	r := session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: arn, ChannelID: f.channel, Region: region, Account: account,
		StreamID: streamID(f.channel, f.stream), Channel: &session.Channel{Name: f.name}, StartTime: f.start.Add(f.startLag), Enriched: true}
	r.Events = []session.Event{{Time: f.start, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionCreated}}
	switch {
	case f.code != "":
		r.EndTime = f.start.Add(time.Second)
		r.Events = append(r.Events, session.Event{Time: r.EndTime, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded, Code: f.code})
	case f.duration > 0:
		r.EndTime = f.start.Add(f.duration)
		r.Events = append(r.Events, session.Event{Time: r.EndTime, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded})
	}
	for i, v := range f.ladder {
		r.Video = append(r.Video, session.VideoTrack{Track: fmt.Sprintf("Track%d", i), Width: v[0], Height: v[1], FrameRate: 30, TargetBitrate: v[2]})
	}
	if f.correction != "" {
		r.Correction = &session.Correction{Decision: multitrack.Decision{Action: multitrack.ActionApply, Code: f.code}, Outcome: f.correction, At: f.correctedAt}
	}
	if f.verdict != "" {
		r.Quality = &quality.Report{Verdict: quality.Verdict(f.verdict), Reasons: []quality.Reason{}}
	}
	if f.ads {
		r.Channel.AdConfigurationARN = fmt.Sprintf("arn:aws:ivs:%s:%s:ad-configuration/ads%s", region, account, f.channel)
		if f.code != "" {
			r.Correction = &session.Correction{Decision: multitrack.Decision{Action: multitrack.ActionManual, Code: f.code, Conflict: multitrack.ConflictAdInsertion},
				Outcome: session.CorrectionUnchanged, At: f.start.Add(2 * time.Second)}
		}
	}
	if f.next != 0 {
		r.NextSession = &session.SessionLink{StreamID: streamID(f.channel, f.next), StartTime: f.start.Add(time.Minute)}
	}
	return session.Merge(r, session.Record{})
}

func streamID(channel string, n int) string { return fmt.Sprintf("st-%s%011d", channel, n) }

func (f fixture) session() Session {
	r := f.record()
	return Session{Record: r, Key: r.Key()}
}

// archive is a small archive over three days and three channels: a channel refused, corrected
// and then live with multitrack; a channel refused after its correction; a channel with a
// session still archived live though a later one started.
func archive() []fixture {
	day := 24 * time.Hour
	return []fixture{
		// studio: refused (multitrack not allowed), corrected, then three multitrack sessions.
		{channel: "studioAAAAAA", name: "studio", stream: 1, start: t0, code: ivsevent.CodeMultitrackInputNotAllowed,
			correction: session.CorrectionApplied, correctedAt: t0.Add(10 * time.Second), next: 2},
		{channel: "studioAAAAAA", name: "studio", stream: 2, start: t0.Add(time.Minute), duration: 2 * time.Hour, ladder: obsLadder, verdict: "healthy"},
		{channel: "studioAAAAAA", name: "studio", stream: 3, start: t0.Add(day), duration: time.Hour, ladder: obsLadder, verdict: "degraded"},
		{channel: "studioAAAAAA", name: "studio", stream: 4, start: t0.Add(2 * day), duration: 30 * time.Minute, ladder: obsLadder, verdict: "healthy"},
		// desk: single track; refused (require), corrected, refused again with another code.
		{channel: "deskBBBBBBBB", name: "desk", stream: 1, start: t0.Add(2 * time.Hour), duration: time.Hour, ladder: singleHD},
		{channel: "deskBBBBBBBB", name: "desk", stream: 2, start: t0.Add(day + time.Hour), code: ivsevent.CodeMultitrackInputRequired,
			correction: session.CorrectionApplied, correctedAt: t0.Add(day + time.Hour + 20*time.Second)},
		{channel: "deskBBBBBBBB", name: "desk", stream: 3, start: t0.Add(2*day + time.Hour), startLag: 105 * time.Millisecond, code: ivsevent.CodeInvalidMultitrackInputTrackCount,
			correction: session.CorrectionDecided, correctedAt: t0.Add(2*day + time.Hour + 5*time.Second)},
		// field: a session still live although the next one started; never corrected.
		{channel: "fieldCCCCCCC", name: "field", stream: 1, start: t0.Add(3 * time.Hour), ladder: singleHD},
		{channel: "fieldCCCCCCC", name: "field", stream: 2, start: t0.Add(day + 3*time.Hour), duration: 45 * time.Minute, ladder: singleHD, verdict: "unknown"},
	}
}

func sessionsOf(fs []fixture) []Session {
	var out []Session
	for _, f := range fs {
		out = append(out, f.session())
	}
	return out
}

// Aggregate computes the report of sessions as the direct reader does (a day at a time, in
// order); it does not fill From, To, Channels and Read. It is pure: sessions are not modified, and the
// order they come in does not matter.
func Aggregate(sessions []Session, o Options) Report {
	byDay := map[time.Time][]Session{}
	for _, s := range sessions {
		d := dayOf(s.Key)
		if d.IsZero() {
			d = startOf(s).Truncate(24 * time.Hour)
		}
		byDay[d] = append(byDay[d], s)
	}
	days := slices.SortedFunc(maps.Keys(byDay), func(a, b time.Time) int { return a.Compare(b) })
	if len(days) == 0 {
		return newTally(o, time.Minute, time.Time{}).report()
	}
	t := newTally(o, grainFor(days[0], days[len(days)-1]), timelineOrigin(days[0]))
	for _, d := range days {
		for _, s := range byDay[d] {
			t.add(s)
		}
		t.endDay()
	}
	return t.report()
}

// memberAccount is a fleet's member account in the fixtures.
const memberAccount = "210987654321"

// fleetChannels are sessions of two channels in eu-west-1, one of testAccount and one of a
// member account, to add to archive(): a fleet's archive of two regions and two accounts.
func fleetChannels() []fixture {
	return []fixture{
		{channel: "dublinEEEEEE", name: "dublin", stream: 1, start: t0.Add(30 * time.Minute), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder,
			correction: session.CorrectionApplied, correctedAt: t0.Add(30*time.Minute + 10*time.Second), next: 2, region: "eu-west-1"},
		{channel: "dublinEEEEEE", name: "dublin", stream: 2, start: t0.Add(31 * time.Minute), duration: time.Hour, ladder: obsLadder, verdict: "healthy", region: "eu-west-1"},
		{channel: "memberFFFFFF", name: "member", stream: 1, start: t0.Add(24*time.Hour + 40*time.Minute), duration: 2 * time.Hour, ladder: singleHD, verdict: "healthy",
			account: memberAccount, region: "eu-west-1"},
	}
}
