package ivstest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"
)

// AllOperations is the Fault.Operation that applies to every operation without a fault of its
// own.
const AllOperations = "*"

// Fault makes an operation fail or slow down, for tests of retries and failure handling. A
// throttled call (quota) never reaches a fault.
type Fault struct {
	// Operation is the operation's name (e.g. OpGetStreamSession) or AllOperations.
	Operation string
	// Error is the code to answer with (one of ErrorCodes, e.g. CodeInternalServer); empty
	// injects latency only.
	Error string
	// Message is the exceptionMessage; empty uses the model's description of Error.
	Message string
	// Count, when positive, fails exactly the next Count calls and then removes the fault:
	// the deterministic choice for tests.
	Count int
	// Rate, used when Count is 0, is the probability (0 to 1) that a call fails; the fault
	// stays until cleared.
	Rate float64
	// Latency delays every call of the operation while the fault is set (wall-clock time).
	Latency time.Duration
}

// validate reports the first problem of f, naming the field.
func (f Fault) validate() error {
	known := f.Operation == AllOperations || slices.Contains(Operations(), f.Operation)
	switch {
	case !known:
		return fmt.Errorf("fault: operation: want an IVS operation name or %q, got %q", AllOperations, f.Operation)
	case f.Error != "" && defaultMessages[f.Error] == "":
		return fmt.Errorf("fault: error: want one of %v, got %q", ErrorCodes(), f.Error)
	case f.Count < 0:
		return fmt.Errorf("fault: count: want 0 or more, got %d", f.Count)
	case f.Rate < 0 || f.Rate > 1:
		return fmt.Errorf("fault: rate: want a probability from 0 to 1, got %v", f.Rate)
	case f.Latency < 0:
		return fmt.Errorf("fault: latency: want 0 or more, got %v", f.Latency)
	case f.Error == "" && f.Latency == 0:
		return errors.New("fault: want an error, a latency or both")
	case f.Error != "" && f.Count == 0 && f.Rate == 0:
		return errors.New("fault: an error needs a count or a rate")
	}
	return nil
}

// faults holds the injected faults, one per operation key. It is safe for concurrent use.
type faults struct {
	mu   sync.Mutex
	byOp map[string]*Fault
	rand *rand.Rand
}

func newFaults(seed uint64) *faults {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &faults{byOp: map[string]*Fault{}, rand: rand.New(rand.NewPCG(seed, seed>>1|1))}
}

func (fs *faults) set(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.byOp[f.Operation] = &f
	return nil
}

func (fs *faults) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	clear(fs.byOp)
}

func (fs *faults) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.byOp))
	for _, f := range fs.byOp {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Operation < out[j].Operation })
	return out
}

// take applies op's fault to one call: the latency to wait and the error to answer, if any.
func (fs *faults) take(op string) (time.Duration, *apiError) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	key := op
	f, ok := fs.byOp[key]
	if !ok {
		key = AllOperations
		if f, ok = fs.byOp[key]; !ok {
			return 0, nil
		}
	}
	latency := f.Latency
	if f.Error == "" {
		return latency, nil
	}
	fail := false
	switch {
	case f.Count > 0:
		fail = true
		if f.Count--; f.Count == 0 {
			delete(fs.byOp, key)
		}
	case f.Rate > 0:
		fail = fs.rand.Float64() < f.Rate
	}
	if !fail {
		return latency, nil
	}
	msg := f.Message
	if msg == "" {
		msg = defaultMessages[f.Error]
	}
	return latency, &apiError{Code: f.Error, Message: msg}
}

// SetFault sets the fault of f.Operation, replacing any it had. It returns an error naming the
// field when f is invalid: an unknown operation or error code, a rate outside 0..1, an error
// with neither count nor rate, or nothing to inject.
func (s *Server) SetFault(f Fault) error { return s.faults.set(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// Faults returns the faults in force, sorted by operation.
func (s *Server) Faults() []Fault { return s.faults.list() }

// OperationStats counts the calls of one IVS API operation.
type OperationStats struct {
	Calls     int `json:"calls"`     // requests received, including those refused below
	Throttled int `json:"throttled"` // answered 429 ThrottlingException (quota or fault)
	Injected  int `json:"injected"`  // answered with an injected fault's error
	Errors    int `json:"errors"`    // answered with any error, including the above
}

// stats counts calls per operation. It is safe for concurrent use.
type stats struct {
	mu   sync.Mutex
	byOp map[string]*OperationStats
}

func newStats() *stats { return &stats{byOp: map[string]*OperationStats{}} }

func (st *stats) get(op string) *OperationStats {
	o, ok := st.byOp[op]
	if !ok {
		o = &OperationStats{}
		st.byOp[op] = o
	}
	return o
}

func (st *stats) call(op string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.get(op).Calls++
}

func (st *stats) throttle(op string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o := st.get(op)
	o.Throttled++
	o.Errors++
}

func (st *stats) inject(op string, throttling bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o := st.get(op)
	o.Injected++
	o.Errors++
	if throttling {
		o.Throttled++
	}
}

func (st *stats) fail(op string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.get(op).Errors++
}

func (st *stats) snapshot() map[string]OperationStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]OperationStats, len(st.byOp))
	for op, o := range st.byOp {
		out[op] = *o
	}
	return out
}

func (st *stats) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	clear(st.byOp)
}

// Stats returns the call counts of every operation called since the start or the last
// ResetStats, keyed by operation name.
func (s *Server) Stats() map[string]OperationStats { return s.stats.snapshot() }

// ResetStats sets every call count to zero.
func (s *Server) ResetStats() { s.stats.reset() }
