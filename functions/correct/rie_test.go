package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this host) and runs it under the Lambda
// Runtime Interface Emulator, configured only through the environment as Lambda configures it,
// against the local IVS and the local bus: an SQS batch (one channel to correct, one live, one
// malformed message) and then a bare event, as `sam local invoke -e` sends it.
func TestBootstrapUnderRIE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	offline := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	liveARN, liveKey := e.createChannel(standardTS)
	live := envelope(t, e.enrich(e.refuse(obs5(liveKey), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	e.goLive(liveKey)
	// An enriched event that enrich made from a replayed IVS event: a fresh envelope, the replay's
	// name in its trigger. Its channel is offline and would be corrected.
	markedARN, markedKey := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(markedKey), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	en.Trigger.ReplayName = "rebuild-ivs-events"
	marked := envelope(t, en)
	// A message put straight on the queue (SendMessage) claiming the refusal of a stream session
	// that never existed, on an offline TS channel: IVS does not confirm it, nothing changes.
	forgedARN, forgedKey := e.createChannel(standardTS)
	forged := e.enrich(e.refuse(obs5(forgedKey), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	forged.Record.StreamID = "st-0000000000000000000000A"
	forgedBody := envelope(t, forged)
	e.IVS.ResetStats()

	inst := awstest.StartFunction(t, lambdarie.Config{
		FunctionName: "ivs-sessions-correct", Timeout: 30 * time.Second,
		Env:   e.Env(suite.DefaultSettings().Environment(suite.FunctionCorrect, suite.Resources{EventBus: testBus, ArchiveBucket: testBucket, DeadLetterQueueURL: testDLQ})),
		OnLog: func(l lambdarie.Line) { _, _ = e.Logs.Write([]byte(l.Text + "\n")) },
	})

	// A replay of the suite bus's archive (EventBridge adds replay-name): acknowledged, no call.
	var replayed map[string]any
	if err := json.Unmarshal(live, &replayed); err != nil {
		t.Fatal(err)
	}
	replayed["replay-name"] = "rebuild-archive"
	replay, err := json.Marshal(replayed)
	if err != nil {
		t.Fatal(err)
	}
	payload := awstest.SQSEvent(t,
		sqsRecord("offline", offline, 1, time.Now()),
		sqsRecord("live", live, 1, time.Now()),
		sqsRecord("malformed", []byte(`{"source":"ivs-sessions"}`), 1, time.Now()),
		sqsRecord("replayed", replay, 1, time.Now()),
		sqsRecord("marked", marked, 1, time.Now()),
		sqsRecord("forged", forgedBody, 1, time.Now()),
	)
	out, err := inst.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, e.Logs.String())
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
	if got := e.IVSWire.Bodies(ivstest.OpUpdateChannel); len(got) != 1 || string(got[0]) != want {
		t.Errorf("UpdateChannel bodies %q, want [%s]", got, want)
	}
	if got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 1 || !strings.Contains(string(got[0]), `"VisibilityTimeout":60`) {
		t.Errorf("ChangeMessageVisibility %q, want one of 60 s", got)
	}
	// Both channels' leases were taken in S3 and given back; the replayed one's was never taken.
	e.wantReleased(arn)
	e.wantReleased(liveARN)
	if l := e.leaseOf(markedARN); l != nil {
		t.Errorf("the lease of the replayed event's channel was taken: %v", l)
	}
	if ch := e.channel(forgedARN); ch.ContainerFormat != "TS" {
		t.Errorf("the forged message's channel was changed to %s", ch.ContainerFormat)
	}

	// The bare event of the live channel, once it is offline: sam local invoke -e.
	if err := e.IVS.Disconnect(ctx, liveARN); err != nil {
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

	logs := e.Logs.String()
	for _, want := range []string{`"requestId":`, `"outcome":"applied"`, `"RejectedEvents":2`, `"Corrections":1`, `IVS does not confirm the refusal`,
		`"message":"replayed event: no channel is touched"`, `"replayName":"rebuild-archive"`, `"replayName":"rebuild-ivs-events"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("function output lacks %s:\n%s", want, logs)
		}
	}
	awstest.FunctionLog(t, inst.Logs())
	if slices.ContainsFunc(inst.Logs(), func(l lambdarie.Line) bool { return strings.Contains(l.Text, "init failed") }) {
		t.Error("the function failed to start")
	}
}
