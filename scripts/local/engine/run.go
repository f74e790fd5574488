package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// ActorEncoder is the actor of the timeline entries of simulated encoders.
const ActorEncoder = "encoder"

// pollInterval is how often WaitFor steps look at the state they wait for.
const pollInterval = 20 * time.Millisecond

// Result is what a scenario run did and found.
type Result struct {
	Scenario Scenario
	Start    time.Time
	End      time.Time
	// Channels maps the scenario's channel names (group members by their own names) to ARNs.
	Channels map[string]string
	// Steps are the steps run, with when they started and what they did.
	Steps []StepResult
	// Counters are what the stack counted during the scenario.
	Counters Counters
	// Archive holds the records and corrections of the scenario's channels.
	Archive Archive
	// Summary summarizes Archive and Counters.
	Summary Summary
	// Checks are the outcomes of the scenario's expectations.
	Checks []Check
}

// StepResult is one step run.
type StepResult struct {
	Index int
	At    time.Time
	Text  string // what the step did, e.g. "s1-studio: refused MultitrackInputNotAllowed"
}

// Check is one expectation of a scenario and whether it held.
type Check struct {
	Name   string // e.g. "calls UpdateChannel"
	OK     bool
	Detail string // what was found
}

// Failed returns the checks that did not hold.
func (r Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// ChannelIDs returns the IDs of the scenario's channels.
func (r Result) ChannelIDs() map[string]bool {
	ids := map[string]bool{}
	for _, arn := range r.Channels {
		if a, err := ivsevent.ParseChannelARN(arn); err == nil {
			ids[a.ID] = true
		}
	}
	return ids
}

// Run plays a scenario on the stack: it creates the channels, runs the steps, waits for the
// pipeline to be idle, reads what the archive holds for the scenario's channels and checks
// the expectations. It returns an error, with the Result so far, when a step fails (an
// encoder's outcome is not the one expected, a wait times out, a call fails) or ctx ends;
// expectations that do not hold are failed Checks, not errors.
func (s *Stack) Run(ctx context.Context, sc Scenario) (Result, error) {
	r := &runner{s: s, sc: sc, client: s.IVSClient(ActorScenario), groups: map[string][]string{}, keys: map[string]string{}, ads: map[string]string{},
		targets: map[string]fleet.Target{}, clients: map[fleet.Target]*ivs.Client{}}
	res := Result{Scenario: sc, Start: time.Now(), Channels: map[string]string{}}
	r.res = &res
	before := s.Counters()
	err := r.run(ctx)
	r.neighbours.Wait()
	res.End = time.Now()
	res.Counters = s.Counters().Sub(before)
	if err != nil {
		return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	arch, err := s.ReadArchive(ctx, res.ChannelIDs())
	if err != nil {
		return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	res.Archive = arch
	res.Summary = Summarize(arch, res.Counters, s.DeadLetterDepths())
	r.findings()
	if sc.Expect != nil {
		r.check(ctx, *sc.Expect)
	}
	for _, c := range res.Checks {
		mark, level := "ok  ", LevelKey
		if !c.OK {
			mark, level = "FAIL", LevelProblem
		}
		s.Note(ActorScenario, level, fmt.Sprintf("check %s %s: %s", mark, c.Name, c.Detail))
	}
	return res, nil
}

// DeadLetterDepths returns the number of messages in each function's dead-letter queue.
func (s *Stack) DeadLetterDepths() map[string]int {
	out := map[string]int{}
	for _, fn := range suite.Functions {
		dl, err := s.Bus.DeadLetters(fn)
		if err == nil {
			out[fn] = len(dl)
		}
	}
	return out
}

type runner struct {
	s      *Stack
	sc     Scenario
	res    *Result
	client *ivs.Client
	groups map[string][]string // spec name -> member names
	keys   map[string]string   // member name -> stream key (a secret: never printed)
	// targets are the account and region of each member; clients the scenario's IVS clients of
	// the targets other than the home one (client).
	targets map[string]fleet.Target
	clients map[fleet.Target]*ivs.Client
	ads     map[string]string // "<target> <ad configuration name>" -> ARN

	deferredBase int // Counters.Deferred when the scenario started
	deferWaits   int // "deferred" waits so far

	neighbours sync.WaitGroup
}

func (r *runner) run(ctx context.Context) error {
	r.deferredBase = r.s.Counters().Deferred
	if err := r.checkTargets(); err != nil {
		return err
	}
	for _, spec := range r.sc.Channels {
		if err := r.create(ctx, spec); err != nil {
			return err
		}
	}
	for i, st := range r.sc.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		at := time.Now()
		text, err := r.step(ctx, st)
		r.res.Steps = append(r.res.Steps, StepResult{Index: i, At: at, Text: text})
		if err != nil {
			return fmt.Errorf("steps[%d]: %w", i, err)
		}
	}
	if err := r.waitIdle(ctx, DefaultStepTimeout); err != nil {
		return fmt.Errorf("after the last step: %w", err)
	}
	if err := r.s.Bus.SetEventFaults(localbus.EventFaults{}); err != nil { // the next scenario starts clean
		return err
	}
	// The functions' last lines (their metrics among them) travel through the emulators' pipes
	// after the invocations return: let them arrive before anything is counted.
	_ = poll(ctx, settleTimeout, func() bool { return r.s.rec.settled(settleQuiet) })
	return nil
}

// How long Run waits for the functions' output to be read after the pipeline is idle.
const (
	settleTimeout = 2 * time.Second
	settleQuiet   = 50 * time.Millisecond
)

// create creates the channels of spec (and their ad configuration, the first time its name
// appears) and remembers their ARNs and stream keys.
func (r *runner) create(ctx context.Context, spec ChannelSpec) error {
	names := spec.memberNames()
	r.groups[spec.Name] = names
	t := r.targetOfSpec(spec)
	client := r.clientAt(t)
	adARN, err := r.adConfiguration(ctx, t, spec.AdConfiguration)
	if err != nil {
		return err
	}
	for _, name := range names {
		in := &ivs.CreateChannelInput{
			Name: aws.String(name), Type: types.ChannelType(spec.Type),
			ContainerFormat: types.ContainerFormat(spec.ContainerFormat), Tags: spec.Tags,
		}
		if adARN != "" {
			in.AdConfigurationArn = aws.String(adARN)
		}
		if m := spec.Multitrack; m != nil {
			in.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{Enabled: m.Enabled,
				Policy: types.MultitrackPolicy(m.Policy), MaximumResolution: types.MultitrackMaximumResolution(m.MaximumResolution)}
		}
		out, err := client.CreateChannel(ctx, in)
		if err != nil {
			return fmt.Errorf("create channel %s: %w", name, err)
		}
		arn := aws.ToString(out.Channel.Arn)
		r.targets[name] = t
		r.s.NameChannel(arn, name)
		r.res.Channels[name] = arn
		r.keys[name] = aws.ToString(out.StreamKey.Value)
	}
	where := ""
	if r.s.Fleet().Enabled() {
		where = fmt.Sprintf(" in %s of account %s", t.Region, t.Account)
	}
	r.s.Note(ActorScenario, LevelKey, fmt.Sprintf("channel %s created%s: %s", groupLabel(spec.Name, len(names)), where, describeSpec(spec)))
	return nil
}

// adConfiguration returns the ARN of the scenario's ad configuration of this name in target t,
// creating it (with a MediaTailor playback configuration of the same name in t's account and
// region) the first time; "" for no name.
func (r *runner) adConfiguration(ctx context.Context, t fleet.Target, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	key := t.String() + " " + name
	if arn, ok := r.ads[key]; ok {
		return arn, nil
	}
	out, err := r.clientAt(t).CreateAdConfiguration(ctx, &ivs.CreateAdConfigurationInput{
		Name: aws.String(name),
		MediaTailorPlaybackConfigurations: []types.MediaTailorPlaybackConfiguration{{
			PlaybackConfigurationArn: aws.String(fmt.Sprintf("arn:aws:mediatailor:%s:%s:playbackConfiguration/%s", t.Region, t.Account, name)),
		}},
	})
	if err != nil {
		return "", fmt.Errorf("create ad configuration %s: %w", name, err)
	}
	arn := aws.ToString(out.AdConfiguration.Arn)
	r.ads[key] = arn
	r.s.Note(ActorScenario, LevelKey, fmt.Sprintf("ad configuration %s created: %s", name, arn))
	return arn, nil
}

func groupLabel(name string, n int) string {
	if n <= 1 {
		return name
	}
	return fmt.Sprintf("%s-01..%02d", name, n)
}

func describeSpec(spec ChannelSpec) string {
	typ, cf := spec.Type, spec.ContainerFormat
	if typ == "" {
		typ = "STANDARD"
	}
	if cf == "" {
		cf = "TS"
	}
	mt := "multitrack off"
	if m := spec.Multitrack; m != nil && m.Enabled {
		mt = fmt.Sprintf("multitrack %s up to %s", m.Policy, m.MaximumResolution)
	}
	s := fmt.Sprintf("%s, %s, %s", typ, cf, mt)
	if spec.AdConfiguration != "" {
		s += ", ad configuration " + spec.AdConfiguration
	}
	if len(spec.Tags) > 0 {
		var tags []string
		for _, k := range sortedKeys(spec.Tags) {
			tags = append(tags, k+"="+spec.Tags[k])
		}
		s += ", tags " + strings.Join(tags, " ")
	}
	return s
}

// step runs one step and says what it did.
func (r *runner) step(ctx context.Context, st Step) (string, error) {
	switch {
	case st.Note != "":
		r.s.Note(ActorScenario, LevelKey, st.Note)
		return st.Note, nil
	case st.Connect != "":
		return r.connect(ctx, st)
	case st.Disconnect != "":
		return r.disconnect(ctx, st.Disconnect)
	case st.Starve != "" || st.Recover != "":
		return r.health(ctx, st)
	case st.Sleep != 0:
		d := time.Duration(st.Sleep)
		r.s.Note(ActorScenario, LevelDetail, "wait "+d.String())
		return "slept " + d.String(), sleep(ctx, d)
	case st.WaitFor != "":
		return r.waitFor(ctx, st)
	case len(st.Inject) > 0:
		body := r.substitute(string(st.Inject))
		id, err := r.s.Inject([]byte(body))
		return "injected event " + id, err
	case st.Send != "":
		return r.send(ctx, st)
	case st.Neighbour != nil:
		return r.neighbour(ctx, *st.Neighbour), nil
	case st.Hold != "":
		r.s.Note(ActorScenario, LevelDetail, "hold the "+st.Hold+" queue (its messages wait)")
		return "held " + st.Hold, r.s.Hold(st.Hold)
	case st.Release != "":
		r.s.Note(ActorScenario, LevelDetail, "release the "+st.Release+" queue")
		return "released " + st.Release, r.s.Release(st.Release)
	case st.Faults != nil:
		return r.faults(*st.Faults)
	case st.Sweep != "":
		return r.sweep(ctx, st)
	}
	return "", errors.New("empty step")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// encoderOf returns the encoder a connect step describes for a channel's stream key.
func encoderOf(st Step, key string) ivstest.Encoder {
	if len(st.Video) > 0 {
		return ivstest.Encoder{StreamKey: key, Software: "custom encoder", Video: st.Video, Audio: st.Audio, Degradations: st.Degradations}
	}
	enc := ivstest.OBS(key, st.Tracks)
	if st.Audio != nil {
		enc.Audio = st.Audio
	}
	enc.Degradations = st.Degradations
	return enc
}

func describeEncoder(enc ivstest.Encoder) string {
	var v []string
	for _, t := range enc.Video {
		v = append(v, fmt.Sprintf("%dp%d", min(t.Width, t.Height), t.Framerate))
	}
	kind := "single-track"
	if len(enc.Video) > 1 {
		kind = fmt.Sprintf("%d-track", len(enc.Video))
	}
	return fmt.Sprintf("%s encoder (%s) + %d audio", kind, strings.Join(v, " "), len(enc.Audio))
}

func outcomeOf(res ivstest.Result) string {
	switch {
	case res.Live:
		return ExpectLive
	case res.Code != "":
		return res.Code
	case res.LimitBreach != "":
		return res.LimitBreach
	}
	return "ended"
}

// connect connects an encoder to each channel of the step's group, concurrently.
func (r *runner) connect(ctx context.Context, st Step) (string, error) {
	members := r.groups[st.Connect]
	enc := describeEncoder(encoderOf(st, ""))
	if len(members) == 1 {
		r.s.Note(ActorEncoder, LevelKey, fmt.Sprintf("%s connects to %s", enc, members[0]))
	} else {
		r.s.Note(ActorEncoder, LevelKey, fmt.Sprintf("%s connects to each of %s", enc, groupLabel(st.Connect, len(members))))
	}
	outcomes := make([]string, len(members))
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i, name := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.server(name).Connect(ctx, encoderOf(st, r.keys[name]))
			if err != nil {
				errs[i] = fmt.Errorf("connect to %s: %w", name, err)
				return
			}
			outcomes[i] = outcomeOf(res)
			if st.Expect != "" && outcomes[i] != st.Expect {
				errs[i] = fmt.Errorf("connect to %s: the encoder was %s, want %s", name, describeOutcome(outcomes[i]), describeOutcome(st.Expect))
			}
		}()
	}
	wg.Wait()
	var text string
	if len(members) == 1 {
		text = fmt.Sprintf("%s: %s", members[0], describeOutcome(outcomes[0]))
	} else {
		tally := map[string]int{}
		for _, o := range outcomes {
			if o != "" {
				tally[describeOutcome(o)]++
			}
		}
		text = fmt.Sprintf("%s: %s", groupLabel(st.Connect, len(members)), counts(tally, "no outcome"))
	}
	r.s.Note(ActorEncoder, LevelKey, text)
	return text, errors.Join(errs...)
}

func describeOutcome(o string) string {
	switch o {
	case ExpectLive:
		return "live"
	case "":
		return "any outcome"
	}
	if o == ivsevent.LimitIngestBitrate || o == ivsevent.LimitIngestResolution {
		return "disconnected: limit breach " + o
	}
	return "refused " + o
}

func (r *runner) disconnect(ctx context.Context, group string) (string, error) {
	members := r.groups[group]
	var errs []error
	for _, name := range members {
		if err := r.server(name).Disconnect(ctx, r.res.Channels[name]); err != nil {
			errs = append(errs, fmt.Errorf("disconnect %s: %w", name, err))
		}
	}
	text := "the encoder of " + groupLabel(group, len(members)) + " disconnects"
	if len(members) > 1 {
		text = "the encoders of " + groupLabel(group, len(members)) + " disconnect"
	}
	r.s.Note(ActorEncoder, LevelKey, text)
	return text, errors.Join(errs...)
}

func (r *runner) waitFor(ctx context.Context, st Step) (string, error) {
	timeout := time.Duration(st.Timeout)
	if timeout == 0 {
		timeout = DefaultStepTimeout
	}
	start := time.Now()
	switch st.WaitFor {
	case WaitIdle:
		r.s.Note(ActorScenario, LevelDetail, "wait until every queue is drained")
		if err := r.waitIdle(ctx, timeout); err != nil {
			return "", err
		}
		return fmt.Sprintf("idle after %s", time.Since(start).Round(time.Millisecond)), nil
	case WaitDeferred:
		r.deferWaits++
		want := r.deferredBase + r.deferWaits
		r.s.Note(ActorScenario, LevelDetail, "wait until the corrector defers a correction")
		err := poll(ctx, timeout, func() bool { return r.s.Counters().Deferred >= want })
		if err != nil {
			return "", fmt.Errorf("wait for a deferred correction: %w", err)
		}
		text := "the correction was deferred: the channel is live"
		r.s.Note(ActorScenario, LevelKey, text)
		return text, nil
	case WaitChannel:
		first := r.groups[st.Channel][0]
		arn := r.res.Channels[first]
		want := *st.Multitrack
		r.s.Note(ActorScenario, LevelDetail, fmt.Sprintf("wait until %s has multitrack %s", st.Channel, describeMultitrack(want)))
		err := poll(ctx, timeout, func() bool {
			for _, c := range r.server(first).State().Channels {
				if c.ARN == arn {
					return c.MultitrackEnabled == want.Enabled &&
						(want.Policy == "" || c.MultitrackPolicy == want.Policy) &&
						(want.MaximumResolution == "" || c.MultitrackMaxResolution == want.MaximumResolution)
				}
			}
			return false
		})
		if err != nil {
			return "", fmt.Errorf("wait for %s to have multitrack %s: %w", st.Channel, describeMultitrack(want), err)
		}
		text := fmt.Sprintf("%s has multitrack %s", st.Channel, describeMultitrack(want))
		r.s.Note(ActorScenario, LevelKey, text)
		return text, nil
	}
	return "", fmt.Errorf("waitFor %q: unknown", st.WaitFor)
}

func describeMultitrack(m MultitrackSpec) string {
	if !m.Enabled {
		return "off"
	}
	s := "on"
	if m.Policy != "" {
		s += ", policy " + m.Policy
	}
	if m.MaximumResolution != "" {
		s += ", up to " + m.MaximumResolution
	}
	return s
}

func (r *runner) waitIdle(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := r.s.WaitIdle(ctx); err != nil {
		return fmt.Errorf("the pipeline did not drain within %s: %w", timeout, err)
	}
	return nil
}

// poll waits until cond holds, for at most timeout.
func poll(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", timeout)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return err
		}
	}
	return nil
}

// send puts a step's message straight on a function's queue with the real SQS client, as a
// principal of the account with sqs:SendMessage could (Step.Send).
func (r *runner) send(ctx context.Context, st Step) (string, error) {
	body := r.substitute(string(st.Message))
	out, err := r.s.SQSClient().SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(r.s.Bus.QueueURL(r.s.BusURL, st.Send)), MessageBody: aws.String(body),
	})
	if err != nil {
		return "", fmt.Errorf("send a message to the %s queue: %w", st.Send, err)
	}
	r.s.Note(ActorScenario, LevelKey, "a message put straight on the "+st.Send+" queue (SendMessage), not by the suite")
	return "sent message " + aws.ToString(out.MessageId) + " to the " + st.Send + " queue", nil
}

// substitute replaces the placeholders of an injected event.
func (r *runner) substitute(body string) string {
	return placeholder.ReplaceAllStringFunc(body, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		arn := r.res.Channels[sub[2]]
		switch sub[1] {
		case "arn":
			return arn
		case "id":
			a, _ := ivsevent.ParseChannelARN(arn)
			return a.ID
		case "name":
			return sub[2]
		case "stream":
			return r.s.LatestStream(arn)
		case "uuid":
			return uuid.NewString()
		case "now":
			return time.Now().UTC().Format(time.RFC3339)
		case "ago":
			d, _ := time.ParseDuration(sub[2]) // checked by Validate
			return time.Now().Add(-d).UTC().Format(time.RFC3339)
		case "account":
			return r.s.IVS.Account()
		case "region":
			return r.s.IVS.Region()
		}
		return m
	})
}

// neighbour starts calling IVS in the background, as another application of the home account
// in the home region: it shares that region's quota, on the scenario's channels there.
func (r *runner) neighbour(ctx context.Context, n Neighbour) string {
	client := r.s.IVSClient(ActorNeighbour)
	home := fleet.Target{Account: r.s.Account, Region: r.s.Region}
	var arns []string
	for _, spec := range r.sc.Channels {
		for _, name := range r.groups[spec.Name] {
			if r.targets[name] == home {
				arns = append(arns, r.res.Channels[name])
			}
		}
	}
	slices.Sort(arns)
	text := fmt.Sprintf("another application of the account starts calling %s %g times a second for %s (the quota is shared)",
		n.Operation, n.PerSecond, time.Duration(n.For))
	r.s.Note(ActorNeighbour, LevelKey, text)
	r.neighbours.Add(1)
	go func() {
		defer r.neighbours.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) / n.PerSecond))
		defer tick.Stop()
		end := time.After(time.Duration(n.For))
		var calls, throttled int
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-end:
				r.s.Note(ActorNeighbour, LevelKey, fmt.Sprintf("done: %d %s calls, %d throttled", calls, n.Operation, throttled))
				return
			case <-tick.C:
			}
			arn := arns[i%len(arns)]
			var err error
			switch n.Operation {
			case ivstest.OpGetChannel:
				_, err = client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
			case ivstest.OpGetStream:
				_, err = client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
			default:
				stream := r.s.LatestStream(arn)
				if stream == "" {
					continue
				}
				_, err = client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String(stream)})
			}
			calls++
			if retryable.IsThrottle(err) {
				throttled++
			}
		}
	}()
	return text
}

// findings adds what the archive says about the scenario's corrections to the timeline: every
// decision, with its reason when it changes nothing, and what became of it.
func (r *runner) findings() {
	for _, as := range r.res.Archive.Sessions {
		c := as.Record.Correction
		if c == nil {
			continue
		}
		text := fmt.Sprintf("archived: %s %s %s %s: decision %s", r.s.rec.name(as.Record.ChannelARN), as.Record.StreamID,
			as.Record.Outcome, as.Record.Code, c.Decision.Action)
		if c.Decision.Action == multitrack.ActionApply {
			text += ", correction " + string(c.Outcome)
		} else {
			text += ": " + c.Decision.Reason
		}
		r.s.Note(ActorScenario, LevelKey, text)
	}
}
