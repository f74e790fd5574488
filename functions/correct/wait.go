package main

import (
	"context"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// wait returns the message to its queue until the channel is offline: its visibility timeout
// is set to freshness.wait (the time waited since the trigger, at least RetryDelay, at most
// batch.MaxWait and never past the trigger's maximum age). A retryable.Later error makes it a
// batch item failure: SQS delivers it again after that time (batch.Processor sets the
// visibility timeout from the error's wait). At the maximum age the next delivery gives the
// correction up (giveUp).
func (h *Handler) wait(ctx context.Context, m batch.Message, c session.Corrected, f freshness, why string) error {
	delay := f.wait(h.now(), h.Cfg.RetryDelay)
	h.Log.InfoContext(ctx, "waiting for the channel to go offline", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID,
		keyReceiveCount, m.ReceiveCount, keyVisibility, batch.VisibilitySeconds(delay), keyDetail, why)
	return retryable.Later(why, delay, nil)
}
