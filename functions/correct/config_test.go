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
