package main

import (
	"errors"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

func getenv(m map[string]string) suite.Getenv { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	base := map[string]string{suite.EnvEventBusName: "ivs-sessions"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for bk, bv := range base {
			if _, set := m[bk]; !set {
				m[bk] = bv
			}
		}
		return m
	}
	good := map[string]struct {
		env  map[string]string
		want Config
	}{
		"defaults": {base, Config{EventBusName: "ivs-sessions", MaxAge: 24 * time.Hour, RetryDelay: time.Minute,
			Correction: multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: suite.DefaultOptOutTag, AllowContainerFormatChange: true}}},
		"all set": {map[string]string{suite.EnvEventBusName: "b", suite.EnvCorrectionMode: "dry-run", suite.EnvCorrectionMaxAge: "2h",
			suite.EnvCorrectionRetryDelay: "30s", suite.EnvAllowTypeChange: "true", suite.EnvOptOutTag: "keep-out", suite.EnvDefaultMaximumResolution: "HD"},
			Config{EventBusName: "b", MaxAge: 2 * time.Hour, RetryDelay: 30 * time.Second, Correction: multitrack.Config{Mode: multitrack.ModeDryRun,
				DefaultMaximumResolution: "HD", AllowTypeChange: true, AllowContainerFormatChange: true, OptOutTag: "keep-out"}}},
		"retry delay at the SQS maximum": {with(suite.EnvCorrectionRetryDelay, "12h"), Config{EventBusName: "ivs-sessions", MaxAge: 24 * time.Hour, RetryDelay: 12 * time.Hour,
			Correction: multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: suite.DefaultOptOutTag, AllowContainerFormatChange: true}}},
	}
	for name, tc := range good {
		t.Run(name, func(t *testing.T) {
			got, err := LoadConfig(getenv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	bad := map[string]struct {
		env   map[string]string
		field string
	}{
		"no bus":                {map[string]string{}, suite.EnvEventBusName},
		"bad mode":              {with(suite.EnvCorrectionMode, "sometimes"), suite.EnvCorrectionMode},
		"bad max age":           {with(suite.EnvCorrectionMaxAge, "a day"), suite.EnvCorrectionMaxAge},
		"negative max age":      {with(suite.EnvCorrectionMaxAge, "-1h"), suite.EnvCorrectionMaxAge},
		"bad retry delay":       {with(suite.EnvCorrectionRetryDelay, "soon"), suite.EnvCorrectionRetryDelay},
		"retry delay too long":  {with(suite.EnvCorrectionRetryDelay, "13h"), suite.EnvCorrectionRetryDelay},
		"retry delay too short": {with(suite.EnvCorrectionRetryDelay, "500ms"), suite.EnvCorrectionRetryDelay},
		"bad bool":              {with(suite.EnvAllowTypeChange, "perhaps"), suite.EnvAllowTypeChange},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(getenv(tc.env))
			var fe *ivsevent.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("err = %v, want a FieldError naming %s", err, tc.field)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := map[string]struct {
		base    time.Duration
		receive int
		want    time.Duration
	}{
		"first":           {time.Minute, 1, time.Minute},
		"second":          {time.Minute, 2, 2 * time.Minute},
		"third":           {time.Minute, 3, 4 * time.Minute},
		"zero count":      {time.Minute, 0, time.Minute},
		"capped at 12h":   {time.Minute, 11, MaxVisibility},
		"huge count":      {time.Minute, 1 << 30, MaxVisibility},
		"base at the cap": {MaxVisibility, 2, MaxVisibility},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Backoff(tc.base, tc.receive); got != tc.want {
				t.Errorf("Backoff(%v, %d) = %v, want %v", tc.base, tc.receive, got, tc.want)
			}
		})
	}
	if got := visibilitySeconds(1500 * time.Millisecond); got != 2 {
		t.Errorf("visibilitySeconds(1.5s) = %d, want 2 (rounded up)", got)
	}
	if got := visibilitySeconds(48 * time.Hour); got != 43200 {
		t.Errorf("visibilitySeconds(48h) = %d, want 43200", got)
	}
}

func TestQueueURL(t *testing.T) {
	good := map[string]string{
		"arn:aws:sqs:us-west-2:123456789012:correct":                 "https://sqs.us-west-2.amazonaws.com/123456789012/correct",
		"arn:aws:sqs:eu-central-1:210987654321:IvsSessions-Correct1": "https://sqs.eu-central-1.amazonaws.com/210987654321/IvsSessions-Correct1",
	}
	for arn, want := range good {
		if got, err := QueueURL(arn); err != nil || got != want {
			t.Errorf("QueueURL(%q) = %q, %v; want %q", arn, got, err, want)
		}
	}
	for _, arn := range []string{"", "arn:aws:sns:us-west-2:123456789012:x", "arn:aws:sqs:us-west-2:123456789012", "arn:aws:sqs:us-west-2::q", "https://sqs.us-west-2.amazonaws.com/1/q"} {
		var fe *ivsevent.FieldError
		if _, err := QueueURL(arn); !errors.As(err, &fe) {
			t.Errorf("QueueURL(%q) err = %v, want a FieldError", arn, err)
		}
	}
}
