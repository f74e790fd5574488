package localbus_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// ivsEvent is an IVS event envelope of stream stream, named name.
func ivsEvent(i int, name, stream string) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"e-%d","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"123456789012",`+
		`"time":"2026-11-03T18:00:00Z","region":"us-west-2","resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],`+
		`"detail":{"event_name":%q,"channel_name":"c","stream_id":%q}}`, i, name, stream)
}

// TestEventFaults: exact shares of the injected IVS events are lost, late or repeated; the
// others, and events of other names, arrive once.
func TestEventFaults(t *testing.T) {
	tests := map[string]struct {
		faults    localbus.EventFaults
		want      int // messages on the enrich queue for 10 Session Ended and 10 Stream Start
		wantStats localbus.FaultStats
	}{
		"drop a fifth of Session Ended": {localbus.EventFaults{Names: []string{"Session Ended"}, Drop: 0.2}, 18, localbus.FaultStats{Dropped: 2}},
		"duplicate half":                {localbus.EventFaults{Duplicate: 0.5}, 30, localbus.FaultStats{Duplicated: 10}},
		"delay all":                     {localbus.EventFaults{Delay: 1, DelayBy: 50 * time.Millisecond}, 20, localbus.FaultStats{Delayed: 20}},
		"drop whole sessions":           {localbus.EventFaults{Sessions: true, Drop: 0.5}, 10, localbus.FaultStats{Dropped: 10}},
		"off":                           {localbus.EventFaults{}, 20, localbus.FaultStats{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, _, recs := newBus(t, localbus.QueueConfig{BatchSize: 10})
			if err := b.SetEventFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			start := b.Clock().Now()
			for i := range 10 {
				stream := fmt.Sprintf("st-%025d", i)
				for j, n := range []string{"Stream Start", "Session Ended"} {
					if _, err := b.Inject(localbus.DefaultBus, ivsEvent(2*i+j, n, stream)); err != nil {
						t.Fatal(err)
					}
				}
			}
			waitIdle(t, b)
			if got := len(recs[suite.FunctionEnrich].records()); got != tc.want {
				t.Errorf("enrich received %d messages, want %d", got, tc.want)
			}
			if got := b.FaultStats(); got != tc.wantStats {
				t.Errorf("FaultStats = %+v, want %+v", got, tc.wantStats)
			}
			if took := b.Clock().Now().Sub(start); tc.faults.Delay > 0 && took != tc.faults.DelayBy {
				t.Errorf("idle after %v, want after the delayed events (%v)", took, tc.faults.DelayBy)
			}
		})
	}
	b, _, _ := newBus(t, localbus.QueueConfig{})
	if err := b.SetEventFaults(localbus.EventFaults{Drop: 1.5}); err == nil {
		t.Error("SetEventFaults accepted a share of 1.5")
	}
}

// TestEventFaultsDecide: a Decide function (the soak's dice) chooses each event's fault; held
// events stay out of the pipeline, which goes idle, until ReleaseHeld routes them.
func TestEventFaultsDecide(t *testing.T) {
	b, _, recs := newBus(t, localbus.QueueConfig{BatchSize: 10})
	var seen []string
	decide := func(ev localbus.FaultEvent) localbus.Fault {
		seen = append(seen, ev.ID+" "+ev.Name+" "+ev.StreamID)
		switch ev.ID {
		case "e-0":
			return localbus.Fault{Drop: true}
		case "e-1", "e-2":
			return localbus.Fault{Hold: true}
		case "e-3":
			return localbus.Fault{Extra: 1}
		case "e-4":
			return localbus.Fault{Delay: 20 * time.Millisecond}
		}
		return localbus.Fault{}
	}
	if err := b.SetEventFaults(localbus.EventFaults{Decide: decide}); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, err := b.Inject(localbus.DefaultBus, ivsEvent(i, "Stream Start", fmt.Sprintf("st-%025d", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, b)
	// e-0 dropped, e-1 and e-2 held, e-3 twice, e-4 late, e-5 once.
	if got := len(recs[suite.FunctionEnrich].records()); got != 4 {
		t.Errorf("enrich received %d messages before the release, want 4", got)
	}
	if b.Held() != 2 || seen[0] != "e-0 Stream Start st-0000000000000000000000000" {
		t.Errorf("held %d, Decide saw %v", b.Held(), seen)
	}
	if want := (localbus.FaultStats{Dropped: 1, Held: 2, Duplicated: 1, Delayed: 1}); b.FaultStats() != want {
		t.Errorf("FaultStats = %+v, want %+v", b.FaultStats(), want)
	}
	if n := b.ReleaseHeld(); n != 2 {
		t.Errorf("ReleaseHeld = %d, want 2", n)
	}
	waitIdle(t, b)
	if got := len(recs[suite.FunctionEnrich].records()); got != 6 || b.Held() != 0 {
		t.Errorf("enrich received %d messages after the release (held %d), want 6", got, b.Held())
	}
}
