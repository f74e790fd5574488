package main

import (
	"context"
	"fmt"
	"time"

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

// giveUp ends a correction whose trigger is no longer fresh (freshness.expired), once (failed):
// its "failed" outcome is dated the moment of expiry, and its detail does not depend on the
// receive.
func (h *Handler) giveUp(ctx context.Context, m batch.Message, c session.Corrected, d multitrack.Decision, f freshness) error {
	detail := f.expiredDetail(h.Cfg.MaxAge)
	reason := "correction expired: " + detail
	if err := h.failed(ctx, m, c, d, detail, reason, f.deadline); err != nil {
		return err
	}
	h.Log.WarnContext(ctx, "correction given up on, sent to the dead-letter queue", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID,
		keyMessageID, m.ID, keyReceiveCount, m.ReceiveCount, keyDetail, reason)
	return nil
}

// failed ends a correction that failed for good, once: "failed" is published (the suite's
// notification rule tells a person, and the archive keeps it) and counted, the session's intent
// record says failing (with the reason), and the message goes to the function's dead-letter
// queue with the reason (deadLettered), whose alarm tells a person too. It is published before
// the send so that the archive has it even while the send keeps failing. A publication that
// fails is transient: the message comes back and decides again. A send that fails is transient
// too, and the redelivery finds the intent record failing (nextStep: stepDeadLetter): it sends
// the message with the same reason and publishes nothing more, even if the channel, as it
// finds it, would be decided otherwise (a person made it BASIC: manual).
func (h *Handler) failed(ctx context.Context, m batch.Message, c session.Corrected, d multitrack.Decision, detail, reason string, at time.Time) error {
	c.After = c.Before
	posted, err := h.post(ctx, c, session.CorrectionFailed, d, detail, at)
	if err != nil {
		return err
	}
	h.count(ctx, posted)
	h.recordIntent(ctx, m, c, intentRecord{State: intentFailing, Decision: d, Reason: reason})
	return h.deadLettered(ctx, m, c, d, reason)
}

// deadLettered sends the message of a failed correction to the dead-letter queue with its
// reason, then records the failure done (intent failed). A send that fails is a transient error.
func (h *Handler) deadLettered(ctx context.Context, m batch.Message, c session.Corrected, d multitrack.Decision, reason string) error {
	if err := h.deadLetter(ctx, m, reason); err != nil {
		return retryable.Own(fmt.Errorf("send the failed correction of %s to the dead-letter queue: %w", c.ChannelARN, err))
	}
	h.recordIntent(ctx, m, c, intentRecord{State: intentFailed, Decision: d, Reason: reason})
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
