// Package clock is the portal's one source of "now". The composition root (cmd/postdesk) hands a
// Clock to every desk, job and service; tests hand them a Test clock set to the instants that
// matter (23:30 and 00:30 Kyiv time, the nights clocks change, a month's last day).
package clock

import (
	"sync"
	"time"
)

// Clock tells the time. It is a plain func so a struct field `Now func() time.Time` takes it.
type Clock = func() time.Time

// System is the machine's clock.
func System() time.Time { return time.Now() }

// Test is a clock a test moves. It runs on from wherever it was set, so code that waits or
// measures still sees time pass; Freeze stops it.
type Test struct {
	mu     sync.Mutex
	offset time.Duration
	frozen *time.Time
}

// NewTest returns a clock that reads the machine's time until it is set or moved.
func NewTest() *Test { return &Test{} }

// Now is the clock's time; pass c.Now where a Clock is wanted.
func (c *Test) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		return *c.frozen
	}
	return time.Now().Add(c.offset)
}

// Set makes the clock read t now, and run on from there.
func (c *Test) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = nil
	c.offset = time.Until(t)
}

// Freeze stops the clock at t.
func (c *Test) Freeze(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = &t
}

// Advance moves the clock on by d.
func (c *Test) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// Or reads now, or the machine's clock when a struct was built without one (a test that does not
// care about time). The composition root always sets it.
func Or(now Clock) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
