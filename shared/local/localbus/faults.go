package localbus

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// EventFaults makes the bus treat the events injected on one bus (the events IVS sends) as
// EventBridge may: it delivers them best effort, so some never arrive, some arrive late and
// some arrive twice. It is the one injector of lost, late and repeated IVS events, for the
// scenarios of make local (shares) and the soak (Decide). Shares are exact and deterministic: of
// every n matching events (or sessions), floor(n × share) are affected, spread evenly.
type EventFaults struct {
	// Bus is the bus whose injected events are affected; default DefaultBus.
	Bus string
	// Names limits the faults to events with these detail.event_name values (e.g. "Session
	// Ended"); empty: every event.
	Names []string
	// Sessions makes Drop choose whole sessions (every event of a chosen stream ID, whatever
	// its name) instead of single events.
	Sessions bool
	// Regions and Accounts limit the faults to events whose envelope's region (account) is one
	// of these (a fleet bus carries several); empty: any.
	Regions, Accounts []string
	// Drop, Delay and Duplicate are the shares (0 to 1) of matching events (or, for Drop with
	// Sessions, of sessions) lost, held back DelayBy, and delivered twice.
	Drop, Delay, Duplicate float64
	// DelayBy is how long a delayed event is held back (real time); the bus is busy meanwhile.
	DelayBy time.Duration
	// Decide, when set, decides the fault of every injected event of Bus instead of Names,
	// Sessions and the shares (a soak's seeded dice). It is called with the bus's fault state
	// locked, one event at a time.
	Decide func(FaultEvent) Fault
}

// FaultEvent is an injected event, as EventFaults.Decide sees it.
type FaultEvent struct {
	ID, Name, StreamID string // the envelope's id, detail.event_name and detail.stream_id
	Body               []byte // the envelope
}

// Fault is what happens to one injected event: dropped; held back until Bus.ReleaseHeld (an
// event that arrives after everything else; the bus is idle meanwhile); delivered Delay later
// (the bus is busy meanwhile); delivered Extra more times.
type Fault struct {
	Drop, Hold bool
	Delay      time.Duration
	Extra      int
}

// FaultStats counts what EventFaults did.
type FaultStats struct {
	Dropped, Delayed, Duplicated, Held int
}

// faults is the state of the bus's EventFaults.
type faults struct {
	mu       sync.Mutex
	cfg      EventFaults
	n        int             // matching events seen
	sessions map[string]bool // stream ID: dropped (Sessions)
	nsess    int             // sessions seen (Sessions)
	stats    FaultStats
	held     []heldEvent // Fault.Hold, until ReleaseHeld
}

// heldEvent is an injected event held back by Fault.Hold.
type heldEvent struct {
	bus, id, source, detailType string
	body                        []byte
}

// SetEventFaults replaces the bus's event faults (the zero EventFaults turns them off).
func (b *Bus) SetEventFaults(f EventFaults) error {
	for name, v := range map[string]float64{"Drop": f.Drop, "Delay": f.Delay, "Duplicate": f.Duplicate} {
		if v < 0 || v > 1 {
			return fmt.Errorf("localbus: event faults: %s: want a share from 0 to 1, got %v", name, v)
		}
	}
	if f.Delay > 0 && f.DelayBy <= 0 {
		return errors.New("localbus: event faults: DelayBy: want a positive duration with Delay")
	}
	if f.Bus == "" {
		f.Bus = DefaultBus
	}
	b.faults.mu.Lock()
	defer b.faults.mu.Unlock()
	b.faults.cfg, b.faults.n, b.faults.nsess, b.faults.sessions = f, 0, 0, map[string]bool{}
	return nil
}

// ReleaseHeld routes the events Fault.Hold held back, in the order they were injected, and
// returns how many there were.
func (b *Bus) ReleaseHeld() int {
	b.faults.mu.Lock()
	held := b.faults.held
	b.faults.held = nil
	b.faults.mu.Unlock()
	for _, h := range held {
		b.route(h.bus, h.id, h.source, h.detailType, h.body)
	}
	return len(held)
}

// Held returns how many events Fault.Hold holds back now.
func (b *Bus) Held() int {
	b.faults.mu.Lock()
	defer b.faults.mu.Unlock()
	return len(b.faults.held)
}

// FaultStats returns what the event faults did so far.
func (b *Bus) FaultStats() FaultStats {
	b.faults.mu.Lock()
	defer b.faults.mu.Unlock()
	return b.faults.stats
}

// hits reports whether the n-th (from 0) of a series is among the share spread evenly.
func hits(n int, share float64) bool {
	return int(float64(n+1)*share) > int(float64(n)*share)
}

// fault decides what happens to an injected event.
func (f *faults) fault(busName string, body []byte) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	if busName != c.Bus || (c.Decide == nil && c.Drop == 0 && c.Delay == 0 && c.Duplicate == 0) {
		return Fault{}
	}
	var ev struct {
		ID      string `json:"id"`
		Region  string `json:"region"`
		Account string `json:"account"`
		Detail  struct {
			EventName string `json:"event_name"`
			StreamID  string `json:"stream_id"`
		} `json:"detail"`
	}
	_ = json.Unmarshal(body, &ev) // an event without these fields matches no Names
	if (len(c.Regions) > 0 && !slices.Contains(c.Regions, ev.Region)) || (len(c.Accounts) > 0 && !slices.Contains(c.Accounts, ev.Account)) {
		return Fault{}
	}
	var out Fault
	if c.Decide != nil {
		out = c.Decide(FaultEvent{ID: ev.ID, Name: ev.Detail.EventName, StreamID: ev.Detail.StreamID, Body: body})
	} else {
		out = f.byShares(ev.Detail.EventName, ev.Detail.StreamID)
	}
	switch {
	case out.Drop:
		f.stats.Dropped++
		return Fault{Drop: true}
	case out.Hold:
		f.stats.Held++
		return Fault{Hold: true}
	}
	if out.Delay > 0 {
		f.stats.Delayed++
	}
	if out.Extra > 0 {
		f.stats.Duplicated++
	}
	return out
}

// byShares is the fault of an event of name and stream by the shares of f.cfg; f.mu is held.
func (f *faults) byShares(name, stream string) Fault {
	c := f.cfg
	if c.Sessions && c.Drop > 0 && stream != "" {
		dropped, seen := f.sessions[stream]
		if !seen {
			dropped = hits(f.nsess, c.Drop)
			f.nsess++
			f.sessions[stream] = dropped
		}
		if dropped {
			return Fault{Drop: true}
		}
	}
	if len(c.Names) > 0 && !slices.Contains(c.Names, name) {
		return Fault{}
	}
	n := f.n
	f.n++
	if !c.Sessions && hits(n, c.Drop) {
		return Fault{Drop: true}
	}
	var out Fault
	if hits(n, c.Delay) {
		out.Delay = c.DelayBy
	}
	if hits(n, c.Duplicate) {
		out.Extra = 1
	}
	return out
}

// injectFaulty routes an injected event through the bus's event faults. It reports false when
// no fault applies and the caller routes the event itself.
func (b *Bus) injectFaulty(busName, id, source, detailType string, body []byte) bool {
	f := b.faults.fault(busName, body)
	delay, extra := f.Delay, f.Extra
	switch {
	case f.Drop:
		b.emit(Activity{Kind: ActivityPut, Bus: busName, EventID: id, Source: source, DetailType: detailType, Err: "dropped (event faults)"})
		return true
	case f.Hold:
		b.faults.mu.Lock()
		b.faults.held = append(b.faults.held, heldEvent{bus: busName, id: id, source: source, detailType: detailType, body: body})
		b.faults.mu.Unlock()
		return true
	case delay == 0 && extra == 0:
		return false
	}
	deliver := func() {
		for range 1 + extra {
			b.route(busName, id, source, detailType, body)
		}
	}
	if delay == 0 {
		deliver()
		return true
	}
	// Busy until the held-back event is routed, so WaitIdle waits for it.
	at := b.clock.Now().Add(delay)
	b.mu.Lock()
	n := b.delayedNext
	b.delayedNext++
	b.delayed[n] = at
	b.mu.Unlock()
	fire := b.clock.At(at)
	go func() {
		<-fire
		deliver()
		b.mu.Lock()
		delete(b.delayed, n)
		b.notifyLocked()
		b.mu.Unlock()
	}()
	return true
}
