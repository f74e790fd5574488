package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Level ranks timeline entries, so a reader can choose how much to see.
type Level int

// The levels, from the least to the most important.
const (
	// LevelDetail: routing, batches, the runtime's START/REPORT lines, the scenario's own calls.
	LevelDetail Level = iota
	// LevelInfo: IVS events, the functions' IVS calls and log lines.
	LevelInfo
	// LevelKey: scenario steps, refusals, corrections, checks.
	LevelKey
	// LevelProblem: throttles, errors, rejections, dead letters.
	LevelProblem
)

// Actors of timeline entries other than the functions (suite.Function*).
const (
	ActorIVS       = "ivs"       // an event IVS emitted
	ActorBus       = "bus"       // the local EventBridge: events put, refused, routed or matching no rule
	ActorQueue     = "sqs"       // the local SQS queues: batches, failures, redeliveries, dead letters
	ActorScenario  = "scenario"  // a scenario step or check
	ActorNeighbour = "neighbour" // another application of the account calling IVS
	ActorYou       = "you"       // an IVS call through the endpoint printed for manual use
	ActorTopic     = "sns"       // the alarm topic: a notification published for a person
)

// Entry is one line of the timeline.
type Entry struct {
	Time  time.Time
	Actor string // a function name or one of the Actor constants
	Level Level
	Text  string
}

// Format returns the entry as a line: the time since start, the actor, the text.
func (e Entry) Format(start time.Time) string {
	return fmt.Sprintf("%7.3fs  %-9s %s", e.Time.Sub(start).Seconds(), e.Actor, e.Text)
}

// CallCount counts the calls of one IVS operation by one caller.
type CallCount struct {
	Calls     int // requests, including the refused ones
	OK        int // answered with success
	Throttled int // answered 429 ThrottlingException
	// Offline counts the calls answered ChannelNotBroadcasting: what the corrector's GetStream
	// expects of a channel it may update, an answer and not an error.
	Offline int
	Errors  int // answered with any other error
}

// Counters are what the stack counted since it started. Use Sub for the difference between
// two snapshots.
type Counters struct {
	Events      int                             // IVS events emitted (simulator and injected)
	Injected    int                             // raw events injected by scenarios
	Calls       map[string]map[string]CallCount // caller -> operation -> counts
	Metrics     map[string]float64              // EMF metrics of the functions: "Name" or "Name Dim=Value"
	Invocations map[string]int                  // function -> invocations
	Deferred    int                             // ChangeMessageVisibility calls on the correct queue
	DeadLetters int                             // messages moved to a dead-letter queue
	BatchErrors int                             // invocations that failed as a whole
	// Notifications counts the messages published to the alarm topic, by notification rule
	// (suite.Notifications: what reaches a person).
	Notifications map[string]int
	// RegionCalls, in a fleet, counts the functions' IVS calls by the region that answered
	// them: region -> operation -> counts.
	RegionCalls map[string]map[string]CallCount
}

// Sub returns c minus earlier, field by field.
func (c Counters) Sub(earlier Counters) Counters {
	out := Counters{
		Events: c.Events - earlier.Events, Injected: c.Injected - earlier.Injected,
		Deferred: c.Deferred - earlier.Deferred, DeadLetters: c.DeadLetters - earlier.DeadLetters,
		BatchErrors: c.BatchErrors - earlier.BatchErrors,
		Calls:       map[string]map[string]CallCount{}, Metrics: map[string]float64{}, Invocations: map[string]int{},
		Notifications: map[string]int{},
	}
	out.Calls, out.RegionCalls = subCalls(c.Calls, earlier.Calls), subCalls(c.RegionCalls, earlier.RegionCalls)
	for k, v := range c.Metrics {
		if d := v - earlier.Metrics[k]; d != 0 {
			out.Metrics[k] = d
		}
	}
	for k, v := range c.Invocations {
		if d := v - earlier.Invocations[k]; d != 0 {
			out.Invocations[k] = d
		}
	}
	for k, v := range c.Notifications {
		if d := v - earlier.Notifications[k]; d != 0 {
			out.Notifications[k] = d
		}
	}
	return out
}

// subCalls returns now minus earlier, for each key and operation, leaving out what did not
// change.
func subCalls(now, earlier map[string]map[string]CallCount) map[string]map[string]CallCount {
	out := map[string]map[string]CallCount{}
	for key, ops := range now {
		for op, n := range ops {
			e := earlier[key][op]
			d := CallCount{Calls: n.Calls - e.Calls, OK: n.OK - e.OK, Throttled: n.Throttled - e.Throttled, Offline: n.Offline - e.Offline, Errors: n.Errors - e.Errors}
			if d != (CallCount{}) {
				if out[key] == nil {
					out[key] = map[string]CallCount{}
				}
				out[key][op] = d
			}
		}
	}
	return out
}

// FunctionCalls sums the calls the functions made, by operation.
func (c Counters) FunctionCalls() map[string]CallCount {
	out := map[string]CallCount{}
	for _, fn := range suite.AllFunctions() {
		for op, n := range c.Calls[fn] {
			t := out[op]
			t.Calls += n.Calls
			t.OK += n.OK
			t.Throttled += n.Throttled
			t.Offline += n.Offline
			t.Errors += n.Errors
			out[op] = t
		}
	}
	return out
}

// Metric returns the sum of the EMF metric name over its dimension values, or only the values
// whose dimension is dim (as "Name=Value") when dim is given.
func (c Counters) Metric(name string, dim ...string) float64 {
	var sum float64
	for k, v := range c.Metrics {
		n, dims, _ := strings.Cut(k, " ")
		if n != name {
			continue
		}
		if len(dim) > 0 && !strings.Contains(" "+dims+" ", " "+dim[0]+" ") {
			continue
		}
		sum += v
	}
	return sum
}

// MetricBy returns the EMF metric name split by the values of dimension dimName.
func (c Counters) MetricBy(name, dimName string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range c.Metrics {
		n, dims, _ := strings.Cut(k, " ")
		if n != name {
			continue
		}
		for _, d := range strings.Fields(dims) {
			if dn, dv, _ := strings.Cut(d, "="); dn == dimName {
				out[dv] += v
			}
		}
	}
	return out
}

// recorder holds the counters and the channel names of a Stack; it is safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	c       Counters
	names   map[string]string // channel ARN -> name
	streams map[string]string // channel ARN -> latest stream ID

	reports  map[string]int // function -> REPORT lines (invocations finished)
	lastLine time.Time      // when a function last printed a line
}

func newRecorder() *recorder {
	return &recorder{
		c: Counters{Calls: map[string]map[string]CallCount{}, Metrics: map[string]float64{}, Invocations: map[string]int{}, Notifications: map[string]int{},
			RegionCalls: map[string]map[string]CallCount{}},
		names: map[string]string{}, streams: map[string]string{}, reports: map[string]int{},
	}
}

func (r *recorder) snapshot() Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c.Sub(Counters{}) // a deep copy
}

func (r *recorder) update(f func(c *Counters)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.c)
}

func (r *recorder) setName(arn, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names[arn] = name
}

func (r *recorder) name(arn string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.names[arn]; ok {
		return n
	}
	return arn
}

func (r *recorder) setStream(arn, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams[arn] = id
}

func (r *recorder) stream(arn string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streams[arn]
}

var channelARNPattern = regexp.MustCompile(`arn:aws:ivs:[a-z0-9-]+:\d{12}:channel/[a-zA-Z0-9]+`)

// readable replaces the channel ARNs in s with the channels' names.
func (r *recorder) readable(s string) string {
	return channelARNPattern.ReplaceAllStringFunc(s, r.name)
}

// Call is one IVS API call, from the local IVS server's call log.
type Call struct {
	Time      time.Time
	Caller    string // the function (or other actor) whose endpoint the call came through
	Operation string
	Status    int    // HTTP status, when the log line has one
	Error     string // the error code, if the call failed
	Injected  bool   // the error was an injected fault
	// Region and Account are those of the local IVS that answered, in a fleet (empty in a
	// single-region stack, where every call is answered in its one region).
	Region, Account string
}

// callLog is the slog.Handler of the local IVS server's Logger: it turns its "ivs call" lines
// into Calls, attributed to the caller that the request's context carries.
type callLog struct {
	onCall  func(Call)
	onOther func(slog.Record)
	attrs   []slog.Attr // a fleet's server's region and account (WithAttrs)
}

// Enabled implements slog.Handler: every call is recorded.
func (h callLog) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (h callLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != "ivs call" {
		h.onOther(r)
		return nil
	}
	c := Call{Time: r.Time, Caller: callerOf(ctx)}
	for _, a := range h.attrs {
		switch a.Key {
		case localaws.LogKeyRegion:
			c.Region = a.Value.String()
		case localaws.LogKeyAccount:
			c.Account = a.Value.String()
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "operation":
			c.Operation = a.Value.String()
		case "status":
			c.Status = int(a.Value.Int64())
		case "error":
			c.Error = a.Value.String()
		case "injected":
			c.Injected = a.Value.Bool()
		}
		return true
	})
	h.onCall(c)
	return nil
}

// WithAttrs implements slog.Handler: a fleet's servers add their region and account this way.
func (h callLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.attrs = append(slices.Clone(h.attrs), attrs...)
	return h
}

// WithGroup implements slog.Handler; the server uses no groups.
func (h callLog) WithGroup(string) slog.Handler { return h }

// callerOf returns the caller a request context was tagged with (ivstest.WithCaller), or
// ActorYou.
func callerOf(ctx context.Context) string {
	if c := ivstest.CallerOf(ctx); c != "" {
		return c
	}
	return ActorYou
}

// callText describes a call for the timeline.
func callText(c Call) (string, Level) {
	switch {
	case c.Error == ivstest.CodeThrottling:
		return fmt.Sprintf("IVS %s -> 429 ThrottlingException (quota; the SDK retries)", c.Operation), LevelProblem
	case c.Error == ivstest.CodeChannelNotBroadcasting:
		return fmt.Sprintf("IVS %s -> %s (the channel is offline)", c.Operation, c.Error), LevelInfo
	case c.Error != "":
		return fmt.Sprintf("IVS %s -> %s", c.Operation, c.Error), LevelInfo
	}
	return fmt.Sprintf("IVS %s -> %d", c.Operation, c.Status), LevelInfo
}

// eventText describes an IVS event for the timeline.
func eventText(data []byte, names *recorder) (string, Level) {
	ev, err := ivsevent.Parse(data)
	if err != nil {
		return "malformed event: " + names.readable(err.Error()), LevelKey
	}
	var b strings.Builder
	name := ev.Name()
	fmt.Fprintf(&b, "%-17s", name)
	if ev.AccountLevel() {
		b.WriteString(" (account)")
	} else {
		fmt.Fprintf(&b, " %s %s", names.name(ev.Channel.String()), ev.StreamID())
	}
	level := LevelInfo
	if code := ev.Code(); code != "" {
		fmt.Fprintf(&b, "  code=%s", code)
		level = LevelKey
	}
	if ev.DetailType == ivsevent.DetailTypeLimitBreach {
		level = LevelKey
	}
	return b.String(), level
}

// activityActor returns who did what a local bus activity reports: the bus (EventBridge) for
// events put, refused, routed or unmatched, a queue (SQS) for the rest.
func activityActor(a localbus.Activity) string {
	switch a.Kind {
	case localbus.ActivityPut, localbus.ActivityRejected, localbus.ActivityRouted, localbus.ActivityUnmatched:
		return ActorBus
	case localbus.ActivityPublished:
		return ActorTopic
	}
	return ActorQueue
}

// activityText describes a local bus activity, or returns "" for one not worth a line.
func activityText(a localbus.Activity) (string, Level) {
	switch a.Kind {
	case localbus.ActivityRouted:
		return fmt.Sprintf("%s -> %s queue (rule %s)", a.DetailType, a.Queue, a.Rule), LevelDetail
	case localbus.ActivityUnmatched:
		return fmt.Sprintf("%s from %s on bus %s: no rule matches", a.DetailType, a.Source, a.Bus), LevelDetail
	case localbus.ActivityPublished:
		return fmt.Sprintf("notification to a person (%s, %s topic): %s", a.Rule, a.Topic, shorten(a.Message, 400)), LevelKey
	case localbus.ActivityRejected:
		return fmt.Sprintf("PutEvents entry refused on bus %s: %s", a.Bus, a.Err), LevelProblem
	case localbus.ActivityBatch:
		return fmt.Sprintf("%s queue: a batch of %d messages invokes %s", a.Queue, len(a.MessageIDs), a.Queue), LevelDetail
	case localbus.ActivityFailed:
		if a.Err != "" {
			return "", LevelDetail // reported once by ActivityBatchFailed
		}
		return fmt.Sprintf("%s queue: message %s failed (receive %d): back after its visibility timeout", a.Queue, shortID(a.MessageID), a.ReceiveCount), LevelDetail
	case localbus.ActivityBatchFailed:
		return fmt.Sprintf("%s queue: the invocation failed, its %d messages come back: %s", a.Queue, len(a.MessageIDs), shorten(a.Err, 200)), LevelProblem
	case localbus.ActivityDeadLetter:
		if a.ReceiveCount == 0 {
			return fmt.Sprintf("%s queue: the function sent message %s to the dead-letter queue", a.Queue, shortID(a.MessageID)), LevelProblem
		}
		return fmt.Sprintf("%s queue: message %s moved to the dead-letter queue after %d receives", a.Queue, shortID(a.MessageID), a.ReceiveCount), LevelProblem
	case localbus.ActivityVisibility:
		return fmt.Sprintf("%s queue: message %s visible again in %s (receive %d)", a.Queue, shortID(a.MessageID), a.Visibility, a.ReceiveCount), LevelDetail
	}
	return "", LevelDetail
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// logLine is one JSON line a function printed: a log record or an EMF metrics document.
type logLine map[string]any

// parseLogLine decodes a JSON object line, or returns nil.
func parseLogLine(text string) logLine {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "{") {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var l logLine
	if dec.Decode(&l) != nil {
		return nil
	}
	return l
}

// emf returns the metrics of an EMF document as "Name Dim=Value ..." keys, or nil when the
// line is not one.
func (l logLine) emf() map[string]float64 {
	aws, ok := l["_aws"].(map[string]any)
	if !ok {
		return nil
	}
	defs, _ := aws["CloudWatchMetrics"].([]any)
	out := map[string]float64{}
	for _, d := range defs {
		def, _ := d.(map[string]any)
		var dims []string
		if sets, ok := def["Dimensions"].([]any); ok && len(sets) > 0 {
			set, _ := sets[0].([]any)
			for _, n := range set {
				name, _ := n.(string)
				dims = append(dims, fmt.Sprintf("%s=%v", name, l[name]))
			}
		}
		sort.Strings(dims)
		metrics, _ := def["Metrics"].([]any)
		for _, m := range metrics {
			mm, _ := m.(map[string]any)
			name, _ := mm["Name"].(string)
			num, ok := l[name].(json.Number)
			if name == "" || !ok {
				continue
			}
			v, err := num.Float64()
			if err != nil {
				continue
			}
			out[strings.TrimSpace(name+" "+strings.Join(dims, " "))] += v
		}
	}
	return out
}

// Keys of function log lines the timeline leaves out: the envelope and identifiers nobody reads
// in a timeline.
var droppedKeys = map[string]bool{
	"timestamp": true, "time": true, "level": true, "message": true, "msg": true, "requestId": true,
	"eventId": true, "publishedEventId": true, "messageId": true, "detailType": true,
	"record.channelArn": true, "record.enriched": true, "record.totalTargetBitrate": true,
	"record.events": true, "record.eventsDropped": true, "record.code": true,
}

// droppedPrefix drops the quality function's whole report (the log keeps it; the timeline
// shows its verdict, worst track and reasons).
const droppedPrefix = "quality."

// renamedKeys shortens the keys the timeline shows.
var renamedKeys = map[string]string{
	"channelArn": "channel", "record.streamId": "stream", "streamId": "stream", "record.outcome": "outcome",
	"record.videoTracks": "tracks", "record.topResolution": "top", "receiveCount": "receive",
}

// keyOrder is the order of the keys the timeline shows first; others follow, sorted.
var keyOrder = []string{"name", "channel", "stream", "outcome", "code", "action", "tracks", "top", "key",
	"receive", "visibility", "note", "reason", "detail", "err"}

// logText describes a function's log record for the timeline.
func logText(l logLine, names *recorder) (string, Level) {
	msg, _ := l["message"].(string)
	if msg == "" {
		msg, _ = l["msg"].(string)
	}
	level := LevelInfo
	switch lv, _ := l["level"].(string); strings.ToUpper(lv) {
	case "ERROR":
		level = LevelProblem
	}
	flat := map[string]string{}
	flatten("", map[string]any(l), flat)
	shown := map[string]string{}
	for k, v := range flat {
		if droppedKeys[k] || v == "" || strings.HasPrefix(k, droppedPrefix) {
			continue
		}
		if r, ok := renamedKeys[k]; ok {
			k = r
		}
		limit := 160
		if k == "reason" || k == "err" || k == "detail" {
			limit = 400
		}
		shown[k] = shorten(names.readable(v), limit)
	}
	var keys []string
	for _, k := range keyOrder {
		if _, ok := shown[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range shown {
		if !contains(keyOrder, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var b strings.Builder
	b.WriteString(msg)
	for _, k := range keys {
		v := shown[k]
		if strings.ContainsAny(v, " \t") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	return b.String(), level
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// flatten writes the leaves of v into out with dotted keys; arrays are written as JSON.
func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
	case string:
		out[prefix] = t
	case nil:
	case []any:
		var b bytes.Buffer
		_ = json.NewEncoder(&b).Encode(t)
		out[prefix] = strings.TrimSpace(b.String())
	default:
		out[prefix] = fmt.Sprint(t)
	}
}

// settled reports whether every invocation that started has reported its end and no function
// printed anything for quiet: the functions' output of finished invocations has been read.
func (r *recorder) settled(quiet time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for fn, n := range r.c.Invocations {
		if r.reports[fn] < n {
			return false
		}
	}
	return time.Since(r.lastLine) >= quiet
}

// lineEntry turns a line of a function's output into a timeline entry and counts what it says.
// It returns false for a line that is not worth showing.
func (s *Stack) lineEntry(l lambdarie.Line) (Entry, bool) {
	s.rec.update(func(*Counters) { s.rec.lastLine = time.Now() })
	text := strings.TrimSpace(l.Text)
	e := Entry{Time: l.Time, Actor: l.Function, Level: LevelDetail}
	switch {
	case text == "":
		return e, false
	case strings.HasPrefix(text, "START RequestId: "):
		s.rec.update(func(c *Counters) { c.Invocations[l.Function]++ })
		return e, false
	case strings.HasPrefix(text, "END RequestId: "):
		return e, false
	case strings.HasPrefix(text, "REPORT RequestId: "):
		s.rec.update(func(*Counters) { s.rec.reports[l.Function]++ })
		e.Text = "invocation " + strings.ReplaceAll(strings.TrimPrefix(text, "REPORT "), "\t", ", ")
		return e, true
	}
	ll := parseLogLine(text)
	if ll == nil {
		e.Text, e.Level = text, LevelInfo
		if l.Runtime {
			e.Level = LevelProblem // the emulator speaks up only about problems (--log-level error)
		}
		return e, true
	}
	if m := ll.emf(); m != nil {
		s.rec.update(func(c *Counters) {
			for k, v := range m {
				c.Metrics[k] += v
			}
		})
		return e, false
	}
	e.Text, e.Level = logText(ll, s.rec)
	if msg, _ := ll["message"].(string); msg == "correction" || strings.HasPrefix(msg, "rejected") {
		e.Level = max(e.Level, LevelKey)
	}
	return e, true
}
