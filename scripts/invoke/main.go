package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Names of the local resources.
const (
	busName = suite.BusSessions
	bucket  = "ivs-sessions-invoke"
)

// passThrough are the variables that, when set in invoke's environment, override the
// function's defaults: the suite's settings and the SDK's retry budget.
var passThrough = []string{
	suite.EnvCorrectionMode, suite.EnvDefaultMaximumResolution, suite.EnvAllowTypeChange,
	suite.EnvAllowContainerFormatChange, suite.EnvOptOutTag, suite.EnvCorrectionMaxAge,
	suite.EnvCorrectionRetryDelay, suite.EnvEnrichMaxAttempts, "AWS_MAX_ATTEMPTS",
}

// errFunction is returned when the function itself failed (an error response); errRejected and
// errRedeliver (verdict.go) when it answered without using the event.
var errFunction = errors.New("the function failed")

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "invoke:", redact.Escape(err.Error()))
		}
		os.Exit(1)
	}
}

// options are invoke's command line.
type options struct {
	fn, event string
	sqs       bool
	timeout   time.Duration
	save      string // a directory for the events the function published, or ""
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.fn, "fn", "", "the function to invoke: "+strings.Join(suite.Functions, ", "))
	fs.StringVar(&o.event, "event", "", "the event file: an EventBridge event (enrich: events/*.json; correct and archive: events/suite/*.json)")
	fs.BoolVar(&o.sqs, "sqs", false, "deliver the event inside an SQS batch, as the event source mapping does (default: a bare event, as sam local invoke -e)")
	fs.StringVar(&o.save, "save", "", "write each event the function published to this directory, as a file to give the next function (enrich, then correct or archive)")
	fs.DurationVar(&o.timeout, "timeout", 0, "the function's timeout (default: the deployed one, suite.Deployment)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case !slices.Contains(suite.Functions, o.fn):
		return o, fmt.Errorf("-fn: want one of %s, got %q", strings.Join(suite.Functions, ", "), o.fn)
	case o.event == "":
		return o, errors.New("-event: want the path of an event file, e.g. events/session-ended.json")
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

// run builds and invokes the function, then reports on stdout. It returns errFunction (wrapped)
// when the function answered with an error, errRejected or errRedeliver (wrapped, with the
// reason and a hint) when it answered without using the event, and other errors when invoke
// itself failed. An event that is not valid is invoked anyway, with a note, to show how the
// function rejects it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// What the function, the bus and the archive say (a response, log lines, records) is printed
	// as data: a channel name's escape sequence never reaches the terminal raw.
	stdout = redact.Terminal(stdout)
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	event, err := os.ReadFile(o.event)
	if err != nil {
		return err
	}
	var notes []string
	tg, err := targetOf(event)
	if err != nil {
		// Invoke anyway: how the function rejects an event is worth seeing.
		notes = append(notes, fmt.Sprintf("%s is not a valid event (%v): no channel is set up; invoking anyway to show how %s rejects it", o.event, err, o.fn))
		tg = target{}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	moduleDir, err := moduleRoot(wd)
	if err != nil {
		return err
	}
	bin, err := os.MkdirTemp("", "ivs-sessions-invoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	fmt.Fprintf(stdout, "building %s and the Lambda Runtime Interface Emulator for linux/%s...\n", o.fn, runtime.GOARCH)
	rie, bootstrap, err := build(ctx, moduleDir, bin, o.fn)
	if err != nil {
		return err
	}

	if o.fn == suite.FunctionArchive {
		tg = target{} // archive calls no IVS API: no channel to set up
	}
	w, err := startWorld(ctx, tg)
	if err != nil {
		return err
	}
	defer w.Close()
	w.notes = append(notes, w.notes...)
	env := w.env(o.fn, getenv)
	if o.fn == suite.FunctionCorrect && getenv(suite.EnvCorrectionMaxAge) == "" && !tg.Time.IsZero() {
		// A sample's trigger is older than a correction may be: let this invocation apply it.
		if deployedAge, _ := time.ParseDuration(suite.DefaultCorrectionMaxAge); time.Since(tg.Time) > deployedAge/2 {
			raised := (time.Since(tg.Time) + deployedAge).Round(time.Hour)
			env[suite.EnvCorrectionMaxAge] = raised.String()
			w.notes = append(w.notes, fmt.Sprintf("the event's session started at %s: %s is raised to %s for this invocation "+
				"(deployed, a correction applies only within %s of its trigger)", tg.Time.Format(time.RFC3339), suite.EnvCorrectionMaxAge, raised, deployedAge))
		}
	}
	deployed := suite.Deployment[o.fn]
	if o.timeout == 0 {
		o.timeout = deployed.Timeout
	}
	inst, err := lambdarie.Start(ctx, lambdarie.Config{RIE: rie, Bootstrap: bootstrap, FunctionName: o.fn, Timeout: o.timeout, MemoryMB: deployed.MemoryMB, Env: env})
	if err != nil {
		return err
	}
	defer inst.Close()

	payload := event
	how := "a bare event"
	if o.sqs {
		how = "an SQS batch of one message"
		if payload, err = sqsBatch(event, w.Bus.QueueARN(o.fn), w.Region); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "invoking %s with %s as %s\n", o.fn, o.event, how)
	for _, n := range w.notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	out, invokeErr := inst.Invoke(ctx, payload)
	idle, cancel := context.WithTimeout(ctx, 5*time.Second)
	_ = w.Bus.WaitIdle(idle) // what is still in flight is reported as it is
	cancel()

	section(stdout, "response")
	var fnErr *lambdarie.FunctionError
	switch {
	case errors.As(invokeErr, &fnErr):
		fmt.Fprintf(stdout, "function error %s\n%s\n", fnErr.Type, pretty(fnErr.Payload))
	case invokeErr != nil:
		return invokeErr
	default:
		fmt.Fprintln(stdout, pretty(out))
	}
	section(stdout, "log")
	var lines []string
	for _, l := range inst.Logs() {
		fmt.Fprintln(stdout, l.Text)
		lines = append(lines, l.Text)
	}
	w.report(ctx, stdout)
	if o.save != "" {
		files, err := w.save(o.save)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "saved %s (make invoke FN=<next function> EVENT=%s)\n", f, f)
		}
	}
	if fnErr != nil {
		return fmt.Errorf("%w: %s", errFunction, fnErr.Message)
	}
	return judge(out, o.sqs, lines).err(o.fn, event)
}

// build builds the emulator and function fn's bootstrap into dir and returns their paths (a
// variable: the tests build each once for all their runs).
var build = func(ctx context.Context, moduleDir, dir, fn string) (rie, bootstrap string, err error) {
	if rie, err = lambdarie.BuildRIE(ctx, moduleDir, dir); err != nil {
		return "", "", err
	}
	bootstrap = filepath.Join(dir, fn, "bootstrap")
	if err := lambdarie.BuildBootstrap(ctx, moduleDir, "./functions/"+fn, bootstrap); err != nil {
		return "", "", err
	}
	return rie, bootstrap, nil
}

// world is the local AWS a function runs against.
type world struct {
	*localaws.AWS
	alias atomic.Pointer[http.Handler] // what the function's IVS endpoint serves
	notes []string

	mu        sync.Mutex
	published map[string]*published // by event ID
	order     []string
}

// published is one event put on a bus and the queues it was routed to.
type published struct {
	body   string
	queues []string
}

// startWorld starts the local AWS (localaws): the local IVS (with tg's channel and session
// behind an alias), the local bus, whose queues record what is routed to them, the local S3 and
// the local CloudWatch.
func startWorld(ctx context.Context, tg target) (*world, error) {
	w := &world{published: map[string]*published{}}
	// The local CloudWatch holds the simulator's series of the sessions it ran, for quality.
	cfg := localaws.Config{Bucket: bucket, CloudWatch: &cloudwatchtest.Options{}}
	if arn, err := ivsevent.ParseChannelARN(tg.ChannelARN); err == nil {
		cfg.Region, cfg.Account = arn.Region, arn.Account
	}
	clock := ivstest.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	cfg.IVS = &ivstest.Options{Clock: clock}
	cfg.WrapIVS = func(h http.Handler) http.Handler {
		w.alias.Store(&h)
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { (*w.alias.Load()).ServeHTTP(rw, r) })
	}
	capture := func(queue string) localbus.HandlerFunc {
		return func(ctx context.Context, b events.SQSEvent) (events.SQSEventResponse, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, r := range b.Records {
				var head events.EventBridgeEvent
				_ = json.Unmarshal([]byte(r.Body), &head)
				p, ok := w.published[head.ID]
				if !ok {
					p = &published{body: r.Body}
					w.published[head.ID] = p
					w.order = append(w.order, head.ID)
				}
				p.queues = append(p.queues, queue)
			}
			return events.SQSEventResponse{}, nil
		}
	}
	bus := localbus.Config{Rules: localbus.SuiteRules(busName)}
	for _, fn := range suite.Functions {
		q := localbus.QueueConfig{Name: fn, Handler: capture(fn)}
		if fn == suite.FunctionCorrect {
			// correct sends a correction that failed for good to its dead-letter queue itself.
			q.MaxReceiveCount = suite.Deployment[fn].MaxReceiveCount
		}
		bus.Queues = append(bus.Queues, q)
	}
	cfg.Bus = &bus
	a, err := localaws.Start(cfg)
	if err != nil {
		return nil, err
	}
	w.AWS = a
	if tg.ChannelARN == "" {
		return w, nil
	}
	// Set up straight on the server; the function goes through the alias.
	direct := w.IVSClient(func(o *ivs.Options) { o.BaseEndpoint = aws.String(w.IVS.URL) })
	loc, err := setup(ctx, w.IVS, direct, clock, tg)
	if err != nil {
		w.Close()
		return nil, err
	}
	w.IVS.ResetStats() // report the function's calls only
	var h http.Handler = newAlias(w.IVS.Handler(), map[string]string{tg.ChannelARN: loc.ChannelARN, tg.StreamID: loc.StreamID})
	w.alias.Store(&h)
	w.notes = append(w.notes, fmt.Sprintf("local IVS: channel %s is served by local channel %s, stream %s by local stream %s",
		tg.ChannelARN, loc.ChannelARN, orNone(tg.StreamID), orNone(loc.StreamID)))
	w.notes = append(w.notes, loc.Notes...)
	return w, nil
}

// env is the function's environment: the deployment's settings for fn, as the CDK app sets
// them (localaws.AWS.FunctionEnv), overridden by the pass-through variables set in getenv.
func (w *world) env(fn string, getenv func(string) string) map[string]string {
	env := w.FunctionEnv(fn, suite.DefaultSettings())
	for _, k := range passThrough {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	return env
}

// report prints the IVS calls, the published events and the archived objects.
func (w *world) report(ctx context.Context, out io.Writer) {
	section(out, "IVS calls")
	stats := w.IVS.Stats()
	ops := make([]string, 0, len(stats))
	for op := range stats {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	if len(ops) == 0 {
		fmt.Fprintln(out, "(none)")
	}
	for _, op := range ops {
		st := stats[op]
		fmt.Fprintf(out, "%s: %d call(s), %d error(s), %d throttled\n", op, st.Calls, st.Errors, st.Throttled)
	}

	section(out, "published events")
	w.mu.Lock()
	for _, id := range w.order {
		p := w.published[id]
		sort.Strings(p.queues)
		fmt.Fprintf(out, "routed to the %s queue(s):\n%s\n", strings.Join(p.queues, ", "), pretty([]byte(p.body)))
	}
	if len(w.order) == 0 {
		fmt.Fprintln(out, "(none routed)")
	}
	w.mu.Unlock()
	if st := w.Bus.Stats(); st.Unmatched > 0 || st.Rejected > 0 {
		fmt.Fprintf(out, "%d event(s) matched no rule, %d entries refused\n", st.Unmatched, st.Rejected)
	}

	section(out, "archive (s3://"+bucket+")")
	keys, objects, err := w.objects(ctx)
	if err != nil {
		fmt.Fprintln(out, "cannot list the archive:", err)
		return
	}
	if len(keys) == 0 {
		fmt.Fprintln(out, "(empty)")
	}
	for _, k := range keys {
		fmt.Fprintf(out, "%s\n%s\n", k, pretty(objects[k]))
	}
}

// objects reads every object of the local archive.
func (w *world) objects(ctx context.Context) ([]string, map[string][]byte, error) {
	client := w.S3Client()
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		return nil, nil, err
	}
	var keys []string
	objects := map[string][]byte{}
	for _, o := range list.Contents {
		k := aws.ToString(o.Key)
		got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
		objects[k] = b
	}
	return keys, objects, nil
}

// sqsBatch wraps event in an SQS batch of one message from queueARN.
func sqsBatch(event []byte, queueARN, region string) ([]byte, error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	return json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: "invoke-message-1", ReceiptHandle: "invoke-receipt-handle-1", Body: string(event),
		Attributes: map[string]string{
			"ApproximateReceiveCount": "1", "SentTimestamp": now, "ApproximateFirstReceiveTimestamp": now,
		},
		EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: region,
	}}})
}

// moduleRoot returns the directory at or above dir that holds go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod at or above %s: run invoke inside the module", dir)
		}
	}
}

func section(out io.Writer, title string) {
	fmt.Fprintf(out, "\n== %s ==\n", title)
}

// pretty indents JSON, or returns b as it is.
func pretty(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(b), "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
