package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// Dim is one metric dimension.
type Dim struct {
	Name, Value string
}

// Recorder accumulates counters and writes them as EMF documents on Flush.
type Recorder struct {
	namespace string
	w         io.Writer
	now       func() time.Time

	mu     sync.Mutex
	counts map[string]*series
}

type series struct {
	name  string
	dims  []Dim
	value float64
}

// New returns a Recorder that writes EMF documents for namespace to w.
func New(namespace string, w io.Writer) *Recorder {
	return &Recorder{namespace: namespace, w: w, now: time.Now, counts: map[string]*series{}}
}

// Add adds value to the counter name with exactly the dimensions dims.
func (r *Recorder) Add(name string, value float64, dims ...Dim) {
	if r == nil {
		return
	}
	var key strings.Builder
	key.WriteString(name)
	for _, d := range dims {
		fmt.Fprintf(&key, "\x00%s=%s", d.Name, d.Value)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.counts[key.String()]
	if !ok {
		s = &series{name: name, dims: slices.Clone(dims)}
		r.counts[key.String()] = s
	}
	s.value += value
}

// Count returns the current value of a counter (before Flush), for tests and summaries.
func (r *Recorder) Count(name string, dims ...Dim) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var total float64
	for _, s := range r.counts {
		if s.name == name && hasDims(s.dims, dims) {
			total += s.value
		}
	}
	return total
}

func hasDims(have, want []Dim) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// Flush writes one EMF document per counter series and resets the counters. It returns the
// first write or encoding error.
func (r *Recorder) Flush() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	counts := r.counts
	r.counts = map[string]*series{}
	r.mu.Unlock()

	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ts := r.now().UnixMilli()
	for _, k := range keys {
		s := counts[k]
		doc := map[string]any{s.name: s.value}
		dimNames := make([]string, 0, len(s.dims))
		for _, d := range s.dims {
			doc[d.Name] = d.Value
			dimNames = append(dimNames, d.Name)
		}
		doc["_aws"] = map[string]any{
			"Timestamp": ts,
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  r.namespace,
				"Dimensions": [][]string{dimNames},
				"Metrics":    []any{map[string]string{"Name": s.name, "Unit": "Count"}},
			}},
		}
		line, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("metrics: encode %s: %w", s.name, err)
		}
		if _, err := r.w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("metrics: write %s: %w", s.name, err)
		}
	}
	return nil
}
