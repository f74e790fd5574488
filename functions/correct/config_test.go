package main

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

func getenv(m map[string]string) suite.Getenv { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	const dlq = "https://sqs.us-west-2.amazonaws.com/123456789012/correct-dlq"
	base := map[string]string{suite.EnvEventBusName: "ivs-sessions", suite.EnvLockBucket: "archive", suite.EnvDeadLetterQueueURL: dlq}
	// defaults is the configuration of base.
	defaults := Config{EventBusName: "ivs-sessions", MaxAge: 24 * time.Hour, RetryDelay: time.Minute, LeaseRetryDelay: 5 * time.Second,
		Correction: multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: suite.DefaultOptOutTag, AllowContainerFormatChange: true},
		LockBucket: "archive", LeaseTTL: time.Minute, DeadLetterQueueURL: dlq}
	but := func(f func(c *Config)) Config { c := defaults; f(&c); return c }
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
		"defaults": {base, defaults},
		"all set": {map[string]string{suite.EnvEventBusName: "b", suite.EnvCorrectionMode: "dry-run", suite.EnvCorrectionMaxAge: "2h",
			suite.EnvCorrectionRetryDelay: "30s", suite.EnvAllowTypeChange: "true", suite.EnvOptOutTag: "keep-out", suite.EnvDefaultMaximumResolution: "HD",
			suite.EnvLockBucket: "locks", suite.EnvDeadLetterQueueURL: "http://127.0.0.1:4566/123456789012/correct-dlq", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4567"},
			Config{EventBusName: "b", MaxAge: 2 * time.Hour, RetryDelay: 30 * time.Second, LeaseRetryDelay: 5 * time.Second, Correction: multitrack.Config{Mode: multitrack.ModeDryRun,
				DefaultMaximumResolution: "HD", AllowTypeChange: true, AllowContainerFormatChange: true, OptOutTag: "keep-out"},
				LockBucket: "locks", LeaseTTL: time.Minute, DeadLetterQueueURL: "http://127.0.0.1:4566/123456789012/correct-dlq"}},
		"retry delay at the SQS maximum": {with(suite.EnvCorrectionRetryDelay, "12h"), but(func(c *Config) { c.RetryDelay = 12 * time.Hour })},
		"lease retry delay, locally":     {with(suite.EnvCorrectionLeaseRetryDelay, "1m40s"), but(func(c *Config) { c.LeaseRetryDelay = 100 * time.Second })},
	}
	for name, tc := range good {
		t.Run(name, func(t *testing.T) {
			got, err := LoadConfig(getenv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	bad := map[string]struct {
		env   map[string]string
		field string
	}{
		"no bus":                {map[string]string{}, suite.EnvEventBusName},
		"no lock bucket":        {with(suite.EnvLockBucket, ""), suite.EnvLockBucket},
		"no dead-letter queue":  {with(suite.EnvDeadLetterQueueURL, ""), suite.EnvDeadLetterQueueURL},
		"DLQ name, not URL":     {with(suite.EnvDeadLetterQueueURL, "correct-dlq"), suite.EnvDeadLetterQueueURL},
		"DLQ ARN, not URL":      {with(suite.EnvDeadLetterQueueURL, "arn:aws:sqs:us-west-2:123456789012:correct-dlq"), suite.EnvDeadLetterQueueURL},
		"DLQ URL without queue": {with(suite.EnvDeadLetterQueueURL, "https://sqs.us-west-2.amazonaws.com/"), suite.EnvDeadLetterQueueURL},
		"bad mode":              {with(suite.EnvCorrectionMode, "sometimes"), suite.EnvCorrectionMode},
		"bad max age":           {with(suite.EnvCorrectionMaxAge, "a day"), suite.EnvCorrectionMaxAge},
		"negative max age":      {with(suite.EnvCorrectionMaxAge, "-1h"), suite.EnvCorrectionMaxAge},
		"bad retry delay":       {with(suite.EnvCorrectionRetryDelay, "soon"), suite.EnvCorrectionRetryDelay},
		"retry delay too long":  {with(suite.EnvCorrectionRetryDelay, "13h"), suite.EnvCorrectionRetryDelay},
		"retry delay too short": {with(suite.EnvCorrectionRetryDelay, "500ms"), suite.EnvCorrectionRetryDelay},
		"bad bool":              {with(suite.EnvAllowTypeChange, "perhaps"), suite.EnvAllowTypeChange},
		"lease delay too short": {with(suite.EnvCorrectionLeaseRetryDelay, "100ms"), suite.EnvCorrectionLeaseRetryDelay},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(getenv(tc.env))
			var fe *invalid.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("err = %v, want a FieldError naming %s", err, tc.field)
			}
		})
	}
}
