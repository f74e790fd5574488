package suiteevent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// recordBudget is the room for the record in an enriched entry: EventBridge's limit minus what
// the rest of the entry (decision, trigger, source, detail-type, resources) may take.
const recordBudget = session.MaxEventBytes - session.EnvelopeAllowance

// Event is one of the suite's events as a target receives it: the EventBridge envelope and its
// detail, decoded. Exactly one of Enriched, Corrected and Measured is set, as DetailType says.
type Event struct {
	events.EventBridgeEvent
	Enriched  *session.Enriched
	Corrected *session.Corrected
	Measured  *session.Measured
}

// Decode reads one of the suite's events. Its errors are *ivsevent.FieldError: the body is not
// an EventBridge event, its source is not suite.EventSource or its detail-type not one of the
// suite's (both wrapping ivsevent.ErrUnknown), or its detail is not a JSON object of the
// detail-type's shape. Retrying cannot fix any of them.
func Decode(body []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(body, &ev.EventBridgeEvent); err != nil {
		return nil, &ivsevent.FieldError{Want: "an EventBridge event as JSON", Got: redact.Quote(body), Err: err}
	}
	if ev.Source != suite.EventSource {
		return nil, &ivsevent.FieldError{Field: "source", Want: fmt.Sprintf("%q", suite.EventSource), Got: ev.Source, Err: ivsevent.ErrUnknown}
	}
	var detail any
	switch ev.DetailType {
	case suite.DetailTypeSessionEnriched:
		ev.Enriched = &session.Enriched{}
		detail = ev.Enriched
	case suite.DetailTypeChannelCorrected:
		ev.Corrected = &session.Corrected{}
		detail = ev.Corrected
	case suite.DetailTypeSessionQuality:
		ev.Measured = &session.Measured{}
		detail = ev.Measured
	default:
		return nil, &ivsevent.FieldError{Field: "detail-type",
			Want: fmt.Sprintf("%q, %q or %q", suite.DetailTypeSessionEnriched, suite.DetailTypeChannelCorrected, suite.DetailTypeSessionQuality),
			Got:  ev.DetailType, Err: ivsevent.ErrUnknown}
	}
	if d := bytes.TrimSpace(ev.Detail); len(d) == 0 || d[0] != '{' {
		return nil, &ivsevent.FieldError{Field: "detail", Want: "a JSON object", Got: redact.Quote(d)}
	}
	if err := json.Unmarshal(ev.Detail, detail); err != nil {
		return nil, &ivsevent.FieldError{Field: "detail", Want: "the detail of " + ev.DetailType, Got: redact.Quote(ev.Detail), Err: err}
	}
	return &ev, nil
}

// EnrichedEntry returns the PutEvents entry of e on bus, with e's record trimmed (oldest events
// dropped, counted in the record's eventsDropped) so that the entry fits EventBridge's limit,
// and how many events were dropped. It returns an error only when the entry cannot fit even
// without events, which IVS's data cannot cause.
func EnrichedEntry(bus string, e session.Enriched) (types.PutEventsRequestEntry, int, error) {
	dropped := e.Record.Trim(recordBudget)
	for {
		entry, err := entry(bus, suite.DetailTypeSessionEnriched, e.Record.ChannelARN, e)
		if err != nil {
			return types.PutEventsRequestEntry{}, 0, err
		}
		over := EntrySize(entry) - session.MaxEventBytes
		if over <= 0 {
			return entry, dropped, nil
		}
		if len(e.Record.Events) == 0 {
			return types.PutEventsRequestEntry{}, 0, fmt.Errorf("%q entry of %d bytes exceeds EventBridge's %d even without its events",
				suite.DetailTypeSessionEnriched, EntrySize(entry), session.MaxEventBytes)
		}
		dropped += e.Record.Trim(e.Record.Size() - over)
	}
}

// CorrectedEntry returns the PutEvents entry of c on bus.
func CorrectedEntry(bus string, c session.Corrected) (types.PutEventsRequestEntry, error) {
	return entry(bus, suite.DetailTypeChannelCorrected, c.ChannelARN, c)
}

// QualityEntry returns the PutEvents entry of m on bus. A measurement holds a few numbers per
// track, far below EventBridge's limit: it is never trimmed.
func QualityEntry(bus string, m session.Measured) (types.PutEventsRequestEntry, error) {
	return entry(bus, suite.DetailTypeSessionQuality, m.ChannelARN, m)
}

func entry(bus, detailType, channelARN string, detail any) (types.PutEventsRequestEntry, error) {
	body, err := json.Marshal(detail)
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("encode %q detail: %w", detailType, err)
	}
	var resources []string
	if channelARN != "" {
		resources = []string{channelARN}
	}
	return types.PutEventsRequestEntry{
		EventBusName: aws.String(bus),
		Source:       aws.String(suite.EventSource),
		DetailType:   aws.String(detailType),
		Detail:       aws.String(string(body)),
		Resources:    resources,
	}, nil
}

// EntrySize is a PutEvents entry's size as EventBridge counts it: the UTF-8 lengths of source,
// detail-type, detail and resources, plus 14 bytes for the time (counted whether or not it is
// set: the limit must hold either way).
func EntrySize(e types.PutEventsRequestEntry) int {
	n := 14 + len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

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
func (p Publisher) Publish(ctx context.Context, entry types.PutEventsRequestEntry) (string, error) {
	what := fmt.Sprintf("put %q on bus %s", aws.ToString(entry.DetailType), aws.ToString(entry.EventBusName))
	wait := p.Backoff
	if wait <= 0 {
		wait = DefaultBackoff
	}
	in := &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry}}
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
