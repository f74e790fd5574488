package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// reconnectWait bounds how long a RoleReconnect encoder waits for its channel to be corrected
// before it connects again.
const reconnectWait = 4 * time.Minute

// player plays a plan on a stack.
type player struct {
	st   *engine.Stack
	inj  *injector
	plan *Plan
	keys map[string]string // channel name -> stream key (a secret: never printed)
}

// play creates the plan's channels and plays its phases: the expired role hours ago on IVS's
// clock (its events held until the end), the midnight role across a midnight UTC, then
// everything else now, with the outage and the poison message on the way.
func (p *player) play(ctx context.Context) error {
	if err := p.createChannels(ctx); err != nil {
		return err
	}
	// The poison message first: its deliveries (maxReceiveCount of them, a visibility timeout
	// apart) take longer than anything else the run waits for.
	p.poison()
	if err := p.hoursAgo(ctx); err != nil {
		return err
	}
	if err := p.midnight(ctx); err != nil {
		return err
	}
	// Back to the real time: the rest of the run happens now.
	if err := p.st.IVS.Advance(-p.offset()); err != nil {
		return err
	}
	return p.now(ctx)
}

// offset is IVS's clock minus the real time, to the millisecond.
func (p *player) offset() time.Duration {
	return time.Until(p.st.IVS.Now()).Round(time.Millisecond)
}

// createChannels creates the plan's channels, with IVS's quota off: the functions meet it
// from the first session on.
func (p *player) createChannels(ctx context.Context) error {
	if err := p.st.IVS.SetQuota(0); err != nil {
		return err
	}
	admin := p.st.IVSClient(engine.ActorYou)
	p.keys = map[string]string{}
	for _, c := range p.plan.Channels {
		in := &ivs.CreateChannelInput{Name: aws.String(c.Name), Type: types.ChannelTypeStandardChannelType}
		if !c.Role.refusedRole() {
			in.ContainerFormat = types.ContainerFormatFragmentedMP4
			in.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd}
		}
		if c.Role == RoleOptOut {
			in.Tags = map[string]string{p.st.Settings().OptOutTag: "soak"}
		}
		out, err := admin.CreateChannel(ctx, in)
		if err != nil {
			return fmt.Errorf("create channel %s: %w", c.Name, err)
		}
		c.ARN = aws.ToString(out.Channel.Arn)
		a, err := ivsevent.ParseChannelARN(c.ARN)
		if err != nil {
			return err
		}
		p.inj.alias(c.ARN, c.Name)
		p.inj.alias(a.ID, c.Name)
		p.st.NameChannel(c.ARN, c.Name)
		p.keys[c.Name] = aws.ToString(out.StreamKey.Value)
	}
	return p.st.IVS.SetQuota(ivstest.DefaultQuota)
}

// hoursAgo plays the expired role's refusal with IVS's clock set back past correctionMaxAge
// (and two hours more): its events, held by the injector, reach EventBridge at the end of the
// run, hours after IVS sent them.
func (p *player) hoursAgo(ctx context.Context) error {
	back := p.st.Settings().CorrectionMaxAge + 2*time.Hour
	if err := p.st.IVS.Advance(-back); err != nil {
		return err
	}
	return p.playPhase(ctx, PhaseHoursAgo)
}

// midnight plays the midnight role with IVS's clock two seconds before the last midnight UTC,
// so the session starts one day and ends the next.
func (p *player) midnight(ctx context.Context) error {
	now := time.Now().UTC()
	target := now.Truncate(24 * time.Hour).Add(-2 * time.Second)
	if err := p.st.IVS.Advance(target.Sub(p.st.IVS.Now())); err != nil {
		return err
	}
	return p.playPhase(ctx, PhaseMidnight)
}

// now plays the now phase: every session at its time, and the outage at its time.
func (p *player) now(ctx context.Context) error {
	t0 := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() {
		if sleepUntil(ctx, t0.Add(p.plan.OutageAt)) == nil {
			p.inj.startOutage(p.plan.OutageFor)
		}
	})
	err := p.playPhase(ctx, PhaseNow)
	wg.Wait()
	return err
}

// playPhase plays the sessions of phase, each channel's in order, the channels concurrently.
func (p *player) playPhase(ctx context.Context, phase string) error {
	t0 := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, c := range p.plan.Channels {
		var sessions []*Session
		for _, s := range c.Sessions {
			if s.Phase == phase {
				sessions = append(sessions, s)
			}
		}
		if len(sessions) == 0 {
			continue
		}
		wg.Go(func() {
			for _, s := range sessions {
				if err := p.playSession(ctx, t0, s); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// playSession connects the session's encoder at its time (a reconnect: once its channel is
// corrected), and, when IVS takes it live, starves it if it must, and disconnects it.
func (p *player) playSession(ctx context.Context, t0 time.Time, s *Session) error {
	if s.Channel.Role == RoleReconnect && s.Index > 0 {
		if !p.waitCorrected(ctx, s.Channel) {
			s.NotPlayed = fmt.Sprintf("the channel was not corrected within %s", reconnectWait)
			return nil
		}
	} else if err := sleepUntil(ctx, t0.Add(s.At)); err != nil {
		return err
	}
	enc := ivstest.OBS(p.keys[s.Channel.Name], s.Tracks)
	if s.Degraded {
		enc.Degradations = []ivstest.Degradation{{Kind: ivstest.DegradeBitrate, Track: 1, From: 0.25, To: 0.75, Factor: 0.3}}
	}
	res, err := p.st.IVS.Connect(ctx, enc)
	if err != nil {
		return err
	}
	enc.StreamKey = ""
	s.Encoder, s.StreamID, s.Code, s.Live = enc, res.StreamID, res.Code, res.Live
	p.inj.alias(res.StreamID, s.Channel.Name)
	refusedNow := s.Channel.Role.refusedRole() && s.Index == 0
	switch {
	case refusedNow && res.Code != ivsevent.CodeMultitrackInputNotAllowed:
		return fmt.Errorf("connect: want a refusal, got live %v code %q", res.Live, res.Code)
	case refusedNow:
		return nil
	case !res.Live:
		return fmt.Errorf("connect: want live, got code %q", res.Code)
	}
	began := time.Now()
	if s.Starved {
		if sleepUntil(ctx, began.Add(s.OnAir*35/100)) != nil {
			return ctx.Err()
		}
		if err := p.st.IVS.Starve(ctx, s.Channel.ARN); err != nil {
			return err
		}
		if sleepUntil(ctx, began.Add(s.OnAir*65/100)) != nil {
			return ctx.Err()
		}
		if err := p.st.IVS.Recover(ctx, s.Channel.ARN); err != nil {
			return err
		}
	}
	if err := sleepUntil(ctx, began.Add(s.OnAir)); err != nil {
		return err
	}
	if err := p.st.IVS.Disconnect(ctx, s.Channel.ARN); err != nil {
		return err
	}
	if s.Phase == PhaseMidnight {
		p.inj.note(kMidnight, s.StreamID)
	}
	return nil
}

// waitCorrected waits until IVS's history shows the corrector's change to c, at most
// reconnectWait.
func (p *player) waitCorrected(ctx context.Context, c *Channel) bool {
	deadline := time.Now().Add(reconnectWait)
	for time.Now().Before(deadline) {
		for _, ch := range p.st.IVS.State().Channels {
			if ch.ARN != c.ARN {
				continue
			}
			for _, h := range ch.History {
				if h.Caller == suite.FunctionCorrect && len(h.Changed) > 0 {
					return true
				}
			}
		}
		if sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) != nil {
			return false
		}
	}
	return false
}

// poison sends the poison message to archive's queue, as a producer on the suite's bus would:
// an "IVS Channel Corrected" event whose body holds the soak build's poison marker, so archive
// panics on it at every delivery.
func (p *player) poison() {
	env := map[string]any{
		"version": "0", "id": poisonMarker, "detail-type": suite.DetailTypeChannelCorrected, "source": suite.EventSource,
		"account": p.st.IVS.Account(), "time": time.Now().UTC().Format(time.RFC3339), "region": p.st.IVS.Region(),
		"resources": []string{}, "detail": map[string]any{"poison": poisonMarker},
	}
	b, _ := json.Marshal(env)
	if _, err := p.st.Bus.Inject(suite.BusSessions, b); err == nil {
		p.inj.note(kPoison, poisonMarker)
	}
}

// drain waits for the pipeline to be idle, delivers the held events (late, and hours late) and
// runs the live sweep (the deployment's schedule does, every few minutes), then has a person
// revert the replayed role's correction and replays the suite's events of its session, waiting
// for the pipeline after each step.
func (p *player) drain(ctx context.Context) error {
	steps := []struct {
		what string
		do   func() error
	}{
		{"wait for the pipeline", func() error { return nil }},
		{"deliver the held events, run the live sweep", func() error {
			p.st.Bus.ReleaseHeld()
			return p.sweepLive(ctx)()
		}},
		// The deployment runs the live sweep every few minutes: two more runs here, so that a
		// GetStreamSession the soak's faults failed in one is made again in the next.
		{"run the live sweep again", p.sweepLive(ctx)},
		{"run the live sweep a third time", p.sweepLive(ctx)},
		{"replay", func() error { return p.replay(ctx) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		if err := p.st.WaitIdle(ctx); err != nil {
			return fmt.Errorf("%s, then wait for the pipeline: %w", s.what, err)
		}
	}
	return nil
}

// sweepLive returns a run of the live sweep, as its schedule invokes it.
func (p *player) sweepLive(ctx context.Context) func() error {
	return func() error {
		_, err := p.st.Sweep(ctx, map[string]any{"mode": "live"})
		return err
	}
}

// replayName is the replay-name the soak's replays carry, as EventBridge's archive replays
// carry theirs.
const replayName = "soak-replay"

// replay has a person change the replayed role's channel back (the correction reverted), then
// replays every suite event archive and correct received about its session, as an EventBridge
// archive replay delivers them: the same envelope with replay-name.
func (p *player) replay(ctx context.Context) error {
	for _, c := range p.plan.Channels {
		if c.Role != RoleReplayed || len(c.Sessions) == 0 || c.Sessions[0].StreamID == "" {
			continue
		}
		admin := p.st.IVSClient(engine.ActorYou)
		_, err := admin.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(c.ARN), ContainerFormat: types.ContainerFormatTs,
			MultitrackInputConfiguration: &types.MultitrackInputConfiguration{}})
		if err != nil {
			return fmt.Errorf("revert %s: %w", c.Name, err)
		}
		for _, body := range p.inj.messagesOf(c.Sessions[0].StreamID) {
			var env map[string]json.RawMessage
			if json.Unmarshal(body, &env) != nil {
				continue
			}
			env["replay-name"], _ = json.Marshal(replayName)
			b, _ := json.Marshal(env)
			if _, err := p.st.Bus.Inject(suite.BusSessions, b); err != nil {
				return err
			}
			p.inj.note(kReplay, c.Sessions[0].StreamID)
		}
	}
	return nil
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
