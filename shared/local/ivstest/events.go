package ivstest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Event is one event the server emitted, as IVS sends it to EventBridge.
type Event struct {
	// JSON is the whole event: envelope (version, id, detail-type, source, account, time,
	// region, resources) and snake_case detail, as a rule target receives it.
	JSON []byte
	// DetailType, Detail, Resources and Time are the parts a PutEvents entry carries.
	DetailType string
	Detail     []byte
	Resources  []string
	Time       time.Time
}

// Sink receives the events the server emits, one at a time and in order. Send's error is
// logged and counted (Server.SinkErrors); IVS delivery is best effort, so a failing sink never
// fails a broadcast. A Sink must not call the Server's broadcast methods itself and wait for
// them: deliver asynchronously if it needs to.
type Sink interface {
	Send(ctx context.Context, ev Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, ev Event) error

// Send calls f.
func (f SinkFunc) Send(ctx context.Context, ev Event) error { return f(ctx, ev) }

// PutEventsAPI is the one EventBridge call EventBridgeSink makes; *eventbridge.Client
// satisfies it.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ PutEventsAPI = (*eventbridge.Client)(nil)

// EventBridgeSink puts each event on an EventBridge bus with PutEvents, as IVS does on the
// account's default bus. Point its client at a local bus with BaseEndpoint or
// AWS_ENDPOINT_URL_EVENTBRIDGE. (Real EventBridge refuses PutEvents with a source starting "aws.";
// a local bus need not.)
type EventBridgeSink struct {
	Client PutEventsAPI
	// EventBusName is the bus; empty means "default".
	EventBusName string
}

// Send puts ev. It returns an error when the call fails or the entry is refused.
func (k EventBridgeSink) Send(ctx context.Context, ev Event) error {
	bus := k.EventBusName
	if bus == "" {
		bus = "default"
	}
	out, err := k.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source:       aws.String(ivsevent.Source),
		DetailType:   aws.String(ev.DetailType),
		Detail:       aws.String(string(ev.Detail)),
		Resources:    ev.Resources,
		Time:         aws.Time(ev.Time),
		EventBusName: aws.String(bus),
	}}})
	if err != nil {
		return fmt.Errorf("put %s event on bus %s: %w", ev.DetailType, bus, err)
	}
	if out.FailedEntryCount > 0 {
		code, msg := "", ""
		if len(out.Entries) > 0 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("put %s event on bus %s: entry refused: %s %s", ev.DetailType, bus, code, msg)
	}
	return nil
}

// newEvent builds an event of the server's account and region. detail is one of the ivsevent
// detail structs, whose JSON tags are IVS's snake_case keys.
func (s *Server) newEvent(at time.Time, detailType string, channelARN string, detail any) Event {
	d, err := json.Marshal(detail)
	if err != nil {
		panic("ivstest: marshal event detail: " + err.Error()) // the detail structs hold strings and numbers only
	}
	resources := []string{}
	if channelARN != "" {
		resources = []string{channelARN}
	}
	at = at.UTC().Truncate(time.Second)
	env, err := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: uuid.NewString(), DetailType: detailType, Source: ivsevent.Source,
		AccountID: s.account, Time: at, Region: s.region,
		Resources: resources, Detail: d,
	})
	if err != nil {
		panic("ivstest: marshal event: " + err.Error())
	}
	return Event{JSON: env, DetailType: detailType, Detail: d, Resources: resources, Time: at}
}

// eventQueue records emitted events and delivers them to the sink in the order they were
// queued. Whoever queues events delivers them, unless another goroutine is already delivering:
// that one delivers them too, so a sink that triggers more events does not deadlock.
type eventQueue struct {
	sink Sink
	log  *slog.Logger

	mu         sync.Mutex
	pending    []Event
	emitted    []Event
	sinkErrors int

	deliverMu sync.Mutex
}

func newEventQueue(sink Sink, log *slog.Logger) *eventQueue {
	return &eventQueue{sink: sink, log: log}
}

// maxKeptEvents bounds the events the server keeps for Events (oldest dropped first).
const maxKeptEvents = 10000

// push queues events; callers hold Server.mu so the order is the order of state changes.
func (q *eventQueue) push(evs ...Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.emitted = append(q.emitted, evs...)
	if n := len(q.emitted); n > maxKeptEvents {
		q.emitted = append(q.emitted[:0:0], q.emitted[n-maxKeptEvents:]...)
	}
	if q.sink != nil {
		q.pending = append(q.pending, evs...)
	}
}

func (q *eventQueue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return Event{}, false
	}
	ev := q.pending[0]
	q.pending = q.pending[1:]
	return ev, true
}

func (q *eventQueue) hasPending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending) > 0
}

// deliver sends the pending events; call it without holding Server.mu.
func (q *eventQueue) deliver(ctx context.Context) {
	if q.sink == nil {
		return
	}
	for {
		if !q.deliverMu.TryLock() {
			return // the goroutine delivering will send ours too
		}
		for ev, ok := q.pop(); ok; ev, ok = q.pop() {
			if err := q.sink.Send(ctx, ev); err != nil {
				q.mu.Lock()
				q.sinkErrors++
				q.mu.Unlock()
				q.log.ErrorContext(ctx, "event sink failed", "detailType", ev.DetailType, "err", err)
			}
		}
		q.deliverMu.Unlock()
		if !q.hasPending() {
			return
		}
	}
}

// Events returns the events emitted so far (the latest 10,000), oldest first.
func (s *Server) Events() []Event {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return append([]Event(nil), s.events.emitted...)
}

// SinkErrors returns how many events the sink failed to take.
func (s *Server) SinkErrors() int {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return s.events.sinkErrors
}
