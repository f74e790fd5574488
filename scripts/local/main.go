// Command local runs the whole ivs-sessions suite on this machine, offline and without an AWS
// account, and plays scenarios through it with a live timeline: the local IVS server and
// broadcast simulator, the local EventBridge and SQS, a file-backed S3 under -dir, and the
// functions' real bootstraps under the Lambda Runtime Interface Emulator (see scripts/local/engine).
//
// Usage:
//
//	go run ./scripts/local [flags]      (make local)
//
// Flags:
//
//	-scenario sel   built-in scenarios to play: all (default), none, or numbers and names
//	                separated by commas (1 multitrack-not-allowed, 2 require-to-allow,
//	                3 basic-manual, 4 wait-while-live, 5 burst, 6 malformed-event,
//	                7 ingest-quality, 8 lost-events)
//	-file path      play a scenario file (JSON, see shared/engine.Scenario) instead of the
//	                built-ins (with -scenario as well, after them)
//	-keep           keep the stack running after the scenarios, with the local Athena over the
//	                archive (scripts/athena-server, built with cgo), print its endpoints and
//	                the environment for the AWS CLI and SDKs, and stop on Ctrl-C
//	-quota n        IVS calls per second per operation (default 5, IVS's quota; 0: off)
//	-dir path       working directory: binaries, archive, logs (default .local)
//	-v              show every detail in the timeline (routing, batches, invocations)
//	-sqs-second d   the length of one SQS second: batching windows and visibility timeouts
//	                run this much faster than deployed (default 50ms)
//
// The exit status is 0 when every scenario ran and met its expectations, 1 otherwise, 2 for
// bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/scripts/local/workdir"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	scenario string
	explicit bool // -scenario was given
	file     string
	keep     bool
	quota    int
	dir      string
	verbose  bool
	second   time.Duration
	share    float64 // the suite's IVS quota share (ivsQuotaShare)
	noLive   bool    // enrichLivePhase=false
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenario, "scenario", "all", "built-in scenarios: all, none, or numbers/names separated by commas")
	fs.StringVar(&o.file, "file", "", "a scenario file (JSON) to play")
	fs.BoolVar(&o.keep, "keep", false, "keep the stack running; print endpoints and client environment; Ctrl-C stops")
	fs.IntVar(&o.quota, "quota", ivstest.DefaultQuota, "IVS calls per second per operation (0: no quota)")
	fs.StringVar(&o.dir, "dir", workdir.Dir, "working directory for binaries, the archive and logs")
	fs.BoolVar(&o.verbose, "v", false, "show every detail in the timeline")
	fs.Float64Var(&o.share, "share", suite.DefaultIVSQuotaShare, "the suite's share of each IVS operation's quota (ivsQuotaShare)")
	fs.BoolVar(&o.noLive, "no-live-phase", false, "GetStreamSession only when a session ends (enrichLivePhase=false)")
	fs.DurationVar(&o.second, "sqs-second", engine.DefaultSecond, "length of one SQS second (time scale of windows and visibility timeouts)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { o.explicit = o.explicit || f.Name == "scenario" })
	switch {
	case o.quota < 0:
		return o, fmt.Errorf("-quota: want 0 or more calls per second, got %d", o.quota)
	case o.second <= 0 || o.second > time.Second:
		return o, fmt.Errorf("-sqs-second: want a duration from 1ms to 1s, got %s", o.second)
	case o.dir == "":
		return o, errors.New("-dir: want a directory")
	case !(o.share > 0 && o.share <= 1):
		return o, fmt.Errorf("-share: want a share above 0 and at most 1, got %v", o.share)
	}
	return o, nil
}

// scenarios returns what the flags ask to play.
func (o options) scenarios() ([]engine.Scenario, error) {
	var out []engine.Scenario
	if o.scenario != "none" && (o.file == "" || o.explicit) {
		sel, err := engine.Select(o.scenario)
		if err != nil {
			return nil, fmt.Errorf("-scenario: %w", err)
		}
		out = sel
	}
	if o.file != "" {
		sc, err := engine.LoadScenario(o.file)
		if err != nil {
			return nil, fmt.Errorf("-file: %w", err)
		}
		out = append(out, sc)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "local:", redact.Escape(err.Error()))
		return 2
	}
	scenarios, err := o.scenarios()
	if err != nil {
		fmt.Fprintln(stderr, "local:", redact.Escape(err.Error()))
		return 2
	}
	if len(scenarios) == 0 && !o.keep {
		fmt.Fprintln(stderr, "local: nothing to do: no scenario and no -keep")
		return 2
	}
	out := newPrinter(stdout, isTTY(stdout))
	if err := play(ctx, o, scenarios, out); err != nil {
		out.line("")
		if ctx.Err() != nil {
			out.line("interrupted: stopped")
			return 130
		}
		out.line("local: " + err.Error())
		return 1
	}
	return 0
}

// play builds, starts, plays and reports; it returns an error when something did not work or a
// scenario did not meet its expectations.
func play(ctx context.Context, o options, scenarios []engine.Scenario, out *printer) error {
	root, err := engine.ModuleRoot(".")
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	art, buildTook, err := build(ctx, out, root, filepath.Join(dir, "bin"))
	if err != nil {
		return err
	}

	settings := engine.LocalSettings()
	settings.IVSQuotaShare, settings.EnrichLivePhase = o.share, !o.noLive
	// The fleet layout the scenarios need (engine.FleetOf): none, a single-region deployment,
	// unless a channel is in another region or account.
	stack, err := engine.Start(ctx, engine.Config{
		Dir: dir, Artifacts: art, Quota: o.quota, Second: o.second, Observe: out.entry, Settings: &settings,
		Fleet: engine.FleetOf(scenarios),
	})
	if err != nil {
		return err
	}
	defer func() {
		out.stopProgress()
		if err := stack.Close(); err != nil {
			out.line("stopping the stack: " + err.Error())
		}
	}()
	out.setStart(stack.Started())
	describeStack(out, stack, o)

	var results []engine.Result
	var failures []string
	played := time.Now()
	for i, sc := range scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		label := fmt.Sprintf("%d/%d %s", i+1, len(scenarios), sc.Name)
		out.line("")
		out.line(fmt.Sprintf("== %s: %s", label, sc.Title))
		if sc.About != "" {
			out.wrapped("   ", sc.About)
		}
		out.setLevel(levelFor(sc, o.verbose))
		out.startProgress(fmt.Sprintf("%d/%d", i+1, len(scenarios)), stack.Progress)
		res, err := stack.Run(ctx, sc)
		out.stopProgress()
		results = append(results, res)
		took := res.End.Sub(res.Start).Round(10 * time.Millisecond)
		switch failed := res.Failed(); {
		case err != nil:
			failures = append(failures, sc.Name)
			out.line(fmt.Sprintf("-- %s: FAILED after %s: %v", sc.Name, took, err))
		case len(failed) > 0:
			failures = append(failures, sc.Name)
			out.line(fmt.Sprintf("-- %s: %d of %d checks FAILED, in %s", sc.Name, len(failed), len(res.Checks), took))
		default:
			out.line(fmt.Sprintf("-- %s: done in %s, %d checks passed", sc.Name, took, len(res.Checks)))
		}
	}
	out.setLevel(levelFor(engine.Scenario{}, o.verbose))

	if len(scenarios) > 0 {
		if err := report(ctx, out, stack, results, time.Since(played), buildTook); err != nil {
			return err
		}
	}
	if o.keep {
		keep(ctx, out, stack, root)
	}
	if len(failures) > 0 {
		return fmt.Errorf("scenarios that failed: %s (the full timeline is in %s)", strings.Join(failures, ", "), rel(filepath.Join(dir, "logs", "timeline.log")))
	}
	return nil
}

func levelFor(sc engine.Scenario, verbose bool) engine.Level {
	switch {
	case verbose:
		return engine.LevelDetail
	case sc.Timeline == engine.TimelineBrief:
		return engine.LevelKey
	}
	return engine.LevelInfo
}

func describeStack(out *printer, s *engine.Stack, o options) {
	ep := s.Endpoints()
	set := s.Settings()
	quota := "off"
	if o.quota > 0 {
		quota = fmt.Sprintf("%d calls/s per operation", o.quota)
	}
	out.line(fmt.Sprintf("stack up: IVS %s (quota %s) | EventBridge+SQS %s | S3 %s (files in %s)", ep.IVS, quota, ep.EventBridge, ep.S3, s.ArchiveDir()))
	if prev := s.PreviousArchive(); prev != "" {
		out.line(fmt.Sprintf("the previous run's archive was moved to %s (kept, never deleted; remove %s when you no longer need it)",
			prev, rel(filepath.Join(s.Dir(), engine.PreviousDir))))
	}
	out.line(fmt.Sprintf("functions: enrich, correct, archive, quality and the sweep under the RIE, with the deployed batch sizes, windows, concurrency and receive counts; "+
		"one SQS second is %s here, CORRECTION_RETRY_DELAY is %s (deployed: 60s) and QUALITY_RETRY_DELAY %s (deployed: %s); "+
		"the sweep paces its IVS calls %d times faster than deployed, at %g calls/s per operation (deployed: %g), within the IVS quota",
		s.Second(), set.CorrectionRetryDelay, engine.QualityRetryDelay, suite.DefaultQualityRetryDelay,
		engine.SweepSpeedup, s.SweepRate(), math.Round(suite.InstanceRate(suite.FunctionSweep, set.IVSQuotaShare)*1000)/1000))
	out.line("timeline: seconds since start, who, what (IVS events, the functions' IVS calls and log lines, scenario steps)")
}

// timingLine is the summary's first line: how long the scenarios took, all and each, and the
// build before them.
func timingLine(results []engine.Result, took, buildTook time.Duration) string {
	each := make([]string, len(results))
	for i, r := range results {
		each[i] = fmt.Sprintf("%s %s", r.Scenario.Name, r.End.Sub(r.Start).Round(100*time.Millisecond))
	}
	return fmt.Sprintf("== Summary (%d scenarios in %s: %s; the build before them took %s)",
		len(results), took.Round(100*time.Millisecond), strings.Join(each, ", "), buildTook.Round(100*time.Millisecond))
}

// report prints the summary of the whole run and where the records are.
func report(ctx context.Context, out *printer, s *engine.Stack, results []engine.Result, took, buildTook time.Duration) error {
	arch, err := s.ReadArchive(ctx, nil)
	if err != nil {
		return err
	}
	sum := engine.Summarize(arch, s.Counters(), s.DeadLetterDepths())
	sum.Restarts = s.Restarts()
	out.line("")
	out.line(timingLine(results, took, buildTook))
	var b strings.Builder
	_ = sum.WriteTable(&b)
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		out.line(l)
	}
	for _, r := range results {
		status := "ok"
		if n := len(r.Failed()); n > 0 {
			status = fmt.Sprintf("%d FAILED", n)
		}
		out.line(fmt.Sprintf("  %-22s %-30s %2d records, %d checks %s", "scenario", r.Scenario.Name, len(r.Archive.Sessions), len(r.Checks), status))
	}
	out.line("")
	out.line(fmt.Sprintf("Records (%d sessions, %d corrections) are files under %s:", len(arch.Sessions), len(arch.Corrections), s.ArchiveDir()))
	const maxListed = 12
	for i, as := range arch.Sessions {
		if i == maxListed {
			out.line(fmt.Sprintf("  ... and %d more under %s", len(arch.Sessions)-maxListed, filepath.Join(s.ArchiveDir(), "sessions")))
			break
		}
		out.line(fmt.Sprintf("  %-8s %-14s %s", as.Record.Outcome, s.ChannelName(as.Record.ChannelARN), as.Path))
	}
	for i, ac := range arch.Corrections {
		if i == maxListed {
			out.line(fmt.Sprintf("  ... and %d more under %s", len(arch.Corrections)-maxListed, filepath.Join(s.ArchiveDir(), "corrections")))
			break
		}
		out.line(fmt.Sprintf("  %-8s %-14s %s", ac.Corrected.Correction.Outcome, s.ChannelName(ac.Corrected.ChannelARN), ac.Path))
	}
	logs := filepath.Join(s.Dir(), "logs")
	out.line(fmt.Sprintf("Full timeline: %s; each function's raw output: %s", rel(filepath.Join(logs, "timeline.log")), rel(filepath.Join(logs, "<function>.log"))))
	return nil
}

// keep starts the local Athena over the archive, prints how to use the running stack and waits
// for Ctrl-C.
func keep(ctx context.Context, out *printer, s *engine.Stack, root string) {
	out.line("")
	env := s.ClientEnv()
	ep := s.Endpoints()
	ath, err := startAthena(ctx, out, root, filepath.Join(s.Dir(), "bin"), s.S3.BucketDir(s.Bucket), filepath.Join(s.Dir(), "logs", "athena.log"), s.Account, s.Region)
	if err != nil {
		out.line("the local Athena is not running: " + err.Error())
	} else {
		defer func() {
			if err := ath.Close(); err != nil {
				out.line("stopping the local Athena: " + err.Error())
			}
		}()
		ep.Athena = ath.url
		env = append(env, "AWS_ENDPOINT_URL_ATHENA="+ath.url)
		slices.Sort(env)
	}
	for _, l := range banner(ep, env) {
		out.line(l)
	}
	if f := s.Fleet(); f.Enabled() {
		out.line(fmt.Sprintf("  # A fleet's stack (regions %s): each region's IVS answers the requests signed for it, e.g. aws ivs list-channels --region %s",
			strings.Join(f.Regions, ", "), f.Regions[len(f.Regions)-1]))
		for _, a := range f.Accounts {
			out.line(fmt.Sprintf("  # member account %s's IVS answers its own key: AWS_ACCESS_KEY_ID=%s aws ivs list-channels --region %s",
				a, localaws.MemberAccessKey(a), f.Regions[len(f.Regions)-1]))
		}
	}
	<-ctx.Done()
	out.line("")
	out.line("stopping ...")
}

// Where the banner's examples for an AWS CLI older than v2.13 or v1.29 start.
const olderCLIs = "  # An older AWS CLI"

// banner returns the lines that say how to look around the running stack: the environment for
// the AWS CLI and SDKs (env), examples for current and older CLIs, and the admin API.
func banner(ep engine.Endpoints, env []string) []string {
	dlq := ep.SQS + "/" + ivstest.DefaultAccount + "/" + suite.FunctionEnrich + localbus.DeadLetterSuffix
	lines := []string{"== The stack keeps running (Ctrl-C stops it). Point the AWS CLI (v2.13+ or v1.29+) or an SDK at it:"}
	for _, kv := range env {
		lines = append(lines, "  export "+kv)
	}
	for _, l := range []string{
		"aws ivs list-channels",
		"aws ivs create-channel --name my-channel --container-format FRAGMENTED_MP4 \\",
		"    --multitrack-input-configuration enabled=true,policy=ALLOW,maximumResolution=HD",
		"aws ivs list-stream-keys --channel-arn <channel arn>      # then: aws ivs get-stream-key --arn <key arn> (the value OBS needs)",
		"aws sqs list-queues --endpoint-url " + ep.SQS + "      # AWS CLI v1 ignores AWS_ENDPOINT_URL_SQS: keep --endpoint-url",
		"aws sqs get-queue-attributes --attribute-names All --queue-url " + dlq + " --endpoint-url " + ep.SQS,
		"aws sqs receive-message --max-number-of-messages 10 --queue-url " + dlq + " --endpoint-url " + ep.SQS,
		"aws events list-rules --event-bus-name " + ep.EventBus,
		"aws s3 ls --recursive s3://" + ep.Bucket + "/",
	} {
		lines = append(lines, "  "+l)
	}
	var athenaOlder []string
	if ep.Athena != "" {
		current, older := athenaLines(ep.Athena, ep.Bucket)
		for _, l := range current {
			lines = append(lines, "  "+l)
		}
		athenaOlder = older
	}
	lines = append(lines,
		olderCLIs+" (before v2.13 or v1.29, e.g. Debian's awscli 2.9) ignores AWS_ENDPOINT_URL_*: keep the exports above",
		"  # for the credentials and region, pass --endpoint-url, and leave out flags newer than it (multitrack, container format):")
	for _, l := range []string{
		"aws ivs list-channels --endpoint-url " + ep.IVS,
		"aws ivs create-channel --name my-channel --endpoint-url " + ep.IVS,
		"aws sqs list-queues --endpoint-url " + ep.SQS,
		"aws events list-rules --event-bus-name " + ep.EventBus + " --endpoint-url " + ep.EventBridge,
		"aws s3 ls --recursive s3://" + ep.Bucket + "/ --endpoint-url " + ep.S3,
	} {
		lines = append(lines, "  "+l)
	}
	for _, l := range athenaOlder {
		lines = append(lines, "  "+l)
	}
	return append(lines,
		"Simulate a broadcaster (the IVS events flow through the suite; timeline below). EventBridge refuses hand-made aws.ivs",
		"events (put-events), here as in AWS: use these, or an \"inject\" step in a scenario file (ARGS='-file my.json'):",
		fmt.Sprintf(`  curl -s -XPOST %s/_admin/broadcasts -d '{"channelArn":"<arn>","tracks":5}'`, ep.IVS),
		fmt.Sprintf(`  curl -s -XPOST %s/_admin/broadcasts/stop -d '{"channelArn":"<arn>"}'`, ep.IVS),
		fmt.Sprintf("  curl -s %s/_admin/state", ep.IVS),
		fmt.Sprintf("Endpoints: IVS %s | EventBridge and SQS %s | S3 %s | Athena %s | suite bus %q | archive bucket %q", ep.IVS, ep.EventBridge, ep.S3, cmpOr(ep.Athena, "-"), ep.EventBus, ep.Bucket),
	)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func rel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// isTTY reports whether w is a terminal (a character device).
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printer writes the timeline and, on a terminal, keeps a progress line below it.
type printer struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	start    time.Time
	level    engine.Level
	progress string // the progress line on screen, "" if none
	width    int

	stopTick chan struct{}
	tickDone chan struct{}
}

func newPrinter(w io.Writer, tty bool) *printer {
	width := 100
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		width = n - 1
	}
	return &printer{w: w, tty: tty, start: time.Now(), level: engine.LevelInfo, width: width}
}

func (p *printer) setStart(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start = t
}

func (p *printer) setLevel(l engine.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.level = l
}

// entry prints a timeline entry at or above the current level.
func (p *printer) entry(e engine.Entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Level < p.level {
		return
	}
	p.writeLocked(e.Format(p.start))
}

func (p *printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeLocked(s)
}

// wrapped prints text wrapped at the terminal's width, each line after indent.
func (p *printer) wrapped(indent, text string) {
	var cur string
	for _, w := range strings.Fields(text) {
		if cur != "" && len(indent)+len(cur)+1+len(w) > min(p.width, 100) {
			p.line(indent + cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		p.line(indent + cur)
	}
}

// writeLocked writes a line above the progress line and redraws it. The line is printed as
// data (redact.Escape): what an event, a function or the archive says (a channel name, a
// reason, a log line) may hold terminal escape sequences or line breaks, and every line of the
// timeline and the summary passes here.
func (p *printer) writeLocked(s string) {
	if p.progress != "" {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", len(p.progress))+"\r")
	}
	fmt.Fprintln(p.w, redact.Escape(s))
	if p.progress != "" {
		fmt.Fprint(p.w, p.progress)
	}
}

// startProgress shows, on a terminal, a progress line refreshed four times a second.
func (p *printer) startProgress(label string, status func() string) {
	if !p.tty {
		return
	}
	p.stopTick, p.tickDone = make(chan struct{}), make(chan struct{})
	began := time.Now()
	go func() {
		defer close(p.tickDone)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			line := fmt.Sprintf("[%s %.1fs] %s", label, time.Since(began).Seconds(), status())
			if len(line) > p.width {
				line = line[:p.width]
			}
			p.mu.Lock()
			pad := ""
			if n := len(p.progress) - len(line); n > 0 {
				pad = strings.Repeat(" ", n) + strings.Repeat("\b", n)
			}
			fmt.Fprint(p.w, "\r"+line+pad)
			p.progress = line
			p.mu.Unlock()
			select {
			case <-p.stopTick:
				return
			case <-t.C:
			}
		}
	}()
}

// stopProgress removes the progress line.
func (p *printer) stopProgress() {
	if p.stopTick == nil {
		return
	}
	close(p.stopTick)
	<-p.tickDone
	p.stopTick = nil
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.progress != "" {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", len(p.progress))+"\r")
		p.progress = ""
	}
}
