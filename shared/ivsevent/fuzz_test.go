package ivsevent_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// FuzzParse checks that Parse never panics and keeps its contract: a non-nil *Event and a nil
// error, or a nil *Event and a *invalid.FieldError. An accepted event has the typed detail of its
// detail-type, a channel unless it is account-level, and survives json.Marshal and a second
// Parse unchanged. The seed corpus is every file under events/, valid and invalid.
func FuzzParse(f *testing.F) {
	err := filepath.WalkDir(eventsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f.Add(data)
		return nil
	})
	if err != nil {
		f.Fatalf("seed corpus from %s: %v", eventsDir, err)
	}
	for _, s := range []string{"", "null", "{}", "[]", `"aws.ivs"`, "{"} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ivsevent.Parse(data)
		if err != nil {
			if ev != nil {
				t.Fatalf("Parse returned an *Event with error %v", err)
			}
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if ev == nil {
			t.Fatal("Parse returned nil, nil")
		}
		set := 0
		for _, typed := range []bool{ev.StreamState != nil, ev.StreamHealth != nil, ev.Limit != nil, ev.Recording != nil} {
			if typed {
				set++
			}
		}
		if set != 1 {
			t.Fatalf("%d typed details set, want 1", set)
		}
		if ev.AccountLevel() != (ev.Limit != nil && ivsevent.AccountLevel(ev.Limit.LimitName)) {
			t.Fatalf("AccountLevel() = %v for %q with channel %+v", ev.AccountLevel(), ev.Name(), ev.Channel)
		}
		if !ev.AccountLevel() && !ivsevent.ValidStreamID(ev.StreamID()) {
			t.Fatalf("accepted channel-scoped event with stream ID %q", ev.StreamID())
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("Marshal an accepted event: %v", err)
		}
		again, err := ivsevent.Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(event)): %v\n%s", err, out)
		}
		if diff := eventDiff(ev, again); diff != "" {
			t.Fatalf("Parse(Marshal(event)) differs: %s", diff)
		}
	})
}
