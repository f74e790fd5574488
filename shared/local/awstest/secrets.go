package awstest

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// Secrets are the values that must never leave a function: the stream keys and SRT passphrases
// of the channels a test created. The zero value is ready to use; it is safe for concurrent use.
type Secrets struct {
	mu     sync.Mutex
	kinds  []string
	values []string
}

// Add remembers value, a secret of kind ("a stream key", "an SRT passphrase"), for Check. An
// empty value is ignored.
func (s *Secrets) Add(kind, value string) {
	if value == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds = append(s.kinds, kind)
	s.values = append(s.values, value)
}

// Check fails tb when one of the secrets, or anything shaped like an IVS stream key, appears in
// one of outputs (what a function wrote, by name: "logs", "published events"). The messages
// name the kind of secret, never its value.
func (s *Secrets) Check(tb testing.TB, outputs map[string]string) {
	tb.Helper()
	s.mu.Lock()
	kinds, values := slices.Clone(s.kinds), slices.Clone(s.values)
	s.mu.Unlock()
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out := outputs[name]
		for i, v := range values {
			if strings.Contains(out, v) {
				tb.Errorf("a secret (%s) appears in the %s", kinds[i], name)
			}
		}
		if redact.Scrub(out) != out { // something shaped like a stream key
			tb.Errorf("something shaped like a stream key appears in the %s", name)
		}
	}
}
