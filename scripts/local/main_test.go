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
		"defaults":            {args: nil, want: []string{"multitrack-not-allowed", "require-to-allow", "basic-manual", "wait-while-live", "burst", "malformed-event", "ingest-quality", "lost-events"}},
		"one by number":       {args: []string{"-scenario", "4"}, want: []string{"wait-while-live"}},
		"one by name":         {args: []string{"-scenario=burst"}, want: []string{"burst"}},
		"file alone":          {args: []string{"-file", "example-scenario.json"}, want: []string{"example-resolution-and-opt-out"}},
		"file and a built-in": {args: []string{"-file", "example-scenario.json", "-scenario", "3"}, want: []string{"basic-manual", "example-resolution-and-opt-out"}},
		"none with keep":      {args: []string{"-scenario", "none", "-keep"}, want: nil},
		"unknown scenario":    {args: []string{"-scenario", "9"}, wantErr: "-scenario"},
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
