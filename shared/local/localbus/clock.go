package localbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Clock is the time a Bus runs on: visibility timeouts, delivery delays, batching windows,
// delayed events and every timestamp it gives. The default (Config.Clock nil) is the wall clock.
// A test that must not depend on how fast the machine runs gives a ManualClock instead: its time
// moves only when the test moves it (ManualClock.Advance, or Bus.RunUntilIdle), so a slow
// handler can never outlast a visibility timeout and see its messages delivered again.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reads t or later.
	At(t time.Time) <-chan time.Time
}

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time                  { return time.Now() }
func (wallClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// ManualClock is a Clock that stands still until it is advanced. It is safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
}

type clockWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewManualClock returns a ManualClock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// At returns a channel that receives once the clock reads t or later: at once when it does.
func (c *ManualClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{at: t, ch: ch})
	return ch
}

// Advance moves the clock forward by d (a negative d is ignored) and wakes what waited for it.
func (c *ManualClock) Advance(d time.Duration) {
	if d > 0 {
		c.AdvanceTo(c.Now().Add(d))
	}
}

// AdvanceTo moves the clock to t, when t is later than its time, and wakes what waited for it.
func (c *ManualClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.After(c.now) {
		return
	}
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t
	}
	for i := len(kept); i < len(c.waiters); i++ {
		c.waiters[i] = clockWaiter{}
	}
	c.waiters = kept
}

// ErrNotManual is returned by RunUntilIdle on a bus that runs on another clock than a
// ManualClock.
var ErrNotManual = errors.New("the bus does not run on a ManualClock (Config.Clock)")

// RunUntilIdle drives a bus that runs on a ManualClock until every queue is empty: it waits
// until nothing runs and nothing is due, then moves the clock to the next moment something is
// (a visibility timeout or delivery delay that ends, a batching window that closes, a delayed
// event), and again. What happens on the bus therefore depends on the clock alone, never on how
// long a handler takes. It returns ctx's error, or an error saying what is left when nothing
// will ever be due again (a queue without a handler).
func (b *Bus) RunUntilIdle(ctx context.Context) error {
	mc, ok := b.clock.(*ManualClock)
	if !ok {
		return fmt.Errorf("localbus: run until idle: %w", ErrNotManual)
	}
	for {
		next, err := b.WaitSettled(ctx)
		if err != nil {
			return err
		}
		b.mu.Lock()
		busy := b.busyLocked()
		b.mu.Unlock()
		switch {
		case busy == "":
			return nil
		case next.IsZero():
			return fmt.Errorf("localbus: run until idle: nothing is due and the bus is not idle: %s", busy)
		}
		mc.AdvanceTo(next)
	}
}

// WaitSettled blocks until nothing runs on the bus (no batch, no activity being reported) and
// nothing is due by its clock, or ctx ends. It returns the next moment something will be due
// (zero when nothing will), so a test on a ManualClock can look at what happened so far and then
// move the clock there (ManualClock.AdvanceTo), as RunUntilIdle does.
func (b *Bus) WaitSettled(ctx context.Context) (time.Time, error) {
	for {
		b.mu.Lock()
		next, settled := b.settledLocked(b.clock.Now())
		changed := b.changed
		busy := b.busyLocked()
		b.mu.Unlock()
		if settled {
			return next, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("localbus: wait settled: %w (still busy: %s)", ctx.Err(), busy)
		case <-changed:
		}
	}
}

// settledLocked reports whether nothing runs and nothing is due at now, and when something next
// will be; b.mu must be held.
func (b *Bus) settledLocked(now time.Time) (next time.Time, settled bool) {
	if b.reporting > 0 {
		return time.Time{}, false
	}
	earliest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, at := range b.delayed {
		if !at.After(now) {
			return time.Time{}, false // being routed
		}
		earliest(at)
	}
	for _, q := range b.queues {
		at, due := q.dueLocked(now)
		if due {
			return time.Time{}, false
		}
		earliest(at)
	}
	return next, true
}

// dueLocked reports whether the queue's poller has something to do at now (a batch to run,
// messages to move to the dead-letter queue, a batching window to open) or a batch is running,
// and otherwise when it next will; Bus.mu must be held.
func (q *queue) dueLocked(now time.Time) (next time.Time, due bool) {
	if q.running > 0 {
		return time.Time{}, true
	}
	if q.handler == nil || q.bus.closed {
		return time.Time{}, false
	}
	visible := 0
	for _, m := range q.messages {
		if m.visibleAt.After(now) {
			if next.IsZero() || m.visibleAt.Before(next) {
				next = m.visibleAt
			}
			continue
		}
		if q.cfg.MaxReceiveCount > 0 && m.receiveCount >= q.cfg.MaxReceiveCount {
			return time.Time{}, true // to be dead-lettered
		}
		visible++
	}
	if visible == 0 {
		return next, false
	}
	if visible < q.cfg.BatchSize && q.cfg.BatchWindow > 0 && !q.windowStart.IsZero() {
		if end := q.windowStart.Add(q.cfg.BatchWindow); now.Before(end) {
			if end.Before(next) || next.IsZero() {
				next = end
			}
			return next, false
		}
	}
	return time.Time{}, true
}
