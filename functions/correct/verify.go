package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/enrichment"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// This file holds what the corrector checks before it acts on a message: nothing on the queue
// is trusted for being there. The queue's policy lets only the suite's rules and roles send
// (infra), but a message is acted on only once its envelope fits its record and IVS confirms the
// refusal it claims.

// streamSessionGetter confirms a refusal with IVS: the stream session exists on the channel and
// one of its events carries the code.
type streamSessionGetter interface {
	GetStreamSession(ctx context.Context, in *ivs.GetStreamSessionInput, optFns ...func(*ivs.Options)) (*ivs.GetStreamSessionOutput, error)
}

var _ streamSessionGetter = (*ivs.Client)(nil)

// UnverifiedError is a message the corrector does not act on because IVS does not confirm the
// refusal it claims (no such stream session on the channel, or none of its events carries the
// code): a forged message, or one whose session is gone. Retrying cannot change it: it is
// rejected (logged, counted as RejectedEvents, whose alarm tells a person), and no channel is
// read, locked or changed.
type UnverifiedError struct {
	ChannelARN, StreamID, Code string
	Reason                     string // why IVS does not confirm it
}

// Error says what was claimed and why it is not acted on.
func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("not acted on: IVS does not confirm the refusal %s of stream %s on channel %s: %s", e.Code, e.StreamID, e.ChannelARN, e.Reason)
}

// checkEnvelope checks the envelope of an enriched event against its record and the queue it
// came from: its resources name exactly the record's channel (the suite publishes them so), and,
// when it came from a queue, its account and region are the queue's (the suite's bus is in the
// account and region of its queues; the channel may be in another, which the record says). A
// mismatch is a *invalid.FieldError: a message the suite did not publish.
func checkEnvelope(ev *suiteevent.Event, channelARN, queueARN string) error {
	if !slices.Equal(ev.Resources, []string{channelARN}) {
		return &invalid.FieldError{Field: "resources", Want: fmt.Sprintf("[%q], the record's channel", channelARN), Got: fmt.Sprintf("%q", ev.Resources)}
	}
	if queueARN == "" {
		return nil // a bare event (sam local invoke, make invoke): no queue to compare with
	}
	account, region, ok := queueHome(queueARN)
	switch {
	case !ok:
		return &invalid.FieldError{Field: "eventSourceARN", Want: "an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)", Got: queueARN}
	case ev.AccountID != account:
		return &invalid.FieldError{Field: "account", Want: fmt.Sprintf("%q, the account of the suite's bus and queues", account), Got: ev.AccountID}
	case ev.Region != region:
		return &invalid.FieldError{Field: "region", Want: fmt.Sprintf("%q, the region of the suite's bus and queues", region), Got: ev.Region}
	}
	return nil
}

// queueHome returns the account and region of an SQS queue ARN.
func queueHome(arn string) (account, region string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || ivsevent.CheckAccount("", parts[4]) != nil || ivsevent.CheckRegion("", parts[3]) != nil {
		return "", "", false
	}
	return parts[4], parts[3], true
}

// confirm asks IVS whether the refusal j claims happened: GetStreamSession(channel, stream)
// shows the session and one of its events carries the code. It returns when IVS says the
// refusal happened (the correction's freshness starts there, not at a time the message claims),
// an *UnverifiedError when IVS does not confirm it, or a transient error (throttling, 5xx) to
// have the message come back.
func (h *Handler) confirm(ctx context.Context, j job) (time.Time, error) {
	rec := j.enriched.Record
	unverified := func(reason string) error {
		return &UnverifiedError{ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, Code: j.code, Reason: reason}
	}
	out, err := h.Sessions.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(rec.ChannelARN), StreamId: aws.String(rec.StreamID)})
	switch {
	case retryable.Code(err) == codeNotFound:
		return time.Time{}, unverified("GetStreamSession does not show the stream session on the channel (ResourceNotFoundException)")
	case err != nil && retryable.Is(err):
		return time.Time{}, fmt.Errorf("get stream session %s %s: %w", rec.ChannelARN, rec.StreamID, err)
	case err != nil:
		return time.Time{}, unverified("GetStreamSession: " + retryable.Describe(err))
	case out.StreamSession == nil || aws.ToString(out.StreamSession.StreamId) != rec.StreamID:
		return time.Time{}, unverified("GetStreamSession answered for another stream session")
	}
	at, why := enrichment.Confirm(j.code, out.StreamSession)
	if why != "" {
		return time.Time{}, unverified(why)
	}
	return at, nil
}
