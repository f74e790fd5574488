package putevents

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// Putter is the one EventBridge operation a Publisher calls; *eventbridge.Client satisfies it.
type Putter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ Putter = (*eventbridge.Client)(nil)

// Attempts is how many times a Publisher sends an entry that EventBridge refuses with a
// retryable code. (Failed calls are retried by the SDK's retryer, not here.)
const Attempts = 3

// DefaultBackoff is the wait before a refused entry's second attempt; it doubles for each later
// one.
const DefaultBackoff = 100 * time.Millisecond

// Publisher publishes entries on the suite's bus with the suite's PutEvents policy (see the
// package doc). The zero Backoff means DefaultBackoff.
type Publisher struct {
	Client  Putter
	Backoff time.Duration
}

// EntryError is a PutEvents entry that EventBridge refused: its ErrorCode and ErrorMessage. It
// satisfies smithy.APIError, so retryable.Code and describe-style helpers read it like any AWS
// error.
type EntryError struct {
	Code, Message string
}

// Error returns "entry refused: <code>: <message>".
func (e *EntryError) Error() string { return "entry refused: " + e.Code + ": " + e.Message }

// ErrorCode returns the entry's ErrorCode.
func (e *EntryError) ErrorCode() string { return e.Code }

// ErrorMessage returns the entry's ErrorMessage.
func (e *EntryError) ErrorMessage() string { return e.Message }

// ErrorFault returns smithy.FaultUnknown: EventBridge does not say whose fault it is.
func (e *EntryError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

var _ smithy.APIError = (*EntryError)(nil)

// Publish sends entry and returns the ID EventBridge gave the event. Every failure is transient
// (retryable.Is): the call failed (after the SDK's retries), the entry was refused Attempts times
// with a retryable code or once with another, or ctx ended while waiting to try again.
func (p Publisher) Publish(ctx context.Context, entry suiteevent.Entry) (string, error) {
	what := fmt.Sprintf("put %q on bus %s", entry.DetailType, entry.EventBus)
	wait := p.Backoff
	if wait <= 0 {
		wait = DefaultBackoff
	}
	in := &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String(entry.EventBus),
		Source:       aws.String(entry.Source),
		DetailType:   aws.String(entry.DetailType),
		Detail:       aws.String(entry.Detail),
		Resources:    entry.Resources,
	}}}
	for attempt := 1; ; attempt++ {
		out, err := p.Client.PutEvents(ctx, in)
		if err != nil {
			return "", retryable.Own(fmt.Errorf("%s: %w", what, err))
		}
		refused := refusal(out)
		if refused == nil {
			return aws.ToString(out.Entries[0].EventId), nil
		}
		if !retryable.EntryRetryable(refused.Code) || attempt == Attempts {
			return "", retryable.Own(fmt.Errorf("%s, %d attempt(s): %w", what, attempt, refused))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", retryable.Own(fmt.Errorf("%s: %w (last: %v)", what, ctx.Err(), refused))
		case <-t.C:
		}
		wait *= 2
	}
}

// refusal returns the error of the single entry of out, or nil when it was accepted.
func refusal(out *eventbridge.PutEventsOutput) *EntryError {
	switch {
	case len(out.Entries) == 0:
		return &EntryError{Code: "InternalFailure", Message: "PutEvents answered without entries"}
	case out.FailedEntryCount == 0 && out.Entries[0].ErrorCode == nil:
		return nil
	}
	e := out.Entries[0]
	return &EntryError{Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)}
}
