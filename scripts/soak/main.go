// Command soak runs the whole suite through its real bootstraps on the local stack
// (scripts/local/engine) under a seeded mix of faults, then proves, and prints as a table, what
// must hold whatever happened: every session archived exactly once, every needed correction
// applied exactly once and on record, nothing left anywhere but in a DLQ, each DLQ message
// explained and alarmed.
//
// Usage:
//
//	go run ./scripts/soak [-seed 1] [-sessions 40] [-refused 0.3] [-spread 20s] [-timeout 6m] [-sqs-second 250ms]   (make soak)
//
// One SQS second lasts 250 ms by default (the local stack's default is 50 ms): the corrector's
// lease lasts twice its timeout in real time, and a killed holder's lease must lapse before
// its message's receives run out, as they do in AWS.
//
// The faults, each at a rate (see DefaultRates): IVS throttling, 5xx (the IVS server's own
// faults, ivstest.Fault) and latency; S3 5xx, answers lost after the write was done and
// conditional-write conflicts; PutEvents failures and partial failures; a function's bootstrap
// killed mid-batch (enrich right after it published, archive right after it wrote a record) and
// correct killed right after an UpdateChannel IVS applied; IVS events lost (never a Session
// Ended: that needs the sweep of issue 12), duplicated, reordered and late (held until the rest
// of the run is done). Every decision is a hash of the seed and of what it is about (the plan's
// channel names, not the random IDs IVS gives), so the same seed makes the same decisions; how
// concurrent deliveries interleave is the machine's. The soak only ever stops processes it
// started itself, by the process IDs its own stack's emulators report.
//
// The exit status is 0 when every check holds, 1 when one does not or the run failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
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
	seed     uint64
	sessions int
	refused  float64
	spread   time.Duration
	timeout  time.Duration
	second   time.Duration
	dir      string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.Uint64Var(&o.seed, "seed", 1, "the seed: the same seed makes the same plan and fault decisions")
	fs.IntVar(&o.sessions, "sessions", 40, "sessions, one per channel (more for a longer soak)")
	fs.Float64Var(&o.refused, "refused", 0.3, "share of the sessions refused (MultitrackInputNotAllowed), each needing a correction")
	fs.DurationVar(&o.spread, "spread", 20*time.Second, "the sessions start over this long")
	fs.DurationVar(&o.timeout, "timeout", 6*time.Minute, "the whole run's bound")
	fs.DurationVar(&o.second, "sqs-second", 250*time.Millisecond, "the length of one SQS second (engine.Config.Second)")
	fs.StringVar(&o.dir, "dir", "", "keep the stack's archive and logs here (default: a temporary directory, removed)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.sessions < 1:
		return o, fmt.Errorf("-sessions: want at least 1, got %d", o.sessions)
	case o.refused < 0 || o.refused > 1:
		return o, fmt.Errorf("-refused: want a share from 0 to 1, got %v", o.refused)
	case o.spread <= 0 || o.timeout <= 0 || o.second <= 0 || o.second > time.Second:
		return o, errors.New("-spread and -timeout: want positive durations; -sqs-second: from 1ms to 1s")
	}
	return o, nil
}

func run(ctx context.Context, args []string) (bool, error) {
	o, err := parseFlags(args)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	tmp, err := os.MkdirTemp("", "ivs-sessions-soak-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	dir := o.dir
	if dir == "" {
		dir = filepath.Join(tmp, "stack")
	}
	root, err := engine.ModuleRoot(".")
	if err != nil {
		return false, err
	}
	start := time.Now()
	art, err := engine.Build(ctx, root, filepath.Join(tmp, "bin"))
	if err != nil {
		return false, err
	}
	inj := newInjector(o.seed, DefaultRates)
	st, err := engine.Start(ctx, engine.Config{Dir: dir, Artifacts: art, Quota: ivstest.DefaultQuota, Second: o.second, Wrap: inj.wrap})
	if err != nil {
		return false, err
	}
	defer st.Close()
	if err := st.Bus.SetEventFaults(localbus.EventFaults{Decide: inj.decide}); err != nil {
		return false, err
	}
	inj.stack = func() *engine.Stack { return st }
	fmt.Fprintf(stdout, "soak: seed %d, %d sessions (%.0f%% refused) over %s, IVS quota %d/s\n", o.seed, o.sessions, o.refused*100, o.spread, ivstest.DefaultQuota)

	plan, err := play(ctx, st, inj, o)
	if err != nil {
		return false, err
	}
	// A pipeline that does not drain in time is a finding, not a failure of the run: the checks
	// say what is left where.
	drained := drain(ctx, st)
	if drained != nil {
		fmt.Fprintln(stdout, "soak:", drained)
	}
	obsCtx, obsCancel := context.WithTimeout(context.Background(), time.Minute)
	defer obsCancel()
	obs, err := observe(obsCtx, st, inj)
	if err != nil {
		return false, err
	}
	rows := Check(plan, obs)
	printReport(inj, rows, time.Since(start), st)
	if drained != nil {
		return false, nil
	}
	for _, r := range rows {
		if !r.OK {
			return false, nil
		}
	}
	return true, nil
}

// play creates the plan's channels and plays its sessions: each connects at its time, a live
// one stays on air a while and disconnects.
func play(ctx context.Context, st *engine.Stack, inj *injector, o options) ([]Planned, error) {
	rng := rand.New(rand.NewPCG(o.seed, 0x50a4))
	nRefused := int(float64(o.sessions)*o.refused + 0.5)
	refused := rng.Perm(o.sessions)[:nRefused]
	isRefused := map[int]bool{}
	for _, i := range refused {
		isRefused[i] = true
	}
	// Channels are set up with the quota off; the functions meet it from the first session on.
	if err := st.IVS.SetQuota(0); err != nil {
		return nil, err
	}
	admin := st.IVSClient(engine.ActorYou)
	plan := make([]Planned, o.sessions)
	keys := make([]string, o.sessions)
	for i := range plan {
		name := fmt.Sprintf("soak-%03d", i)
		in := &ivs.CreateChannelInput{Name: aws.String(name), Type: types.ChannelTypeStandardChannelType}
		if !isRefused[i] {
			in.ContainerFormat = types.ContainerFormatFragmentedMP4
			in.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd}
		}
		out, err := admin.CreateChannel(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("create channel %s: %w", name, err)
		}
		arn := aws.ToString(out.Channel.Arn)
		a, err := ivsevent.ParseChannelARN(arn)
		if err != nil {
			return nil, err
		}
		inj.alias(arn, name)
		inj.alias(a.ID, name)
		st.NameChannel(arn, name)
		plan[i] = Planned{Name: name, ChannelARN: arn, Refused: isRefused[i]}
		keys[i] = aws.ToString(out.StreamKey.Value)
	}
	if err := st.IVS.SetQuota(ivstest.DefaultQuota); err != nil {
		return nil, err
	}
	type timing struct{ at, onAir time.Duration }
	times := make([]timing, o.sessions)
	for i := range times {
		times[i] = timing{at: time.Duration(rng.Int64N(int64(o.spread))), onAir: 500*time.Millisecond + time.Duration(rng.Int64N(int64(3*time.Second)))}
	}
	t0 := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", plan[i].Name, err))
				mu.Unlock()
			}
			if sleepUntil(ctx, t0.Add(times[i].at)) != nil {
				return
			}
			tracks := 3
			if plan[i].Refused {
				tracks = 5
			}
			res, err := st.IVS.Connect(ctx, ivstest.OBS(keys[i], tracks))
			if err != nil {
				fail(err)
				return
			}
			plan[i].StreamID = res.StreamID
			switch {
			case plan[i].Refused && res.Code != ivsevent.CodeMultitrackInputNotAllowed:
				fail(fmt.Errorf("connect: want a refusal, got live %v code %q", res.Live, res.Code))
				return
			case plan[i].Refused:
				return
			case !res.Live:
				fail(fmt.Errorf("connect: want live, got code %q", res.Code))
				return
			}
			if sleepUntil(ctx, time.Now().Add(times[i].onAir)) != nil {
				return
			}
			if err := st.IVS.Disconnect(ctx, plan[i].ChannelARN); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, err
	}
	return plan, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain waits for the pipeline to be idle, delivers the late events, and waits again.
func drain(ctx context.Context, st *engine.Stack) error {
	if err := st.WaitIdle(ctx); err != nil {
		return fmt.Errorf("wait for the pipeline: %w", err)
	}
	st.Bus.ReleaseHeld() // the late events
	if err := st.WaitIdle(ctx); err != nil {
		return fmt.Errorf("wait for the pipeline after the late events: %w", err)
	}
	return nil
}

// observe reads what the run left: the archive, the channels, the queues, the DLQs.
func observe(ctx context.Context, st *engine.Stack, inj *injector) (Observed, error) {
	arch, err := st.ReadArchive(ctx, nil)
	if err != nil {
		return Observed{}, err
	}
	obs := Observed{Corrected: map[string]bool{}, Left: map[string]int{}, DeadLetters: map[string][]DeadLetter{}, Alarmed: map[string]bool{}}
	for _, s := range arch.Sessions {
		obs.Records = append(obs.Records, s.Record)
	}
	for _, c := range arch.Corrections {
		obs.Corrections = append(obs.Corrections, c.Corrected)
	}
	for _, ch := range st.IVS.State().Channels {
		obs.Corrected[ch.ARN] = ch.MultitrackEnabled && ch.MultitrackPolicy == string(types.MultitrackPolicyAllow) &&
			ch.ContainerFormat == string(types.ContainerFormatFragmentedMP4)
	}
	stats := st.Bus.Stats()
	for _, fn := range suite.Functions {
		q := stats.Queues[fn]
		obs.Left[fn] = q.InFlight + q.Waiting
		dls, err := st.Bus.DeadLetters(fn)
		if err != nil {
			return Observed{}, err
		}
		for _, d := range dls {
			obs.DeadLetters[fn] = append(obs.DeadLetters[fn], DeadLetter{Body: d.Body, ReceiveCount: d.ReceiveCount, Attributes: d.Attributes})
		}
		// The deployment puts a depth alarm on every function's DLQ (infra/ivssessions
		// monitoring.go, asserted by its tests): a DLQ of the suite is an alarmed one.
		obs.Alarmed[fn] = true
	}
	inj.mu.Lock()
	defer inj.mu.Unlock()
	obs.Updates = map[string]int{}
	for k, v := range inj.updates {
		obs.Updates[k] = v
	}
	obs.Faults = inj.bySubj
	obs.Injected = map[string]int{}
	for k, v := range inj.counts {
		obs.Injected[k] = v
	}
	obs.Undelivered = st.Bus.Held()
	return obs, nil
}

func printReport(inj *injector, rows []Row, took time.Duration, st *engine.Stack) {
	inj.mu.Lock()
	counts := map[string]int{}
	for k, v := range inj.counts {
		counts[k] = v
	}
	killed := append([]string(nil), inj.killed...)
	inj.mu.Unlock()
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "faults injected")
	for _, k := range faultKinds {
		fmt.Fprintf(stdout, "  %-40s %5d\n", k, counts[k])
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
	fmt.Fprintf(stdout, "%-66s %-4s %s\n", "check", "", "found")
	for _, r := range rows {
		mark := "ok"
		if !r.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "%-66s %-4s %s\n", r.Check, mark, r.Detail)
		if r.Gap != "" {
			fmt.Fprintf(stdout, "%-66s %-4s %s\n", "", "gap", r.Gap)
		}
	}
	fmt.Fprintf(stdout, "\ntook %s\n", took.Round(time.Second))
}
