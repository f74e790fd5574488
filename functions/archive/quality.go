package main

import (
	"context"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// archiveQuality merges a session's measured quality into its record. The measurement is
// checked as every input is (session.Measured.Validate: vocabulary, bounds, the session's own
// key); its record must exist already (the enriched event that led to the measurement was
// archived minutes before): a measurement never creates a record, so one of another day or
// another session cannot make a second record of a session.
func (h *Handler) archiveQuality(ctx context.Context, env *suiteevent.Event, q session.Measured) error {
	if err := q.Validate(); err != nil {
		return prefixField("detail.", err)
	}
	key, err := q.RecordKey()
	if err != nil {
		return prefixField("detail.", err)
	}
	arn, _ := ivsevent.ParseChannelARN(q.ChannelARN) // checked by Validate
	id, err := session.IdentityOf(arn, q.StreamID)
	if err != nil {
		return prefixField("detail.", err)
	}
	report := q.Quality
	rec := id.Stub()
	rec.Quality = &report
	return h.mergeInto(ctx, env, key, id, rec)
}
