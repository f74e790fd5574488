package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

func TestParseFlags(t *testing.T) {
	for _, bad := range [][]string{
		{"-bucket", "b", "-bus", "e"},                    // no days
		{"-days", "61", "-bucket", "b", "-bus", "e"},     // beyond what IVS keeps
		{"-days", "1", "-bus", "e"},                      // no bucket
		{"-days", "1", "-bucket", "b"},                   // no bus
		{"-days", "1", "-bucket", "b", "-bus", "e", "x"}, // stray argument
		{"-days", "1", "-bucket", "b", "-bus", "e", "-share", "2"},
		{"-days", "1", "-bucket", "b", "-bus", "e", "-account", "12"}, // not an account
	} {
		t.Setenv(suite.EnvArchiveBucket, "")
		t.Setenv(suite.EnvEventBusName, "")
		t.Setenv(suite.EnvAccountID, "123456789012")
		if _, err := parseFlags(bad, &awstest.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
	t.Setenv(suite.EnvAccountID, "")
	if _, err := parseFlags([]string{"-days", "7", "-bucket", "b", "-bus", "e"}, &awstest.Buffer{}); err == nil {
		t.Error("parseFlags accepted no account")
	}
	o, err := parseFlags([]string{"-days", "7", "-bucket", "b", "-bus", "e", "-account", "123456789012"}, &awstest.Buffer{})
	if err != nil || o.days != 7 || o.share != suite.DefaultIVSQuotaShare {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(sweep.Progress{Stage: "fetching", Done: 30, Total: 120, Published: 12}, 60*time.Second)
	for _, want := range []string{"fetching", "[=======       ", "30/120 sessions", "90 left", "0.50/s", "ETA 3m0s", "12 archived"} {
		if !strings.Contains(got, want) {
			t.Errorf("progressLine = %q, lacks %q", got, want)
		}
	}
}

// TestBackfillLocal runs the command against a local IVS, bus and S3 with the SDK's usual
// configuration (the AWS_ENDPOINT_URL_* variables): the lost sessions are archived, plain
// progress lines are printed, and a second run finds nothing left.
func TestBackfillLocal(t *testing.T) {
	var queues []localbus.QueueConfig
	for _, fn := range suite.Functions {
		queues = append(queues, localbus.QueueConfig{Name: fn, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}})
	}
	s := awstest.New(t, awstest.Options{IVS: &ivstest.Options{}, Bus: &localbus.Config{Rules: localbus.SuiteRules("bus"), Queues: queues}, Bucket: "archive"})
	for range 3 {
		ch := s.CreateChannel(t, nil)
		if _, err := s.IVS.Connect(context.Background(), ivstest.OBS(ch.StreamKey, 1)); err != nil {
			t.Fatal(err)
		}
		if err := s.IVS.Disconnect(context.Background(), ch.ARN); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range s.Env(map[string]string{"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}) {
		t.Setenv(k, v)
	}
	args := []string{"-days", "1", "-bucket", "archive", "-bus", "bus", "-account", awstest.Account, "-share", "1"}
	var out, errOut awstest.Buffer
	if code := run(context.Background(), args, &out, &errOut, false); code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "3 archived") || !strings.Contains(errOut.String(), "fetching [") || strings.Contains(errOut.String(), "\r") {
		t.Errorf("output:\n%s\nprogress:\n%s\nwant 3 archived and plain progress lines", out.String(), errOut.String())
	}
	if len(s.PublishedBodies()) != 3 {
		t.Errorf("published %d, want 3", len(s.PublishedBodies()))
	}
	archive(t, s) // as the archive function would
	var tty awstest.Buffer
	if code := run(context.Background(), args, &out, &tty, true); code != 0 {
		t.Fatalf("second run: exit %d", code)
	}
	if n := len(s.PublishedBodies()); n != 3 {
		t.Errorf("published %d in all after a second run, want 3: the archive has them", n)
	}
	if !strings.Contains(tty.String(), "\r") {
		t.Errorf("on a terminal the bar is redrawn in place, got %q", tty.String())
	}
}

// archive writes the records of every published event into the archive bucket.
func archive(t *testing.T, s *awstest.Stack) {
	t.Helper()
	for _, body := range s.PublishedBodies() {
		var req struct{ Entries []struct{ Detail string } }
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		for _, e := range req.Entries {
			var en session.Enriched
			if err := json.Unmarshal([]byte(e.Detail), &en); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(en.Record)
			if _, err := s.S3Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String(en.Record.Key()), Body: bytes.NewReader(b)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
