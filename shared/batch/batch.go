package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
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

// MessageSender is the SQS operation the Processor re-enqueues left-over records with.
type MessageSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ MessageSender = (*sqs.Client)(nil)

// Processor runs a Func over each invocation. Its fields are read-only after construction; it is
// safe for concurrent use if Func is.
type Processor struct {
	Function string            // the function's name, for logs and metrics
	Log      *slog.Logger      // a Lambda logger (lambdacontext.NewLogger)
	Metrics  *metrics.Recorder // flushed at the end of every invocation
	Do       Func
	// Requeue, when set, re-enqueues the records the deadline left unprocessed, so that they
	// do not spend a receive (see leftover).
	Requeue MessageSender
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
	lambda.StartWithOptions(p, lambda.WithEnableSIGTERM())
}

// Invoke makes the Processor a lambda.Handler, so that the runtime hands it the payload as it
// arrived (aws-lambda-go's reflective handler decodes with a json.Decoder, which would drop
// data after the first JSON value unseen). It returns Process's result as JSON.
func (p *Processor) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := p.Process(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

var _ lambda.Handler = (*Processor)(nil)

// Process handles one invocation payload, decoded strictly (ivsevent.Unmarshal: exact names,
// no duplicate keys, nothing after the value).
//
// An SQS batch ("Records") gives an events.SQSEventResponse listing the records to deliver
// again: transient failures, records that panicked, records that are not SQS messages but carry
// a messageId, and records the deadline left unprocessed that could not be re-enqueued (see
// leftover). Records that carry no messageId cannot be reported one by one: the invocation then
// returns an error after the others were processed, so nothing is acknowledged silently. A
// "Records" that is not an array is an error too; an empty one is logged.
//
// A bare EventBridge event gives a Result, or an error when the failure is transient or the
// work panicked (so the caller retries). A payload that is neither, or both a batch and an event,
// is rejected (logged, counted) with a nil error.
func (p *Processor) Process(ctx context.Context, payload json.RawMessage) (any, error) {
	defer func() {
		if err := p.Metrics.Flush(); err != nil {
			p.Log.ErrorContext(ctx, "flush metrics", suite.LogKeyErr, err)
		}
	}()
	outer := ctx // the invocation's own deadline: what re-enqueueing after the reserve may use
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-Reserve))
		defer cancel()
	}
	var probe struct {
		Records    jsontext.Value `json:"Records"`
		DetailType string         `json:"detail-type"`
		ID         string         `json:"id"`
	}
	const want = "payload: want an SQS batch (Records) or an EventBridge event (detail-type)"
	if err := ivsevent.Unmarshal("", payload, &probe); err != nil {
		var fe *invalid.FieldError
		inRecord := errors.As(err, &fe) && strings.HasPrefix(fe.Field, "Records[")
		// A defect inside one record (a duplicate key, say) is that record's: the batch goes
		// on, and the record is decoded, strictly, on its own below.
		if !inRecord || jsonv2.Unmarshal(payload, &probe, jsontext.AllowDuplicateNames(true)) != nil || probe.DetailType != "" {
			if probe.Records != nil {
				err = fmt.Errorf("payload: not a batch: %w", err)
				p.Log.ErrorContext(ctx, "not a batch", suite.LogKeyErr, scrubbed(err))
				return nil, err
			}
			reason := want + ": " + err.Error()
			p.reject(ctx, "", errors.New(reason))
			return Result{Outcome: "rejected", Reason: reason}, nil
		}
	}
	// The event's id names the message in logs and in the Result: at most 200 bytes of it (a
	// forged 1 MB id is refused by the event's decoder, and never logged whole).
	probe.ID = redact.Quote(probe.ID)
	switch {
	case probe.Records != nil && probe.DetailType != "":
		reason := "payload: both an SQS batch (Records) and an EventBridge event (detail-type): neither is processed"
		p.reject(ctx, probe.ID, errors.New(reason))
		return Result{EventID: probe.ID, Outcome: "rejected", Reason: reason}, nil
	case probe.DetailType != "":
		return p.bare(ctx, probe.ID, payload)
	case probe.Records == nil:
		p.reject(ctx, "", errors.New(want))
		return Result{Outcome: "rejected", Reason: want}, nil
	}
	var raw []jsontext.Value
	// Split the array only; each record is decoded strictly on its own.
	if err := jsonv2.Unmarshal(probe.Records, &raw, jsontext.AllowDuplicateNames(true)); err != nil || raw == nil {
		err = fmt.Errorf("payload: Records is not an array of SQS messages: %s", redact.Quote(string(probe.Records)))
		p.Log.ErrorContext(ctx, "not a batch", suite.LogKeyErr, err.Error())
		return nil, err
	}
	if len(raw) == 0 {
		p.Log.WarnContext(ctx, "an SQS batch without records: nothing to do")
		return events.SQSEventResponse{}, nil
	}
	var (
		records  []events.SQSMessage
		resp     events.SQSEventResponse
		nameless []string
	)
	for i, r := range raw {
		var rec events.SQSMessage
		err := ivsevent.Unmarshal(fmt.Sprintf("Records[%d]", i), r, &rec)
		if err == nil && rec.MessageId == "" {
			err = &invalid.FieldError{Field: fmt.Sprintf("Records[%d].messageId", i), Want: "the SQS message ID", Got: ""}
		}
		if err == nil {
			records = append(records, rec)
			continue
		}
		// Not an SQS message: never acknowledged with its neighbours. With a messageId it is
		// a batch item failure (redelivered, then dead-lettered, where the alarm is).
		if id := messageIDOf(r); id != "" {
			p.Log.ErrorContext(ctx, "not an SQS message; reported as failed", suite.LogKeyMessageID, redact.Quote(id), suite.LogKeyErr, err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
			continue
		}
		nameless = append(nameless, err.Error())
	}
	resp.BatchItemFailures = append(resp.BatchItemFailures, p.sqs(ctx, outer, records).BatchItemFailures...)
	if len(nameless) > 0 {
		err := fmt.Errorf("payload: %d records without a messageId cannot be reported one by one, so the invocation fails: %s",
			len(nameless), strings.Join(nameless, "; "))
		p.Log.ErrorContext(ctx, "not a batch", suite.LogKeyErr, err.Error())
		return nil, err
	}
	return resp, nil
}

// messageIDOf returns the messageId of a record that is not an SQS message, if it has a
// non-empty string one.
func messageIDOf(r jsontext.Value) string {
	var probe struct {
		MessageID any `json:"messageId"`
	}
	if json.Unmarshal(r, &probe) != nil {
		return ""
	}
	id, _ := probe.MessageID.(string)
	return id
}

func (p *Processor) bare(ctx context.Context, id string, payload json.RawMessage) (any, error) {
	err := p.run(ctx, Message{ID: id, Body: payload, ReceiveCount: 1})
	var pe *PanicError
	switch {
	case err == nil:
		return Result{EventID: id, Outcome: "done"}, nil
	case errors.As(err, &pe):
		return nil, err
	case transient(ctx, err):
		p.Log.WarnContext(ctx, "transient failure", suite.LogKeyMessageID, id, suite.LogKeyErr, scrubbed(err))
		return nil, err
	default:
		p.reject(ctx, id, err)
		return Result{EventID: id, Outcome: "rejected", Reason: scrubbed(err)}, nil
	}
}

func (p *Processor) sqs(ctx, outer context.Context, records []events.SQSMessage) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for i, rec := range records {
		if ctx.Err() != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, p.leftover(outer, records[i:])...)
			break
		}
		err := p.run(ctx, messageOf(rec))
		var pe *PanicError
		switch {
		case err == nil:
		case errors.As(err, &pe):
			// A bug, not bad input: redelivered, and dead-lettered in the end, where the alarm
			// brings a person. Its neighbours go on.
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		case transient(ctx, err):
			p.Log.WarnContext(ctx, "transient failure, will be redelivered", suite.LogKeyMessageID, rec.MessageId, suite.LogKeyErr, scrubbed(err))
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

// PanicError is the error of a message whose work panicked: the panic is caught per message,
// so that its neighbours in the batch are processed and acknowledged as usual.
type PanicError struct {
	Value any    // what was passed to panic
	Stack string // the goroutine's stack where it panicked
}

// Error returns "panic: <value>".
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// run calls p.Do, turning a panic into a *PanicError (logged with its stack).
func (p *Processor) run(ctx context.Context, m Message) (err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := &PanicError{Value: v, Stack: string(debug.Stack())}
			p.Log.ErrorContext(ctx, "the work panicked; the message is reported as failed", suite.LogKeyMessageID, m.ID,
				suite.LogKeyErr, scrubbed(pe), "stack", redact.Scrub(pe.Stack))
			err = pe
		}
	}()
	return p.Do(ctx, m)
}

// MaxRequeues is how many times a record left unprocessed at the deadline is re-enqueued
// before it is reported as a failure like any other (see leftover).
const MaxRequeues = 3

// Message attributes a re-enqueued message carries (leftover).
const (
	// AttrFirstSent is the SentTimestamp (Unix ms) of the first copy of a re-enqueued message,
	// which Message.Sent keeps reporting.
	AttrFirstSent = "ivs-sessions.firstSent"
	// AttrRequeues counts the re-enqueues of a message.
	AttrRequeues = "ivs-sessions.requeues"
)

// maxMessageAttributes is SQS's limit on a message's attributes.
const maxMessageAttributes = 10

// leftover handles the records the deadline left unprocessed (never started: the reserve before
// the deadline is reached) and returns those that must be reported as batch item failures.
//
// A batch item failure would spend one of the message's receives (ApproximateReceiveCount
// grows with every delivery, and maxReceiveCount sends it to the DLQ) although nothing failed:
// a batch too slow for its timeout would push healthy messages toward the DLQ. Changing the
// visibility to 0 does not help (the count grows on the next receive all the same). So each one
// is re-enqueued instead: SendMessage of its body, unchanged, to its own queue, with
// AttrFirstSent (so Message.Sent, which correct's maximum age is measured from, still says when
// it was first sent) and AttrRequeues, and then acknowledged (not listed). A message is
// re-enqueued at most MaxRequeues times, so that one that is always left over still reaches the
// DLQ; when there is no Requeue client, the send fails, or the attributes would exceed SQS's 10,
// it is reported as a failure, as before. A send whose answer is lost leaves two copies: every
// function is idempotent. The queues are standard queues (no MessageGroupId); the functions'
// roles may SendMessage to their own queue (infra).
func (p *Processor) leftover(ctx context.Context, rest []events.SQSMessage) []events.SQSBatchItemFailure {
	var failures []events.SQSBatchItemFailure
	requeued := 0
	for _, rec := range rest {
		if err := p.requeue(ctx, rec); err != nil {
			p.Log.WarnContext(ctx, "left for redelivery", suite.LogKeyMessageID, rec.MessageId, suite.LogKeyReason, scrubbed(err))
			failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			continue
		}
		requeued++
	}
	p.Log.WarnContext(ctx, "deadline reached before these records started", "count", len(rest), "requeued", requeued, "redelivered", len(failures))
	return failures
}

// requeue sends a copy of rec to its queue (see leftover).
func (p *Processor) requeue(ctx context.Context, rec events.SQSMessage) error {
	if p.Requeue == nil {
		return errors.New("no SQS client to re-enqueue with")
	}
	n := 0
	if a, ok := rec.MessageAttributes[AttrRequeues]; ok && a.StringValue != nil {
		n, _ = strconv.Atoi(*a.StringValue)
	}
	if n >= MaxRequeues {
		return fmt.Errorf("already re-enqueued %d times", n)
	}
	url, err := QueueURL(rec.EventSourceARN)
	if err != nil {
		return err
	}
	attrs := map[string]sqstypes.MessageAttributeValue{}
	for k, v := range rec.MessageAttributes {
		if k == AttrFirstSent || k == AttrRequeues {
			continue
		}
		attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	first := messageOf(rec).Sent
	if !first.IsZero() {
		attrs[AttrFirstSent] = sqstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.FormatInt(first.UnixMilli(), 10))}
	}
	attrs[AttrRequeues] = sqstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(n + 1))}
	if len(attrs) > maxMessageAttributes {
		return fmt.Errorf("%d message attributes, SQS allows %d", len(attrs), maxMessageAttributes)
	}
	_, err = p.Requeue.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(rec.Body), MessageAttributes: attrs})
	if err != nil {
		return fmt.Errorf("re-enqueue to %s: %w", url, err)
	}
	return nil
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
			suite.LogKeyMessageID, rec.MessageId, "visibilitySeconds", seconds, suite.LogKeyErr, err)
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
// returns a *invalid.FieldError for anything else.
func QueueURL(queueARN string) (string, error) {
	parts := strings.Split(queueARN, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return "", &invalid.FieldError{Field: "eventSourceARN", Want: "an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)", Got: queueARN}
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
	p.Log.ErrorContext(ctx, "rejected: retrying cannot fix this", suite.LogKeyMessageID, id, suite.LogKeyReason, scrubbed(err))
	p.Metrics.Add(suite.MetricRejected, 1, metrics.Dim{Name: suite.DimensionFunction, Value: p.Function})
}

// scrubbed is err's message without stream keys, for a log line or a Result.
func scrubbed(err error) string { return redact.Scrub(err.Error()) }

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
	if a, ok := rec.MessageAttributes[AttrFirstSent]; ok && a.StringValue != nil {
		// A re-enqueued copy (leftover): when its first copy was sent.
		if first := millis(*a.StringValue); !first.IsZero() && (m.Sent.IsZero() || first.Before(m.Sent)) {
			m.Sent = first
		}
	}
	return m
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
