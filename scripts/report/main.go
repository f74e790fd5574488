package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/scripts/local/workdir"
	"github.com/ivs-sessions/ivs-sessions/shared/local/athenatest"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// defaultDays is the range when -from is not given: the last 30 days up to -to.
const defaultDays = 30

// MaxRecords is -athena-above's default: past it, make report runs on Athena when it knows a
// workgroup. Reading directly holds its memory whatever the range (BenchmarkDirect), but from
// S3 each record is one GetObject, latency-bound: 16 readers at 20-30 ms each read about 500
// to 800 records a second, so 100,000 records are some 3 minutes, and a month of a large
// platform (3 million) over an hour; Athena reads such a month in about a minute, for a few
// cents (BENCHMARKS.md).
const MaxRecords = 100_000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, time.Now()); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "report:", redact.Escape(err.Error()))
		}
		os.Exit(1)
	}
}

type options struct {
	dir, bucket, from, to, channels, htmlPath, chartJS string
	workGroup, database, outputs, asOf                 string
	json, athena, direct                               bool
	workers, athenaAbove                               int
	staleAfter                                         time.Duration
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", workdir.Archive(workdir.Dir), "the archive as a folder: the local stack's bucket (make local)")
	fs.StringVar(&o.bucket, "bucket", "", "read this S3 bucket instead (a deployed stack's ArchiveBucketName), with the SDK's usual credentials and region")
	fs.StringVar(&o.outputs, "outputs", "", "a deployed stack's outputs (make deploy writes them to .local/cdk-outputs.json): its bucket, Athena workgroup and Glue database")
	fs.StringVar(&o.workGroup, "workgroup", "", "the stack's Athena workgroup (AthenaWorkGroupName), for Athena mode on a bucket")
	fs.StringVar(&o.database, "database", "", "the stack's Glue database (GlueDatabaseName), for Athena mode on a bucket")
	fs.BoolVar(&o.athena, "athena", false, "run the report on Athena (the local archive: on the local Athena)")
	fs.BoolVar(&o.direct, "direct", false, "read the records directly, however many")
	fs.IntVar(&o.athenaAbove, "athena-above", MaxRecords, "without -athena or -direct: run on Athena when the range holds more objects than this and a workgroup is known")
	fs.StringVar(&o.from, "from", "", "first day, YYYY-MM-DD (UTC); default: 30 days before -to")
	fs.StringVar(&o.to, "to", "", "last day, YYYY-MM-DD (UTC), inclusive; default: today")
	fs.StringVar(&o.channels, "channels", "", "only these channel IDs, comma-separated")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON instead of text")
	fs.StringVar(&o.htmlPath, "html", filepath.Join(workdir.Dir, "report.html"), "write the page here (\"\" for none)")
	fs.StringVar(&o.chartJS, "chartjs", "", "Chart.js's browser bundle; default: the repository's "+chartJSPath)
	fs.IntVar(&o.workers, "workers", 16, "concurrent readers")
	fs.StringVar(&o.asOf, "as-of", "", "make the report as of this time (RFC 3339, e.g. 2026-12-01T00:00:00Z): -to's default and what is stale; default: now")
	fs.DurationVar(&o.staleAfter, "stale-after", session.MaxDuration, "a live session not heard of for this long is over (IVS ends streams after 48 h)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.workers < 1:
		return o, fmt.Errorf("-workers: want at least 1, got %d", o.workers)
	case o.athena && o.direct:
		return o, errors.New("-athena and -direct: want one of them, or neither to let the report choose")
	case o.athenaAbove < 0:
		return o, fmt.Errorf("-athena-above: want 0 or more records, got %d", o.athenaAbove)
	}
	if o.outputs != "" {
		if err := o.readOutputs(); err != nil {
			return o, err
		}
	}
	if o.athena && !o.athenaKnown() {
		return o, errors.New("-athena on a bucket needs the stack's workgroup and database: give -outputs (make deploy writes .local/cdk-outputs.json), or -workgroup and -database")
	}
	return o, nil
}

// readOutputs takes the bucket, workgroup and database from a `cdk deploy --outputs-file`
// file, unless flags gave them.
func (o *options) readOutputs() error {
	b, err := os.ReadFile(o.outputs)
	if err != nil {
		return fmt.Errorf("-outputs: %w", err)
	}
	var stacks map[string]map[string]string
	if err := json.Unmarshal(b, &stacks); err != nil {
		return fmt.Errorf("-outputs %s: want the JSON cdk deploy --outputs-file writes: %w", o.outputs, err)
	}
	var found []string
	for name, outs := range stacks {
		get := func(id string) string {
			for k, v := range outs {
				if strings.Contains(k, id) {
					return v
				}
			}
			return ""
		}
		if b := get(catalog.OutputArchiveBucket); b != "" {
			found = append(found, name)
			o.bucket = cmpOr(o.bucket, b)
			o.workGroup = cmpOr(o.workGroup, get(catalog.OutputWorkGroup))
			o.database = cmpOr(o.database, get(catalog.OutputDatabase))
		}
	}
	switch len(found) {
	case 0:
		return fmt.Errorf("-outputs %s: no stack with an %s output", o.outputs, catalog.OutputArchiveBucket)
	case 1:
		return nil
	}
	slices.Sort(found)
	return fmt.Errorf("-outputs %s: several stacks (%s): give -bucket, -workgroup and -database", o.outputs, strings.Join(found, ", "))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// asOfTime is -as-of, else now.
func (o options) asOfTime(now time.Time) (time.Time, error) {
	if o.asOf == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, o.asOf)
	if err != nil {
		return now, fmt.Errorf("-as-of: want a time like 2026-12-01T00:00:00Z, got %q", o.asOf)
	}
	return t.UTC(), nil
}

// rangeOf reads -from, -to and -channels.
func rangeOf(o options, now time.Time) (Range, error) {
	r := Range{To: now.UTC().Truncate(24 * time.Hour)}
	var err error
	if o.to != "" {
		if r.To, err = time.Parse(time.DateOnly, o.to); err != nil {
			return r, fmt.Errorf("-to: want a day like 2026-11-30, got %q", o.to)
		}
	}
	r.From = r.To.AddDate(0, 0, -defaultDays+1)
	if o.from != "" {
		if r.From, err = time.Parse(time.DateOnly, o.from); err != nil {
			return r, fmt.Errorf("-from: want a day like 2026-11-01, got %q", o.from)
		}
	}
	if r.From.After(r.To) {
		return r, fmt.Errorf("-from %s is after -to %s", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
	}
	for _, c := range strings.Split(o.channels, ",") {
		if c = strings.TrimSpace(c); c != "" {
			if strings.ContainsAny(c, "/=:'") {
				return r, fmt.Errorf("-channels: want channel IDs (the last part of a channel ARN), got %q", c)
			}
			r.Channels = append(r.Channels, c)
		}
	}
	return r, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, now time.Time) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if now, err = o.asOfTime(now); err != nil {
		return err
	}
	rg, err := rangeOf(o, now)
	if err != nil {
		return err
	}
	var src source = dirSource{dir: o.dir}
	var cfg aws.Config
	if o.bucket != "" {
		cfg, err = config.LoadDefaultConfig(ctx, config.WithAppID("ivs-sessions-report"))
		if err != nil {
			return fmt.Errorf("aws config: %w", err)
		}
		cfg.HTTPClient = sdkhttp.Wrap(cfg.HTTPClient)
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Objects written without a checksum (the local S3) would log a warning on every read.
			o.DisableLogOutputChecksumValidationSkipped = true
		})
		src = s3Source{client: client, bucket: o.bucket}
	}
	var chartJS string
	if o.htmlPath != "" {
		if chartJS, err = findChartJS(o.chartJS); err != nil {
			return err
		}
	}
	athenaFor := func(ctx context.Context) (*athenaRunner, func(), error) {
		if o.bucket == "" {
			return startLocalAthena(o.dir, o.workGroup, o.database)
		}
		return &athenaRunner{client: athena.NewFromConfig(cfg), workGroup: o.workGroup, database: o.database, poll: 500 * time.Millisecond, maxPoll: 5 * time.Second}, func() {}, nil
	}
	return report(ctx, src, rg, o, now, chartJS, athenaFor, stdout, stderr)
}

// startLocalAthena serves the local Athena (shared/local/athenatest) over the archive folder
// dir on a loopback port and returns a runner whose real SDK client talks to it.
func startLocalAthena(dir, workGroup, database string) (*athenaRunner, func(), error) {
	srv, err := athenatest.New(athenatest.Options{Dir: dir, Bucket: filepath.Base(dir), WorkGroup: workGroup, Database: database})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("local athena: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	client := athena.New(athena.Options{
		Region: localRegion, BaseEndpoint: aws.String("http://" + ln.Addr().String()), HTTPClient: sdkhttp.New(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-not-a-secret", ""),
	})
	stop := func() {
		_ = hs.Close()
		_ = srv.Close()
	}
	return &athenaRunner{client: client, workGroup: srv.WorkGroup(), database: srv.Database(), poll: 10 * time.Millisecond, maxPoll: 200 * time.Millisecond}, stop, nil
}

// localRegion is the region the local Athena's client signs for (the local stack's).
const localRegion = "us-west-2"

// athenaKnown reports whether Athena mode has a workgroup: the local Athena for a folder, the
// stack's for a bucket.
func (o options) athenaKnown() bool { return o.bucket == "" || o.workGroup != "" && o.database != "" }

// chooseMode decides how the report reads the range: what the flags say, else Athena past
// -athena-above objects when it knows a workgroup (parseFlags refused -athena without one).
// It says why.
func chooseMode(o options, l listing) (mode, why string) {
	switch {
	case o.athena:
		return ModeAthena, "-athena"
	case o.direct:
		return ModeDirect, "-direct"
	case l.objects > o.athenaAbove && o.athenaKnown():
		return ModeAthena, fmt.Sprintf("%d objects in the range, more than -athena-above %d", l.objects, o.athenaAbove)
	case l.objects > o.athenaAbove:
		return ModeDirect, fmt.Sprintf("%d objects in the range, more than -athena-above %d, but no Athena workgroup: give -outputs, or -workgroup and -database", l.objects, o.athenaAbove)
	}
	return ModeDirect, fmt.Sprintf("%d objects in the range, at most -athena-above %d", l.objects, o.athenaAbove)
}

// report counts the range from src (directly or with Athena), prints it and writes the page.
func report(ctx context.Context, src source, rg Range, o options, now time.Time, chartJS string,
	athenaFor func(context.Context) (*athenaRunner, func(), error), stdout, stderr io.Writer) error {
	l, err := list(ctx, src, rg, o.workers)
	if err != nil {
		return err
	}
	mode, why := chooseMode(o, l)
	t := newTallyFor(Options{Now: now, StaleAfter: o.staleAfter}, rg, l)
	var stats ReadStats
	if mode == ModeDirect {
		fmt.Fprintf(stderr, "report: %s (%s)\n", expectation(l, src, o.workers), why)
		stats, err = readDirect(ctx, src, rg, o.workers, t, func(msg string) { fmt.Fprintln(stderr, "report: skipped", redact.Escape(msg)) })
	} else {
		var a *athenaRunner
		var stop func()
		if a, stop, err = athenaFor(ctx); err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(stderr, "report: %d objects (%s) in the range: running the report on Athena, workgroup %s, database %s (%s)\n",
			l.objects, size(l.bytes), a.workGroup, a.database, why)
		stats, err = readAthena(ctx, a, rg, l, t, src.String())
	}
	if err != nil {
		return err
	}
	stats.Why = why
	r := t.report()
	r.From, r.To, r.Channels, r.Read = rg.From.Format(time.DateOnly), rg.To.Format(time.DateOnly), rg.Channels, stats
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("encode the report: %w", err)
		}
	} else if err := writeText(stdout, r); err != nil {
		return fmt.Errorf("print the report: %w", err)
	}
	if o.htmlPath == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(o.htmlPath), 0o755); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	f, err := os.Create(o.htmlPath)
	if err != nil {
		return fmt.Errorf("page: %w", err)
	}
	if err := writeHTML(f, r, chartJS); err != nil {
		f.Close()
		return fmt.Errorf("page %s: %w", o.htmlPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("page %s: %w", o.htmlPath, err)
	}
	if !o.json {
		fmt.Fprintf(stdout, "\npage: %s (self-contained: open it in a browser, no network needed)\n", o.htmlPath)
	}
	return nil
}
