package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this host) and invokes it under the
// Lambda Runtime Interface Emulator with an SQS batch and a bare event, against the local S3,
// configured only through the environment as in Lambda.
func TestBootstrapUnderRIE(t *testing.T) {
	ctx := context.Background()
	s := newStack(t)
	inst := awstest.StartFunction(t, lambdarie.Config{
		FunctionName: suite.FunctionArchive, Timeout: 20 * time.Second,
		Env: s.Env(suite.DefaultSettings().Environment(suite.FunctionArchive, suite.Resources{ArchiveBucket: testBucket})),
	})

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
	if key, _ := session.AccountEventKey("123456789012", "us-west-2", trAcct.EventID, trAcct.Time); s.object(t, key) == nil {
		t.Errorf("the account-level event is not archived: objects %v", s.keys(t))
	}

	// A measurement whose key and window name another day of the session: the record of that
	// day does not exist, and a measurement never creates one (the message comes back).
	otherDay := rec.StartTime.AddDate(0, 0, -3)
	id, err := rec.Identity()
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := session.SessionKey(id, otherDay)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := envelopeOf(t, "q-elsewhere", suite.DetailTypeSessionQuality, []string{rec.ChannelARN}, session.Measured{
		ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, SessionKey: otherKey, Trigger: tr,
		Quality: quality.Report{Verdict: quality.VerdictDegraded, WindowStart: otherDay, WindowEnd: otherDay.Add(time.Hour)}})
	badVerdict := envelopeOf(t, "q-script", suite.DetailTypeSessionQuality, []string{rec.ChannelARN}, session.Measured{
		ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, SessionKey: sessionKey, Trigger: tr,
		Quality: quality.Report{Verdict: "<script>alert(1)</script>", WindowStart: rec.StartTime, WindowEnd: rec.EndTime}})
	out, err = inst.Invoke(ctx, sqsBatch(t, elsewhere, badVerdict))
	if err != nil {
		t.Fatalf("invoke with measurements: %v", err)
	}
	resp = events.SQSEventResponse{}
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-0" {
		t.Errorf("response %s (%v), want msg-0 back (its record is not archived) and msg-1 rejected", out, err)
	}
	if s.object(t, otherKey) != nil {
		t.Errorf("a measurement created the record %s", otherKey)
	}
	if got := s.record(t, sessionKey); got.Quality != nil {
		t.Errorf("the record took a measurement %+v", got.Quality)
	}

	all, _ := awstest.FunctionLog(t, inst.Logs())
	for _, want := range []string{`"message":"record archived"`, `"message":"rejected: retrying cannot fix this"`, `"ArchiveWrites":`, `"Sessions":1`,
		`detail.quality.verdict: want healthy, degraded or unknown`, `a measurement never creates one`} {
		if !strings.Contains(all, want) {
			t.Errorf("the function's output lacks %s:\n%s", want, all)
		}
	}
	s.Secrets.Check(t, map[string]string{"function output": all})
}
