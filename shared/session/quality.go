package session

import (
	"cmp"
	"encoding/json"
	"errors"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
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

// RecordKey returns the key of the record the measurement belongs to, checked as every input
// is (Validate first): its sessionKey, which must be this very session's key (same account,
// region, channel and stream) dated by the measured window's start or the day before (a record
// known only from events is dated by its earliest event), or, without one, the key dated by the
// window's start. It returns a *invalid.FieldError naming the field otherwise: a measurement
// never names a record of another session or another day.
func (m Measured) RecordKey() (string, error) {
	arn, err := ivsevent.ParseChannelARN(m.ChannelARN)
	if err != nil {
		if fe := (*invalid.FieldError)(nil); errors.As(err, &fe) {
			fe.Field = "channelArn"
		}
		return "", err
	}
	id, err := IdentityOf(arn, m.StreamID)
	if err != nil {
		return "", err
	}
	start := m.Quality.WindowStart
	if m.SessionKey == "" {
		if start.IsZero() {
			return "", &invalid.FieldError{Field: "sessionKey", Want: "the session record's key, or a window start to date it", Got: ""}
		}
		return SessionKey(id, start)
	}
	got, day, err := ParseSessionKey(m.SessionKey)
	if err != nil {
		return "", err
	}
	if got != id {
		return "", &invalid.FieldError{Field: "sessionKey", Want: "the key of the session measured (" + m.ChannelARN + " " + m.StreamID + ")", Got: m.SessionKey}
	}
	if !start.IsZero() {
		first := start.UTC().Truncate(24 * time.Hour)
		if day.After(first) || day.Before(first.AddDate(0, 0, -1)) {
			return "", &invalid.FieldError{Field: "sessionKey", Want: "a key dated by the measured window's start, " + first.Format(time.DateOnly) + " (or the day before)", Got: m.SessionKey}
		}
	}
	return SessionKey(id, day)
}

// Validate checks a measurement that arrives from outside (an "IVS Session Quality" event) as
// every input of the suite is: the channel ARN and stream ID, the report's vocabulary and
// bounds (quality.Report.Validate), a window no longer than a session (MaxDuration), a trigger
// time in the archive's years, and the session's own key (RecordKey). It returns a
// *invalid.FieldError naming the field.
func (m Measured) Validate() error {
	if _, err := m.RecordKey(); err != nil {
		return err
	}
	q := m.Quality
	if err := q.Validate("quality"); err != nil {
		return err
	}
	if !q.WindowStart.IsZero() && q.WindowEnd.Sub(q.WindowStart) > MaxDuration {
		return &invalid.FieldError{Field: "quality.windowEnd", Want: "a window of at most " + MaxDuration.String() + " (IVS ends a stream after 48 hours)",
			Got: q.WindowEnd.UTC().Format(time.RFC3339Nano)}
	}
	if !m.Trigger.Time.IsZero() {
		return ivsevent.CheckTime("trigger.time", m.Trigger.Time)
	}
	return nil
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
