package engine

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const sampleARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"

func TestLineEntry(t *testing.T) {
	s := &Stack{rec: newRecorder()}
	s.NameChannel(sampleARN, "studio-a")
	tests := map[string]struct {
		text      string
		runtime   bool
		wantShown bool
		wantLevel Level
		wantText  string
	}{
		"published": {
			text: `{"timestamp":"2026-11-03T18:00:00Z","level":"INFO","message":"published enriched session","eventId":"e1","name":"Session Ended",` +
				`"record":{"channelArn":"` + sampleARN + `","streamId":"st-1","outcome":"refused","videoTracks":5,"topResolution":"1920x1080","events":3},` +
				`"action":"apply","code":"MultitrackInputNotAllowed","requestId":"r1"}`,
			wantShown: true, wantLevel: LevelInfo,
			wantText: `published enriched session name="Session Ended" stream=st-1 outcome=refused code=MultitrackInputNotAllowed action=apply tracks=5 top=1920x1080`,
		},
		"correction is key": {
			text:      `{"level":"INFO","message":"correction","channelArn":"` + sampleARN + `","outcome":"applied","detail":"UpdateChannel made the change"}`,
			wantShown: true, wantLevel: LevelKey,
			wantText: `correction channel=studio-a outcome=applied detail="UpdateChannel made the change"`,
		},
		"rejection is a problem": {
			text:      `{"level":"ERROR","message":"rejected: retrying cannot fix this","reason":"parse IVS event: detail.stream_id: want an IVS stream ID"}`,
			wantShown: true, wantLevel: LevelProblem,
			wantText: `rejected: retrying cannot fix this reason="parse IVS event: detail.stream_id: want an IVS stream ID"`,
		},
		"warning is information": {
			text:      `{"level":"WARN","message":"transient failure, will be redelivered","err":"retry later"}`,
			wantShown: true, wantLevel: LevelInfo,
			wantText: `transient failure, will be redelivered err="retry later"`,
		},
		"metrics are counted, not shown": {
			text: `{"Refusals":1,"Code":"MultitrackInputNotAllowed","_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"IVSSessions",` +
				`"Dimensions":[["Code"]],"Metrics":[{"Name":"Refusals","Unit":"Count"}]}]}}`,
		},
		"start is counted":  {text: "START RequestId: 1 Version: $LATEST", runtime: true},
		"end is hidden":     {text: "END RequestId: 1", runtime: true},
		"report is detail":  {text: "REPORT RequestId: 1\tDuration: 2 ms", runtime: true, wantShown: true, wantLevel: LevelDetail, wantText: "invocation RequestId: 1, Duration: 2 ms"},
		"plain text":        {text: "hello", wantShown: true, wantLevel: LevelInfo, wantText: "hello"},
		"emulator speaking": {text: "panic: oops", runtime: true, wantShown: true, wantLevel: LevelProblem, wantText: "panic: oops"},
		"blank":             {text: "  "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, shown := s.lineEntry(lambdarie.Line{Time: time.Now(), Function: suite.FunctionEnrich, Text: tc.text, Runtime: tc.runtime})
			if shown != tc.wantShown {
				t.Fatalf("shown = %t, want %t (%q)", shown, tc.wantShown, e.Text)
			}
			if !shown {
				return
			}
			if e.Level != tc.wantLevel || e.Text != tc.wantText || e.Actor != suite.FunctionEnrich {
				t.Errorf("got %s %d %q\nwant %s %d %q", e.Actor, e.Level, e.Text, suite.FunctionEnrich, tc.wantLevel, tc.wantText)
			}
		})
	}
	c := s.Counters()
	if c.Metric(suite.MetricRefusals) != 1 || c.MetricBy(suite.MetricRefusals, suite.DimensionCode)["MultitrackInputNotAllowed"] != 1 {
		t.Errorf("metrics = %v, want one refusal by code", c.Metrics)
	}
	if c.Invocations[suite.FunctionEnrich] != 1 {
		t.Errorf("invocations = %v, want 1 for enrich", c.Invocations)
	}
}

func TestCallLogAttributesCalls(t *testing.T) {
	var calls []Call
	var others []string
	log := slog.New(callLog{onCall: func(c Call) { calls = append(calls, c) }, onOther: func(r slog.Record) { others = append(others, r.Message) }})
	ctx := ivstest.WithCaller(context.Background(), suite.FunctionCorrect)
	log.InfoContext(ctx, "ivs call", "operation", ivstest.OpUpdateChannel, "status", 200)
	log.InfoContext(context.Background(), "ivs call", "operation", ivstest.OpGetStream, "error", ivstest.CodeThrottling, "status", 429)
	log.With("x", 1).ErrorContext(ctx, "event sink failed")
	want := []Call{
		{Caller: suite.FunctionCorrect, Operation: ivstest.OpUpdateChannel, Status: 200},
		{Caller: ActorYou, Operation: ivstest.OpGetStream, Status: 429, Error: ivstest.CodeThrottling},
	}
	if len(calls) != len(want) {
		t.Fatalf("calls = %+v", calls)
	}
	for i := range want {
		calls[i].Time = time.Time{}
		if calls[i] != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, calls[i], want[i])
		}
	}
	if len(others) != 1 || others[0] != "event sink failed" {
		t.Errorf("other records = %v", others)
	}
	if text, level := callText(want[1]); level != LevelProblem || !strings.Contains(text, "429") {
		t.Errorf("throttle = %q at %d, want a problem mentioning 429", text, level)
	}
}

func TestCountersSub(t *testing.T) {
	before := Counters{Events: 2, Calls: map[string]map[string]CallCount{"enrich": {"GetStreamSession": {Calls: 2, OK: 2}}},
		Metrics: map[string]float64{"RejectedEvents Function=enrich": 1}, Invocations: map[string]int{"enrich": 1}}
	after := Counters{Events: 5, Deferred: 1, Calls: map[string]map[string]CallCount{
		"enrich":  {"GetStreamSession": {Calls: 5, OK: 4, Throttled: 1}},
		"correct": {"UpdateChannel": {Calls: 1, OK: 1}},
	}, Metrics: map[string]float64{"RejectedEvents Function=enrich": 3, "Corrections Outcome=applied": 1}, Invocations: map[string]int{"enrich": 1}}
	d := after.Sub(before)
	if d.Events != 3 || d.Deferred != 1 {
		t.Errorf("events %d, deferred %d", d.Events, d.Deferred)
	}
	if got := d.Calls["enrich"]["GetStreamSession"]; got != (CallCount{Calls: 3, OK: 2, Throttled: 1}) {
		t.Errorf("enrich calls = %+v", got)
	}
	if got := d.FunctionCalls()["UpdateChannel"].OK; got != 1 {
		t.Errorf("UpdateChannel ok = %d", got)
	}
	if got := d.Metric(suite.MetricRejected, "Function=enrich"); got != 2 {
		t.Errorf("rejected = %v, want 2", got)
	}
	if _, ok := d.Invocations["enrich"]; ok {
		t.Error("an unchanged counter is kept in the difference")
	}
}

func TestEventText(t *testing.T) {
	rec := newRecorder()
	rec.setName(sampleARN, "studio-a")
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "session-ended-multitrack-input-not-allowed.json"))
	if err != nil {
		t.Fatal(err)
	}
	text, level := eventText(data, rec)
	if level != LevelKey || !strings.Contains(text, "studio-a") || !strings.Contains(text, "code=MultitrackInputNotAllowed") {
		t.Errorf("eventText = %q at %d", text, level)
	}
	text, level = eventText([]byte(`{"source":"aws.ivs"}`), rec)
	if level != LevelKey || !strings.HasPrefix(text, "malformed event: ") {
		t.Errorf("malformed: %q at %d", text, level)
	}
}

func TestActivityText(t *testing.T) {
	for kind, want := range map[localbus.ActivityKind]Level{
		localbus.ActivityRouted:      LevelDetail,
		localbus.ActivityDeadLetter:  LevelProblem,
		localbus.ActivityBatchFailed: LevelProblem,
		localbus.ActivityVisibility:  LevelDetail,
	} {
		text, level := activityText(localbus.Activity{Kind: kind, Queue: "correct", MessageID: "0123456789", Err: "boom"})
		if text == "" || level != want {
			t.Errorf("%s: %q at %d, want a line at %d", kind, text, level, want)
		}
	}
	if text, _ := activityText(localbus.Activity{Kind: localbus.ActivityDeleted}); text != "" {
		t.Errorf("deleted: %q, want no line", text)
	}
}
