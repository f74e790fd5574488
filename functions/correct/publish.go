package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// publishAttempts is how many times a PutEvents entry that EventBridge refuses (FailedEntryCount)
// is sent before the message is left for redelivery; the SDK retries failed calls itself.
const publishAttempts = 3

// publishBackoff is the wait before the second attempt; it doubles for each later one.
var publishBackoff = 100 * time.Millisecond

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
	body, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("encode correction of %s: %w", c.ChannelARN, err)
	}
	in := &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(h.Cfg.EventBusName),
		Source:       aws.String(suite.EventSource),
		DetailType:   aws.String(suite.DetailTypeChannelCorrected),
		Detail:       aws.String(string(body)),
		Resources:    []string{c.ChannelARN},
	}}}
	if err := h.put(ctx, in); err != nil {
		return c, retryable.Later("publish the correction of "+c.ChannelARN, 0, err)
	}
	return c, nil
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

// put sends one PutEvents request, again when EventBridge refuses its entry.
func (h *Handler) put(ctx context.Context, in *eventbridge.PutEventsInput) error {
	wait := publishBackoff
	for attempt := 1; ; attempt++ {
		out, err := h.Events.PutEvents(ctx, in)
		if err != nil {
			return fmt.Errorf("put events on %s: %w", h.Cfg.EventBusName, err)
		}
		if out.FailedEntryCount == 0 {
			return nil
		}
		var entryErr error = errors.New("entry refused")
		if len(out.Entries) > 0 {
			e := out.Entries[0]
			entryErr = fmt.Errorf("entry refused: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
		}
		if attempt == publishAttempts {
			return fmt.Errorf("put events on %s, %d attempts: %w", h.Cfg.EventBusName, attempt, entryErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("put events on %s: %w (last: %v)", h.Cfg.EventBusName, ctx.Err(), entryErr)
		case <-time.After(wait):
		}
		wait *= 2
	}
}
