package main

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// FuzzParseInput feeds the sweep's input decoder what an invocation may carry. It must never
// panic; it fails with a *invalid.FieldError or gives a mode the sweep knows (days 1 to
// suite.MaxBackfillDays for a backfill, none otherwise); and what it accepts is one JSON object
// (nothing after it) whose members, but for a Scheduled Event's, are exactly mode and days.
func FuzzParseInput(f *testing.F) {
	for _, seed := range []string{
		`{"mode":"live"}`, `{"mode":"daily"}`, `{"mode":"backfill","days":7}`, `{"detail-type":"Scheduled Event","source":"aws.events"}`,
		`{"Mode":"backfill"}`, `{"mode":"live","mode":"backfill","days":60}`, `{"mode":"live"} {"mode":"backfill"}`, `{}`, `null`, `[]`,
		`{"mode":"backfill","days":61}`, `{"mode":"backfill","days":1e3}`, `{"mode":"live","days":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		in, err := ParseInput(payload)
		if err != nil {
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a FieldError", err, err)
			}
			return
		}
		switch in.Mode {
		case ModeLive, ModeDaily:
			if in.Days != 0 {
				t.Fatalf("%s with %d days accepted", in.Mode, in.Days)
			}
		case ModeBackfill:
			if in.Days < 1 || in.Days > suite.MaxBackfillDays {
				t.Fatalf("a backfill of %d days accepted", in.Days)
			}
		default:
			t.Fatalf("mode %q accepted", in.Mode)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(payload, &members); err != nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", payload, err)
		}
		if members["detail-type"] != nil {
			return // a Scheduled Event: the live sweep
		}
		for name := range members {
			if !slices.Contains([]string{"mode", "days"}, name) {
				t.Fatalf("accepted a member %q", name)
			}
		}
	})
}
