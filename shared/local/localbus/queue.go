package localbus

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// Errors of ChangeMessageVisibility, as SQS reports them.
var (
	// ErrReceiptHandleInvalid: the receipt handle is not the current one of a message in the
	// queue (the message was deleted, dead-lettered or received again since).
	ErrReceiptHandleInvalid = errors.New("receipt handle is invalid")
	// ErrMessageNotInflight: the message's visibility timeout has already passed.
	ErrMessageNotInflight = errors.New("message is not in flight")
	// ErrInvalidVisibility: the timeout is negative or above SQS's 12 hours.
	ErrInvalidVisibility = errors.New("visibility timeout out of range")
)

// maxVisibility is SQS's maximum visibility timeout: 12 hours, in API seconds.
const maxVisibility = 43200

// message is one message in a queue. All fields are guarded by Bus.mu.
type message struct {
	id           string
	body         string
	md5          string
	sent         time.Time
	firstReceive time.Time
	receiveCount int
	visibleAt    time.Time                             // the message is visible (deliverable) from then on
	handle       string                                // the receipt handle of its latest receive, or ""
	attrs        map[string]events.SQSMessageAttribute // message attributes (SendMessage), or nil
	attrsMD5     string                                // MD5OfMessageAttributes, or ""
}

// queue is an SQS queue and the event source mapping that reads it. Fields below wake are
// guarded by Bus.mu.
type queue struct {
	bus  *Bus
	cfg  QueueConfig
	wake chan struct{} // poke the poller: something changed

	handler     HandlerFunc
	messages    []*message // in send order
	byHandle    map[string]*message
	dlq         []DeadLetter
	running     int       // batches being handled
	windowStart time.Time // when the current batching window opened, or zero
	stats       QueueStats

	dlqReads map[string]*dlqRead // dead letters received with ReceiveMessage, by message ID (sqsread.go)
}

// batch is what one handler call receives.
type batch struct {
	event   events.SQSEvent
	handles map[string]string // message ID -> receipt handle of this delivery
}

// signal wakes the poller without blocking.
func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// send adds a message, visible after the queue's delivery delay, and returns its ID.
func (q *queue) send(body string) string {
	return q.sendWith(body, nil, q.cfg.DeliveryDelay)
}

// sendWith adds a message with message attributes, visible after delay, and returns its ID.
func (q *queue) sendWith(body string, attrs map[string]messageAttribute, delay time.Duration) string {
	sum := md5.Sum([]byte(body))
	now := q.bus.clock.Now()
	m := &message{id: uuid.NewString(), body: body, md5: hex.EncodeToString(sum[:]), sent: now, attrs: deliveredAttributes(attrs)}
	if len(attrs) > 0 {
		m.attrsMD5 = attributesMD5(attrs)
	}
	if delay > 0 {
		m.visibleAt = now.Add(delay)
	}
	q.bus.mu.Lock()
	q.messages = append(q.messages, m)
	q.stats.Sent++
	q.bus.notifyLocked()
	q.bus.mu.Unlock()
	q.signal()
	return m.id
}

// dlqHolder is the queue whose dlq holds q's dead letters: q's own, or its DeadLetterQueue's.
func (q *queue) dlqHolder() *queue {
	if to := q.cfg.DeadLetterQueue; to != "" {
		return q.bus.queues[to]
	}
	return q
}

// deadLetter adds a message straight to the queue's DLQ (SendMessage to it) and returns its ID.
func (q *queue) deadLetter(body string, attrs map[string]string) string {
	id := uuid.NewString()
	q.bus.mu.Lock()
	q.dlq = append(q.dlq, DeadLetter{MessageID: id, Body: body, Sent: q.bus.clock.Now(), Attributes: attrs})
	q.stats.DeadLettered++
	q.stats.SentToDeadLetter++
	q.bus.reportingLocked()
	q.bus.notifyLocked()
	q.bus.mu.Unlock()
	q.bus.emit(Activity{Kind: ActivityDeadLetter, Queue: q.cfg.Name, MessageID: id})
	q.bus.reported()
	return id
}

// poll is the event source mapping: it hands batches to the handler until ctx ends.
func (q *queue) poll(ctx context.Context) {
	for {
		b, wakeAt, acts := q.next()
		if len(acts) > 0 {
			q.bus.emitAll(acts)
			q.bus.reported()
		}
		if b != nil {
			q.bus.wg.Add(1)
			go func() {
				defer q.bus.wg.Done()
				q.deliver(ctx, b)
			}()
			continue
		}
		var fire <-chan time.Time
		if !wakeAt.IsZero() {
			fire = q.bus.clock.At(wakeAt)
		}
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-fire:
		}
	}
}

// next moves messages received MaxReceiveCount times to the DLQ and takes the next batch, if one
// is due. Otherwise it returns when to look again by the bus's clock (zero: when woken).
func (q *queue) next() (_ *batch, wakeAt time.Time, acts []Activity) {
	q.bus.mu.Lock()
	defer q.bus.mu.Unlock()
	defer func() {
		if len(acts) > 0 {
			q.bus.reportingLocked() // poll emits them, then calls reported
		}
	}()
	if q.handler == nil || q.bus.closed {
		return nil, time.Time{}, nil
	}
	now := q.bus.clock.Now()
	var visible []*message
	var nextVisible time.Time
	kept := q.messages[:0]
	for _, m := range q.messages {
		if m.visibleAt.After(now) {
			if nextVisible.IsZero() || m.visibleAt.Before(nextVisible) {
				nextVisible = m.visibleAt
			}
			kept = append(kept, m)
			continue
		}
		if q.cfg.MaxReceiveCount > 0 && m.receiveCount >= q.cfg.MaxReceiveCount {
			delete(q.byHandle, m.handle)
			h := q.dlqHolder()
			h.dlq = append(h.dlq, DeadLetter{MessageID: m.id, Body: m.body, ReceiveCount: m.receiveCount, Sent: m.sent})
			q.stats.DeadLettered++
			acts = append(acts, Activity{Kind: ActivityDeadLetter, Queue: q.cfg.Name, MessageID: m.id, ReceiveCount: m.receiveCount})
			continue
		}
		kept = append(kept, m)
		visible = append(visible, m)
	}
	for i := len(kept); i < len(q.messages); i++ {
		q.messages[i] = nil
	}
	if len(kept) != len(q.messages) {
		q.messages = kept
		q.bus.notifyLocked()
	}
	if len(visible) == 0 {
		q.windowStart = time.Time{}
		return nil, nextVisible, acts
	}
	if q.running >= q.cfg.MaxConcurrency {
		return nil, time.Time{}, acts // a finishing batch wakes the poller
	}
	if len(visible) < q.cfg.BatchSize && q.cfg.BatchWindow > 0 {
		if q.windowStart.IsZero() {
			q.windowStart = now
			q.bus.notifyLocked() // WaitSettled sees the window open
		}
		if end := q.windowStart.Add(q.cfg.BatchWindow); now.Before(end) {
			wakeAt := nextVisible
			if wakeAt.IsZero() || end.Before(wakeAt) {
				wakeAt = end
			}
			return nil, wakeAt, acts
		}
	}
	q.windowStart = time.Time{}
	if len(visible) > q.cfg.BatchSize {
		visible = visible[:q.cfg.BatchSize]
	}
	b := &batch{handles: make(map[string]string, len(visible))}
	for _, m := range visible {
		m.receiveCount++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		delete(q.byHandle, m.handle)
		m.handle = newReceiptHandle()
		q.byHandle[m.handle] = m
		m.visibleAt = now.Add(q.cfg.VisibilityTimeout)
		q.stats.Delivered++
		if m.receiveCount > 1 {
			q.stats.Redelivered++
		}
		b.handles[m.id] = m.handle
		b.event.Records = append(b.event.Records, events.SQSMessage{
			MessageId:     m.id,
			ReceiptHandle: m.handle,
			Body:          m.body,
			Md5OfBody:     m.md5,
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
				"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
			},
			Md5OfMessageAttributes: m.attrsMD5,
			MessageAttributes:      messageAttributes(m.attrs),
			EventSourceARN:         q.bus.QueueARN(q.cfg.Name),
			EventSource:            "aws:sqs",
			AWSRegion:              q.bus.cfg.Region,
		})
	}
	q.running++
	q.stats.Batches++
	q.bus.notifyLocked()
	return b, time.Time{}, acts
}

// deliver hands a batch to the handler and applies the outcome: deleted messages leave the
// queue, failed ones stay invisible until their visibility timeout passes.
func (q *queue) deliver(ctx context.Context, b *batch) {
	q.bus.mu.Lock()
	h := q.handler
	q.bus.mu.Unlock()
	ids := make([]string, 0, len(b.event.Records))
	for _, r := range b.event.Records {
		ids = append(ids, r.MessageId)
	}
	q.bus.emit(Activity{Kind: ActivityBatch, Queue: q.cfg.Name, MessageIDs: ids})

	hctx := ctx
	if q.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, q.cfg.Timeout)
		defer cancel()
	}
	resp, err := call(hctx, h, b.event)

	failed := map[string]bool{}
	if err == nil && q.cfg.ReportBatchItemFailures {
		for _, f := range resp.BatchItemFailures {
			if _, ok := b.handles[f.ItemIdentifier]; !ok {
				// Lambda treats an empty or unknown itemIdentifier as a failure of the whole batch.
				err = fmt.Errorf("batch item failure %q is not a message of the batch", f.ItemIdentifier)
				break
			}
			failed[f.ItemIdentifier] = true
		}
	}

	var acts []Activity
	q.bus.mu.Lock()
	if err != nil {
		q.stats.BatchErrors++
		acts = append(acts, Activity{Kind: ActivityBatchFailed, Queue: q.cfg.Name, MessageIDs: ids, Err: err.Error()})
	}
	for _, r := range b.event.Records {
		count, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
		if err != nil || failed[r.MessageId] {
			q.stats.Failed++
			a := Activity{Kind: ActivityFailed, Queue: q.cfg.Name, MessageID: r.MessageId, ReceiveCount: count}
			if err != nil {
				a.Err = err.Error()
			}
			acts = append(acts, a)
			continue
		}
		m := q.byHandle[r.ReceiptHandle]
		if m == nil {
			continue // received again since: a stale receipt handle deletes nothing
		}
		q.remove(m)
		q.stats.Deleted++
		acts = append(acts, Activity{Kind: ActivityDeleted, Queue: q.cfg.Name, MessageID: r.MessageId, ReceiveCount: count})
	}
	q.running--
	q.bus.reportingLocked()
	q.bus.notifyLocked()
	q.bus.mu.Unlock()
	q.signal()
	q.bus.emitAll(acts)
	q.bus.reported()
}

// call runs the handler, turning a panic into an error as the Lambda runtime does.
func call(ctx context.Context, h HandlerFunc, ev events.SQSEvent) (resp events.SQSEventResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return h(ctx, ev)
}

// remove deletes m from the queue; Bus.mu must be held.
func (q *queue) remove(m *message) {
	delete(q.byHandle, m.handle)
	for i, x := range q.messages {
		if x == m {
			copy(q.messages[i:], q.messages[i+1:])
			q.messages[len(q.messages)-1] = nil
			q.messages = q.messages[:len(q.messages)-1]
			return
		}
	}
}

// changeVisibility makes an in-flight message visible again after d.
func (q *queue) changeVisibility(handle string, d time.Duration) error {
	q.bus.mu.Lock()
	m := q.byHandle[handle]
	if m == nil {
		q.bus.mu.Unlock()
		return fmt.Errorf("change visibility on %s: %w", q.cfg.Name, ErrReceiptHandleInvalid)
	}
	now := q.bus.clock.Now()
	if !m.visibleAt.After(now) {
		q.bus.mu.Unlock()
		return fmt.Errorf("change visibility of %s on %s: %w", m.id, q.cfg.Name, ErrMessageNotInflight)
	}
	m.visibleAt = now.Add(d)
	id, count := m.id, m.receiveCount
	q.bus.notifyLocked()
	q.bus.mu.Unlock()
	q.signal()
	q.bus.emit(Activity{Kind: ActivityVisibility, Queue: q.cfg.Name, MessageID: id, ReceiveCount: count, Visibility: d})
	return nil
}

// ChangeMessageVisibility sets the visibility timeout of an in-flight message, counted from now,
// as SQS's ChangeMessageVisibility does with a timeout in API seconds × Config.Second. It returns
// an error wrapping ErrUnknownQueue, ErrReceiptHandleInvalid, ErrMessageNotInflight or
// ErrInvalidVisibility.
func (b *Bus) ChangeMessageVisibility(queueName, receiptHandle string, seconds int) error {
	q, ok := b.queues[queueName]
	if !ok {
		return fmt.Errorf("localbus: change visibility: queue %q: %w", queueName, ErrUnknownQueue)
	}
	if seconds < 0 || seconds > maxVisibility {
		return fmt.Errorf("localbus: change visibility to %d s: want 0 to %d: %w", seconds, maxVisibility, ErrInvalidVisibility)
	}
	if err := q.changeVisibility(receiptHandle, time.Duration(seconds)*b.second); err != nil {
		return fmt.Errorf("localbus: %w", err)
	}
	return nil
}

func (b *Bus) emitAll(acts []Activity) {
	for _, a := range acts {
		b.emit(a)
	}
}

// newReceiptHandle returns an opaque random receipt handle.
func newReceiptHandle() string {
	var r [48]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(r[:])
}

// messageAttributes returns a message's attributes as delivered: an empty map when it has none,
// as Lambda sends them.
func messageAttributes(attrs map[string]events.SQSMessageAttribute) map[string]events.SQSMessageAttribute {
	if attrs == nil {
		return map[string]events.SQSMessageAttribute{}
	}
	return attrs
}
