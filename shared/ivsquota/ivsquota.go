package ivsquota

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Defaults for the retryer installed by ClientOptions.
const (
	DefaultMaxAttempts = 6
	DefaultMaxBackoff  = 10 * time.Second
)

// Pacer spaces IVS calls per operation and counts throttled attempts. It is safe for concurrent
// use; share one per process (per cold start). The calls of the clients given ScopedOptions are
// spaced per scope as well: a fleet's function gives each account and region its own scope, so
// each region's quota (IVS's is per account and region) is spent apart and one region's calls
// never wait for another's.
type Pacer struct {
	perSecond float64

	mu       sync.Mutex
	limiters map[string]*rate.Limiter

	throttles atomic.Int64
	reported  atomic.Int64 // throttles already reported by Report
}

// NewPacer returns a Pacer that allows perSecond attempts per second for each operation, with a
// burst of one. A perSecond of zero or less disables pacing (throttles are still counted).
func NewPacer(perSecond float64) *Pacer {
	return &Pacer{perSecond: perSecond, limiters: map[string]*rate.Limiter{}}
}

// Throttles returns how many attempts were throttled since the Pacer was made.
func (p *Pacer) Throttles() int64 { return p.throttles.Load() }

// Report adds the attempts throttled since the last Report to the suite's IVSThrottles metric,
// dimension Function=function. Each throttle is reported once, however many goroutines report;
// a nil Pacer reports nothing.
func (p *Pacer) Report(m *metrics.Recorder, function string) {
	if p == nil {
		return
	}
	now := p.throttles.Load()
	if d := now - p.reported.Swap(now); d > 0 {
		m.Add(suite.MetricIVSThrottles, float64(d), metrics.Dim{Name: suite.DimensionFunction, Value: function})
	}
}

func (p *Pacer) limiter(op string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[op]
	if !ok {
		l = rate.NewLimiter(rate.Limit(p.perSecond), 1)
		p.limiters[op] = l
	}
	return l
}

// ClientOptions returns an ivs.Options function that installs the pacing middleware (after the
// retry middleware, so every attempt waits its turn) and a standard retryer with maxAttempts
// attempts (DefaultMaxAttempts when 0), DefaultMaxBackoff and no retry token budget.
func (p *Pacer) ClientOptions(maxAttempts int) func(*ivs.Options) {
	return p.ScopedOptions("", maxAttempts)
}

// ScopedOptions is ClientOptions for a client whose calls are paced apart from every other
// scope's: each operation of scope (e.g. "123456789012/eu-west-1") has its own perSecond.
func (p *Pacer) ScopedOptions(scope string, maxAttempts int) func(*ivs.Options) {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return func(o *ivs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = DefaultMaxBackoff
			so.RateLimiter = ratelimit.None
		})
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Insert(p.middleware(scope), "Retry", middleware.After)
		})
	}
}

func (p *Pacer) middleware(scope string) middleware.FinalizeMiddleware {
	return middleware.FinalizeMiddlewareFunc("IVSQuotaPacer", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if p.perSecond > 0 {
			op := awsmiddleware.GetOperationName(ctx)
			key := op
			if scope != "" {
				key = scope + " " + op
			}
			if err := p.limiter(key).Wait(ctx); err != nil {
				// rate.Limiter says "would exceed context deadline" without wrapping
				// context.DeadlineExceeded; say it so callers see a transient failure.
				cause := ctx.Err()
				if cause == nil {
					cause = context.DeadlineExceeded
				}
				return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("ivsquota: wait for a %s slot: %w (%v)", op, cause, err)
			}
		}
		out, md, err := next.HandleFinalize(ctx, in)
		if err != nil && retryable.IsThrottle(err) {
			p.throttles.Add(1)
		}
		return out, md, err
	})
}
