package session

import (
	"cmp"
	"encoding/json"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// Measured is the detail of an "IVS Session Quality" event (suite.DetailTypeSessionQuality):
// how the session's tracks really streamed. Rules on the suite's bus match on quality.verdict
// (suite.DegradedSessions).
type Measured struct {
	ChannelARN string `json:"channelArn"`
	StreamID   string `json:"streamId"`
	// SessionKey is the archive key of the session's record (Record.Key of the enriched record).
	SessionKey string         `json:"sessionKey,omitempty"`
	Quality    quality.Report `json:"quality"`
	// Trigger is the IVS event that ended the session (the enriched event's trigger).
	Trigger Trigger `json:"trigger"`
}

// QualitySession returns what package quality needs to know of the record's session: the
// channel, the window (startTime, else the earliest event; endTime, else the latest Session
// Ended or Stream End event, else the latest event), the tracks' targets and the starvation
// events.
func (r Record) QualitySession() quality.Session {
	s := quality.Session{ChannelID: r.ChannelID, Start: r.StartTime, End: r.EndTime}
	var first, last, ended time.Time
	for _, e := range r.Events {
		first, last = earliest(first, e.Time), latest(last, e.Time)
		switch e.Name {
		case ivsevent.EventSessionEnded, ivsevent.EventStreamEnd:
			ended = latest(ended, e.Time)
		case ivsevent.EventStarvationStart, ivsevent.EventStarvationEnd:
			s.Health = append(s.Health, quality.HealthEvent{Time: e.Time, Starving: e.Name == ivsevent.EventStarvationStart})
		}
	}
	if s.Start.IsZero() {
		s.Start = first
	}
	if s.End.IsZero() {
		s.End = cmp.Or(ended, last)
	}
	for _, v := range r.Video {
		s.Tracks = append(s.Tracks, quality.Target{Track: v.Track, Kind: quality.KindVideo, TargetBitrate: v.TargetBitrate, TargetFrameRate: v.FrameRate})
	}
	for _, a := range r.Audio {
		s.Tracks = append(s.Tracks, quality.Target{Track: a.Track, Kind: quality.KindAudio, TargetBitrate: a.TargetBitrate})
	}
	return s
}

// verdictRank orders measurements: one with data beats one without, whatever their times.
var verdictRank = map[quality.Verdict]int{quality.VerdictUnknown: 1, quality.VerdictHealthy: 2, quality.VerdictDegraded: 2}

// mergeQuality keeps the better of two measurements of a session: one with data (healthy or
// degraded) over unknown, then the later, then (for commutativity) the greater JSON.
func mergeQuality(a, b *quality.Report) *quality.Report {
	if a == nil {
		a, b = b, a
	}
	if a == nil {
		return nil
	}
	if b != nil && cmp.Or(
		cmp.Compare(verdictRank[b.Verdict], verdictRank[a.Verdict]),
		b.MeasuredAt.Compare(a.MeasuredAt),
		cmp.Compare(qualityJSON(b), qualityJSON(a)),
	) > 0 {
		a = b
	}
	c := *a
	return &c
}

func qualityJSON(q *quality.Report) string {
	b, _ := json.Marshal(q)
	return string(b)
}
