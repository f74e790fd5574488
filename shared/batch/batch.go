package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Log attribute keys used across the functions.
const (
	KeyMessageID = "messageId"
	KeyErr       = "err"
	KeyReason    = "reason"
)

// Reserve is the time kept back before the invocation's deadline so that unprocessed records are
// reported as failures instead of being cut off.
const Reserve = 2 * time.Second

// Message is one unit of work: the EventBridge event carried by an SQS record, or a bare event.
type Message struct {
	ID            string    // the SQS message ID, or the event's id for a bare event
	Body          []byte    // the EventBridge event, as JSON
	ReceiveCount  int       // SQS ApproximateReceiveCount; 1 for a bare event
	FirstReceived time.Time // SQS ApproximateFirstReceiveTimestamp; zero for a bare event
	Sent          time.Time // SQS SentTimestamp; zero for a bare event
	ReceiptHandle string    // for ChangeMessageVisibility; empty for a bare event
	QueueARN      string    // the SQS queue's ARN; empty for a bare event
}

// Func does the work for one message. It returns nil when done, a transient error
// (retryable.Is) to have the message delivered again, or any other error to reject it.
type Func func(ctx context.Context, m Message) error

// MaxVisibility is the longest visibility timeout SQS accepts (12 hours).
const MaxVisibility = 12 * time.Hour

// MaxWait is the longest wait a running invocation can ask for: SQS refuses a visibility
// timeout that ends more than 12 hours after the message was received, and an invocation runs
// at most 15 minutes after that receipt.
const MaxWait = MaxVisibility - 15*time.Minute

// VisibilityChanger is the SQS operation the Processor uses to delay a message's redelivery.
type VisibilityChanger interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

var _ VisibilityChanger = (*sqs.Client)(nil)

// Processor runs a Func over each invocation. Its fields are read-only after construction; it is
// safe for concurrent use if Func is.
type Processor struct {
	Function string            // the function's name, for logs and metrics
	Log      *slog.Logger      // a Lambda logger (lambdacontext.NewLogger)
	Metrics  *metrics.Recorder // flushed at the end of every invocation
	Do       Func
	// Queue, when set, delays the redelivery of a message whose transient error asks for a
	// wait (retryable.RetryAfter > 0) by setting its visibility timeout to that wait, at most
	// MaxWait. Without it, or when the change fails, the queue's own visibility timeout
	// applies. The event source mapping's consume permission includes the action.
	Queue VisibilityChanger
}

// Result is what a bare-event invocation returns: what happened to the event.
type Result struct {
	EventID string `json:"eventId"`
	Outcome string `json:"outcome"` // "done" or "rejected"
	Reason  string `json:"reason,omitempty"`
}

// Start makes p the function's handler and serves invocations until the runtime stops the
// process; it does not return. The runtime is asked to send SIGTERM before the execution
// environment shuts down (lambda.WithEnableSIGTERM). Each function's main calls it last.
func Start(p *Processor) {
	lambda.StartWithOptions(p.Process, lambda.WithEnableSIGTERM())
}

// Process handles one invocation payload. For an SQS batch it returns an
// events.SQSEventResponse that lists the transient failures. For a bare EventBridge event it
// returns a Result, or an error when the failure is transient (so the caller retries). A payload
// that is neither is rejected (logged, counted) with a nil error.
func (p *Processor) Process(ctx context.Context, payload json.RawMessage) (any, error) {
	defer func() {
		if err := p.Metrics.Flush(); err != nil {
			p.Log.ErrorContext(ctx, "flush metrics", KeyErr, err)
		}
	}()
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-Reserve))
		defer cancel()
	}
	var probe struct {
		Records    []json.RawMessage `json:"Records"`
		DetailType string            `json:"detail-type"`
		ID         string            `json:"id"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil || (probe.Records == nil && probe.DetailType == "") {
		reason := "payload: want an SQS batch (Records) or an EventBridge event (detail-type)"
		if err != nil {
			reason += ": " + err.Error()
		}
		p.reject(ctx, "", errors.New(reason))
		return Result{Outcome: "rejected", Reason: reason}, nil
	}
	if probe.Records == nil {
		return p.bare(ctx, probe.ID, payload)
	}
	var batch events.SQSEvent
	if err := json.Unmarshal(payload, &batch); err != nil {
		// Records was an array but its items are not SQS messages: nothing can be retried usefully.
		p.reject(ctx, "", fmt.Errorf("payload: want SQS records: %w", err))
		return events.SQSEventResponse{}, nil
	}
	return p.sqs(ctx, batch), nil
}

func (p *Processor) bare(ctx context.Context, id string, payload json.RawMessage) (any, error) {
	err := p.Do(ctx, Message{ID: id, Body: payload, ReceiveCount: 1})
	switch {
	case err == nil:
		return Result{EventID: id, Outcome: "done"}, nil
	case transient(ctx, err):
		p.Log.WarnContext(ctx, "transient failure", KeyMessageID, id, KeyErr, err)
		return nil, err
	default:
		p.reject(ctx, id, err)
		return Result{EventID: id, Outcome: "rejected", Reason: err.Error()}, nil
	}
}

func (p *Processor) sqs(ctx context.Context, batch events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for i, rec := range batch.Records {
		if ctx.Err() != nil {
			// Out of time: report the rest as failures so SQS delivers them again.
			for _, rest := range batch.Records[i:] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rest.MessageId})
			}
			p.Log.WarnContext(ctx, "deadline reached, records left for redelivery", "count", len(batch.Records)-i)
			break
		}
		err := p.Do(ctx, messageOf(rec))
		switch {
		case err == nil:
		case transient(ctx, err):
			p.Log.WarnContext(ctx, "transient failure, will be redelivered", KeyMessageID, rec.MessageId, KeyErr, err)
			if wait := retryable.RetryAfter(err); wait > 0 {
				p.delay(ctx, rec, wait)
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		default:
			p.reject(ctx, rec.MessageId, err)
		}
	}
	return resp
}

// delay makes the message visible again after wait (rounded up to whole seconds, at most
// MaxWait). A failure is logged: the queue's own visibility timeout then applies.
func (p *Processor) delay(ctx context.Context, rec events.SQSMessage, wait time.Duration) {
	if p.Queue == nil || rec.ReceiptHandle == "" {
		return
	}
	seconds := VisibilitySeconds(wait)
	url, err := QueueURL(rec.EventSourceARN)
	if err == nil {
		_, err = p.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl:          aws.String(url),
			ReceiptHandle:     aws.String(rec.ReceiptHandle),
			VisibilityTimeout: seconds,
		})
	}
	if err != nil {
		p.Log.WarnContext(ctx, "change message visibility failed; the queue's visibility timeout applies",
			KeyMessageID, rec.MessageId, "visibilitySeconds", seconds, KeyErr, err)
	}
}

// Backoff returns the wait before the next delivery of a message received receiveCount times
// (1 for the first delivery): base × 2^(receiveCount-1), at most MaxWait.
func Backoff(base time.Duration, receiveCount int) time.Duration {
	d := base
	for i := 1; i < receiveCount && d < MaxWait; i++ {
		d *= 2
	}
	return min(d, MaxWait)
}

// VisibilitySeconds converts d to SQS's whole seconds, rounded up, within 0 and MaxWait.
func VisibilitySeconds(d time.Duration) int32 {
	s := (d + time.Second - 1) / time.Second
	return int32(min(max(s, 0), MaxWait/time.Second))
}

// QueueURL returns the URL of the queue with the ARN arn:aws:sqs:<region>:<account>:<name>:
// https://sqs.<region>.amazonaws.com/<account>/<name>. With a custom endpoint
// (AWS_ENDPOINT_URL_SQS) the SDK sends the request there and the URL only names the queue. It
// returns a *ivsevent.FieldError for anything else.
func QueueURL(queueARN string) (string, error) {
	parts := strings.Split(queueARN, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return "", &ivsevent.FieldError{Field: "eventSourceARN", Want: "an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)", Got: queueARN}
	}
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", parts[3], parts[4], parts[5]), nil
}

// transient reports whether err must leave its message for redelivery: a transient error, or
// any error of an invocation that is ending (its context done: the work was cut short, whatever
// the error says, e.g. a canceled call that looks permanent).
func transient(ctx context.Context, err error) bool {
	return retryable.Is(err) || ctx.Err() != nil
}

// reject logs and counts a permanent failure; the message is acknowledged.
func (p *Processor) reject(ctx context.Context, id string, err error) {
	p.Log.ErrorContext(ctx, "rejected: retrying cannot fix this", KeyMessageID, id, KeyReason, err.Error())
	p.Metrics.Add(suite.MetricRejected, 1, metrics.Dim{Name: suite.DimensionFunction, Value: p.Function})
}

func messageOf(rec events.SQSMessage) Message {
	m := Message{
		ID:            rec.MessageId,
		Body:          bytes.TrimSpace([]byte(rec.Body)),
		ReceiveCount:  1,
		ReceiptHandle: rec.ReceiptHandle,
		QueueARN:      rec.EventSourceARN,
	}
	if n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
		m.ReceiveCount = n
	}
	m.FirstReceived = millis(rec.Attributes["ApproximateFirstReceiveTimestamp"])
	m.Sent = millis(rec.Attributes["SentTimestamp"])
	return m
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
