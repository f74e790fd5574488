package main

import (
	"bytes"
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

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Rates are the probabilities of each fault. Every decision is a hash of the seed, the fault's
// kind, what the request or event is about and how many times it was seen: the same seed takes
// the same decisions, whatever order concurrent deliveries happen in.
type Rates struct {
	IVSThrottle, IVS5xx, IVSLatency           float64
	S3Error, S3LostAnswer, S3Conflict         float64
	PutEventsFailure, PutEventsPartial        float64
	EventLost, EventDuplicate, EventReordered float64
	EventLate                                 float64
	KillMidBatch, KillAfterUpdate             float64
	// MaxKills bounds the kills of each kind: a killed batch waits out its visibility timeout.
	MaxKills int
}

// DefaultRates are the soak's default rates.
var DefaultRates = Rates{
	IVSThrottle: 0.05, IVS5xx: 0.05, IVSLatency: 0.10,
	S3Error: 0.03, S3LostAnswer: 0.03, S3Conflict: 0.05,
	PutEventsFailure: 0.03, PutEventsPartial: 0.03,
	EventLost: 0.08, EventDuplicate: 0.10, EventReordered: 0.10, EventLate: 0.05,
	KillMidBatch: 0.10, KillAfterUpdate: 0.5, MaxKills: 2,
}

// Fault kinds, the rows of the fault table.
const (
	kIVSThrottle      = "IVS throttling"
	kIVS5xx           = "IVS 5xx"
	kIVSLatency       = "IVS latency"
	kS3Error          = "S3 5xx"
	kS3LostAnswer     = "S3 answer lost (write done)"
	kS3Conflict       = "S3 conditional-write conflict"
	kPutEventsFailure = "PutEvents failure"
	kPutEventsPartial = "PutEvents partial failure"
	kEventLost        = "IVS event lost"
	kEventDuplicate   = "IVS event duplicated"
	kEventReordered   = "IVS event reordered"
	kEventLate        = "IVS event late (after the rest)"
	kKillMidBatch     = "function killed mid-batch"
	kKillAfterUpdate  = "correct killed after UpdateChannel"
)

var faultKinds = []string{kIVSThrottle, kIVS5xx, kIVSLatency, kS3Error, kS3LostAnswer, kS3Conflict,
	kPutEventsFailure, kPutEventsPartial, kEventLost, kEventDuplicate, kEventReordered, kEventLate,
	kKillMidBatch, kKillAfterUpdate}

// injector injects the soak's faults into the local stack (engine.Config.Wrap, the local bus's
// EventFaults)
// and records each one against the stream or channel it touched.
type injector struct {
	seed  uint64
	rates Rates
	stack func() *engine.Stack // set once the stack runs

	mu      sync.Mutex
	seen    map[string]int            // decision subject -> times seen
	counts  map[string]int            // fault kind -> injected
	bySubj  map[string]map[string]int // stream ID or channel ARN -> kind -> count
	updates map[string]int            // channel ARN -> UpdateChannel calls IVS applied
	killed  []string                  // what was killed, for the report
	aliases map[string]string         // stream ID, channel ARN or ID -> the plan's stable name
}

func newInjector(seed uint64, rates Rates) *injector {
	return &injector{seed: seed, rates: rates, seen: map[string]int{}, counts: map[string]int{},
		bySubj: map[string]map[string]int{}, updates: map[string]int{},
		aliases: map[string]string{}}
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

// stable returns the plan's names of the subjects text mentions, sorted: the part of a
// decision's subject that is the same from run to run.
func (in *injector) stable(text string) string {
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
	return strings.Join(compact(names), ",")
}

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

// ivs injects throttling and 5xx through the IVS server's own faults (ivstest.Fault, one call
// each), latency before the call, and kills correct right after an UpdateChannel IVS applied.
func (in *injector) ivs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the functions' calls (/via/<function>/<operation>) get faults.
		fn, op, ok := viaFunction(r.URL.Path)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		body := readBody(r)
		subj := subjects(string(body))
		key := fn + " " + op + " " + in.stable(string(body))
		st := in.stack()
		switch {
		case in.roll(kIVSThrottle, key, in.rates.IVSThrottle):
			if st.IVS.SetFault(ivstest.Fault{Operation: ivsOperation(op), Error: ivstest.CodeThrottling, Count: 1}) == nil {
				in.note(kIVSThrottle, subj...)
			}
		case in.roll(kIVS5xx, key, in.rates.IVS5xx):
			if st.IVS.SetFault(ivstest.Fault{Operation: ivsOperation(op), Error: ivstest.CodeInternalServer, Count: 1}) == nil {
				in.note(kIVS5xx, subj...)
			}
		}
		if in.roll(kIVSLatency, key, in.rates.IVSLatency) {
			in.note(kIVSLatency, subj...)
			time.Sleep(time.Duration(50+unit(in.seed, "latency", key, 0)*450) * time.Millisecond)
		}
		if fn != suite.FunctionCorrect || ivsOperation(op) != ivstest.OpUpdateChannel {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			in.mu.Lock()
			for _, s := range subj {
				if strings.HasPrefix(s, "arn:") {
					in.updates[s]++
				}
			}
			in.mu.Unlock()
			if in.allowKill(kKillAfterUpdate) && in.roll(kKillAfterUpdate, key, in.rates.KillAfterUpdate) {
				in.kill(kKillAfterUpdate, suite.FunctionCorrect, subj...)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// viaFunction splits /via/<function>/<operation...>; ok only for a function of the suite.
func viaFunction(path string) (fn, rest string, ok bool) {
	p, found := strings.CutPrefix(path, "/via/")
	if !found {
		return "", "", false
	}
	fn, rest, _ = strings.Cut(p, "/")
	for _, f := range suite.Functions {
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

// bus injects PutEvents failures (5xx) and partial failures (some entries refused), and kills
// enrich mid-batch right after one of its publications went through.
func (in *injector) bus(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
			h.ServeHTTP(w, r)
			return
		}
		body := readBody(r)
		subj := subjects(string(body))
		key := in.stable(string(body))
		if in.roll(kPutEventsFailure, key, in.rates.PutEventsFailure) {
			in.note(kPutEventsFailure, subj...)
			writeJSONError(w, http.StatusInternalServerError, "InternalException", "soak: injected PutEvents failure")
			return
		}
		if in.roll(kPutEventsPartial, key, in.rates.PutEventsPartial) {
			in.note(kPutEventsPartial, subj...)
			in.partial(w, r, h, body, key)
			return
		}
		h.ServeHTTP(w, r)
		if isEnrichPublication(body) && in.allowKill(kKillMidBatch+" enrich") && in.roll(kKillMidBatch, "enrich "+key, in.rates.KillMidBatch) {
			in.note(kKillMidBatch+" enrich", subj...)
			in.kill(kKillMidBatch, suite.FunctionEnrich, subj...)
		}
	})
}

func isEnrichPublication(body []byte) bool {
	return bytes.Contains(body, []byte(suite.DetailTypeSessionEnriched))
}

// partial forwards the entries the seed keeps (at least one is refused) and answers as
// PutEvents does when some entries fail: 200, FailedEntryCount, an ErrorCode per failed entry.
func (in *injector) partial(w http.ResponseWriter, r *http.Request, h http.Handler, body []byte, key string) {
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
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r2)
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &forwarded) != nil || len(forwarded.Entries) != len(kept) {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
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
			out.Entries = append(out.Entries, result{ErrorCode: "InternalFailure", ErrorMessage: "soak: injected partial failure"})
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

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{code, msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// s3 injects 5xx before a request, lost answers after a write (the write is done, the client
// hears 500), spurious conflicts on conditional writes (412 as when another writer won), and
// kills archive mid-batch right after it wrote a session record.
func (in *injector) s3(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subj := subjects(r.URL.Path)
		prefix, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path[1:], "/"), "=") // bucket/<prefix>/year=...
		key := r.Method + " " + prefix + " " + in.stable(r.URL.Path)
		write := r.Method == http.MethodPut
		conditional := write && (r.Header.Get("If-Match") != "" || r.Header.Get("If-None-Match") != "")
		switch {
		case in.roll(kS3Error, key, in.rates.S3Error):
			in.note(kS3Error, subj...)
			writeS3Error(w, http.StatusInternalServerError, "InternalError", "soak: injected S3 error")
			return
		case conditional && in.roll(kS3Conflict, key, in.rates.S3Conflict):
			in.note(kS3Conflict, subj...)
			writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
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
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK && in.allowKill(kKillMidBatch+" archive") && in.roll(kKillMidBatch, "archive "+key, in.rates.KillMidBatch) {
			in.note(kKillMidBatch+" archive", subj...)
			in.kill(kKillMidBatch, suite.FunctionArchive, subj...)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
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

// decide is the local bus's EventFaults.Decide: IVS's events are lost, duplicated, reordered
// (delivered up to 2 s later, after events that followed them) or late (held until the rest of
// the run is done, as an event that arrives hours late). Only events whose loss the archive can
// make up for without the sweep of issue 12 may be lost: never a session's Session Ended.
func (in *injector) decide(ev localbus.FaultEvent) localbus.Fault {
	id := in.stable(string(ev.Body)) + " " + ev.Name
	switch {
	case ev.Name != ivsevent.EventSessionEnded && in.roll(kEventLost, id, in.rates.EventLost):
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
