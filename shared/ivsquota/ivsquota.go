package ivsquota

import (
	"context"
	"errors"
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
//
// A call made with a Deferrable context has the lowest priority: it takes its operation's turn
// (in its scope) only when no other call of that operation is waiting and its turn comes within
// its maximum wait; otherwise it gives way at once with ErrGaveWay, taking nothing from the
// budget. So deferrable calls (enrich's go-live calls) use only what the others (its end-phase
// calls, which verify refusals for the corrector) leave, and never make them wait more than that
// maximum.
type Pacer struct {
	perSecond float64

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	waiting  map[string]int // calls of each operation waiting for their turn, deferrable ones apart

	throttles atomic.Int64
	reported  atomic.Int64 // throttles already reported by Report
}

// NewPacer returns a Pacer that allows perSecond attempts per second for each operation, with a
// burst of one. A perSecond of zero or less disables pacing (throttles are still counted).
func NewPacer(perSecond float64) *Pacer {
	return &Pacer{perSecond: perSecond, limiters: map[string]*rate.Limiter{}, waiting: map[string]int{}}
}

// ErrGaveWay is the error of a deferrable call that gave way: other calls of its operation were
// waiting, or its turn was further off than its maximum wait. Nothing was sent.
var ErrGaveWay = errors.New("ivsquota: a deferrable call gave way to the calls that cannot wait")

type deferrableKey struct{}

// Deferrable returns ctx marking the IVS calls made with it as deferrable: each waits at most
// maxWait for its turn, and none while a call that is not deferrable waits (see Pacer).
func Deferrable(ctx context.Context, maxWait time.Duration) context.Context {
	return context.WithValue(ctx, deferrableKey{}, maxWait)
}

// deferrable returns the maximum wait of a deferrable ctx.
func deferrable(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(deferrableKey{}).(time.Duration)
	return d, ok
}

// turn waits for a call's turn of op (an operation, in its scope), or gives way (ErrGaveWay) for a
// deferrable one.
func (p *Pacer) turn(ctx context.Context, op string) error {
	l := p.limiter(op)
	maxWait, isDeferrable := deferrable(ctx)
	p.mu.Lock()
	now := time.Now()
	r := l.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if !r.OK() || (isDeferrable && (p.waiting[op] > 0 || delay > maxWait)) {
		r.CancelAt(now)
		p.mu.Unlock()
		if !r.OK() {
			return fmt.Errorf("ivsquota: no %s slot at a rate of %g/s", op, p.perSecond)
		}
		return ErrGaveWay
	}
	if !isDeferrable {
		p.waiting[op]++
	}
	p.mu.Unlock()
	err := sleep(ctx, delay)
	if !isDeferrable {
		p.mu.Lock()
		p.waiting[op]--
		p.mu.Unlock()
	}
	if err != nil {
		r.CancelAt(time.Now())
	}
	return err
}

// sleep waits d, or until ctx ends; a wait that would pass ctx's deadline fails at once with
// context.DeadlineExceeded.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
			if err := p.turn(ctx, key); err != nil {
				if errors.Is(err, ErrGaveWay) {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				// A wait cut short by the context is transient: the work was not done.
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
