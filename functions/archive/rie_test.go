package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this host) and invokes it under the
// Lambda Runtime Interface Emulator with an SQS batch and a bare event, against the local S3,
// configured only through the environment as in Lambda.
func TestBootstrapUnderRIE(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Runtime Interface Emulator runs on Linux only")
	}
	ctx := context.Background()
	dir := t.TempDir()
	rie, err := lambdarie.BuildRIE(ctx, "", dir)
	if err != nil {
		t.Skipf("cannot build the Runtime Interface Emulator (go.mod's tool line, module cache): %v", err)
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := lambdarie.BuildBootstrap(ctx, "", ".", bootstrap); err != nil {
		t.Fatal(err)
	}
	s := newStack(t)
	inst, err := lambdarie.Start(ctx, lambdarie.Config{
		RIE: rie, Bootstrap: bootstrap, FunctionName: suite.FunctionArchive, Timeout: 20 * time.Second,
		Env: map[string]string{
			"AWS_REGION":                "us-west-2",
			"AWS_ACCESS_KEY_ID":         "AKIDTEST",
			"AWS_SECRET_ACCESS_KEY":     "test-secret",
			"AWS_EC2_METADATA_DISABLED": "true",
			"AWS_ENDPOINT_URL_S3":       s.url,
			"AWS_LAMBDA_LOG_FORMAT":     "JSON",
			suite.EnvArchiveBucket:      testBucket,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })

	first, tr1 := sampleRecord(t, "session-ended")
	rec, tr := enrichedRecord(t)
	acct, trAcct := sampleRecord(t, "limit-breach-concurrent-broadcasts")
	out, err := inst.Invoke(ctx, sqsBatch(t, enrichedOf(t, first, tr1), []byte(`{"not":"an event"}`), enrichedOf(t, acct, trAcct)))
	if err != nil {
		t.Fatalf("invoke with an SQS batch: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("response %s (%v), want no batch item failures", out, err)
	}
	out, err = inst.Invoke(ctx, enrichedOf(t, rec, tr))
	if err != nil {
		t.Fatalf("invoke with a bare event: %v", err)
	}
	var result batch.Result
	if err := json.Unmarshal(out, &result); err != nil || result.Outcome != "done" {
		t.Errorf("bare event response %s (%v), want done", out, err)
	}

	got := s.record(t, sessionKey)
	if want := session.Merge(first, rec); withoutUpdatedAt(t, got) != withoutUpdatedAt(t, want) {
		t.Errorf("archived record %s, want %s", withoutUpdatedAt(t, got), withoutUpdatedAt(t, want))
	}
	if s.object(t, session.AccountEventKey(trAcct.EventID, trAcct.Time)) == nil {
		t.Errorf("the account-level event is not archived: objects %v", s.keys(t))
	}

	var lines []string
	for _, l := range inst.Logs() {
		if l.Runtime {
			continue
		}
		lines = append(lines, l.Text)
		var line map[string]any
		if err := json.Unmarshal([]byte(l.Text), &line); err != nil {
			t.Errorf("log line is not JSON: %q", l.Text)
			continue
		}
		if id, _ := line["requestId"].(string); line["_aws"] == nil && id == "" {
			t.Errorf("log line without requestId: %s", l.Text)
		}
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{`"message":"record archived"`, `"message":"rejected: retrying cannot fix this"`, `"ArchiveWrites":`, `"Sessions":1`} {
		if !strings.Contains(all, want) {
			t.Errorf("the function's output lacks %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "srt-passphrase-must-not-leak") {
		t.Error("the SRT passphrase reached the logs")
	}
}
