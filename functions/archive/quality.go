package main

import (
	"cmp"
	"context"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// archiveQuality merges a session's measured quality into its record, at the record's key
// (the measurement's sessionKey, else the key dated by the measured window's start; the
// session's record under an earlier day when the archive has one: existingKey).
func (h *Handler) archiveQuality(ctx context.Context, env *suiteevent.Event, q session.Measured) error {
	arn, err := ivsevent.ParseChannelARN(q.ChannelARN)
	if err != nil {
		return prefixField("detail.channelArn", err)
	}
	id, err := session.IdentityOf(arn, q.StreamID)
	if err != nil {
		return prefixField("detail.", err)
	}
	if q.Quality.Verdict == "" {
		return &invalid.FieldError{Field: "detail.quality.verdict", Want: "healthy, degraded or unknown", Got: ""}
	}
	report := q.Quality
	rec := session.Record{
		SchemaVersion: session.SchemaVersion,
		ChannelARN:    arn.String(),
		ChannelID:     arn.ID,
		Region:        arn.Region,
		Account:       arn.Account,
		StreamID:      q.StreamID,
		Quality:       &report,
	}
	at := report.WindowStart
	if at.IsZero() {
		at = q.Trigger.Time
	}
	if at.IsZero() && q.SessionKey == "" {
		return &invalid.FieldError{Field: "detail.sessionKey", Want: "the session record's key, or a window start to date it", Got: ""}
	}
	// The key is rebuilt from the checked identity; the message's sessionKey only dates it.
	key, err := h.sessionKey(ctx, env, q.SessionKey, id, at)
	if err != nil {
		return prefixField("detail.", err)
	}
	// A measurement dated by an event after midnight UTC (one of a record known only from that
	// event) belongs to the session's record under its start's day, when the archive has one.
	found, err := h.existingKey(ctx, key)
	if err != nil {
		return err
	}
	return h.merge(ctx, env, cmp.Or(found, key), rec)
}
