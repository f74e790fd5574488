package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// publish puts the correction on the suite's bus, counts it and logs it (post, then count). It
// returns a transient error when the event could not be published, so the message comes back
// (and, if it never can be, ends in the dead-letter queue) instead of the correction going
// unreported.
func (h *Handler) publish(ctx context.Context, c session.Corrected, outcome session.CorrectionOutcome, d multitrack.Decision, detail string, at time.Time) error {
	posted, err := h.post(ctx, c, outcome, d, detail, at)
	if err != nil {
		return err
	}
	h.count(ctx, posted)
	return nil
}

// post puts the correction on the suite's bus, without counting it, and returns it as
// published. Its errors are transient (see publish).
func (h *Handler) post(ctx context.Context, c session.Corrected, outcome session.CorrectionOutcome, d multitrack.Decision, detail string, at time.Time) (session.Corrected, error) {
	c.Correction = session.Correction{Decision: d, Outcome: outcome, At: at.UTC(), Detail: redact.Scrub(detail)}
	entry, err := suiteevent.CorrectedEntry(h.Cfg.EventBusName, c)
	if err != nil {
		return c, err
	}
	_, err = putevents.Publisher{Client: h.Events}.Publish(ctx, entry)
	return c, err
}

// count adds a published correction to Corrections and logs it; it runs once per message done.
func (h *Handler) count(ctx context.Context, c session.Corrected) {
	d, outcome := c.Correction.Decision, c.Correction.Outcome
	h.Metrics.Add(suite.MetricCorrections, 1, metrics.Dim{Name: suite.DimensionOutcome, Value: metricOutcome(outcome, d)})
	level := slog.LevelInfo
	if outcome == session.CorrectionFailed {
		level = slog.LevelError
	}
	h.Log.Log(ctx, level, "correction", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID, keyCode, d.Code,
		keyAction, string(d.Action), keyOutcome, string(outcome), keyDetail, c.Correction.Detail)
}
