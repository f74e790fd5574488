package lambdarie

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Pool is N instances of one function: concurrency N, as a function with reserved concurrency N
// (or an SQS event source mapping with MaximumConcurrency N) has.
type Pool struct {
	instances []*Instance
	free      chan *Instance
}

// NewPool starts n instances of the function cfg describes (Line.Instance tells them apart).
// It returns an error, and starts nothing, when cfg is invalid or an instance does not start.
func NewPool(ctx context.Context, cfg Config, n int) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("lambdarie: pool of %s: want at least 1 instance, got %d", cfg.FunctionName, n)
	}
	p := &Pool{free: make(chan *Instance, n)}
	for idx := range n {
		inst, err := start(ctx, cfg, idx)
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		p.instances = append(p.instances, inst)
		p.free <- inst
	}
	return p, nil
}

// Size returns the number of instances.
func (p *Pool) Size() int { return len(p.instances) }

// Invoke runs payload on a free instance, waiting for one if all are busy. Errors are those of
// Instance.Invoke.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var inst *Instance
	select {
	case inst = <-p.free:
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdarie: wait for a free instance: %w", ctx.Err())
	}
	defer func() { p.free <- inst }()
	return inst.Invoke(ctx, payload)
}

// Logs returns the lines of every instance, oldest first.
func (p *Pool) Logs() []Line {
	var all []Line
	for _, inst := range p.instances {
		all = append(all, inst.Logs()...)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Time.Before(all[b].Time) })
	return all
}

// Restarts reports how many emulator restarts the instances needed in total.
func (p *Pool) Restarts() int {
	n := 0
	for _, inst := range p.instances {
		n += inst.Restarts()
	}
	return n
}

// Close stops every instance. It is idempotent.
func (p *Pool) Close() error {
	var errs []error
	for _, inst := range p.instances {
		errs = append(errs, inst.Close())
	}
	return errors.Join(errs...)
}
