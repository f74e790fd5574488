package ivstest

import (
	"sync"
	"time"
)

// quotas is a token bucket per operation: each holds up to rate tokens (one second's worth) and
// refills continuously at rate tokens per second of wall-clock time. It is safe for concurrent
// use.
type quotas struct {
	rate    float64 // tokens per second; 0 = off
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newQuotas(perSecond int) *quotas {
	return &quotas{rate: float64(perSecond), buckets: map[string]*bucket{}, now: time.Now}
}

// tagOperationFactor: IVS documents 10 TPS for the tag operations against 5 TPS for the others.
const tagOperationFactor = 2

func (q *quotas) rateOf(op string) float64 {
	switch op {
	case OpTagResource, OpUntagResource, OpListTagsForResource:
		return q.rate * tagOperationFactor
	}
	return q.rate
}

// allow takes a token from op's bucket, reporting false when it is empty.
func (q *quotas) allow(op string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.rate <= 0 {
		return true
	}
	rate := q.rateOf(op)
	now := q.now()
	b, ok := q.buckets[op]
	if !ok {
		b = &bucket{tokens: rate, last: now}
		q.buckets[op] = b
	}
	b.tokens = min(rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
