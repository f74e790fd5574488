package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
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

	// The same refusal, replayed by EventBridge from the suite's archive of IVS events: published
	// with the replay's name in its trigger, so the corrector and the notification rules know it.
	replayed := bytes.Replace(good, []byte(`{`), []byte(`{"replay-name":"rebuild-november",`), 1)
	if _, err := inst.Invoke(ctx, replayed); err != nil {
		t.Fatalf("invoke with a replayed event: %v", err)
	}

	// The refusal again, its channel name a terminal escape sequence and a line break: the name
	// feeds no key and no decision, so the event is kept, the name escaped, the record noted.
	outOfBounds := bytes.Replace(good, []byte(`"studio-a"`), []byte(`"studio\u001b]0;pwned\u0007\nrow"`), 1)
	out, err = inst.Invoke(ctx, outOfBounds)
	if err != nil {
		t.Fatalf("invoke with a channel name out of bounds: %v", err)
	}
	if err := json.Unmarshal(out, &result); err != nil || result != (batch.Result{EventID: ev.ID, Outcome: "done"}) {
		t.Errorf("channel name out of bounds: response %s (%v), want done", out, err)
	}

	// An event whose id is 1 MB: rejected, and neither the answer nor a log line holds it whole.
	hugeID := bytes.Replace(good, []byte(`"id": "`+ev.ID+`"`), []byte(`"id": "`+strings.Repeat("a", 1<<20)+`"`), 1)
	out, err = inst.Invoke(ctx, hugeID)
	if err != nil || len(out) > 4096 || json.Unmarshal(out, &result) != nil || result.Outcome != "rejected" {
		t.Errorf("an id of 1 MB: response of %d bytes (%v), want a short rejection", len(out), err)
	}

	// A Session Ended claiming a refusal for a session that went live and ended normally: IVS
	// does not confirm it, so the decision is unverified, and the record stays ended: the claim
	// is kept beside it, marked, and never makes it refused.
	_, _, normal := endedSession(t, s, "session-ended")
	claimed := bytes.Replace(normal, []byte(`"event_name": "Session Ended",`), []byte(`"event_name": "Session Ended", "code": "MultitrackInputNotAllowed",`), 1)
	if _, err := inst.Invoke(ctx, claimed); err != nil {
		t.Fatalf("invoke with an unconfirmed refusal: %v", err)
	}

	pub := s.publishedEvents(t)
	if len(pub) != 5 {
		t.Fatalf("published %d events, want 5", len(pub))
	}
	unverified := decodeDetail(t, pub[4])
	if r := unverified.Record; unverified.Decision.Action != multitrack.ActionUnverified || r.Outcome != session.OutcomeEnded || r.Code != "" ||
		r.Correction == nil || r.Correction.Decision.Action != multitrack.ActionUnverified {
		t.Errorf("an unconfirmed refusal: decision %s, record outcome %s, code %q, correction %+v; want unverified, ended, no code, the unverified claim",
			unverified.Decision.Action, r.Outcome, r.Code, r.Correction)
	}
	marked := slices.ContainsFunc(unverified.Record.Events, func(e session.Event) bool {
		return e.Code == ivsevent.CodeMultitrackInputNotAllowed && e.Unconfirmed != ""
	})
	if !marked {
		t.Errorf("the claimed refusal is not kept as an unconfirmed event: %+v", unverified.Record.Events)
	}
	kept := decodeDetail(t, pub[3])
	if kept.Decision.Code != ivsevent.CodeMultitrackInputNotAllowed || kept.Record.Outcome != session.OutcomeRefused {
		t.Errorf("the event with the channel name out of bounds was decided %+v, record outcome %s; want the refusal", kept.Decision, kept.Record.Outcome)
	}
	noted := false
	for _, e := range kept.Record.Events {
		noted = noted || strings.Contains(e.Note, "detail.channel_name")
	}
	if !noted || hasControl(decodeEnvelope(t, pub[3]).Detail) {
		t.Errorf("published %s: want the event noted and no control character in any string", pub[3])
	}
	first := checkEnriched(t, decodeEnvelope(t, pub[0]), ev, ch.ARN, streamID, phaseOf(ev, true) != phaseNone)
	if first.Trigger.ReplayName != "" {
		t.Errorf("the event delivered when IVS sent it is published with replay mark %q", first.Trigger.ReplayName)
	}
	again := decodeDetail(t, pub[2])
	if again.Trigger.ReplayName != "rebuild-november" || again.Trigger.EventID != ev.ID {
		t.Errorf("the replayed event is published with trigger %+v, want the replay's name rebuild-november", again.Trigger)
	}

	all, requestIDs := awstest.FunctionLog(t, inst.Logs())
	for _, l := range strings.Split(all, "\n") {
		if len(l) > 16<<10 {
			t.Errorf("a log line of %d bytes: %.200s...", len(l), l)
		}
	}
	for _, want := range []string{`"message":"published enriched session"`, `"message":"rejected: retrying cannot fix this"`, `"message":"transient failure, will be redelivered"`, `"RejectedEvents":1`,
		`"ReplayedEvents":1`, `"replayName":"rebuild-november"`, `"FieldsOutOfBounds":1`} {
		if !strings.Contains(all, want) {
			t.Errorf("the function's output lacks %s:\n%s", want, all)
		}
	}
	if len(requestIDs) != 6 {
		t.Errorf("log lines carry request IDs %v, want the six invocations'", requestIDs)
	}
	s.Secrets.Check(t, map[string]string{"function output": all, "published": strings.Join(pub, "\n")})
}

// hasControl reports whether a string of the JSON document doc holds a control character.
func hasControl(doc []byte) bool {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return true
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f })
		case []any:
			return slices.ContainsFunc(v, walk)
		case map[string]any:
			for k, e := range v {
				if walk(k) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
