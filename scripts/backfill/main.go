// Command backfill archives every Amazon IVS session of the last N days that the archive lacks,
// as the deployed sweep does when invoked with {"mode":"backfill","days":N} (shared/sweep): the
// first day of the suite is not the first session, and IVS keeps 60 days.
//
//	make backfill DAYS=7 BUCKET=<archive bucket> BUS=<event bus>
//	go run ./scripts/backfill -days 7 -bucket <archive bucket> -bus <event bus> [-share 0.6]
//
// It uses the SDK's usual credentials and region (AWS_PROFILE, AWS_REGION, ...), and its
// endpoints: with the AWS_ENDPOINT_URL_* variables `make local ARGS=-keep` prints, it runs
// against the local stack. It stays within the sweep's part of the IVS quota share, keeps its
// progress in the archive bucket (sweep/backfill.json) and resumes after an interruption
// (Ctrl-C saves it). On a terminal it draws a progress bar (done, left, rate, ETA); otherwise
// it prints plain progress lines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr)))
}

type options struct {
	days                 int
	bucket, bus, account string
	share                float64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.days, "days", 0, fmt.Sprintf("how many days back (1 to %d)", suite.MaxBackfillDays))
	fs.StringVar(&o.bucket, "bucket", os.Getenv(suite.EnvArchiveBucket), "the archive bucket (stack output ArchiveBucketName; default $"+suite.EnvArchiveBucket+")")
	fs.StringVar(&o.bus, "bus", os.Getenv(suite.EnvEventBusName), "the suite's event bus (stack output EventBusName; default $"+suite.EnvEventBusName+")")
	fs.StringVar(&o.account, "account", os.Getenv(suite.EnvAccountID), "the AWS account of the channels (the sweep keeps its progress per account and region; default $"+suite.EnvAccountID+")")
	fs.Float64Var(&o.share, "share", suite.DefaultIVSQuotaShare, "the suite's share of each IVS operation's quota; the backfill takes the sweep's part of it")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.days < 1 || o.days > suite.MaxBackfillDays:
		return o, fmt.Errorf("-days: want 1 to %d, got %d", suite.MaxBackfillDays, o.days)
	case o.bucket == "":
		return o, errors.New("-bucket: want the archive bucket (the stack output ArchiveBucketName)")
	case o.bus == "":
		return o, errors.New("-bus: want the suite's event bus (the stack output EventBusName)")
	}
	if err := ivsevent.CheckAccount("-account", o.account); err != nil {
		return o, err
	}
	if err := suite.QuotaShare("-share", o.share); err != nil {
		return o, err
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", redact.Escape(err.Error()))
		return 2
	}
	correction, err := suite.LoadCorrection(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "backfill:", redact.Escape(err.Error()))
		return 2
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithAppID(suite.Name))
	if err != nil {
		fmt.Fprintln(stderr, "backfill: aws config:", redact.Escape(err.Error()))
		return 1
	}
	awsCfg.HTTPClient = sdkhttp.Wrap(awsCfg.HTTPClient)
	pacer := ivsquota.NewPacer(suite.SweepBudget(o.share))
	bar := &progressBar{w: stderr, tty: tty, start: time.Now()}
	sw := &sweep.Sweeper{
		IVS: ivs.NewFromConfig(awsCfg, pacer.ClientOptions(awsCfg.RetryMaxAttempts)),
		S3: s3.NewFromConfig(awsCfg, func(opt *s3.Options) {
			opt.UsePathStyle = awsenv.S3PathStyle(os.Getenv)
		}),
		Bus: eventbridge.NewFromConfig(awsCfg), Bucket: o.bucket, BusName: o.bus, Correction: correction,
		Account: o.account, Region: awsCfg.Region,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Progress: bar.update,
	}
	now := time.Now().UTC()
	fmt.Fprintf(stdout, "backfill: sessions that ended since %s, at most %.2f IVS calls/s per operation\n",
		now.Add(-time.Duration(o.days)*24*time.Hour).Format(time.RFC3339), suite.SweepBudget(o.share))
	rep, err := sw.Window(ctx, sweep.KindBackfill, now.Add(-time.Duration(o.days)*24*time.Hour), now)
	bar.finish()
	switch {
	case err != nil && ctx.Err() != nil, err == nil && !rep.Done:
		fmt.Fprintf(stdout, "backfill: interrupted after %d sessions published; the progress is saved, run it again to resume\n", rep.Published)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "backfill:", redact.Escape(err.Error()))
		return 1
	}
	fmt.Fprintf(stdout, "backfill: done: %d ended sessions looked at, %d archived (the others were already), %d IVS throttles absorbed\n",
		rep.Checked, rep.Published, pacer.Throttles())
	return 0
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws sweep.Progress: a bar redrawn in place on a terminal, a plain line every
// step of at least a tenth (and at every stage's end) otherwise.
type progressBar struct {
	w       io.Writer
	tty     bool
	start   time.Time
	stage   string
	since   time.Time // when the stage began
	lastPct int
	drawn   bool
}

const barWidth = 30

func (b *progressBar) update(p sweep.Progress) {
	if p.Stage != b.stage {
		if b.drawn && b.tty {
			fmt.Fprintln(b.w)
		}
		b.stage, b.since, b.lastPct, b.drawn = p.Stage, time.Now(), -1, false
	}
	line := progressLine(p, time.Since(b.since))
	if b.tty {
		fmt.Fprintf(b.w, "\r%s", line)
		b.drawn = true
		return
	}
	pct := 100
	if p.Total > 0 {
		pct = 100 * p.Done / p.Total
	}
	if pct/10 != b.lastPct/10 || p.Done == p.Total {
		b.lastPct = pct
		fmt.Fprintln(b.w, line)
	}
}

func (b *progressBar) finish() {
	if b.drawn && b.tty {
		fmt.Fprintln(b.w)
	}
}

// progressLine formats one progress line: stage, bar, done/total, left, rate and ETA.
func progressLine(p sweep.Progress, elapsed time.Duration) string {
	unit := "channels"
	if p.Stage == "fetching" {
		unit = "sessions"
	}
	filled := barWidth
	if p.Total > 0 {
		filled = barWidth * p.Done / p.Total
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.Done) / s
	}
	eta := "-"
	if left := p.Total - p.Done; rate > 0 {
		eta = time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
		if left == 0 {
			eta = "0s"
		}
	}
	return fmt.Sprintf("%-8s [%s] %d/%d %s, %d left, %.2f/s, ETA %s, %d archived", p.Stage, bar, p.Done, p.Total, unit, p.Total-p.Done, rate, eta, p.Published)
}
