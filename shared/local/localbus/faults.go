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
// some arrive twice. Shares are exact and deterministic: of every n matching events (or
// sessions), floor(n × share) are affected, spread evenly.
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
}

// FaultStats counts what EventFaults did.
type FaultStats struct {
	Dropped, Delayed, Duplicated int
}

// faults is the state of the bus's EventFaults.
type faults struct {
	mu       sync.Mutex
	cfg      EventFaults
	n        int             // matching events seen
	sessions map[string]bool // stream ID: dropped (Sessions)
	nsess    int             // sessions seen (Sessions)
	stats    FaultStats
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

// fault decides what happens to an injected event: dropped, delayed (by how long) and
// repeated (how many extra deliveries).
func (f *faults) fault(busName string, body []byte) (drop bool, delay time.Duration, extra int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	if busName != c.Bus || (c.Drop == 0 && c.Delay == 0 && c.Duplicate == 0) {
		return false, 0, 0
	}
	var ev struct {
		Region  string `json:"region"`
		Account string `json:"account"`
		Detail  struct {
			EventName string `json:"event_name"`
			StreamID  string `json:"stream_id"`
		} `json:"detail"`
	}
	_ = json.Unmarshal(body, &ev) // an event without these fields matches no Names
	if (len(c.Regions) > 0 && !slices.Contains(c.Regions, ev.Region)) || (len(c.Accounts) > 0 && !slices.Contains(c.Accounts, ev.Account)) {
		return false, 0, 0
	}
	if c.Sessions && c.Drop > 0 && ev.Detail.StreamID != "" {
		dropped, seen := f.sessions[ev.Detail.StreamID]
		if !seen {
			dropped = hits(f.nsess, c.Drop)
			f.nsess++
			f.sessions[ev.Detail.StreamID] = dropped
		}
		if dropped {
			f.stats.Dropped++
			return true, 0, 0
		}
	}
	if len(c.Names) > 0 && !slices.Contains(c.Names, ev.Detail.EventName) {
		return false, 0, 0
	}
	n := f.n
	f.n++
	if !c.Sessions && hits(n, c.Drop) {
		f.stats.Dropped++
		return true, 0, 0
	}
	if hits(n, c.Delay) {
		f.stats.Delayed++
		delay = c.DelayBy
	}
	if hits(n, c.Duplicate) {
		f.stats.Duplicated++
		extra = 1
	}
	return false, delay, extra
}

// injectFaulty routes an injected event through the bus's event faults. It reports false when
// no fault applies and the caller routes the event itself.
func (b *Bus) injectFaulty(busName, id, source, detailType string, body []byte) bool {
	drop, delay, extra := b.faults.fault(busName, body)
	switch {
	case drop:
		b.emit(Activity{Kind: ActivityPut, Bus: busName, EventID: id, Source: source, DetailType: detailType, Err: "dropped (event faults)"})
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
