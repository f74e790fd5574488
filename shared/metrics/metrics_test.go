package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

func TestFlushWritesEMF(t *testing.T) {
	var buf bytes.Buffer
	r := New("IVSSessions", &buf)
	r.now = func() time.Time { return time.UnixMilli(1700000000123) }
	r.Add("Refusals", 1, Dim{"Code", "MultitrackInputNotAllowed"})
	r.Add("Refusals", 2, Dim{"Code", "MultitrackInputNotAllowed"})
	r.Add("Refusals", 1, Dim{"Code", "MultitrackInputRequired"})
	r.Add("Sessions", 1)
	if got := r.Count("Refusals"); got != 4 {
		t.Errorf("Count(Refusals) = %v, want 4", got)
	}
	if got := r.Count("Refusals", Dim{"Code", "MultitrackInputRequired"}); got != 1 {
		t.Errorf("Count(Refusals, Required) = %v, want 1", got)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		docs = append(docs, doc)
	}
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 3", len(docs))
	}
	found := map[string]float64{}
	for _, d := range docs {
		aws := d["_aws"].(map[string]any)
		if aws["Timestamp"].(float64) != 1700000000123 {
			t.Errorf("Timestamp = %v", aws["Timestamp"])
		}
		cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
		if cwm["Namespace"] != "IVSSessions" {
			t.Errorf("Namespace = %v", cwm["Namespace"])
		}
		name := cwm["Metrics"].([]any)[0].(map[string]any)["Name"].(string)
		key := name
		if c, ok := d["Code"]; ok {
			key += "/" + c.(string)
		}
		found[key] = d[name].(float64)
	}
	want := map[string]float64{"Refusals/MultitrackInputNotAllowed": 3, "Refusals/MultitrackInputRequired": 1, "Sessions": 1}
	for k, v := range want {
		if found[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, found[k], v, found)
		}
	}
	buf.Reset()
	if err := r.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("second Flush wrote %q (err %v), want nothing", buf.String(), err)
	}
}

func TestConcurrentAdd(t *testing.T) {
	r := New("NS", &bytes.Buffer{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				r.Add("Events", 1, Dim{"DetailType", "IVS Stream State Change"})
			}
		})
	}
	wg.Wait()
	if got := r.Count("Events"); got != 800 {
		t.Errorf("Count = %v, want 800", got)
	}
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Add("x", 1) // must not panic
	if err := r.Flush(); err != nil {
		t.Error(err)
	}
}
