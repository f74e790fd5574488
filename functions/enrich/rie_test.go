package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this host) and invokes it under the
// Lambda Runtime Interface Emulator with an SQS batch and a bare event, against the local IVS
// and the local bus, configured only through the environment as in Lambda.
func TestBootstrapUnderRIE(t *testing.T) {
	ctx := context.Background()
	s := newStack(t)
	ch, streamID, good := endedSession(t, s, "session-ended-multitrack-input-not-allowed")
	invalid, err := os.ReadFile("../../events/invalid/missing-id.json")
	if err != nil {
		t.Fatal(err)
	}
	notVisible := retarget(t, awstest.LoadEvent(t, "stream-start"), ch.ARN, "st-0000000000000000000000A")

	deployed := suite.DefaultSettings() // the environment the CDK app gives enrich, with fewer attempts
	deployed.EnrichMaxAttempts = 3
	inst := awstest.StartFunction(t, lambdarie.Config{
		FunctionName: suite.FunctionEnrich, Timeout: 20 * time.Second,
		Env: s.Env(deployed.Environment(suite.FunctionEnrich, suite.Resources{EventBus: testBus})),
	})

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
	checkEnriched(t, decodeEnvelope(t, pub[0]), ev, ch.ARN, streamID, phaseOf(ev, true) != phaseNone)

	all, requestIDs := awstest.FunctionLog(t, inst.Logs())
	for _, want := range []string{`"message":"published enriched session"`, `"message":"rejected: retrying cannot fix this"`, `"message":"transient failure, will be redelivered"`, `"RejectedEvents":1`} {
		if !strings.Contains(all, want) {
			t.Errorf("the function's output lacks %s:\n%s", want, all)
		}
	}
	if len(requestIDs) != 2 {
		t.Errorf("log lines carry request IDs %v, want the two invocations'", requestIDs)
	}
	s.Secrets.Check(t, map[string]string{"function output": all, "published": strings.Join(pub, "\n")})
}
