package localbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// DefaultBus is the name of every account's default event bus, where AWS services put events.
const DefaultBus = "default"

// Defaults applied by New to zero fields of Config and QueueConfig.
const (
	DefaultRegion            = "us-east-1"
	DefaultAccount           = "123456789012"
	DefaultBatchSize         = 10
	DefaultVisibilityTimeout = 30 * time.Second
	DefaultMaxConcurrency    = 2
)

// HandlerFunc receives a batch of SQS messages, as a Lambda function behind an SQS event source
// mapping does. With ReportBatchItemFailures, the response lists the messages that failed; an
// error fails the whole batch.
type HandlerFunc func(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error)

// Rule is an EventBridge rule with one target: events on Bus that match Pattern are sent to the
// SQS queue Queue, or published to the SNS topic Topic as the text Input makes of them. Exactly
// one of Queue and Topic is set.
type Rule struct {
	Name    string // the rule's name, unique per bus
	Bus     string // the event bus name
	Pattern string // the EventBridge event pattern, as JSON
	Queue   string // the target queue's name
	Topic   string // the target topic's name
	// Input, with Topic, is the target's input transformer; nil publishes the event itself.
	Input *InputTransformer
}

// InputTransformer is a rule target's input transformer: the message is Template with each
// <name> replaced by the value of the event at InputPaths[name], a JSON path such as
// $.detail.record.channelArn (a string as it is, anything else as JSON, nothing when the event
// has no such member).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
type InputTransformer struct {
	InputPaths map[string]string
	Template   string
}

// AlarmTopic is the name of the local stand-in for the suite's alarm topic, where the
// notification rules (suite.Notifications) publish.
const AlarmTopic = "alarms"

// SuiteRules returns the rules the CDK app deploys for a single-region deployment: the routes
// (suite.Routes), each targeting the queue named after its function, and the notifications
// (suite.Notifications), each publishing its text to AlarmTopic. sessionsBus is the deployed
// name of the suite's bus (the value of EVENT_BUS_NAME); empty means suite.BusSessions.
func SuiteRules(sessionsBus string) []Rule { return FleetRules(sessionsBus, suite.Fleet{}) }

// FleetRules returns the rules the CDK app deploys for fleet (SuiteRules for the zero Fleet):
// its routes (suite.Fleet.Routes), each targeting the queue of its function for its region
// (suite.Fleet.QueueName), those of the fleet bus on a bus of that name (suite.FleetBusName),
// and the notifications.
func FleetRules(sessionsBus string, fleet suite.Fleet) []Rule {
	if sessionsBus == "" {
		sessionsBus = suite.BusSessions
	}
	routes := fleet.Routes()
	rules := make([]Rule, 0, len(routes)+len(suite.Notifications))
	for _, r := range routes {
		bus := r.Bus
		switch bus {
		case suite.BusSessions:
			bus = sessionsBus
		case suite.BusFleet:
			bus = suite.FleetBusName
		}
		rules = append(rules, Rule{Name: r.Name, Bus: bus, Pattern: r.Pattern.JSON(), Queue: fleet.QueueName(r.Function, r.Region)})
	}
	for _, n := range suite.Notifications {
		paths, template := n.Transformer()
		rules = append(rules, Rule{Name: n.Name, Bus: sessionsBus, Pattern: n.Pattern.JSON(), Topic: AlarmTopic,
			Input: &InputTransformer{InputPaths: paths, Template: template}})
	}
	return rules
}

// Publication is one message a rule published to a topic.
type Publication struct {
	Time    time.Time
	Topic   string
	Rule    string
	EventID string
	Message string
}

// DeadLetterSuffix ends the name of a queue's dead-letter queue: Name + DeadLetterSuffix. The
// SQS API (SendMessage) reaches it by that name; DeadLetters lists what it holds.
const DeadLetterSuffix = "-dlq"

// QueueConfig describes one queue and the event source mapping that reads it.
type QueueConfig struct {
	Name string // the queue's name; its dead-letter queue is Name + DeadLetterSuffix

	BatchSize         int           // messages per batch; 0 means DefaultBatchSize
	BatchWindow       time.Duration // how long to gather a batch (MaximumBatchingWindow); 0: deliver at once
	VisibilityTimeout time.Duration // 0 means DefaultVisibilityTimeout
	MaxReceiveCount   int           // receives before a message moves to the DLQ; 0: no DLQ, retried until deleted
	// DeadLetterQueue, when set, names the queue whose dead-letter queue takes this queue's
	// dead letters, as several SQS queues may redrive to one DLQ (a fleet's regional queues of
	// one function); empty: its own (Name + DeadLetterSuffix).
	DeadLetterQueue string
	MaxConcurrency  int           // batches in flight at once; 0 means DefaultMaxConcurrency
	DeliveryDelay   time.Duration // how long a routed message waits before its first delivery (SQS DelaySeconds)

	// ReportBatchItemFailures makes the handler's response count: only the messages it lists
	// failed. Without it the response is ignored and only an error fails (the whole batch).
	ReportBatchItemFailures bool

	// Timeout, when positive, is the handler's context deadline (the function's timeout).
	Timeout time.Duration

	// Handler receives the batches; nil holds the messages until SetHandler.
	Handler HandlerFunc
}

// Config configures a Bus.
type Config struct {
	Region  string // default DefaultRegion
	Account string // default DefaultAccount
	Rules   []Rule // routing; every Rule.Queue must be one of Queues
	Queues  []QueueConfig

	// Second is the length of one second of the SQS API (ChangeMessageVisibility's
	// VisibilityTimeout); 0 means time.Second. Demos shorten it.
	Second time.Duration

	// Clock is the time the bus runs on; nil means the wall clock. Tests give a ManualClock
	// (and drive it with RunUntilIdle), so what the bus does never depends on how fast the
	// machine runs their handlers.
	Clock Clock

	// OnActivity, when set, is called for everything that happens (an event put, routed or
	// rejected, a batch delivered, a message failed or dead-lettered), for a timeline. It is
	// called synchronously from many goroutines and must be quick and safe for concurrent use.
	OnActivity func(Activity)
}

// ActivityKind names what an Activity reports.
type ActivityKind string

// The kinds of Activity.
const (
	ActivityPut         ActivityKind = "put"          // an event accepted on a bus (EventID, Bus, Source, DetailType)
	ActivityRejected    ActivityKind = "rejected"     // a PutEvents entry refused (Err)
	ActivityRouted      ActivityKind = "routed"       // an event sent to a queue by a rule (Rule, Queue, MessageID)
	ActivityUnmatched   ActivityKind = "unmatched"    // an event no rule matched
	ActivityBatch       ActivityKind = "batch"        // a batch handed to a handler (Queue, MessageIDs)
	ActivityDeleted     ActivityKind = "deleted"      // a message processed and deleted
	ActivityFailed      ActivityKind = "failed"       // a message's delivery failed; it will be redelivered (Err)
	ActivityDeadLetter  ActivityKind = "dead-letter"  // a message moved to the queue's DLQ
	ActivityVisibility  ActivityKind = "visibility"   // ChangeMessageVisibility (Visibility)
	ActivityBatchFailed ActivityKind = "batch-failed" // the handler returned an error (Err)
	ActivityPublished   ActivityKind = "published"    // an event published to a topic by a rule (Rule, Topic, Message)
)

// Activity is one thing that happened on the bus or a queue, for a timeline.
type Activity struct {
	Time         time.Time
	Kind         ActivityKind
	Bus          string
	Rule         string
	Queue        string
	EventID      string
	Source       string
	DetailType   string
	MessageID    string
	MessageIDs   []string      // ActivityBatch
	ReceiveCount int           // the message's ApproximateReceiveCount
	Visibility   time.Duration // ActivityVisibility: the new visibility timeout
	Topic        string        // ActivityPublished: the topic
	Message      string        // ActivityPublished: the message published
	Err          string
}

// Stats counts what the bus and its queues did.
type Stats struct {
	Accepted  int            // events accepted on a bus (PutEvents entries and Inject)
	Rejected  int            // PutEvents entries refused
	Routed    map[string]int // events sent to a queue or published to a topic, by rule name
	Unmatched int            // accepted events no rule matched
	Queues    map[string]QueueStats
}

// QueueStats counts what one queue did.
type QueueStats struct {
	Sent         int // messages sent to the queue
	Delivered    int // deliveries (a message delivered three times counts three)
	Redelivered  int // deliveries of a message received before
	Deleted      int // messages processed successfully
	Failed       int // deliveries that failed (listed in the response, or the batch failed)
	DeadLettered int // messages in the DLQ: moved there after MaxReceiveCount, or sent there
	// SentToDeadLetter counts the DeadLettered messages sent to the DLQ with SendMessage (by a
	// function that gave up on a message it then deleted from this queue).
	SentToDeadLetter int
	InFlight         int // messages delivered and neither deleted nor visible again yet
	Waiting          int // messages waiting for delivery (visible, or waiting out a visibility timeout)
	Batches          int // batches handed to the handler
	BatchErrors      int // batches whose handler returned an error
}

// DeadLetter is a message in a queue's DLQ: moved there after MaxReceiveCount receives, or sent
// there with SendMessage.
type DeadLetter struct {
	MessageID    string
	Body         string
	ReceiveCount int       // receives from the source queue; 0 for a message sent with SendMessage
	Sent         time.Time // when it was sent to the source queue, or to the DLQ with SendMessage
	// Attributes are the message attributes of a message sent with SendMessage: the value of
	// each String or Number attribute, and of each Binary one in base64.
	Attributes map[string]string
}

// ErrUnknownQueue is wrapped by errors about a queue the bus does not have.
var ErrUnknownQueue = errors.New("unknown queue")

// ErrUnknownBus is wrapped by errors about an event bus the bus does not have.
var ErrUnknownBus = errors.New("unknown event bus")

// Bus is a local EventBridge (its buses and rules) and the SQS queues its rules target. Serve
// its APIs with ServeHTTP. Build one with New and stop it with Close.
type Bus struct {
	cfg    Config
	second time.Duration
	clock  Clock
	rules  []compiledRule
	buses  map[string]bool
	queues map[string]*queue

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	stats   Stats
	changed chan struct{} // closed and replaced on every change of queue state
	// reporting counts state changes whose activities are still being handed to OnActivity:
	// the bus is not idle until they are, so WaitIdle's callers see every activity.
	reporting int
	// delayed holds when each event held back by an event fault is routed, by a sequence
	// number: the bus is not idle until they are.
	delayed     map[int]time.Time
	delayedNext int
	closed      bool

	faults faults // SetEventFaults: events lost, late or repeated (faults.go)

	published []Publication // what the rules published to topics, oldest first
}

type compiledRule struct {
	Rule
	pattern *eventpattern.Pattern
}

// New validates cfg and starts a Bus: one poller per queue. It returns an error naming the
// offending rule or queue when a pattern does not compile, a rule targets a missing queue, or
// two queues share a name.
func New(cfg Config) (*Bus, error) {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Account == "" {
		cfg.Account = DefaultAccount
	}
	b := &Bus{
		cfg:     cfg,
		second:  cfg.Second,
		buses:   map[string]bool{DefaultBus: true},
		queues:  map[string]*queue{},
		changed: make(chan struct{}),
		stats:   Stats{Routed: map[string]int{}},
		clock:   cfg.Clock,
		delayed: map[int]time.Time{},
	}
	if b.second <= 0 {
		b.second = time.Second
	}
	if b.clock == nil {
		b.clock = wallClock{}
	}
	for _, qc := range cfg.Queues {
		if qc.Name == "" {
			return nil, fmt.Errorf("localbus: queue config: Name is required")
		}
		if _, dup := b.queues[qc.Name]; dup {
			return nil, fmt.Errorf("localbus: queue %q: defined twice", qc.Name)
		}
		if qc.BatchSize < 0 || qc.MaxConcurrency < 0 || qc.MaxReceiveCount < 0 || qc.VisibilityTimeout < 0 || qc.BatchWindow < 0 {
			return nil, fmt.Errorf("localbus: queue %q: negative setting", qc.Name)
		}
		if qc.BatchSize == 0 {
			qc.BatchSize = DefaultBatchSize
		}
		if qc.VisibilityTimeout == 0 {
			qc.VisibilityTimeout = DefaultVisibilityTimeout
		}
		if qc.MaxConcurrency == 0 {
			qc.MaxConcurrency = DefaultMaxConcurrency
		}
		b.queues[qc.Name] = &queue{bus: b, cfg: qc, handler: qc.Handler, wake: make(chan struct{}, 1), byHandle: map[string]*message{}}
	}
	for _, q := range b.queues {
		if to := q.cfg.DeadLetterQueue; to != "" {
			holder, ok := b.queues[to]
			if !ok || holder.cfg.DeadLetterQueue != "" || holder.cfg.MaxReceiveCount == 0 || q.cfg.MaxReceiveCount == 0 {
				return nil, fmt.Errorf("localbus: queue %q: DeadLetterQueue %q: want a queue with a dead-letter queue of its own, and a MaxReceiveCount", q.cfg.Name, to)
			}
		}
	}
	names := map[string]bool{}
	for _, r := range cfg.Rules {
		if r.Name == "" || r.Bus == "" {
			return nil, fmt.Errorf("localbus: rule %q on bus %q: Name and Bus are required", r.Name, r.Bus)
		}
		if names[r.Bus+"/"+r.Name] {
			return nil, fmt.Errorf("localbus: rule %q on bus %q: defined twice", r.Name, r.Bus)
		}
		names[r.Bus+"/"+r.Name] = true
		switch {
		case (r.Queue == "") == (r.Topic == ""):
			return nil, fmt.Errorf("localbus: rule %q: want exactly one target, a queue or a topic", r.Name)
		case r.Topic != "":
		default:
			if _, ok := b.queues[r.Queue]; !ok {
				return nil, fmt.Errorf("localbus: rule %q: target %q: %w", r.Name, r.Queue, ErrUnknownQueue)
			}
		}
		p, err := eventpattern.Compile([]byte(r.Pattern))
		if err != nil {
			return nil, fmt.Errorf("localbus: rule %q: %w", r.Name, err)
		}
		b.rules = append(b.rules, compiledRule{Rule: r, pattern: p})
		b.buses[r.Bus] = true
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	for _, q := range b.queues {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			q.poll(b.ctx)
		}()
	}
	return b, nil
}

// Close stops the pollers, cancels the context of running handlers and waits for them to
// return. Messages left in the queues are dropped. Close is idempotent.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
	return nil
}

// SetHandler attaches (or replaces) the handler of a queue; messages sent before it are held
// until then. It returns an error wrapping ErrUnknownQueue for a queue the bus does not have.
func (b *Bus) SetHandler(queueName string, h HandlerFunc) error {
	q, ok := b.queues[queueName]
	if !ok {
		return fmt.Errorf("localbus: set handler %q: %w", queueName, ErrUnknownQueue)
	}
	b.mu.Lock()
	q.handler = h
	b.mu.Unlock()
	q.signal()
	return nil
}

// Clock returns the clock the bus runs on (Config.Clock, or the wall clock).
func (b *Bus) Clock() Clock { return b.clock }

// Region returns the bus's region.
func (b *Bus) Region() string { return b.cfg.Region }

// Account returns the bus's account ID.
func (b *Bus) Account() string { return b.cfg.Account }

// QueueARN returns arn:aws:sqs:<region>:<account>:<name>, the eventSourceARN of its messages.
func (b *Bus) QueueARN(name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", b.cfg.Region, b.cfg.Account, name)
}

// targetARN returns the ARN of a rule's target: its queue's, or its topic's
// (arn:aws:sns:<region>:<account>:<topic>).
func (b *Bus) targetARN(r Rule) string {
	if r.Topic != "" {
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", b.cfg.Region, b.cfg.Account, r.Topic)
	}
	return b.QueueARN(r.Queue)
}

// QueueURL returns the URL of a queue on a server whose base URL is endpoint (such as
// http://127.0.0.1:4566): <endpoint>/<account>/<name>.
func (b *Bus) QueueURL(endpoint, name string) string {
	return strings.TrimSuffix(endpoint, "/") + "/" + b.cfg.Account + "/" + name
}

// Entry is one event to put on a bus, as in a PutEvents request.
type Entry struct {
	Bus        string    // the bus name or ARN; empty means DefaultBus
	Source     string    // required
	DetailType string    // required
	Detail     string    // required: a JSON object
	Resources  []string  // optional
	Time       time.Time // optional; zero means now
}

// EntryError is a PutEvents entry refused, with EventBridge's error code.
type EntryError struct {
	Code    string // InvalidArgument, MalformedDetail, NotAuthorizedForSourceException
	Message string
}

// Error returns "<code>: <message>".
func (e *EntryError) Error() string { return e.Code + ": " + e.Message }

// awsSourceHint follows EventBridge's refusal of an aws.* source: what to do locally instead.
const awsSourceHint = " (Locally as in AWS, only the service puts its events. To send IVS events through the suite, " +
	"simulate a broadcaster with the local IVS's admin API, POST <ivs endpoint>/_admin/broadcasts, or put the event in an " +
	"\"inject\" step of a scenario file: make local ARGS='-file my.json', see scripts/local/example-scenario.json.)"

// maxEntrySize is EventBridge's limit on one PutEvents entry.
const maxEntrySize = 256 * 1024

// Put puts one event on a bus as PutEvents does, and returns its event ID. It returns an
// *EntryError when EventBridge would refuse the entry, and an error wrapping ErrUnknownBus for
// a bus that does not exist.
func (b *Bus) Put(e Entry) (string, error) {
	busName, err := b.busName(e.Bus)
	if err != nil {
		return "", err
	}
	if err := validateEntry(e); err != nil {
		b.mu.Lock()
		b.stats.Rejected++
		b.mu.Unlock()
		b.emit(Activity{Kind: ActivityRejected, Bus: busName, Source: e.Source, DetailType: e.DetailType, Err: err.Error()})
		return "", err
	}
	t := e.Time
	if t.IsZero() {
		t = b.clock.Now()
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	var detail bytes.Buffer
	if err := json.Compact(&detail, []byte(e.Detail)); err != nil {
		return "", &EntryError{Code: "MalformedDetail", Message: "Detail is malformed."}
	}
	env := events.EventBridgeEvent{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: e.DetailType,
		Source:     e.Source,
		AccountID:  b.cfg.Account,
		Time:       t.UTC().Truncate(time.Second), // EventBridge's times are whole seconds
		Region:     b.cfg.Region,
		Resources:  resources,
		Detail:     detail.Bytes(),
	}
	body, err := json.Marshal(env)
	if err != nil {
		return "", fmt.Errorf("localbus: marshal envelope: %w", err)
	}
	b.route(busName, env.ID, env.Source, env.DetailType, body)
	return env.ID, nil
}

// Inject puts a complete event envelope (such as an IVS event from events/*.json) on a bus as
// an AWS service does, bypassing PutEvents' rules (aws.* sources are allowed), and routes it
// unchanged. It returns the envelope's id, an error wrapping ErrUnknownBus, or an error when the
// envelope is not a JSON object.
func (b *Bus) Inject(busName string, envelopeJSON []byte) (string, error) {
	name, err := b.busName(busName)
	if err != nil {
		return "", err
	}
	var head struct { // not events.EventBridgeEvent: an injected event may have a malformed time
		ID         string `json:"id"`
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(envelopeJSON, &obj); err != nil {
		return "", fmt.Errorf("localbus: inject: want a JSON object: %w", err)
	}
	_ = json.Unmarshal(envelopeJSON, &head) // best effort: the fields are for the timeline only
	var body bytes.Buffer
	if err := json.Compact(&body, envelopeJSON); err != nil {
		return "", fmt.Errorf("localbus: inject: %w", err)
	}
	if !b.injectFaulty(name, head.ID, head.Source, head.DetailType, body.Bytes()) {
		b.route(name, head.ID, head.Source, head.DetailType, body.Bytes())
	}
	return head.ID, nil
}

// busName resolves a bus name or ARN to a known bus name.
func (b *Bus) busName(nameOrARN string) (string, error) {
	name := nameOrARN
	if name == "" {
		name = DefaultBus
	}
	if strings.HasPrefix(name, "arn:") {
		if i := strings.LastIndex(name, ":event-bus/"); i >= 0 {
			name = name[i+len(":event-bus/"):]
		}
	}
	if !b.buses[name] {
		return "", fmt.Errorf("localbus: event bus %q: %w", nameOrARN, ErrUnknownBus)
	}
	return name, nil
}

func validateEntry(e Entry) error {
	switch {
	case e.Source == "":
		return &EntryError{Code: "InvalidArgument", Message: "Parameter Source is not valid. Reason: Source is a required argument."}
	case e.DetailType == "":
		return &EntryError{Code: "InvalidArgument", Message: "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
	case e.Detail == "":
		return &EntryError{Code: "InvalidArgument", Message: "Parameter Detail is not valid. Reason: Detail is a required argument."}
	case strings.HasPrefix(e.Source, "aws."):
		return &EntryError{Code: "NotAuthorizedForSourceException", Message: fmt.Sprintf("Not authorized for the source %s.%s", e.Source, awsSourceHint)}
	}
	size := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if !e.Time.IsZero() {
		size += 14
	}
	for _, r := range e.Resources {
		size += len(r)
	}
	if size > maxEntrySize {
		return &EntryError{Code: "InvalidArgument", Message: fmt.Sprintf("Entry size %d bytes exceeds the maximum of %d bytes.", size, maxEntrySize)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.Detail), &obj); err != nil || obj == nil {
		return &EntryError{Code: "MalformedDetail", Message: "Detail is malformed."}
	}
	return nil
}

// route matches an accepted event against the bus's rules and sends it to their queues.
func (b *Bus) route(busName, id, source, detailType string, body []byte) {
	b.mu.Lock()
	b.reportingLocked()
	b.mu.Unlock()
	defer b.reported()
	b.emit(Activity{Kind: ActivityPut, Bus: busName, EventID: id, Source: source, DetailType: detailType})
	var event map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&event); err != nil {
		event = nil // cannot happen: body is compacted JSON of an object
	}
	b.mu.Lock()
	b.stats.Accepted++
	b.mu.Unlock()
	matched := false
	for _, r := range b.rules {
		if r.Bus != busName || !r.pattern.MatchValue(event) {
			continue
		}
		matched = true
		if r.Topic != "" {
			msg := r.Input.render(event, body)
			b.mu.Lock()
			b.stats.Routed[r.Name]++
			b.published = append(b.published, Publication{Time: b.clock.Now(), Topic: r.Topic, Rule: r.Name, EventID: id, Message: msg})
			b.mu.Unlock()
			b.emit(Activity{Kind: ActivityPublished, Bus: busName, Rule: r.Name, Topic: r.Topic, EventID: id, Source: source, DetailType: detailType, Message: msg})
			continue
		}
		q := b.queues[r.Queue]
		msgID := q.send(string(body))
		b.mu.Lock()
		b.stats.Routed[r.Name]++
		b.mu.Unlock()
		b.emit(Activity{Kind: ActivityRouted, Bus: busName, Rule: r.Name, Queue: r.Queue, EventID: id, Source: source, DetailType: detailType, MessageID: msgID})
	}
	if !matched {
		b.mu.Lock()
		b.stats.Unmatched++
		b.mu.Unlock()
		b.emit(Activity{Kind: ActivityUnmatched, Bus: busName, EventID: id, Source: source, DetailType: detailType})
	}
}

// Stats returns a snapshot of the counters.
func (b *Bus) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	s := b.stats
	s.Routed = make(map[string]int, len(b.stats.Routed))
	for k, v := range b.stats.Routed {
		s.Routed[k] = v
	}
	s.Queues = make(map[string]QueueStats, len(b.queues))
	for name, q := range b.queues {
		qs := q.stats
		for _, m := range q.messages {
			if m.handle != "" && m.visibleAt.After(now) {
				qs.InFlight++
			} else {
				qs.Waiting++
			}
		}
		s.Queues[name] = qs
	}
	return s
}

// Published returns the messages the rules published to topic, oldest first.
func (b *Bus) Published(topic string) []Publication {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Publication
	for _, p := range b.published {
		if p.Topic == topic {
			out = append(out, p)
		}
	}
	return out
}

// DeadLetters returns the messages in a queue's DLQ, oldest first, or an error wrapping
// ErrUnknownQueue.
func (b *Bus) DeadLetters(queueName string) ([]DeadLetter, error) {
	q, ok := b.queues[queueName]
	if !ok {
		return nil, fmt.Errorf("localbus: dead letters of %q: %w", queueName, ErrUnknownQueue)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]DeadLetter(nil), q.dlqHolder().dlq...), nil
}

// WaitIdle blocks until every queue is empty (each message deleted or dead-lettered) and no
// batch is running, or ctx ends; then it returns ctx's error and what was left.
func (b *Bus) WaitIdle(ctx context.Context) error {
	for {
		b.mu.Lock()
		busy := b.busyLocked()
		changed := b.changed
		b.mu.Unlock()
		if busy == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localbus: wait idle: %w (still busy: %s)", ctx.Err(), busy)
		case <-changed:
		}
	}
}

// busyLocked describes the queues that are not idle, or returns "".
func (b *Bus) busyLocked() string {
	var busy []string
	if b.reporting > 0 {
		busy = append(busy, fmt.Sprintf("%d changes being reported", b.reporting))
	}
	if len(b.delayed) > 0 {
		busy = append(busy, fmt.Sprintf("%d delayed events", len(b.delayed)))
	}
	for name, q := range b.queues {
		if len(q.messages) > 0 || q.running > 0 {
			busy = append(busy, fmt.Sprintf("%s: %d messages, %d batches", name, len(q.messages), q.running))
		}
	}
	sort.Strings(busy)
	return strings.Join(busy, "; ")
}

// reportingLocked marks a state change whose activities are about to be emitted; b.mu must be
// held. Call reported after emitting them.
func (b *Bus) reportingLocked() { b.reporting++ }

// reported ends a reportingLocked once its activities were emitted.
func (b *Bus) reported() {
	b.mu.Lock()
	b.reporting--
	b.notifyLocked()
	b.mu.Unlock()
}

// notifyLocked wakes WaitIdle callers; b.mu must be held.
func (b *Bus) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *Bus) emit(a Activity) {
	if b.cfg.OnActivity == nil {
		return
	}
	if a.Time.IsZero() {
		a.Time = b.clock.Now()
	}
	b.cfg.OnActivity(a)
}
