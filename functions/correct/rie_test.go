package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this host) and runs it under the Lambda
// Runtime Interface Emulator, configured only through the environment as Lambda configures it,
// against the local IVS and the local bus: an SQS batch (one channel to correct, one live, one
// malformed message) and then a bare event, as `sam local invoke -e` sends it.
func TestBootstrapUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	moduleDir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rie, err := lambdarie.BuildRIE(ctx, moduleDir, dir)
	if err != nil {
		t.Skipf("the RIE cannot be built here: %v", err)
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := lambdarie.BuildBootstrap(ctx, moduleDir, "./functions/correct", bootstrap); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	offline := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	liveARN, liveKey := e.createChannel(standardTS)
	live := envelope(t, e.enrich(e.refuse(obs5(liveKey), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	e.goLive(liveKey)
	e.ivs.ResetStats()

	inst, err := lambdarie.Start(ctx, lambdarie.Config{
		RIE: rie, Bootstrap: bootstrap, FunctionName: "ivs-sessions-correct", Timeout: 30 * time.Second,
		Env: map[string]string{
			"AWS_REGION": testRegion, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
			"AWS_EC2_METADATA_DISABLED": "true", "AWS_LAMBDA_LOG_FORMAT": "JSON",
			"AWS_ENDPOINT_URL_IVS": e.ivsURL, "AWS_ENDPOINT_URL_EVENTBRIDGE": e.busURL, "AWS_ENDPOINT_URL_SQS": e.busURL,
			suite.EnvEventBusName: testBus,
		},
		OnLog: func(l lambdarie.Line) { _, _ = e.logs.Write([]byte(l.Text + "\n")) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })

	payload, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		sqsRecord("offline", offline, 1, time.Now()),
		sqsRecord("live", live, 1, time.Now()),
		sqsRecord("malformed", []byte(`{"source":"ivs-sessions"}`), 1, time.Now()),
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := inst.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, e.logs.String())
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "live" {
		t.Errorf("batch item failures %+v, want only the live channel's message", resp.BatchItemFailures)
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied)
	want := `{"arn":"` + arn + `","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"FULL_HD","policy":"ALLOW"}}`
	if got := e.ivsLog.bodies(ivstest.OpUpdateChannel); len(got) != 1 || string(got[0]) != want {
		t.Errorf("UpdateChannel bodies %q, want [%s]", got, want)
	}
	if got := e.busLog.bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 1 || !strings.Contains(string(got[0]), `"VisibilityTimeout":60`) {
		t.Errorf("ChangeMessageVisibility %q, want one of 60 s", got)
	}

	// The bare event of the live channel, once it is offline: sam local invoke -e.
	if err := e.ivs.Disconnect(ctx, liveARN); err != nil {
		t.Fatal(err)
	}
	out, err = inst.Invoke(ctx, live)
	if err != nil {
		t.Fatalf("invoke bare event: %v", err)
	}
	var res batch.Result
	if err := json.Unmarshal(out, &res); err != nil || res.Outcome != "done" {
		t.Errorf("bare event response %s (%v), want outcome done", out, err)
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied, session.CorrectionApplied)

	logs := e.logs.String()
	for _, want := range []string{`"requestId":`, `"outcome":"applied"`, `"RejectedEvents":1`, `"Corrections":1`} {
		if !strings.Contains(logs, want) {
			t.Errorf("function output lacks %s:\n%s", want, logs)
		}
	}
	var lines int
	for _, l := range inst.Logs() {
		if !l.Runtime && strings.HasPrefix(l.Text, "{") {
			lines++
			if !json.Valid([]byte(l.Text)) {
				t.Errorf("log line is not JSON: %s", l.Text)
			}
		}
	}
	if lines == 0 || slices.ContainsFunc(inst.Logs(), func(l lambdarie.Line) bool { return strings.Contains(l.Text, "init failed") }) {
		t.Errorf("want JSON log lines and no init failure; got %d lines", lines)
	}
}
