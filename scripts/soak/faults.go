package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Rates are the probabilities of the faults drawn at random. Every decision is a hash of the
// seed, the fault's kind, what the request or event is about (named after the plan) and how
// many times it was seen: the same seed takes the same decisions, whatever order concurrent
// deliveries happen in.
type Rates struct {
	IVSThrottle, IVS5xx, IVSLatency           float64
	S3Error, S3LostAnswer, S3Conflict         float64
	PutEventsFailure, PutEventsPartial        float64
	PutEventsThrottle, SQSThrottle, SQSDouble float64
	EventLost, EventDuplicate, EventReordered float64
	EventLate, KillMidBatch                   float64
	// MaxKills bounds the kills mid-batch of each function: a killed batch waits out its
	// visibility timeout.
	MaxKills int
}

// DefaultRates are the soak's default rates.
var DefaultRates = Rates{
	IVSThrottle: 0.05, IVS5xx: 0.05, IVSLatency: 0.10,
	S3Error: 0.03, S3LostAnswer: 0.03, S3Conflict: 0.03,
	PutEventsFailure: 0.03, PutEventsPartial: 0.03, PutEventsThrottle: 0.03, SQSThrottle: 0.05, SQSDouble: 0.03,
	EventLost: 0.08, EventDuplicate: 0.10, EventReordered: 0.10, EventLate: 0.05,
	KillMidBatch: 0.10, MaxKills: 2,
}

// Fault kinds: the rows of the fault table, in its order. Each is a fault AWS produces, as
// AWS documents it, or a thing that happens to a deployment (a person's change, a replay).
const (
	kIVSThrottle       = "IVS ThrottlingException (429)"
	kIVS5xx            = "IVS InternalServerException (500)"
	kIVSLatency        = "IVS latency (50 to 500 ms)"
	kIVSLostAnswer     = "IVS UpdateChannel applied, answer lost (the SDK retries)"
	kIVSNotYet         = "IVS not showing a session yet (GetStreamSession 404)"
	kS3Error           = "S3 InternalError (500)"
	kS3LostAnswer      = "S3 write done, answer lost (500)"
	kS3Conflict        = "S3 409 ConditionalRequestConflict (a concurrent conditional write, which then fails)"
	kPutEventsFailure  = "PutEvents InternalException (500)"
	kPutEventsPartial  = "PutEvents partial failure (entries InternalFailure)"
	kPutEventsThrottle = "PutEvents ThrottlingException (400, and entries)"
	kSQSThrottle       = "SQS RequestThrottled (ChangeMessageVisibility, SendMessage)"
	kSQSDouble         = "SQS one message delivered to two invocations at once"
	kOutage            = "a dependency down for 15 s (every call 5xx)"
	kKillMidBatch      = "function killed mid-batch (enrich after publishing, archive after writing)"
	kKillAfterUpdate   = "correct killed right after an UpdateChannel IVS applied"
	kLambdaTimeout     = "Lambda timeout in a call (UpdateChannel applied, no answer before the deadline)"
	kPoison            = "a poison message that panics (archive), every delivery"
	kEventLost         = "IVS event lost (not a Session Ended)"
	kEventEndLost      = "IVS Session Ended and Stream End lost (the sweep finishes the session)"
	kEventDuplicate    = "IVS event duplicated"
	kEventReordered    = "IVS event reordered (up to 2 s later)"
	kEventLate         = "IVS event late (after the rest of the run)"
	kEventHoursLate    = "IVS events hours late, past correctionMaxAge"
	kMidnight          = "a session across midnight UTC"
	kPersonChange      = "a person changes the channel just before UpdateChannel"
	kReplay            = "a person reverts a correction, then the suite's events are replayed"
)

// faultKinds are the kinds, in the table's order.
var faultKinds = []string{kIVSThrottle, kIVS5xx, kIVSLatency, kIVSLostAnswer, kIVSNotYet, kS3Error, kS3LostAnswer,
	kS3Conflict, kPutEventsFailure, kPutEventsPartial, kPutEventsThrottle, kSQSThrottle, kSQSDouble, kOutage,
	kKillMidBatch, kKillAfterUpdate, kLambdaTimeout, kPoison, kEventLost, kEventEndLost, kEventDuplicate,
	kEventReordered, kEventLate, kEventHoursLate, kMidnight, kPersonChange, kReplay}

// Dependencies an outage may take down.
const (
	depS3          = "S3"
	depEventBridge = "EventBridge (PutEvents)"
	depIVS         = "IVS"
)

// notYetCalls is how many GetStreamSession calls of the designated session IVS answers 404,
// as it does for a session its API does not show yet.
const notYetCalls = 2

// poisonMarker, in a message's body, makes a soak build of the functions panic on it
// (shared/batch's poison_soak.go, compiled with -tags soak only).
const poisonMarker = "ivs-sessions-soak-poison"

// injector injects the soak's faults into the local stack (engine.Config.Wrap, the local bus's
// EventFaults and the functions' queue handlers) and records each one against what it touched.
type injector struct {
	seed  uint64
	rates Rates
	plan  *Plan
	stack func() *engine.Stack // set once the stack runs

	mu          sync.Mutex
	seen        map[string]int            // decision subject -> times seen
	counts      map[string]int            // fault kind -> injected
	bySubj      map[string]map[string]int // stream ID or channel ARN -> kind -> count
	fired       map[string]bool           // designated kinds that hit their channel
	lostUpdates map[string]int            // channel ARN -> UpdateChannel answers lost after IVS applied them
	killed      []string                  // what was killed, for the report
	aliases     map[string]string         // stream ID, channel ARN or ID -> the plan's channel name
	outageFrom  time.Time                 // the outage's window (zero: not yet)
	outageTo    time.Time
	delivered   map[string]map[string][]byte // stream ID -> message ID -> an archive message's body, for replays
	conflictMu  sync.Mutex                   // one competitor write at a time (conflict)
}

func newInjector(seed uint64, rates Rates, plan *Plan) *injector {
	return &injector{seed: seed, rates: rates, plan: plan, seen: map[string]int{}, counts: map[string]int{},
		bySubj: map[string]map[string]int{}, fired: map[string]bool{}, lostUpdates: map[string]int{},
		aliases: map[string]string{}, delivered: map[string]map[string][]byte{}}
}

// roll reports whether the fault kind happens to subject (its n-th sighting) at rate.
func (in *injector) roll(kind, subject string, rate float64) bool {
	if rate <= 0 {
		return false
	}
	in.mu.Lock()
	key := kind + "\x00" + subject
	n := in.seen[key]
	in.seen[key]++
	in.mu.Unlock()
	return unit(in.seed, kind, subject, n) < rate
}

// designated reports whether kind's designated channel is among names and kind has not hit it
// yet; it marks it hit.
func (in *injector) designated(kind string, names ...string) bool {
	target := in.plan.Designated[kind]
	if target == "" {
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.fired[kind] {
		return false
	}
	for _, n := range names {
		if n == target {
			in.fired[kind] = true
			return true
		}
	}
	return false
}

// isDesignated reports whether one of names is kind's designated channel.
func (in *injector) isDesignated(kind string, names ...string) bool {
	target := in.plan.Designated[kind]
	for _, n := range names {
		if target != "" && n == target {
			return true
		}
	}
	return false
}

// unit maps (seed, kind, subject, n) to [0, 1).
func unit(seed uint64, kind, subject string, n int) float64 {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s\x00%d", seed, kind, subject, n))
	return float64(binary.LittleEndian.Uint64(sum[:8])>>11) / float64(1<<53)
}

// note records one injected fault of kind against the subjects it touched.
func (in *injector) note(kind string, subjects ...string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.counts[kind]++
	for _, s := range subjects {
		if s == "" {
			continue
		}
		if in.bySubj[s] == nil {
			in.bySubj[s] = map[string]int{}
		}
		in.bySubj[s][kind]++
	}
}

// allowKill reports whether one more kill of kind stays within MaxKills.
func (in *injector) allowKill(kind string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.counts[kind] < in.rates.MaxKills
}

// alias names a random identifier (stream ID, channel ARN, channel ID) after the plan, so that
// the decisions about it are the same from run to run.
func (in *injector) alias(id, name string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.aliases[id] = name
}

// names returns the plan's names of the channels text mentions, sorted.
func (in *injector) names(text string) []string {
	ids := subjects(text)
	ids = append(ids, reChannelID.FindAllString(text, -1)...)
	in.mu.Lock()
	var names []string
	for _, id := range ids {
		if n, ok := in.aliases[strings.TrimPrefix(id, "channel=")]; ok {
			names = append(names, n)
		}
	}
	in.mu.Unlock()
	sort.Strings(names)
	return compact(names)
}

// stable returns the plan's names of the subjects text mentions: the part of a decision's
// subject that is the same from run to run.
func (in *injector) stable(text string) string { return strings.Join(in.names(text), ",") }

var (
	reChannelID  = regexp.MustCompile(`channel=[A-Za-z0-9]+`)
	reStreamID   = regexp.MustCompile(`st-[A-Za-z0-9]{20,}`)
	reChannelARN = regexp.MustCompile(`arn:aws:ivs:[a-z0-9-]+:[0-9]{12}:channel/[A-Za-z0-9]+`)
)

// subjects returns the stream IDs and channel ARNs text mentions.
func subjects(text string) []string {
	out := reStreamID.FindAllString(text, -1)
	out = append(out, reChannelARN.FindAllString(text, -1)...)
	sort.Strings(out)
	return compact(out)
}

func compact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// startOutage opens the outage's window now.
func (in *injector) startOutage(d time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.outageFrom = time.Now()
	in.outageTo = in.outageFrom.Add(d)
}

// down reports whether dep is in its outage now, and counts the call it fails.
func (in *injector) down(dep string, subj ...string) bool {
	if in.plan.Outage != dep {
		return false
	}
	in.mu.Lock()
	now := time.Now()
	down := !in.outageFrom.IsZero() && !now.Before(in.outageFrom) && now.Before(in.outageTo)
	in.mu.Unlock()
	if down {
		in.note(kOutage, subj...)
	}
	return down
}

// wrap is engine.Config.Wrap.
func (in *injector) wrap(service string, h http.Handler) http.Handler {
	switch service {
	case engine.ServiceIVS:
		return in.ivs(h)
	case engine.ServiceBus:
		return in.bus(h)
	case engine.ServiceS3:
		return in.s3(h)
	}
	return h
}

// readBody reads and restores r's body.
func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// forward serves r with h and returns the answer, not yet written.
func forward(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// copyAnswer writes a recorded answer to w.
func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// ivs injects IVS's faults into the functions' calls (/via/<function>/<operation>): an outage,
// a session GetStreamSession does not show yet, throttling and 5xx answers (IVS's wire error,
// ivstest.WriteError), latency; and around correct's UpdateChannel: a person's change just
// before it, its answer lost after IVS applied it, held past the function's deadline, or the
// function killed right after it.
func (in *injector) ivs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn, rest, ok := viaFunction(r.URL.Path)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		op := ivsOperation(rest)
		body := readBody(r)
		subj := subjects(string(body))
		names := in.names(string(body))
		key := fn + " " + op + " " + strings.Join(names, ",")
		switch {
		case in.down(depIVS, subj...):
			ivstest.WriteError(w, ivstest.CodeServiceUnavailable, "soak: IVS is down")
			return
		case op == ivstest.OpGetStreamSession && in.notYet(names, subj):
			ivstest.WriteError(w, ivstest.CodeResourceNotFound, "soak: the stream session is not visible yet")
			return
		case in.roll(kIVSThrottle, key, in.rates.IVSThrottle):
			in.note(kIVSThrottle, subj...)
			ivstest.WriteError(w, ivstest.CodeThrottling, "")
			return
		case in.roll(kIVS5xx, key, in.rates.IVS5xx):
			in.note(kIVS5xx, subj...)
			ivstest.WriteError(w, ivstest.CodeInternalServer, "")
			return
		}
		if in.roll(kIVSLatency, key, in.rates.IVSLatency) {
			in.note(kIVSLatency, subj...)
			time.Sleep(time.Duration(50+unit(in.seed, "latency", key, 0)*450) * time.Millisecond)
		}
		if fn != suite.FunctionCorrect || op != ivstest.OpUpdateChannel {
			h.ServeHTTP(w, r)
			return
		}
		in.updateChannel(w, r, h, names, subj)
	})
}

// notYet reports whether GetStreamSession must answer 404 for the designated session: its
// first notYetCalls calls.
func (in *injector) notYet(names, subj []string) bool {
	if !in.isDesignated(kIVSNotYet, names...) {
		return false
	}
	in.mu.Lock()
	n := in.counts[kIVSNotYet]
	in.mu.Unlock()
	if n >= notYetCalls {
		return false
	}
	in.note(kIVSNotYet, subj...)
	return true
}

// updateChannel serves correct's UpdateChannel: on the failed role's channel a person makes it
// BASIC first (IVS then refuses the corrector's change); once IVS applied it, its answer may be
// lost (500: the SDK sends it again), held until the invocation's deadline has passed, or
// followed by the function's death.
func (in *injector) updateChannel(w http.ResponseWriter, r *http.Request, h http.Handler, names, subj []string) {
	arn := ""
	for _, s := range subj {
		if strings.HasPrefix(s, "arn:") {
			arn = s
		}
	}
	if c := in.plan.ByARN(arn); c != nil && c.Role == RoleFailed && in.designatedOnce(kPersonChange) {
		// A person changes the channel's type between the corrector's GetChannel and its
		// UpdateChannel; multitrack input is for STANDARD channels only.
		admin := in.stack().IVSClient(engine.ActorYou)
		if _, err := admin.UpdateChannel(r.Context(), &ivs.UpdateChannelInput{Arn: aws.String(arn), Type: types.ChannelTypeBasicChannelType}); err == nil {
			in.note(kPersonChange, subj...)
		}
	}
	rec := forward(h, r)
	if rec.Code != http.StatusOK {
		copyAnswer(w, rec)
		return
	}
	switch {
	case in.designated(kIVSLostAnswer, names...):
		in.note(kIVSLostAnswer, subj...)
		in.mu.Lock()
		in.lostUpdates[arn]++
		in.mu.Unlock()
		ivstest.WriteError(w, ivstest.CodeInternalServer, "soak: the answer was lost")
		return
	case in.designated(kLambdaTimeout, names...):
		in.note(kLambdaTimeout, subj...)
		// The call hangs: no answer until the invocation's deadline has passed (the client
		// gives up at its context's deadline; Lambda's timeout ends the invocation).
		timer := time.NewTimer(suite.Deployment[suite.FunctionCorrect].Timeout + 5*time.Second)
		defer timer.Stop()
		select {
		case <-r.Context().Done():
		case <-timer.C:
		}
		ivstest.WriteError(w, ivstest.CodeInternalServer, "soak: no answer before the deadline")
		return
	case in.designated(kKillAfterUpdate, names...):
		in.kill(kKillAfterUpdate, suite.FunctionCorrect, subj...)
	}
	copyAnswer(w, rec)
}

// designatedOnce reports whether kind has not happened yet, and marks it happened.
func (in *injector) designatedOnce(kind string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.fired[kind] {
		return false
	}
	in.fired[kind] = true
	return true
}

// viaFunction splits /via/<function>/<rest>; ok only for a function of the suite.
func viaFunction(path string) (fn, rest string, ok bool) {
	p, found := strings.CutPrefix(path, "/via/")
	if !found {
		return "", "", false
	}
	fn, rest, _ = strings.Cut(p, "/")
	for _, f := range suite.AllFunctions() {
		if f == fn {
			return fn, rest, true
		}
	}
	return "", "", false
}

// ivsOperation turns IVS's REST path (e.g. "UpdateChannel") into the operation name.
func ivsOperation(rest string) string {
	op, _, _ := strings.Cut(strings.Trim(rest, "/"), "/")
	return op
}

// bus injects EventBridge's and SQS's faults: PutEvents failures (500), throttling (400
// ThrottlingException) and partial failures (some entries InternalFailure or
// ThrottlingException), an EventBridge outage; SQS RequestThrottled to the functions'
// ChangeMessageVisibility and SendMessage; and kills enrich mid-batch right after one of its
// publications went through.
func (in *injector) bus(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		body := readBody(r)
		subj := subjects(string(body))
		key := in.stable(string(body))
		switch target {
		case "AmazonSQS.ChangeMessageVisibility", "AmazonSQS.SendMessage":
			if in.designatedOnce(kSQSThrottle) || in.roll(kSQSThrottle, target+" "+key, in.rates.SQSThrottle) {
				in.note(kSQSThrottle, subj...)
				localbus.WriteSQSError(w, http.StatusBadRequest, "RequestThrottled", "AWS.SimpleQueueService.RequestThrottled", "soak: Request is throttled.")
				return
			}
			h.ServeHTTP(w, r)
			return
		case "AWSEvents.PutEvents":
		default:
			h.ServeHTTP(w, r)
			return
		}
		switch {
		case in.down(depEventBridge, subj...):
			writeJSONError(w, http.StatusInternalServerError, "InternalException", "InternalException", "soak: EventBridge is down")
			return
		case in.roll(kPutEventsFailure, key, in.rates.PutEventsFailure):
			in.note(kPutEventsFailure, subj...)
			writeJSONError(w, http.StatusInternalServerError, "InternalException", "InternalException", "soak: injected PutEvents failure")
			return
		case in.roll(kPutEventsThrottle, key, in.rates.PutEventsThrottle):
			in.note(kPutEventsThrottle, subj...)
			if unit(in.seed, "throttle-entries", key, 0) < 0.5 {
				in.partial(w, r, h, body, key, "ThrottlingException")
				return
			}
			writeJSONError(w, http.StatusBadRequest, "ThrottlingException", "ThrottlingException", "soak: Rate exceeded")
			return
		case in.designatedOnce(kPutEventsPartial) || in.roll(kPutEventsPartial, key, in.rates.PutEventsPartial):
			// At least once a run: its dice alone missed every PutEvents of seed 13.
			in.note(kPutEventsPartial, subj...)
			in.partial(w, r, h, body, key, "InternalFailure")
			return
		}
		h.ServeHTTP(w, r)
		if isEnrichPublication(body) && in.allowKill(kKillMidBatch+" "+suite.FunctionEnrich) && in.roll(kKillMidBatch, "enrich "+key, in.rates.KillMidBatch) {
			in.note(kKillMidBatch+" "+suite.FunctionEnrich, subj...)
			in.kill(kKillMidBatch, suite.FunctionEnrich, subj...)
		}
	})
}

func isEnrichPublication(body []byte) bool {
	return bytes.Contains(body, []byte(suite.DetailTypeSessionEnriched))
}

// partial forwards the entries the seed keeps (at least one is refused) and answers as
// PutEvents does when some entries fail: 200, FailedEntryCount, an ErrorCode per failed entry.
func (in *injector) partial(w http.ResponseWriter, r *http.Request, h http.Handler, body []byte, key, code string) {
	var req map[string]json.RawMessage
	var entries []json.RawMessage
	if json.Unmarshal(body, &req) != nil || json.Unmarshal(req["Entries"], &entries) != nil || len(entries) == 0 {
		h.ServeHTTP(w, r)
		return
	}
	refused := make([]bool, len(entries))
	refused[int(unit(in.seed, "partial-first", key, 0)*float64(len(entries)))] = true
	var kept []json.RawMessage
	for i, e := range entries {
		if i > 0 && unit(in.seed, "partial", key, i) < 0.5 {
			refused[i] = true
		}
		if !refused[i] {
			kept = append(kept, e)
		}
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	var forwarded struct{ Entries []result }
	if len(kept) > 0 {
		req["Entries"], _ = json.Marshal(kept)
		nb, _ := json.Marshal(req)
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(nb))
		r2.ContentLength = int64(len(nb))
		rec := forward(h, r2)
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &forwarded) != nil || len(forwarded.Entries) != len(kept) {
			copyAnswer(w, rec)
			return
		}
	}
	out := struct {
		Entries          []result
		FailedEntryCount int
	}{}
	j := 0
	for i := range entries {
		if refused[i] {
			out.Entries = append(out.Entries, result{ErrorCode: code, ErrorMessage: "soak: injected entry failure"})
			out.FailedEntryCount++
			continue
		}
		out.Entries = append(out.Entries, forwarded.Entries[j])
		if forwarded.Entries[j].ErrorCode != "" {
			out.FailedEntryCount++
		}
		j++
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(b)
}

// writeJSONError answers an EventBridge error in the AWS JSON protocol: the __type and the
// x-amzn-ErrorType header (SQS's: localbus.WriteSQSError).
func writeJSONError(w http.ResponseWriter, status int, typ, code, msg string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{typ, msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// competitorHeader marks the soak's own conditional writes (see conflict): they pass the S3
// proxy untouched.
const competitorHeader = "X-Soak-Competitor"

// s3 injects S3's faults: an outage (503), 5xx before a request, lost answers after a write
// (the write is done, the client hears 500), 409 ConditionalRequestConflict to a conditional
// write while another conditional write to the key is in progress (conflict), and kills
// archive mid-batch right after it wrote a session record. S3 answers 412 PreconditionFailed
// only when a condition does not hold (the local S3's own answer): the soak never fakes one.
func (in *injector) s3(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(competitorHeader) != "" {
			h.ServeHTTP(w, r)
			return
		}
		subj := subjects(r.URL.Path)
		names := in.names(r.URL.Path)
		prefix, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path[1:], "/"), "=") // bucket/<prefix>/year=...
		key := r.Method + " " + prefix + " " + strings.Join(names, ",")
		write := r.Method == http.MethodPut
		conditional := write && (r.Header.Get("If-Match") != "" || r.Header.Get("If-None-Match") != "")
		switch {
		case in.down(depS3, subj...):
			writeS3Error(w, http.StatusServiceUnavailable, "ServiceUnavailable", "soak: S3 is down")
			return
		case in.roll(kS3Error, key, in.rates.S3Error):
			in.note(kS3Error, subj...)
			writeS3Error(w, http.StatusInternalServerError, "InternalError", "soak: injected S3 error")
			return
		case conditional && (in.designated(kS3Conflict, names...) || in.roll(kS3Conflict, key, in.rates.S3Conflict)):
			if in.conflict(w, r, h) {
				in.note(kS3Conflict, subj...)
				return
			}
		case write && in.roll(kS3LostAnswer, key, in.rates.S3LostAnswer):
			in.note(kS3LostAnswer, subj...)
			h.ServeHTTP(httptest.NewRecorder(), r)
			writeS3Error(w, http.StatusInternalServerError, "InternalError", "soak: the answer was lost")
			return
		}
		if !write || !strings.Contains(r.URL.Path, "/sessions/") {
			h.ServeHTTP(w, r)
			return
		}
		rec := forward(h, r)
		if rec.Code == http.StatusOK && in.allowKill(kKillMidBatch+" "+suite.FunctionArchive) && in.roll(kKillMidBatch, "archive "+key, in.rates.KillMidBatch) {
			in.note(kKillMidBatch+" "+suite.FunctionArchive, subj...)
			in.kill(kKillMidBatch, suite.FunctionArchive, subj...)
		}
		copyAnswer(w, rec)
	})
}

// conflict makes r meet another conditional write to its key in progress, as S3 documents
// 409 ConditionalRequestConflict: a competitor's conditional write (If-Match on an ETag the key
// does not have) is held in progress by the local S3's conditional-write hook while r is
// served, then let go, and fails (412, or 404 when the key holds nothing): nothing of it is
// written, so r's writer must write again. It returns false, having served nothing, when r did
// not meet the competitor (it then goes on as usual).
func (in *injector) conflict(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
	in.conflictMu.Lock() // the local S3 has one conditional-write hook
	defer in.conflictMu.Unlock()
	st := in.stack()
	bucketKey := strings.TrimPrefix(r.URL.Path, "/")
	inProgress := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	st.S3.SetConditionalWriteHook(func(bucket, key string) {
		if bucket+"/"+key != bucketKey {
			return
		}
		once.Do(func() {
			close(inProgress)
			<-release
		})
	})
	defer st.S3.SetConditionalWriteHook(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, err := http.NewRequest(http.MethodPut, st.S3URL+"/"+bucketKey, strings.NewReader(`{"competitor":true}`))
		if err != nil {
			return
		}
		req.Header.Set("If-Match", `"soak-competitor-etag"`)
		req.Header.Set(competitorHeader, "1")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-inProgress:
	case <-done:
		return false
	case <-time.After(5 * time.Second):
		close(release)
		<-done
		return false
	}
	rec := forward(h, r)
	close(release)
	<-done
	if rec.Code != http.StatusConflict {
		// The hook holds one write at a time: another request got there first. Whatever r got
		// is its answer.
		copyAnswer(w, rec)
		return true
	}
	copyAnswer(w, rec)
	return true
}

func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

// kill kills, with SIGKILL and by process ID, every bootstrap the emulators of function fn run
// now: the processes this run's own stack started (engine.Stack.Pool, lambdarie BootstrapPIDs).
func (in *injector) kill(kind, fn string, subj ...string) {
	pool := in.stack().Pool(fn)
	if pool == nil {
		return
	}
	var pids []int
	for _, inst := range pool.Instances() {
		for _, pid := range inst.BootstrapPIDs() {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				pids = append(pids, pid)
			}
		}
	}
	if len(pids) == 0 {
		return
	}
	in.note(kind, subj...)
	in.mu.Lock()
	in.killed = append(in.killed, fmt.Sprintf("%s: %s, pid %v", kind, fn, pids))
	in.mu.Unlock()
}

// handler wraps the queue handler of function fn (the event source mapping's invocation of
// its emulators): a message of the batch may also be delivered to a second invocation at once
// (SQS's at-least-once delivery: a second receive before the first one's visibility timeout
// took hold), and archive's messages are kept for the replays.
func (in *injector) handler(fn string, next func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		if fn == suite.FunctionArchive || fn == suite.FunctionCorrect {
			in.keep(ev)
		}
		for _, m := range ev.Records {
			names := in.names(m.Body)
			if fn == suite.FunctionCorrect && !in.doubleable(names) {
				continue
			}
			key := fn + " " + strings.Join(names, ",") + " " + eventID(m.Body)
			if (fn == suite.FunctionCorrect && in.designated(kSQSDouble, names...)) || in.roll(kSQSDouble, key, in.rates.SQSDouble) {
				in.note(kSQSDouble, subjects(m.Body)...)
				dup := m
				dup.ReceiptHandle = "soak-second-receive-" + m.MessageId // not the queue's current handle
				go func() { _, _ = next(context.WithoutCancel(ctx), events.SQSEvent{Records: []events.SQSMessage{dup}}) }()
				break
			}
		}
		return next(ctx, ev)
	}
}

// doubleable reports whether a correction of these channels may be delivered twice at once: not
// those whose fate is one DLQ message (failed, expired), which a second delivery would decide
// again on a channel changed since.
func (in *injector) doubleable(names []string) bool {
	for _, n := range names {
		if c := in.plan.Channel(n); c != nil && (c.Role == RoleFailed || c.Role == RoleExpired) {
			return false
		}
	}
	return true
}

// keep records the messages of a batch by stream, for the replays.
func (in *injector) keep(ev events.SQSEvent) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range ev.Records {
		for _, s := range reStreamID.FindAllString(m.Body, -1) {
			if in.delivered[s] == nil {
				in.delivered[s] = map[string][]byte{}
			}
			in.delivered[s][m.MessageId] = []byte(m.Body)
		}
	}
}

// messagesOf returns the distinct bodies of the messages archive and correct received about
// stream, by envelope ID.
func (in *injector) messagesOf(stream string) [][]byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	byID := map[string][]byte{}
	for _, b := range in.delivered[stream] {
		byID[eventID(string(b))] = b
	}
	var out [][]byte
	for _, id := range sortedKeys(byID) {
		out = append(out, byID[id])
	}
	return out
}

// eventID returns an EventBridge envelope's id, or "".
func eventID(body string) string {
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	return e.ID
}

// decide is the local bus's EventFaults.Decide (localbus: the one injector of lost, late and
// repeated IVS events), for IVS's events on their way to EventBridge. The expired role's events
// are all held back until the end of the run (hours late: IVS's clock was set back when they
// happened); the swept role's Session Ended and Stream End are lost, and its other events never
// are (with every event of a session lost, only the daily window sweep could find it: the live
// sweep finishes a session the archive has heard of); the rest are lost (never a Session Ended,
// which only the daily sweep would recover for a refusal), held until the rest
// of the run is done (late), delayed up to 2 s (reordered: delivered after events that followed
// them) or delivered twice (duplicated) at their rates. The held events are released by
// player.drain (Bus.ReleaseHeld).
func (in *injector) decide(ev localbus.FaultEvent) localbus.Fault {
	names := in.names(string(ev.Body))
	id := strings.Join(names, ",") + " " + ev.Name
	role := Role("")
	if len(names) == 1 {
		if c := in.plan.Channel(names[0]); c != nil {
			role = c.Role
		}
	}
	switch {
	case role == RoleExpired:
		in.note(kEventHoursLate, ev.StreamID)
		return localbus.Fault{Hold: true}
	case role == RoleSwept && (ev.Name == ivsevent.EventSessionEnded || ev.Name == ivsevent.EventStreamEnd):
		in.note(kEventEndLost, ev.StreamID)
		return localbus.Fault{Drop: true}
	case role != RoleSwept && ev.Name != ivsevent.EventSessionEnded && in.roll(kEventLost, id, in.rates.EventLost):
		in.note(kEventLost, ev.StreamID)
		return localbus.Fault{Drop: true}
	case in.roll(kEventLate, id, in.rates.EventLate):
		in.note(kEventLate, ev.StreamID)
		return localbus.Fault{Hold: true}
	case in.roll(kEventReordered, id, in.rates.EventReordered):
		in.note(kEventReordered, ev.StreamID)
		return localbus.Fault{Delay: time.Duration(200+unit(in.seed, "reorder", id, 0)*1800) * time.Millisecond}
	case in.roll(kEventDuplicate, id, in.rates.EventDuplicate):
		in.note(kEventDuplicate, ev.StreamID)
		return localbus.Fault{Extra: 1}
	}
	return localbus.Fault{}
}

// installHandlers wraps the queue handler of every queue-fed function (handler).
func (in *injector) installHandlers(st *engine.Stack) error {
	for _, fn := range suite.Functions {
		pool := st.Pool(fn)
		if pool == nil {
			return fmt.Errorf("no emulators for %s", fn)
		}
		if err := st.Bus.SetHandler(fn, in.handler(fn, lambdarie.Adapter(pool))); err != nil {
			return err
		}
	}
	return nil
}
