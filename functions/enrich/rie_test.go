package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this host) and invokes it under the
// Lambda Runtime Interface Emulator with an SQS batch and a bare event, against the local IVS
// and the local bus, configured only through the environment as in Lambda.
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
	ch, streamID, good := endedSession(t, s, "session-ended-multitrack-input-not-allowed")
	invalid, err := os.ReadFile("../../events/invalid/missing-id.json")
	if err != nil {
		t.Fatal(err)
	}
	notVisible := retarget(t, ivstest.LoadEvent(t, "stream-start"), ch.arn, "st-0000000000000000000000A")

	inst, err := lambdarie.Start(ctx, lambdarie.Config{
		RIE: rie, Bootstrap: bootstrap, FunctionName: suite.FunctionEnrich, Timeout: 20 * time.Second,
		Env: map[string]string{
			"AWS_REGION":                   ivstest.DefaultRegion,
			"AWS_ACCESS_KEY_ID":            "AKIDTEST",
			"AWS_SECRET_ACCESS_KEY":        "test-secret",
			"AWS_EC2_METADATA_DISABLED":    "true",
			"AWS_ENDPOINT_URL_IVS":         s.ivs.URL,
			"AWS_ENDPOINT_URL_EVENTBRIDGE": s.busURL,
			"AWS_LAMBDA_LOG_FORMAT":        "JSON",
			suite.EnvEventBusName:          testBus,
			suite.EnvEnrichMaxAttempts:     "3",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })

	out, err := inst.Invoke(ctx, sqsBatch(t, 1, good, invalid, notVisible))
	if err != nil {
		t.Fatalf("invoke with an SQS batch: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-2" {
		t.Errorf("batch item failures %+v, want msg-2 only (the session not visible yet)", resp.BatchItemFailures)
	}

	out, err = inst.Invoke(ctx, good)
	if err != nil {
		t.Fatalf("invoke with a bare event: %v", err)
	}
	var result batch.Result
	ev, _ := ivsevent.Parse(good)
	if err := json.Unmarshal(out, &result); err != nil || result != (batch.Result{EventID: ev.ID, Outcome: "done"}) {
		t.Errorf("bare event response %s (%v), want done", out, err)
	}

	pub := s.publishedEvents(t)
	if len(pub) != 2 {
		t.Fatalf("published %d events, want 2", len(pub))
	}
	checkEnriched(t, decodeEnvelope(t, pub[0]), ev, ch.arn, streamID)

	var logs []string
	var requestIDs []string
	for _, l := range inst.Logs() {
		if l.Runtime {
			continue
		}
		logs = append(logs, l.Text)
		var line map[string]any
		if err := json.Unmarshal([]byte(l.Text), &line); err != nil {
			t.Errorf("log line is not JSON: %q", l.Text)
			continue
		}
		if _, emf := line["_aws"]; emf {
			continue
		}
		id, _ := line["requestId"].(string)
		if id == "" {
			t.Errorf("log line without requestId: %s", l.Text)
		}
		requestIDs = append(requestIDs, id)
	}
	all := strings.Join(logs, "\n")
	for _, want := range []string{`"message":"published enriched session"`, `"message":"rejected: retrying cannot fix this"`, `"message":"transient failure, will be redelivered"`, `"RejectedEvents":1`} {
		if !strings.Contains(all, want) {
			t.Errorf("the function's output lacks %s:\n%s", want, all)
		}
	}
	if ids := slices.Compact(slices.Sorted(slices.Values(requestIDs))); len(ids) != 2 {
		t.Errorf("log lines carry request IDs %v, want the two invocations'", ids)
	}
	checkNoSecrets(t, ch, map[string]string{"function output": all, "published": strings.Join(pub, "\n")})
}
