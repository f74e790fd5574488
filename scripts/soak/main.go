// Command soak runs the whole suite through its real bootstraps on the local stack
// (scripts/local/engine) under a seeded mix of faults, then proves, and prints as a table, what
// must hold whatever happened, comparing the archive with what the suite did not write: the
// sessions, events and channel history of the local IVS, and what the soak's encoders sent.
//
// Usage:
//
//	go run ./scripts/soak [-seed 1 | -seeds 1-30] [-sessions 24] [-refused 0.3] [-spread 20s] [-timeout 12m] [-sqs-second 100ms]   (make soak)
//
// A run plays one channel of each role (plan.go: degraded and starved quality, two sessions on
// one channel, a refusal then a reconnect, an opted-out channel, a correction IVS refuses, one
// given up on because its events arrive hours late, a session across midnight UTC, one whose
// end only the sweep finds, a correction reverted then replayed) and -sessions plain channels,
// live or refused. The faults (faults.go) are each a fault AWS produces as AWS documents it:
// every kind is injected in every run, the designated ones at a channel the seed chooses, the
// rest at their rates. Every decision is a hash of the seed and of what it is about (the plan's
// channel names, not IVS's random IDs); how concurrent deliveries interleave is the machine's.
//
// -seeds runs several seeds one after the other (a list such as 1-30 or 1,4,9) on fresh stacks,
// one build, and ends with a summary line. The soak only ever stops processes it started
// itself, by the process IDs its own stack's emulators report.
//
// One SQS second lasts 100 ms by default (the local stack's default is 50 ms): SQS waits run ten
// times faster than deployed (a queue's visibility timeout never below its function's timeout,
// which stays real), the IVS quota, the function timeouts and the channels' leases in real time.
//
// The exit status is 0 when every check of every seed holds, 1 when one does not or a run failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/internal/machine"
	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// stdout is where the soak reports: its lines are printed as data (redact.Terminal), since the
// checks quote what the archive and the functions said.
var stdout = redact.Terminal(os.Stdout)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ok, err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", redact.Escape(err.Error()))
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

type options struct {
	seeds    []uint64
	sessions int
	refused  float64
	spread   time.Duration
	timeout  time.Duration
	second   time.Duration
	dir      string
}

func parseFlags(args []string) (options, error) {
	var o options
	var seed uint64
	var seeds string
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.Uint64Var(&seed, "seed", 1, "the seed: the same seed makes the same plan and fault decisions")
	fs.StringVar(&seeds, "seeds", "", "several seeds, one run each: a list of seeds and ranges such as 1-30 or 1,4,9-12 (instead of -seed)")
	fs.IntVar(&o.sessions, "sessions", 24, "plain channels, one session each, besides the one channel of each role")
	fs.Float64Var(&o.refused, "refused", 0.3, "share of the plain sessions refused (MultitrackInputNotAllowed), each needing a correction")
	fs.DurationVar(&o.spread, "spread", 20*time.Second, "the sessions start over this long")
	fs.DurationVar(&o.timeout, "timeout", 12*time.Minute, "each run's bound")
	fs.DurationVar(&o.second, "sqs-second", 100*time.Millisecond, "the length of one SQS second (engine.Config.Second)")
	fs.StringVar(&o.dir, "dir", "", "keep each run's archive and logs under this directory, in seed-<n> (default: a temporary directory, removed)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.seeds = []uint64{seed}
	if seeds != "" {
		list, err := parseSeeds(seeds)
		if err != nil {
			return o, fmt.Errorf("-seeds: %w", err)
		}
		o.seeds = list
	}
	// The designated faults need plain channels of their own.
	minRefused, minLive := 0, 0
	for _, d := range designatedKinds {
		switch d.role {
		case RoleRefused:
			minRefused++
		case RoleLive:
			minLive++
		}
	}
	nRefused := int(float64(o.sessions)*o.refused + 0.5)
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.refused < 0 || o.refused > 1:
		return o, fmt.Errorf("-refused: want a share from 0 to 1, got %v", o.refused)
	case nRefused < minRefused || o.sessions-nRefused < minLive:
		return o, fmt.Errorf("-sessions %d at -refused %v: want at least %d refused and %d live plain channels (the designated faults' targets)",
			o.sessions, o.refused, minRefused, minLive)
	case o.spread <= 0 || o.timeout <= 0 || o.second <= 0 || o.second > time.Second:
		return o, errors.New("-spread and -timeout: want positive durations; -sqs-second: from 1ms to 1s")
	}
	return o, nil
}

// parseSeeds parses a list of seeds and ranges: "1-30", "1,4,9-12".
func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want seeds such as 1-30 or 1,4,9-12, got %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a || b-a > 10000 {
				return nil, fmt.Errorf("want a range low-high, got %q", part)
			}
		}
		for v := a; v <= b; v++ {
			out = append(out, v)
		}
	}
	return out, nil
}

// result is one seed's run.
type result struct {
	seed     uint64
	ok       bool
	err      error
	sessions int
	faults   map[string]int
	failed   []string // the checks that failed
	took     time.Duration
}

func run(ctx context.Context, args []string) (bool, error) {
	o, err := parseFlags(args)
	if err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp("", "ivs-sessions-soak-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	root, err := engine.ModuleRoot(".")
	if err != nil {
		return false, err
	}
	start := time.Now()
	art, err := engine.Build(ctx, root, filepath.Join(tmp, "bin"), "soak")
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stdout, "soak: built in %s\n", time.Since(start).Round(time.Second))
	var results []result
	for _, seed := range o.seeds {
		dir := filepath.Join(tmp, fmt.Sprintf("seed-%d", seed))
		if o.dir != "" {
			dir = filepath.Join(o.dir, fmt.Sprintf("seed-%d", seed))
		}
		r := runSeed(ctx, o, seed, art, dir)
		if r.err != nil {
			fmt.Fprintf(stdout, "soak: seed %d: %v\n", seed, r.err)
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	if len(o.seeds) > 1 {
		fmt.Fprintln(stdout, summary(results, time.Since(start)))
	}
	for _, r := range results {
		if !r.ok {
			return false, nil
		}
	}
	return len(results) == len(o.seeds), nil
}

// runSeed plays, drains, observes and checks one seed on a stack of its own.
func runSeed(ctx context.Context, o options, seed uint64, art engine.Artifacts, dir string) result {
	began := time.Now()
	res := result{seed: seed}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	plan := NewPlan(seed, o.sessions, o.refused, o.spread)
	inj := newInjector(seed, DefaultRates, plan)
	st, err := engine.Start(ctx, engine.Config{Dir: dir, Artifacts: art, Quota: ivstest.DefaultQuota, Second: o.second, Wrap: inj.wrap})
	if err != nil {
		res.err = err
		return res
	}
	defer st.Close()
	if err := st.Bus.SetEventFaults(localbus.EventFaults{Decide: inj.decide}); err != nil {
		res.err = err
		return res
	}
	inj.stack = func() *engine.Stack { return st }
	if err := inj.installHandlers(st); err != nil {
		res.err = err
		return res
	}
	fmt.Fprintf(stdout, "\nsoak: seed %d: %d channels (%d of them the roles), %d sessions; plain ones %.0f%% refused, over %s; %s down for %s; IVS quota %d/s\n",
		seed, len(plan.Channels), len(specialRoles), len(plan.Sessions()), o.refused*100, o.spread, plan.Outage, plan.OutageFor, ivstest.DefaultQuota)
	pl := &player{st: st, inj: inj, plan: plan}
	if err := pl.play(ctx); err != nil {
		res.err = fmt.Errorf("play: %w", err)
		return res
	}
	// A pipeline that does not drain in time is a finding, not a failure of the run: the checks
	// say what is left where.
	drained := pl.drain(ctx)
	if drained != nil {
		fmt.Fprintln(stdout, "soak:", drained)
	}
	if err := learn(st, plan); err != nil {
		res.err = err
		return res
	}
	obsCtx, obsCancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer obsCancel()
	obs, err := observe(obsCtx, st, inj)
	if err != nil {
		res.err = err
		return res
	}
	rows := Check(plan, obs)
	res.took = time.Since(began)
	printReport(inj, rows, res.took, st)
	res.ok = drained == nil
	for _, r := range rows {
		if !r.OK {
			res.ok = false
			res.failed = append(res.failed, r.Check)
		}
	}
	res.sessions = len(plan.Played())
	res.faults = obs.Injected
	return res
}

// summary is the last line of a run of several seeds: how many passed, which failed and on
// what, the sessions, the faults by kind, the wall time and the machine's load.
func summary(results []result, took time.Duration) string {
	var passed, sessions int
	var failed []string
	faults := map[string]int{}
	for _, r := range results {
		sessions += r.sessions
		for k, v := range r.faults {
			faults[k] += v
		}
		if r.ok {
			passed++
			continue
		}
		why := strings.Join(r.failed, "; ")
		if r.err != nil {
			why = r.err.Error()
		}
		failed = append(failed, fmt.Sprintf("%d (%s)", r.seed, why))
	}
	total, kinds := 0, 0
	for _, k := range faultKinds {
		total += faults[k]
		if faults[k] > 0 {
			kinds++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nsoak: %d seeds (%s): %d passed, %d failed", len(results), seedList(results), passed, len(results)-passed)
	if len(failed) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(failed, ", "))
	}
	fmt.Fprintf(&b, "; %d sessions; %d faults of %d kinds; took %s; load average %s\n", sessions, total, kinds, took.Round(time.Second), machine.LoadAverage())
	fmt.Fprintln(&b, "faults by kind, all seeds:")
	for _, k := range faultKinds {
		fmt.Fprintf(&b, "  %-88s %6d\n", k, faults[k])
	}
	return strings.TrimRight(b.String(), "\n")
}

// seedList writes the seeds of results as ranges: 1-30, or 1,4,9-12.
func seedList(results []result) string {
	seeds := make([]uint64, 0, len(results))
	for _, r := range results {
		seeds = append(seeds, r.seed)
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	var parts []string
	for i := 0; i < len(seeds); {
		j := i
		for j+1 < len(seeds) && seeds[j+1] == seeds[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", seeds[i], seeds[j]))
		} else {
			parts = append(parts, strconv.FormatUint(seeds[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func printReport(inj *injector, rows []Row, took time.Duration, st *engine.Stack) {
	inj.mu.Lock()
	counts := map[string]int{}
	for k, v := range inj.counts {
		counts[k] = v
	}
	killed := append([]string(nil), inj.killed...)
	designated := map[string]string{}
	for k, v := range inj.plan.Designated {
		designated[k] = v
	}
	inj.mu.Unlock()
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "faults injected")
	for _, k := range faultKinds {
		at := ""
		if d := designated[k]; d != "" {
			at = " (designated: " + d + ")"
		}
		fmt.Fprintf(stdout, "  %-88s %5d%s\n", k, counts[k], at)
	}
	for _, k := range killed {
		fmt.Fprintf(stdout, "  killed %s\n", k)
	}
	var calls, throttled int
	for _, n := range st.Counters().FunctionCalls() {
		calls += n.Calls
		throttled += n.Throttled
	}
	fmt.Fprintf(stdout, "  (IVS calls by the functions %d, throttled by the quota %d; emulator restarts: %s)\n", calls, throttled, engine.Counts(st.Restarts(), "none"))
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "%-72s %-4s %s\n", "check", "", "found")
	for _, r := range rows {
		mark := "ok"
		if !r.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "%-72s %-4s %s\n", r.Check, mark, r.Detail)
	}
	fmt.Fprintf(stdout, "\ntook %s (load average %s)\n", took.Round(time.Second), machine.LoadAverage())
}
