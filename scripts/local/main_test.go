package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
)

func TestParseFlags(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    []string // scenario names
		wantErr string
	}{
		"defaults":            {args: nil, want: []string{"multitrack-not-allowed", "require-to-allow", "basic-manual", "wait-while-live", "burst", "malformed-event", "ingest-quality", "lost-events", "ads-multitrack", "border", "fleet"}},
		"one by number":       {args: []string{"-scenario", "4"}, want: []string{"wait-while-live"}},
		"one by name":         {args: []string{"-scenario=burst"}, want: []string{"burst"}},
		"file alone":          {args: []string{"-file", "example-scenario.json"}, want: []string{"example-resolution-and-opt-out"}},
		"file and a built-in": {args: []string{"-file", "example-scenario.json", "-scenario", "3"}, want: []string{"basic-manual", "example-resolution-and-opt-out"}},
		"none with keep":      {args: []string{"-scenario", "none", "-keep"}, want: nil},
		"unknown scenario":    {args: []string{"-scenario", "12"}, wantErr: "-scenario"},
		"missing file":        {args: []string{"-file", "nope.json"}, wantErr: "nope.json"},
		"negative quota":      {args: []string{"-quota", "-1"}, wantErr: "-quota"},
		"bad sqs second":      {args: []string{"-sqs-second", "2s"}, wantErr: "-sqs-second"},
		"empty dir":           {args: []string{"-dir", ""}, wantErr: "-dir"},
		"stray argument":      {args: []string{"burst"}, wantErr: "unexpected arguments"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard)
			var scs []engine.Scenario
			if err == nil {
				scs, err = o.scenarios()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, sc := range scs {
				names = append(names, sc.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("scenarios = %v, want %v", names, tc.want)
			}
		})
	}
	o, err := parseFlags(nil, io.Discard)
	if err != nil || o.quota != 5 || o.dir != ".local" || o.second != engine.DefaultSecond || o.keep {
		t.Errorf("defaults = %+v, %v", o, err)
	}
}

func TestRunRefusesNothingToDo(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"-scenario", "none"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "nothing to do") {
		t.Errorf("exit %d, stderr %q; want 2 and a reason", code, stderr.String())
	}
}

func TestPrinterLevels(t *testing.T) {
	var b bytes.Buffer
	p := newPrinter(&b, false)
	start := time.Now()
	p.setStart(start)
	p.setLevel(engine.LevelKey)
	p.entry(engine.Entry{Time: start, Actor: "enrich", Level: engine.LevelInfo, Text: "hidden"})
	p.entry(engine.Entry{Time: start.Add(1500 * time.Millisecond), Actor: "scenario", Level: engine.LevelKey, Text: "shown"})
	p.startProgress("1/1 x", func() string { return "status" }) // not a terminal: no progress line
	p.line("plain")
	p.stopProgress()
	want := "  1.500s  scenario  shown\nplain\n"
	if b.String() != want {
		t.Errorf("output %q, want %q", b.String(), want)
	}
}

// TestPrinterPrintsDataAsData: a timeline line quoting what an event said (a channel name with a
// terminal escape sequence and a line break) reaches the terminal escaped, on one line.
func TestPrinterPrintsDataAsData(t *testing.T) {
	var b bytes.Buffer
	p := newPrinter(&b, false)
	start := time.Now()
	p.setStart(start)
	p.setLevel(engine.LevelKey)
	p.entry(engine.Entry{Time: start, Actor: "ivs", Level: engine.LevelKey, Text: "studio\x1b]0;pwned\x07\nforged row"})
	p.line("summary: studio\x1b[31m")
	want := "  0.000s  ivs       studio\\x1b]0;pwned\\a\\nforged row\nsummary: studio\\x1b[31m\n"
	if b.String() != want {
		t.Errorf("output %q, want %q", b.String(), want)
	}
}

func TestPrinterProgressOnTerminal(t *testing.T) {
	var b awstest.Buffer
	p := newPrinter(&b, true)
	p.startProgress("1/1 x", func() string { return "events 3" })
	for !strings.Contains(b.String(), "events 3") {
		time.Sleep(5 * time.Millisecond)
	}
	p.line("a line")
	p.stopProgress()
	out := b.String()
	if !strings.Contains(out, "\r[1/1 x ") {
		t.Errorf("no progress line drawn with \\r: %q", out)
	}
	// The line is written on a cleared row, the progress redrawn after it, and cleared at the end.
	if !strings.Contains(out, "\ra line\n") && !strings.Contains(out, " \ra line\n") {
		t.Errorf("the line is not written on a cleared row: %q", out)
	}
	if !strings.HasSuffix(out, "\r") {
		t.Errorf("the progress line is not cleared at the end: %q", out)
	}
}

// TestBanner: the -keep banner's examples for older AWS CLIs (Debian's awscli 2.9) pass
// --endpoint-url and use no flag newer than them; every SQS example passes --endpoint-url, which
// AWS CLI v1 needs for SQS.
func TestBanner(t *testing.T) {
	ep := engine.Endpoints{IVS: "http://127.0.0.1:1", EventBridge: "http://127.0.0.1:2", SQS: "http://127.0.0.1:2", S3: "http://127.0.0.1:3",
		Athena: "http://127.0.0.1:4", Bucket: "ivs-sessions-local", EventBus: "ivs-sessions"}
	lines := banner(ep, []string{"AWS_REGION=us-west-2", "AWS_ENDPOINT_URL_ATHENA=http://127.0.0.1:4"})
	text := strings.Join(lines, "\n")
	current, older, ok := strings.Cut(text, olderCLIs)
	if !ok {
		t.Fatalf("no examples for older CLIs:\n%s", text)
	}
	for _, want := range []string{"export AWS_REGION=us-west-2", "list-stream-keys", "get-stream-key", "--multitrack-input-configuration", "aws events list-rules",
		"export AWS_ENDPOINT_URL_ATHENA=http://127.0.0.1:4", "aws athena list-named-queries --work-group IvsSessions-Suite",
		"aws athena start-query-execution --work-group IvsSessions-Suite --query-execution-context Database=ivssessions_suite", "make report ARGS='-athena'"} {
		if !strings.Contains(current, want) {
			t.Errorf("the banner lacks %q:\n%s", want, current)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "aws sqs ") && !strings.Contains(l, "--endpoint-url "+ep.SQS) {
			t.Errorf("SQS example without --endpoint-url: %s", l)
		}
	}
	for _, l := range strings.Split(older, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "aws ") {
			continue
		}
		if !strings.Contains(l, "--endpoint-url http://127.0.0.1:") {
			t.Errorf("older-CLI example without --endpoint-url: %s", l)
		}
		for _, newer := range []string{"--container-format", "--multitrack-input-configuration"} {
			if strings.Contains(l, newer) {
				t.Errorf("older-CLI example with %s, which awscli 2.9 lacks: %s", newer, l)
			}
		}
	}
}

// TestTimingLine: the summary's first line times the scenarios, all and each, and the build.
func TestTimingLine(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	results := []engine.Result{
		{Scenario: engine.Scenario{Name: "burst"}, Start: t0, End: t0.Add(12140 * time.Millisecond)},
		{Scenario: engine.Scenario{Name: "lost-events"}, Start: t0, End: t0.Add(19960 * time.Millisecond)},
	}
	got := timingLine(results, 32150*time.Millisecond, 9900*time.Millisecond)
	want := "== Summary (2 scenarios in 32.2s: burst 12.1s, lost-events 20s; the build before them took 9.9s)"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
