package session

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Prefixes of the archive bucket, one per kind of object.
const (
	// KeyPrefix is the prefix of every session record's key (Record.Key).
	KeyPrefix = "sessions/"
	// CorrectionKeyPrefix is the prefix of every correction's key (Corrected.Key).
	CorrectionKeyPrefix = "corrections/"
	// AccountEventKeyPrefix is the prefix of the records of account-level events (limit
	// breaches with no channel: AccountEventKey).
	AccountEventKeyPrefix = "account-events/"
)

// AccountEventKey returns the key of an account-level event's record:
// account-events/year=YYYY/month=MM/day=DD/<event id>.json, dated (UTC) by the event's time.
func AccountEventKey(eventID string, at time.Time) string {
	at = at.UTC()
	return fmt.Sprintf("%syear=%04d/month=%02d/day=%02d/%s.json", AccountEventKeyPrefix, at.Year(), int(at.Month()), at.Day(), eventID)
}

// Validate reports whether the record can be archived: it needs a valid channel ARN whose ID
// matches channelId, a valid stream ID, and a time (startTime, else an event's). It returns a
// *ivsevent.FieldError naming the record's JSON field.
func (r Record) Validate() error {
	arn, err := ivsevent.ParseChannelARN(r.ChannelARN)
	if err != nil {
		return &ivsevent.FieldError{Field: "channelArn", Want: "an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)", Got: r.ChannelARN}
	}
	if arn.ID != r.ChannelID {
		return &ivsevent.FieldError{Field: "channelId", Want: "the ID of channelArn, " + arn.ID, Got: r.ChannelID}
	}
	if err := ivsevent.CheckStreamID("streamId", r.StreamID); err != nil {
		return err
	}
	if r.keyTime().IsZero() {
		return &ivsevent.FieldError{Field: "startTime", Want: "the session's start time, or at least one event time", Got: ""}
	}
	return nil
}

// Key returns the record's key in the archive:
// sessions/year=YYYY/month=MM/day=DD/channel=<channel id>/<stream id>.json, dated (UTC) by
// startTime, else by the earliest event. It returns "" when Validate fails.
//
// A record known only from events is dated by its earliest event: for a session that crosses
// midnight UTC, that can be the day after its startTime if the earlier events were missed.
func (r Record) Key() string {
	if r.Validate() != nil {
		return ""
	}
	t := r.keyTime()
	return fmt.Sprintf("%syear=%04d/month=%02d/day=%02d/channel=%s/%s.json", KeyPrefix, t.Year(), int(t.Month()), t.Day(), r.ChannelID, r.StreamID)
}

// keyTime is the time that dates the record: startTime, else the earliest non-zero event time.
func (r Record) keyTime() time.Time {
	if !r.StartTime.IsZero() {
		return r.StartTime.UTC()
	}
	var t time.Time
	for _, e := range r.Events {
		t = earliest(t, e.Time)
	}
	for _, l := range r.LimitBreaches {
		t = earliest(t, l.Time)
	}
	return t.UTC()
}

// TopVideoHeight returns the shorter edge of the session's highest video track (the one with
// the most pixels): its height for landscape video, its width for portrait video (1080x1920 is
// a 1080p track), which is how IVS classes a track as SD, HD or FULL_HD. It returns 0 when
// unknown. It is the input multitrack.Decide wants.
func (r Record) TopVideoHeight() int32 {
	edge := r.TopHeight
	var pixels int64
	for _, v := range r.Video {
		if p := v.Width * v.Height; p > pixels {
			pixels, edge = p, min(v.Width, v.Height)
		}
	}
	return int32(min(max(edge, 0), math.MaxInt32))
}

// LogValue logs a summary of the record (identifiers, outcome, tracks, counts), not the whole
// record: its events alone may run to 500 entries.
func (r Record) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channelArn", r.ChannelARN),
		slog.String("streamId", r.StreamID),
		slog.String("outcome", string(r.Outcome)),
		slog.String("code", r.Code),
		slog.Bool("enriched", r.Enriched),
		slog.Int("videoTracks", r.VideoTrackCount),
		slog.String("topResolution", r.TopResolution),
		slog.Int64("totalTargetBitrate", r.TotalTargetBitrate),
		slog.Int("events", len(r.Events)),
		slog.Int("eventsDropped", r.EventsDropped),
	)
}

// LockKeyPrefix is the prefix of the archive bucket's leases: correct holds one per channel
// while it corrects it (shared/lease), so two deliveries never correct one channel at once.
const LockKeyPrefix = "locks/"
