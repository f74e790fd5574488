package main

import (
	"context"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// archiveQuality merges a session's measured quality into its record, at the record's key
// (the measurement's sessionKey, else the key dated by the measured window's start).
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
	rec := id.Stub()
	rec.Quality = &report
	at := report.WindowStart
	if at.IsZero() {
		at = q.Trigger.Time
	}
	if at.IsZero() && q.SessionKey == "" {
		return &invalid.FieldError{Field: "detail.sessionKey", Want: "the session record's key, or a window start to date it", Got: ""}
	}
	// The key is rebuilt from the checked identity; the message's sessionKey only dates it.
	key, err := h.sessionKey(ctx, env, id, q.SessionKey, at)
	if err != nil {
		return prefixField("detail.", err)
	}
	return h.merge(ctx, env, key, id, rec)
}
