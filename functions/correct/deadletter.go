package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// reasonAttribute is the message attribute that says why a message was sent to the dead-letter
// queue.
const reasonAttribute = "reason"

// giveUp ends a correction whose trigger is no longer fresh (freshness.expired), once: a
// "failed" outcome is published (the suite's notification rule tells a person, and the archive
// keeps it), the message is sent to the function's dead-letter queue with the reason
// (reasonAttribute), whose alarm tells a person too, and it is acknowledged;
// Corrections{Outcome=failed} is counted then, once the send succeeded. If the publication or
// the send fails, the error is transient and the message comes back to try both again: nothing
// is lost, nothing is counted twice, and the failed outcome published again is identical (its
// time, Correction.At, is the moment of expiry, and its detail does not depend on the receive),
// so the archive keeps one object (session.Corrected.Key). It is published before the send so
// that the archive has it even while the send keeps failing.
func (h *Handler) giveUp(ctx context.Context, m batch.Message, c session.Corrected, d multitrack.Decision, f freshness) error {
	c.After = c.Before
	detail := f.expiredDetail(h.Cfg.MaxAge)
	posted, err := h.post(ctx, c, session.CorrectionFailed, d, detail, f.deadline)
	if err != nil {
		return err
	}
	reason := "correction expired: " + detail
	if err := h.deadLetter(ctx, m, reason); err != nil {
		return retryable.Own(fmt.Errorf("send the expired correction of %s to the dead-letter queue: %w", c.ChannelARN, err))
	}
	h.count(ctx, posted)
	h.recordFailed(ctx, m, c, d)
	h.Log.WarnContext(ctx, "correction given up on, sent to the dead-letter queue", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID,
		keyMessageID, m.ID, keyReceiveCount, m.ReceiveCount, keyDetail, reason)
	return nil
}

// deadLetter sends the message's body, unchanged (so that a redrive to the source queue works),
// to the function's dead-letter queue with the reason as reasonAttribute.
func (h *Handler) deadLetter(ctx context.Context, m batch.Message, reason string) error {
	_, err := h.DeadLetters.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(h.Cfg.DeadLetterQueueURL),
		MessageBody: aws.String(string(m.Body)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			reasonAttribute: {DataType: aws.String("String"), StringValue: aws.String(redact.Scrub(reason))},
		},
	})
	if err != nil {
		return fmt.Errorf("send message %s to %s: %w", m.ID, h.Cfg.DeadLetterQueueURL, err)
	}
	return nil
}
