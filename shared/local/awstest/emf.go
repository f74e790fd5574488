package awstest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
)

// EMFSum returns the sum of metric name over emf, CloudWatch embedded metric format documents
// one a line (what metrics.Recorder writes), counting only the documents that have each of dims
// (any dimensions when there are none). A line that is not JSON fails tb.
func EMFSum(tb testing.TB, emf, name string, dims ...metrics.Dim) float64 {
	tb.Helper()
	var total float64
	for _, line := range strings.Split(emf, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			tb.Fatalf("EMF line %q: %v", line, err)
		}
		v, ok := doc[name].(float64)
		if !ok || !hasDims(doc, dims) {
			continue
		}
		total += v
	}
	return total
}

func hasDims(doc map[string]any, dims []metrics.Dim) bool {
	for _, d := range dims {
		if doc[d.Name] != d.Value {
			return false
		}
	}
	return true
}
