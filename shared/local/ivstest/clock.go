package ivstest

import (
	"sync"
	"time"
)

// Clock is the server's source of simulated time: resource and session timestamps, event times
// and the 60-day session retention all read it. Quotas and injected latency use wall-clock time,
// because the SDK's retryer sleeps in wall-clock time.
type Clock interface {
	Now() time.Time
}

// Advancer is a Clock whose time can be moved forward, as the admin endpoint POST /_admin/clock
// and Server.Advance do.
type Advancer interface {
	Clock
	Advance(d time.Duration)
}

// FakeClock is a Clock that stands still until it is advanced. It is safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock reading t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward if d is negative).
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set sets the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// wallClock is the default Clock: wall-clock time plus an offset that Advance grows, so a
// standalone server runs in real time and can still jump ahead (to age sessions out, say).
type wallClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *wallClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *wallClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
