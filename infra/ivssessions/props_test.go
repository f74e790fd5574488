package ivssessions

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// settingsOf lists the Setting of every *SettingError in err (a join of them).
func settingsOf(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var se *SettingError
		if errors.As(err, &se) {
			out = append(out, se.Setting)
		} else if err != nil {
			out = append(out, "not a SettingError: "+err.Error())
		}
	}
	walk(err)
	slices.Sort(out)
	return out
}

func TestPropsFromContext(t *testing.T) {
	defaults := (*IvsSessionsProps)(nil).WithDefaults()
	tests := map[string]struct {
		context map[string]any
		want    func(p *IvsSessionsProps) // edits defaults into the expected props
		bad     []string                  // settings that must be reported, sorted
	}{
		"no context: defaults": {want: func(*IvsSessionsProps) {}},
		"strings, as -c key=value gives them": {
			context: map[string]any{
				ContextCorrectionMode: "dry-run", ContextDefaultMaximumResolution: "FULL_HD",
				ContextAllowTypeChange: "true", ContextAllowContainerFormatChange: "false",
				ContextOptOutTag: "team:keep", ContextCorrectionMaxAge: "36h", ContextEnrichMaxAttempts: "7",
				ContextArchiveRetentionDays: "400", ContextEventArchiveRetentionDays: "14",
				ContextLogRetentionDays: "30", ContextAlarmEmail: "ops@example.com", ContextAssetsDir: "out",
			},
			want: func(p *IvsSessionsProps) {
				p.CorrectionMode, p.DefaultMaximumResolution = multitrack.ModeDryRun, "FULL_HD"
				p.AllowTypeChange, p.AllowContainerFormatChange = jsii.Bool(true), jsii.Bool(false)
				p.OptOutTag, p.CorrectionMaxAge, p.EnrichMaxAttempts = "team:keep", 36*time.Hour, 7
				p.ArchiveRetentionDays, p.EventArchiveRetentionDays, p.LogRetentionDays = 400, 14, 30
				p.AlarmEmail, p.AssetsDir = "ops@example.com", "out"
			},
		},
		"JSON types, as cdk.json gives them": {
			context: map[string]any{ContextAllowTypeChange: true, ContextEnrichMaxAttempts: 3.0, ContextLogRetentionDays: 365.0,
				ContextEnrichLivePhase: false, ContextIVSQuotaShare: 0.5, ContextSweepSchedule: "rate(5 minutes)", ContextSweepDailySchedule: "cron(0 4 * * ? *)"},
			want: func(p *IvsSessionsProps) {
				p.AllowTypeChange, p.EnrichMaxAttempts, p.LogRetentionDays = jsii.Bool(true), 3, 365
				p.EnrichLivePhase, p.IVSQuotaShare = jsii.Bool(false), 0.5
				p.SweepSchedule, p.SweepDailySchedule = "rate(5 minutes)", "cron(0 4 * * ? *)"
			},
		},
		"unknown mode":               {context: map[string]any{ContextCorrectionMode: "sometimes"}, bad: []string{ContextCorrectionMode}},
		"unknown resolution":         {context: map[string]any{ContextDefaultMaximumResolution: "4K"}, bad: []string{ContextDefaultMaximumResolution}},
		"not a bool":                 {context: map[string]any{ContextAllowTypeChange: "sure"}, bad: []string{ContextAllowTypeChange}},
		"not a number":               {context: map[string]any{ContextEnrichMaxAttempts: "many"}, bad: []string{ContextEnrichMaxAttempts}},
		"not a whole number":         {context: map[string]any{ContextArchiveRetentionDays: 2.5}, bad: []string{ContextArchiveRetentionDays}},
		"too many attempts":          {context: map[string]any{ContextEnrichMaxAttempts: "51"}, bad: []string{ContextEnrichMaxAttempts}},
		"not a duration":             {context: map[string]any{ContextCorrectionMaxAge: "2 days"}, bad: []string{ContextCorrectionMaxAge}},
		"longer than SQS can keep":   {context: map[string]any{ContextCorrectionMaxAge: "336h"}, bad: []string{ContextCorrectionMaxAge}},
		"reserved tag prefix":        {context: map[string]any{ContextOptOutTag: "aws:skip"}, bad: []string{ContextOptOutTag}},
		"retention CloudWatch lacks": {context: map[string]any{ContextLogRetentionDays: "10"}, bad: []string{ContextLogRetentionDays}},
		"negative retention":         {context: map[string]any{ContextArchiveRetentionDays: "-1"}, bad: []string{ContextArchiveRetentionDays}},
		"not an address":             {context: map[string]any{ContextAlarmEmail: "ops"}, bad: []string{ContextAlarmEmail}},
		"not a schedule":             {context: map[string]any{ContextSweepSchedule: "every 5 minutes"}, bad: []string{ContextSweepSchedule}},
		"quota share above 1":        {context: map[string]any{ContextIVSQuotaShare: "1.5"}, bad: []string{ContextIVSQuotaShare}},
		"quota share not a number":   {context: map[string]any{ContextIVSQuotaShare: "most"}, bad: []string{ContextIVSQuotaShare}},
		"string setting given a number": {
			context: map[string]any{ContextOptOutTag: 5.0}, bad: []string{ContextOptOutTag},
		},
		"every problem at once": {
			context: map[string]any{ContextLogRetentionDays: "10", ContextAlarmEmail: "ops", ContextCorrectionMaxAge: "1s"},
			bad:     []string{ContextAlarmEmail, ContextCorrectionMaxAge, ContextLogRetentionDays},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := tc.context
			if ctx == nil {
				ctx = map[string]any{}
			}
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
			got, err := PropsFromContext(app.Node())
			if tc.bad != nil {
				if got := settingsOf(err); !slices.Equal(got, tc.bad) {
					t.Fatalf("reported settings %v (%v), want %v", got, err, tc.bad)
				}
				if !strings.Contains(err.Error(), "setting "+tc.bad[0]+": want ") {
					t.Errorf("message %q does not name the setting and what it accepts", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("PropsFromContext: %v", err)
			}
			want := defaults
			want.AllowTypeChange = jsii.Bool(*defaults.AllowTypeChange)
			want.AllowContainerFormatChange = jsii.Bool(*defaults.AllowContainerFormatChange)
			tc.want(&want)
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	if err := (*IvsSessionsProps)(nil).Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	d := (*IvsSessionsProps)(nil).WithDefaults()
	maxAge, err := time.ParseDuration(suite.DefaultCorrectionMaxAge)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.CorrectionMode) != suite.DefaultCorrectionMode || d.OptOutTag != suite.DefaultOptOutTag ||
		d.CorrectionMaxAge != maxAge || d.EnrichMaxAttempts != suite.DefaultEnrichMaxAttempts ||
		d.ArchiveRetentionDays != suite.DefaultArchiveRetentionDays ||
		*d.AllowTypeChange != suite.DefaultAllowTypeChange ||
		*d.AllowContainerFormatChange != suite.DefaultAllowContainerFormatChange {
		t.Errorf("defaults %+v differ from shared/suite's", d)
	}
	// The environment the functions get is what suite.LoadCorrection reads back.
	env := d.Settings().CorrectionEnvironment()
	cfg, err := suite.LoadCorrection(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != d.CorrectionMode || cfg.OptOutTag != d.OptOutTag || cfg.AllowContainerFormatChange != *d.AllowContainerFormatChange {
		t.Errorf("LoadCorrection read %+v from %v", cfg, env)
	}
}

func TestSpecs(t *testing.T) {
	for _, maxAge := range []time.Duration{time.Minute, 24 * time.Hour, maxCorrectionMaxAge} {
		p := (&IvsSessionsProps{CorrectionMaxAge: maxAge, EnrichMaxAttempts: maxEnrichMaxAttempts}).WithDefaults()
		all := p.Settings().Functions()
		for _, name := range suite.Functions {
			s, ok := all[name]
			if !ok {
				t.Fatalf("no spec for %s", name)
			}
			if s.VisibilityTimeout() < 6*s.Timeout {
				t.Errorf("%s: visibility %v < %d x timeout %v", name, s.VisibilityTimeout(), 6, s.Timeout)
			}
			if s.VisibilityTimeout() > 12*time.Hour {
				t.Errorf("%s: visibility %v above SQS's 12 h", name, s.VisibilityTimeout())
			}
			if s.Retention < time.Minute || s.Retention > 14*24*time.Hour {
				t.Errorf("%s: retention %v outside SQS's 1 min to 14 days", name, s.Retention)
			}
			if s.BatchSize < 1 || s.BatchSize > 10 || s.MaxReceiveCount < 1 || s.MaxReceiveCount > 1000 {
				t.Errorf("%s: batch %d, maxReceiveCount %d", name, s.BatchSize, s.MaxReceiveCount)
			}
			if len(ivsActions[name]) > 0 && s.MaxConcurrency != suite.MaxConcurrency {
				t.Errorf("%s calls IVS: maxConcurrency %d, want suite.MaxConcurrency", name, s.MaxConcurrency)
			}
		}
		if c := all[suite.FunctionCorrect]; c.Retention <= maxAge {
			t.Errorf("maxAge %v: correct keeps messages only %v", maxAge, c.Retention)
		}
		if e := all[suite.FunctionEnrich]; e.MaxReceiveCount <= p.EnrichMaxAttempts {
			t.Errorf("enrich maxReceiveCount %d <= EnrichMaxAttempts %d", e.MaxReceiveCount, p.EnrichMaxAttempts)
		}
	}
}

func TestEventPattern(t *testing.T) {
	for _, r := range suite.Routes {
		t.Run(r.Name, func(t *testing.T) {
			p, err := eventPattern(r.Pattern)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			if p.Source != nil {
				got["source"] = *p.Source
			}
			if p.DetailType != nil {
				got["detail-type"] = *p.DetailType
			}
			if p.Detail != nil {
				got["detail"] = *p.Detail
			}
			gotJSON, _ := json.Marshal(got)
			var gotV, wantV any
			_ = json.Unmarshal(gotJSON, &gotV)
			_ = json.Unmarshal([]byte(r.Pattern.JSON()), &wantV)
			if !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("pattern %s, want %s", gotJSON, r.Pattern.JSON())
			}
		})
	}
}

// TestSettingsDocumented: infra/README.md's table of settings is the one the settings table
// makes (go test -run TestSettingsDocumented -update rewrites it).
func TestSettingsDocumented(t *testing.T) {
	path := filepath.Join("..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	const head = "| key | default | meaning |\n"
	start := strings.Index(readme, head)
	if start < 0 {
		t.Fatalf("%s has no table of settings (%q)", path, head)
	}
	end := start + strings.Index(readme[start:], "\n\n") + 1
	want := settingsTable()
	if got := readme[start:end]; got != want {
		if golden.Updating() {
			if err := os.WriteFile(path, []byte(readme[:start]+want+readme[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s's table of settings differs from the settings table; run go test ./infra/ivssessions -run TestSettingsDocumented -update\ngot:\n%s\nwant:\n%s", path, got, want)
	}
	for _, s := range settings {
		if s.doc == "" {
			t.Errorf("setting %s has no description", s.key)
		}
	}
}

// settingsTable is infra/README.md's table of the settings, from settings.
func settingsTable() string {
	var b strings.Builder
	b.WriteString("| key | default | meaning |\n|---|---|---|\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.key, s.show, s.doc)
	}
	return b.String()
}
