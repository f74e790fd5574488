package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/workdir"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// defaultDays is the range when -from is not given: the last 30 days up to -to.
const defaultDays = 30

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
	json                                               bool
	workers                                            int
	staleAfter                                         time.Duration
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", workdir.Archive(workdir.Dir), "the archive as a folder: the local stack's bucket (make local)")
	fs.StringVar(&o.bucket, "bucket", "", "read this S3 bucket instead (a deployed stack's ArchiveBucketName), with the SDK's usual credentials and region")
	fs.StringVar(&o.from, "from", "", "first day, YYYY-MM-DD (UTC); default: 30 days before -to")
	fs.StringVar(&o.to, "to", "", "last day, YYYY-MM-DD (UTC), inclusive; default: today")
	fs.StringVar(&o.channels, "channels", "", "only these channel IDs, comma-separated")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON instead of text")
	fs.StringVar(&o.htmlPath, "html", filepath.Join(workdir.Dir, "report.html"), "write the page here (\"\" for none)")
	fs.StringVar(&o.chartJS, "chartjs", "", "Chart.js's browser bundle; default: the repository's "+chartJSPath)
	fs.IntVar(&o.workers, "workers", 16, "concurrent readers")
	fs.DurationVar(&o.staleAfter, "stale-after", session.MaxDuration, "a live session not heard of for this long is over (IVS ends streams after 48 h)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.workers < 1 {
		return o, fmt.Errorf("-workers: want at least 1, got %d", o.workers)
	}
	return o, nil
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
			if strings.ContainsAny(c, "/=:") {
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
	rg, err := rangeOf(o, now)
	if err != nil {
		return err
	}
	var src source = dirSource{dir: o.dir}
	if o.bucket != "" {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithAppID("ivs-sessions-report"))
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
	return report(ctx, src, rg, o, now, chartJS, stdout, stderr)
}

// report reads the range from src, aggregates it, prints it and writes the page.
func report(ctx context.Context, src source, rg Range, o options, now time.Time, chartJS string, stdout, stderr io.Writer) error {
	sessions, stats, err := read(ctx, src, rg, o.workers, func(msg string) { fmt.Fprintln(stderr, "report: skipped", redact.Escape(msg)) })
	if err != nil {
		return err
	}
	r := Aggregate(sessions, Options{Now: now, StaleAfter: o.staleAfter})
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
