package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// startSweep starts the sweep's bootstrap under the emulator: one instance (its reserved
// concurrency), invoked by Sweep (the deployment's schedules), not by a queue.
func (s *Stack) startSweep(ctx context.Context) error {
	d := suite.SweepSettings
	pool, err := lambdarie.NewPool(ctx, lambdarie.Config{
		RIE: s.cfg.Artifacts.RIE, Bootstrap: s.cfg.Artifacts.Bootstraps[suite.FunctionSweep], FunctionName: suite.FunctionSweep,
		Timeout: d.Timeout, MemoryMB: d.MemoryMB, Env: s.Environment(suite.FunctionSweep), OnLog: s.onLog,
	}, suite.SweepConcurrency)
	if err != nil {
		return fmt.Errorf("engine: start %s: %w", suite.FunctionSweep, err)
	}
	s.pools[suite.FunctionSweep] = pool
	return nil
}

// Sweep invokes the sweep with input (e.g. {"mode":"daily"}) and returns its answer.
func (s *Stack) Sweep(ctx context.Context, input any) ([]byte, error) {
	payload, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	pool := s.pools[suite.FunctionSweep]
	if pool == nil {
		return nil, fmt.Errorf("engine: the sweep is not running")
	}
	out, err := pool.Invoke(ctx, payload)
	if err != nil {
		return nil, fmt.Errorf("engine: sweep %s: %w", payload, err)
	}
	return out, nil
}

// sweep runs a sweep step: the sweep, then (as its publications flow) the pipeline to idle.
func (r *runner) sweep(ctx context.Context, st Step) (string, error) {
	in := map[string]any{"mode": st.Sweep}
	if st.Days > 0 {
		in["days"] = st.Days
	}
	what := st.Sweep
	if st.Region != "" {
		in["region"] = st.Region
		what += ", " + st.Region + " only"
	}
	r.s.Note(ActorScenario, LevelKey, fmt.Sprintf("the sweep runs (%s)", what))
	out, err := r.s.Sweep(ctx, in)
	if err != nil {
		return "", err
	}
	var rep struct {
		Live   struct{ Checked, Published int }
		Window struct{ Checked, Published int }
	}
	_ = json.Unmarshal(out, &rep)
	text := fmt.Sprintf("sweep %s: %d live records checked, %d finished; %d sessions of the window checked, %d archived",
		st.Sweep, rep.Live.Checked, rep.Live.Published, rep.Window.Checked, rep.Window.Published)
	r.s.Note(ActorScenario, LevelKey, text)
	return text, r.waitIdle(ctx, DefaultStepTimeout)
}
