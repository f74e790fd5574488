package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
)

// TestSweptRoleKeepsItsGoLive: even when every event is lost at the rates' dice, the swept
// role's session still reaches the archive by its other events (the live sweep then finishes it:
// soak seed 16 lost its Session Created and Stream Start too, and nothing could), while its
// Session Ended and Stream End are always lost; a plain channel's events are lost as drawn.
func TestSweptRoleKeepsItsGoLive(t *testing.T) {
	plan := &Plan{Channels: []*Channel{{Name: "soak-008-swept", Role: RoleSwept}, {Name: "soak-009-live", Role: RoleLive}}}
	in := newInjector(16, Rates{EventLost: 1}, plan)
	in.alias("st-swept0000000000000000000", "soak-008-swept")
	in.alias("st-plain0000000000000000000", "soak-009-live")
	for _, tc := range []struct {
		stream, name string
		drop         bool
	}{
		{"st-swept0000000000000000000", ivsevent.EventSessionCreated, false},
		{"st-swept0000000000000000000", ivsevent.EventStreamStart, false},
		{"st-swept0000000000000000000", ivsevent.EventSessionEnded, true},
		{"st-swept0000000000000000000", ivsevent.EventStreamEnd, true},
		{"st-plain0000000000000000000", ivsevent.EventStreamStart, true},
		{"st-plain0000000000000000000", ivsevent.EventSessionEnded, false}, // never lost: only the daily sweep would find it
	} {
		body := fmt.Appendf(nil, `{"id":"e-%s","detail":{"event_name":%q,"stream_id":%q}}`, tc.name, tc.name, tc.stream)
		got := in.decide(localbus.FaultEvent{ID: "e-" + tc.name, Name: tc.name, StreamID: tc.stream, Body: body})
		if got.Drop != tc.drop {
			t.Errorf("%s of %s: dropped %v, want %v", tc.name, tc.stream, got.Drop, tc.drop)
		}
	}
}

// TestPartialFailureEveryRun: with every PutEvents fault's rate at zero, the first PutEvents
// still meets a partial failure (a 200 with FailedEntryCount and an entry's InternalFailure),
// so that every kind is injected in every run; the next passes untouched.
func TestPartialFailureEveryRun(t *testing.T) {
	in := newInjector(13, Rates{}, &Plan{})
	reached := 0
	h := in.bus(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		var req struct{ Entries []json.RawMessage }
		_ = json.NewDecoder(r.Body).Decode(&req)
		out := struct{ Entries []map[string]string }{}
		for range req.Entries {
			out.Entries = append(out.Entries, map[string]string{"EventId": "ok"})
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	put := func() (failed int) {
		body := `{"Entries":[{"Source":"ivs-sessions","DetailType":"x","Detail":"{}"}]}`
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out struct{ FailedEntryCount int }
		if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != http.StatusOK || err != nil {
			t.Fatalf("PutEvents answered %d %s", rec.Code, rec.Body)
		}
		return out.FailedEntryCount
	}
	if got := put(); got != 1 {
		t.Errorf("first PutEvents: %d entries failed, want 1 (the run's partial failure)", got)
	}
	if got := put(); got != 0 || reached != 1 {
		t.Errorf("second PutEvents: %d entries failed, %d reached the bus; want 0 and 1", got, reached)
	}
	if in.counts[kPutEventsPartial] != 1 {
		t.Errorf("partial failures counted %d, want 1", in.counts[kPutEventsPartial])
	}
}
