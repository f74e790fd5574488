package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// setupWorkers is how many channels are created or connected at once during the set-up.
const setupWorkers = 16

// burstChannel is one channel of the burst.
type burstChannel struct {
	arn, key string
	refused  bool // a five-track encoder on a channel without multitrack: refused at connect
}

func burst(ctx context.Context, tmp string, args []string) error {
	fs := flag.NewFlagSet("burst", flag.ContinueOnError)
	sessions := fs.Int("sessions", 1000, "sessions that end at once, one per channel")
	refusedShare := fs.Float64("refused", 0.2, "share of them refused at connect (MultitrackInputNotAllowed), the others live sessions that end")
	quota := fs.Int("quota", ivstest.DefaultQuota, "IVS calls per second per operation during the burst")
	warm := fs.Int("live-sample", 20, "live sessions whose go-live is measured (the IVS calls of the live phase)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nRefused := int(float64(*sessions) * *refusedShare)
	nLive := *sessions - nRefused
	switch {
	case *sessions < 1 || *refusedShare < 0 || *refusedShare > 1:
		return fmt.Errorf("want -sessions of at least 1 and -refused from 0 to 1")
	case *quota < 1:
		return fmt.Errorf("-quota: want at least 1, got %d", *quota)
	case *warm < 0 || *warm > nLive:
		return fmt.Errorf("-live-sample: want 0 to %d (the live sessions), got %d", nLive, *warm)
	}
	root, err := engine.ModuleRoot(".")
	if err != nil {
		return err
	}
	art, err := engine.Build(ctx, root, filepath.Join(tmp, "bin"))
	if err != nil {
		return err
	}
	st, err := engine.Start(ctx, engine.Config{Dir: filepath.Join(tmp, "stack"), Artifacts: art, Quota: *quota})
	if err != nil {
		return err
	}
	defer st.Close()

	// Set-up, quota off: the channels, then the live sessions (events dropped but for the sample).
	if err := st.IVS.SetQuota(0); err != nil {
		return err
	}
	admin := st.IVSClient(engine.ActorYou)
	chans := make([]burstChannel, *sessions)
	if err := parallel(ctx, len(chans), func(i int) error {
		in := &ivs.CreateChannelInput{Name: aws.String(fmt.Sprintf("burst-%04d", i)), Type: types.ChannelTypeStandardChannelType}
		if i < nLive {
			in.ContainerFormat = types.ContainerFormatFragmentedMP4
			in.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd}
		}
		out, err := admin.CreateChannel(ctx, in)
		if err != nil {
			return fmt.Errorf("create channel %d: %w", i, err)
		}
		chans[i] = burstChannel{arn: aws.ToString(out.Channel.Arn), key: aws.ToString(out.StreamKey.Value), refused: i >= nLive}
		return nil
	}); err != nil {
		return err
	}
	connect := func(from, to int) error {
		return parallel(ctx, to-from, func(i int) error {
			c := chans[from+i]
			res, err := st.IVS.Connect(ctx, ivstest.OBS(c.key, 5))
			if err != nil {
				return fmt.Errorf("connect %s: %w", c.arn, err)
			}
			if got := res.Code; (got != "") != c.refused || (!c.refused && !res.Live) {
				return fmt.Errorf("connect %s: code %q live %v, refused expected: %v", c.arn, got, res.Live, c.refused)
			}
			return nil
		})
	}
	before := st.Counters()
	if err := connect(0, *warm); err != nil {
		return err
	}
	if err := st.WaitIdle(ctx); err != nil {
		return err
	}
	liveCalls := st.Counters().Sub(before)
	// The set-up's other sessions go live without their go-live events (the bus loses them all),
	// so the burst measures the sessions' end alone.
	if err := st.Bus.SetEventFaults(localbus.EventFaults{Drop: 1}); err != nil {
		return err
	}
	if err := connect(*warm, nLive); err != nil {
		return err
	}
	if err := st.Bus.SetEventFaults(localbus.EventFaults{}); err != nil {
		return err
	}
	if err := st.WaitIdle(ctx); err != nil {
		return err
	}

	// The burst, quota on: every live session ends and every refused one is attempted at once.
	if err := st.IVS.SetQuota(*quota); err != nil {
		return err
	}
	before = st.Counters()
	t0 := time.Now()
	if err := errors.Join(
		parallel(ctx, nLive, func(i int) error { return st.IVS.Disconnect(ctx, chans[i].arn) }),
		connect(nLive, *sessions),
	); err != nil {
		return err
	}
	if err := st.WaitIdle(ctx); err != nil {
		return err
	}
	drain := time.Since(t0)
	calls := st.Counters().Sub(before)

	arch, err := st.ReadArchive(ctx, nil)
	if err != nil {
		return err
	}
	outcomes := map[session.Outcome]int{}
	for _, s := range arch.Sessions {
		outcomes[s.Record.Outcome]++
	}
	applied := 0
	for _, c := range arch.Corrections {
		if c.Corrected.Correction.Outcome == session.CorrectionApplied {
			applied++
		}
	}

	served, top := servedCalls(calls)
	bound := time.Duration(float64(served[top]) / float64(*quota) * float64(time.Second))
	fmt.Printf("burst: %d sessions ending across %d channels (%d live sessions end, %d refused at connect), IVS quota %d/s per operation\n",
		*sessions, *sessions, nLive, nRefused, *quota)
	fmt.Printf("  drain %.1f s, quota bound %.1f s (%d %s calls / %d per s): %.2fx\n",
		drain.Seconds(), bound.Seconds(), served[top], top, *quota, drain.Seconds()/bound.Seconds())
	// The suite may use only its share of the quota (suite.LiveBudget): that is the bound the
	// issue's target is about (sessions / budget seconds).
	share := engine.LocalSettings().IVSQuotaShare
	budget := suite.LiveBudget(share)
	budgetBound := time.Duration(float64(served[top]) / budget * float64(time.Second))
	fmt.Printf("  budget bound %.1f s (%d %s calls / %.2f per s, the live path's part of a %.0f%% share): %.2fx\n",
		budgetBound.Seconds(), served[top], top, budget, share*100, drain.Seconds()/budgetBound.Seconds())
	fmt.Printf("  archived: %d session records (%s), %d corrections applied; dead letters: %s; emulator restarts: %s\n",
		len(arch.Sessions), describeOutcomes(outcomes), applied, engine.Counts(st.DeadLetterDepths(), "none"), engine.Counts(st.Restarts(), "none"))
	fmt.Println("IVS calls per session, by phase, function and operation (throttled answers in brackets)")
	printCalls("go live", liveCalls, *warm)
	printCalls("burst: end + refusal", calls, *sessions)
	return nil
}

// servedCalls returns the calls IVS served (not throttled) by operation, over every function,
// and the operation with the most.
func servedCalls(c engine.Counters) (map[string]int, string) {
	out := map[string]int{}
	top := ""
	for fn, ops := range c.Calls {
		if fn == engine.ActorYou || fn == engine.ActorScenario {
			continue
		}
		for op, n := range ops {
			out[op] += n.Calls - n.Throttled
			if top == "" || out[op] > out[top] || (out[op] == out[top] && op < top) {
				top = op
			}
		}
	}
	return out, top
}

func printCalls(phase string, c engine.Counters, sessions int) {
	var lines []string
	for fn, ops := range c.Calls {
		if fn == engine.ActorYou || fn == engine.ActorScenario {
			continue
		}
		for op, n := range ops {
			lines = append(lines, fmt.Sprintf("  %-22s %-8s %-18s %6.2f  (%d calls, [%d throttled])", phase, fn, op,
				float64(n.Calls-n.Throttled)/float64(max(sessions, 1)), n.Calls-n.Throttled, n.Throttled))
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		lines = []string{fmt.Sprintf("  %-22s none", phase)}
	}
	fmt.Println(strings.Join(lines, "\n"))
}

func describeOutcomes(m map[session.Outcome]int) string {
	var parts []string
	for o, n := range m {
		parts = append(parts, fmt.Sprintf("%d %s", n, o))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// parallel runs do(0..n-1) on setupWorkers goroutines and returns every error.
func parallel(ctx context.Context, n int, do func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next atomic.Int64
	)
	for range min(setupWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := do(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}
