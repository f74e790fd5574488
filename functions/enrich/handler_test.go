package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// goldens are the samples whose published detail is kept in testdata/<sample>.golden.json:
// the multitrack refusals, with the decisions they lead to.
var goldens = map[string]bool{
	"session-ended-multitrack-input-not-allowed":                          true,
	"session-ended-multitrack-input-required":                             true,
	"session-ended-invalid-multitrack-input-video-track-media-properties": true,
}

// wantAction is the decision each sample's code leads to on the channel its scenario sets up.
var wantAction = map[string]multitrack.Action{
	"":                                     multitrack.ActionNone,
	ivsevent.CodeMultitrackInputNotAllowed: multitrack.ActionApply,
	ivsevent.CodeMultitrackInputRequired:   multitrack.ActionApply,
	ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties: multitrack.ActionApply,
	ivsevent.CodeInvalidMultitrackInputTrackCount:                multitrack.ActionBroadcaster,
	ivsevent.CodeInvalidGetClientConfigurationStreamKey:          multitrack.ActionBroadcaster,
	ivsevent.CodeGetClientConfigurationStreamKeyRequired:         multitrack.ActionBroadcaster,
	ivsevent.CodeStreamTakeoverMediaMismatch:                     multitrack.ActionBroadcaster,
	ivsevent.CodeStreamTakeoverInvalidPriority:                   multitrack.ActionBroadcaster,
	ivsevent.CodeStreamTakeoverLimitBreached:                     multitrack.ActionBroadcaster,
}

// scenarioFor creates a local channel and the session a sample event is about, with the
// clock set so that the session's events fall at the sample's time: a refused multitrack
// session for each refusal the local IVS simulates, otherwise a single-track session that
// went live ten minutes before the event and, for an event that ends it, ended at it.
func (s *stack) scenarioFor(t testing.TB, ev *ivsevent.Event) (awstest.Channel, string) {
	t.Helper()
	multitrackChannel := func(policy types.MultitrackPolicy, res types.MultitrackMaximumResolution) *ivs.CreateChannelInput {
		return &ivs.CreateChannelInput{ContainerFormat: types.ContainerFormatFragmentedMP4,
			MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: policy, MaximumResolution: res}}
	}
	refusals := map[string]struct {
		create *ivs.CreateChannelInput
		video  []ivstest.VideoTrack
	}{
		ivsevent.CodeMultitrackInputNotAllowed: {nil, ivstest.Ladder(3)},
		ivsevent.CodeMultitrackInputRequired:   {multitrackChannel(types.MultitrackPolicyRequire, types.MultitrackMaximumResolutionHd), ivstest.Ladder(1)},
		ivsevent.CodeInvalidMultitrackInputTrackCount: {multitrackChannel(types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd),
			append(ivstest.Ladder(5), ivstest.Rendition160p30)},
		ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties: {multitrackChannel(types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionSd), ivstest.Ladder(3)},
	}
	if r, ok := refusals[ev.Code()]; ok {
		ch := s.createChannel(t, r.create)
		s.clock.Set(ev.Time)
		res := s.connect(t, ch, r.video)
		if res.Code != ev.Code() {
			t.Fatalf("local IVS refused with %q, want %q", res.Code, ev.Code())
		}
		return ch, res.StreamID
	}
	ch := s.createChannel(t, nil)
	s.clock.Set(ev.Time.Add(-10 * time.Minute))
	res := s.connect(t, ch, ivstest.Ladder(1))
	if !res.Live {
		t.Fatalf("local IVS did not accept the single-track encoder: %+v", res)
	}
	switch ev.Name() {
	case ivsevent.EventSessionEnded, ivsevent.EventStreamEnd, ivsevent.RecordingEnd, ivsevent.RecordingEndFailure:
		s.clock.Set(ev.Time)
		if err := s.IVS.Disconnect(context.Background(), ch.ARN); err != nil {
			t.Fatal(err)
		}
	}
	return ch, res.StreamID
}

// TestSamples sends every valid sample event through the function, as a bare event and inside
// an SQS batch, against a local IVS that has the session, and checks what is published.
func TestSamples(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) < 20 {
		t.Fatalf("want the sample events of events/, got %d files (%v)", len(files), err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sample := awstest.LoadEvent(t, name)
			ev, err := ivsevent.Parse(sample)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			s := newStack(t)
			var ch awstest.Channel
			var streamID string
			body := sample
			if !ev.AccountLevel() {
				ch, streamID = s.scenarioFor(t, ev)
				body = retarget(t, sample, ch.ARN, streamID)
			}

			out, err := s.p.Process(context.Background(), body)
			if err != nil {
				t.Fatalf("Process(bare event) error: %v", err)
			}
			if want := (batch.Result{EventID: ev.ID, Outcome: "done"}); out != want {
				t.Errorf("Process(bare event) = %+v, want %+v", out, want)
			}
			if failed := s.processSQS(t, 1, body); len(failed) != 0 {
				t.Errorf("SQS batch: failed %v, want none", failed)
			}

			pub := s.publishedEvents(t)
			if len(pub) != 2 {
				t.Fatalf("published %d events, want 2 (bare and SQS)", len(pub))
			}
			first, second := decodeEnvelope(t, pub[0]), decodeEnvelope(t, pub[1])
			if !bytes.Equal(first.Detail, second.Detail) {
				t.Errorf("the two deliveries published different details:\n%s\n%s", first.Detail, second.Detail)
			}
			enriches := !ev.AccountLevel() && phaseOf(ev, true) != phaseNone
			got := checkEnriched(t, first, ev, ch.ARN, streamID, enriches)
			if c := got.Record.Correction; c != nil && c.Outcome == session.CorrectionUnchanged {
				// Final at enrich: counted with the corrector's outcomes, once per delivery.
				if n := s.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: string(c.Decision.Action)}); n != 2 {
					t.Errorf("metric %s{Outcome=%s} = %v, want 2", suite.MetricCorrections, c.Decision.Action, n)
				}
			}

			if calls := s.IVS.Stats()[ivstest.OpGetStreamSession].Calls; ev.AccountLevel() && calls != 0 {
				t.Errorf("GetStreamSession called %d times for an account-level event, want 0", calls)
			} else if enriches && calls != 2 {
				t.Errorf("GetStreamSession called %d times, want 2 (one per delivery)", calls)
			} else if !enriches && calls != 0 {
				t.Errorf("GetStreamSession called %d times for %s, want 0 (published from the event alone)", calls, ev.Name())
			}
			if ev.AccountLevel() {
				if got.Record.ChannelARN != "" || got.Record.StreamID != "" || got.Record.Enriched || got.Record.EnrichmentNote != noteAccountLevel {
					t.Errorf("account-level record = %+v", got.Record)
				}
				if len(got.Record.LimitBreaches) != 1 {
					t.Errorf("account-level record has %d limit breaches, want 1", len(got.Record.LimitBreaches))
				}
			}

			if n := s.Metric(t, suite.MetricEvents, metrics.Dim{Name: suite.DimensionDetailType, Value: ev.DetailType}); n != 2 {
				t.Errorf("metric %s{%s} = %v, want 2", suite.MetricEvents, ev.DetailType, n)
			}
			wantEnrichments := map[bool]float64{true: 2}
			switch {
			case ev.AccountLevel():
				wantEnrichments = map[bool]float64{}
			case !enriches:
				wantEnrichments = map[bool]float64{false: 2}
			}
			for _, e := range []bool{true, false} {
				if n := s.Metric(t, suite.MetricEnrichments, metrics.Dim{Name: "Enriched", Value: strconv.FormatBool(e)}); n != wantEnrichments[e] {
					t.Errorf("metric %s{Enriched=%v} = %v, want %v", suite.MetricEnrichments, e, n, wantEnrichments[e])
				}
			}
			if session.IsRefusal(ev.Code()) {
				if n := s.Metric(t, suite.MetricRefusals, metrics.Dim{Name: suite.DimensionCode, Value: ev.Code()}); n != 2 {
					t.Errorf("metric %s{%s} = %v, want 2", suite.MetricRefusals, ev.Code(), n)
				}
			}
			s.Secrets.Check(t, map[string]string{"logs": s.Logs.String(), "metrics": s.EMF.String(), "published": strings.Join(pub, "\n")})

			if goldens[name] {
				detail := normalize(first.Detail, ch, streamID, sample)
				golden.Check(t, filepath.Join("testdata", name+".golden.json"), detail)
			}
		})
	}
}

// checkEnriched checks one published envelope against the event it was made from and returns
// its detail.
func checkEnriched(t testing.TB, env events.EventBridgeEvent, ev *ivsevent.Event, arn, streamID string, enriches bool) session.Enriched {
	t.Helper()
	if env.Source != suite.EventSource || env.DetailType != suite.DetailTypeSessionEnriched {
		t.Errorf("published source %q detail-type %q, want %q %q", env.Source, env.DetailType, suite.EventSource, suite.DetailTypeSessionEnriched)
	}
	wantResources := []string{}
	if arn != "" {
		wantResources = []string{arn}
	}
	if strings.Join(env.Resources, ",") != strings.Join(wantResources, ",") {
		t.Errorf("published resources %q, want %q", env.Resources, wantResources)
	}
	var got session.Enriched
	dec := json.NewDecoder(bytes.NewReader(env.Detail))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("detail is not a session.Enriched: %v\n%s", err, env.Detail)
	}
	if want := session.TriggerOf(ev); got.Trigger != want {
		t.Errorf("trigger = %+v, want %+v", got.Trigger, want)
	}
	if ev.AccountLevel() {
		return got
	}
	r := got.Record
	if err := r.Validate(); err != nil {
		t.Errorf("record.Validate() = %v", err)
	}
	if r.ChannelARN != arn || r.StreamID != streamID {
		t.Errorf("record is for %s %s, want %s %s", r.ChannelARN, r.StreamID, arn, streamID)
	}
	if r.Enriched != enriches || r.EnrichmentNote != "" {
		t.Errorf("record enriched=%v note=%q, want enriched=%v without a note", r.Enriched, r.EnrichmentNote, enriches)
	}
	if enriches && (r.VideoTrackCount == 0 || r.StartTime.IsZero()) {
		t.Errorf("record has %d video tracks and start time %v: GetStreamSession did not contribute", r.VideoTrackCount, r.StartTime)
	}
	if !containsEvent(r.Events, ev) {
		t.Errorf("record events %+v lack the trigger %s %s", r.Events, ev.DetailType, ev.Name())
	}
	want, known := wantAction[ev.Code()]
	if !known {
		want = multitrack.ActionNone // an unknown code: no rule
	}
	if got.Decision.Action != want {
		t.Errorf("decision = %+v, want action %s", got.Decision, want)
	}
	if (want != multitrack.ActionNone) != (r.Correction != nil) {
		t.Errorf("record correction = %+v for action %s", r.Correction, want)
	} else if r.Correction != nil {
		// An apply waits for the corrector; any other action is final at enrich.
		wantOutcome := session.CorrectionUnchanged
		if want == multitrack.ActionApply {
			wantOutcome = session.CorrectionDecided
		}
		if r.Correction.Outcome != wantOutcome || r.Correction.Decision.Action != want {
			t.Errorf("record correction = %+v, want the decision, outcome %s", r.Correction, wantOutcome)
		}
	}
	return got
}

func containsEvent(evs []session.Event, ev *ivsevent.Event) bool {
	for _, e := range evs {
		if e.DetailType == ev.DetailType && e.Name == ev.Name() && e.Code == ev.Code() && e.Time.Equal(ev.Time) {
			return true
		}
	}
	return false
}

// normalize puts the sample's channel and stream back in place of the local ones (random IDs)
// and indents the detail, for a stable golden file.
func normalize(detail []byte, ch awstest.Channel, streamID string, sample []byte) []byte {
	ev, _ := ivsevent.Parse(sample)
	out := bytes.ReplaceAll(detail, []byte(ch.ARN), []byte(ev.Channel.String()))
	out = bytes.ReplaceAll(out, []byte(ch.ID), []byte(ev.Channel.ID))
	out = bytes.ReplaceAll(out, []byte(streamID), []byte(ev.StreamID()))
	var buf bytes.Buffer
	_ = json.Indent(&buf, out, "", "  ")
	buf.WriteByte('\n')
	return buf.Bytes()
}

// TestAdChannel enriches a multitrack refusal on a channel that has an ad configuration: the
// record's channel names it, the decision is manual for ad insertion (never routed to the
// corrector, sent to a person), and the published detail is pinned in a golden file.
func TestAdChannel(t *testing.T) {
	const name = "session-ended-multitrack-input-not-allowed"
	sample := awstest.LoadEvent(t, name)
	ev, err := ivsevent.Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t)
	ad := s.CreateAdConfiguration(t, "midrolls")
	ch := s.createChannel(t, &ivs.CreateChannelInput{ContainerFormat: types.ContainerFormatTs, AdConfigurationArn: aws.String(ad)})
	s.clock.Set(ev.Time)
	res := s.connect(t, ch, ivstest.Ladder(3))
	if res.Code != ivsevent.CodeMultitrackInputNotAllowed {
		t.Fatalf("local IVS answered %+v, want a refusal", res)
	}
	body := retarget(t, sample, ch.ARN, res.StreamID)
	if _, err := s.p.Process(context.Background(), body); err != nil {
		t.Fatalf("Process: %v", err)
	}
	pub := s.publishedEvents(t)
	if len(pub) != 1 {
		t.Fatalf("published %d events, want 1", len(pub))
	}
	env := decodeEnvelope(t, pub[0])
	var got session.Enriched
	dec := json.NewDecoder(bytes.NewReader(env.Detail))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("detail is not a session.Enriched: %v\n%s", err, env.Detail)
	}
	if c := got.Record.Correction; c == nil || c.Outcome != session.CorrectionUnchanged || c.Decision.Conflict != multitrack.ConflictAdInsertion {
		t.Errorf("record correction %+v, want the manual decision, final at enrich (unchanged)", c)
	}
	if c := got.Record.Channel; c == nil || c.AdConfigurationARN != ad {
		t.Errorf("record channel %+v, want adConfigurationArn %s", c, ad)
	}
	d := got.Decision
	if d.Action != multitrack.ActionManual || d.Conflict != multitrack.ConflictAdInsertion || !strings.Contains(d.Reason, ad) {
		t.Errorf("decision %+v, want manual for ad insertion, naming %s", d, ad)
	}
	for pattern, want := range map[string]bool{suite.CorrectionsNeeded.JSON(): false, suite.ChannelsForAPerson.JSON(): true} {
		ok, err := eventpattern.MustCompile(pattern).Match([]byte(pub[0]))
		if err != nil || ok != want {
			t.Errorf("pattern %s matched %v (%v), want %v", pattern, ok, err, want)
		}
	}
	if n := s.IVS.Stats()[ivstest.OpUpdateChannel].Calls; n != 0 {
		t.Errorf("UpdateChannel called %d times, want never", n)
	}
	detail := normalize(env.Detail, ch, res.StreamID, sample)
	detail = bytes.ReplaceAll(detail, []byte(ad[strings.LastIndex(ad, "/")+1:]), []byte("adCDef56ghIJ"))
	golden.Check(t, filepath.Join("testdata", name+"-ad-channel.golden.json"), detail)
}

// TestInvalidEventsInBatch checks that malformed and unknown events are rejected (counted,
// acknowledged) and never fail the good records beside them.
func TestInvalidEventsInBatch(t *testing.T) {
	s := newStack(t)
	ch := s.createChannel(t, nil)
	s.clock.Set(time.Date(2026, 11, 3, 17, 30, 0, 0, time.UTC))
	res := s.connect(t, ch, ivstest.Ladder(1))
	good := retarget(t, awstest.LoadEvent(t, "stream-start"), ch.ARN, res.StreamID)

	files, err := filepath.Glob("../../events/invalid/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("want the invalid samples, got %v (%v)", files, err)
	}
	bodies := [][]byte{good}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	bodies = append(bodies, good)
	if failed := s.processSQS(t, 1, bodies...); len(failed) != 0 {
		t.Errorf("failed %v, want none: invalid events are rejected, not retried", failed)
	}
	if pub := s.publishedEvents(t); len(pub) != 2 {
		t.Errorf("published %d events, want the 2 valid neighbours", len(pub))
	}
	// Rejected at the border, before any IVS call: a channel name past IVS's 128 characters, a
	// duplicate key, a negative limit... never cost a GetStreamSession (issue 10).
	if calls := s.IVS.Stats()[ivstest.OpGetStreamSession].Calls; calls != 2 {
		t.Errorf("GetStreamSession called %d times, want 2 (the valid neighbours only)", calls)
	}
	if n := s.Metric(t, suite.MetricRejected, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionEnrich}); n != float64(len(files)) {
		t.Errorf("metric %s = %v, want %d", suite.MetricRejected, n, len(files))
	}
	if n := strings.Count(s.Logs.String(), `"msg":"rejected: retrying cannot fix this"`); n != len(files) {
		t.Errorf("logged %d rejections, want %d", n, len(files))
	}
}

// TestOutOfBoundsEventsKept: an event whose display field broke its bound (events/
// out-of-bounds/: a channel name IVS would not allow, escape sequences, a null limit value, a
// second resource...) is published, never rejected; the field is noted in the record's event
// and counted, and no control character reaches the published record.
func TestOutOfBoundsEventsKept(t *testing.T) {
	s := newStack(t)
	ch := s.createChannel(t, nil)
	s.clock.Set(time.Date(2026, 11, 3, 17, 30, 0, 0, time.UTC))
	res := s.connect(t, ch, ivstest.Ladder(1))
	// Ended after every sample's time: a Session Ended finds its end time.
	s.clock.Set(time.Date(2026, 11, 3, 19, 10, 0, 0, time.UTC))
	if err := s.IVS.Disconnect(context.Background(), ch.ARN); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../events/out-of-bounds/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("want the out-of-bounds samples, got %v (%v)", files, err)
	}
	var bodies [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, retarget(t, b, ch.ARN, res.StreamID))
	}
	if failed := s.processSQS(t, 1, bodies...); len(failed) != 0 {
		t.Errorf("failed %v, want none", failed)
	}
	pub := s.publishedEvents(t)
	if len(pub) != len(files) {
		t.Fatalf("published %d events, want all %d", len(pub), len(files))
	}
	for _, p := range pub {
		detail := decodeEnvelope(t, p).Detail
		if hasControl(detail) {
			t.Errorf("published a control character: %s", detail)
		}
		e := decodeDetail(t, p)
		noted := slices.ContainsFunc(e.Record.Events, func(ev session.Event) bool { return strings.Contains(ev.Note, "out of bounds") })
		if !noted {
			t.Errorf("the record of %s does not note the field out of bounds: %+v", e.Trigger.Name, e.Record.Events)
		}
	}
	if n := s.Metric(t, suite.MetricRejected, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionEnrich}); n != 0 {
		t.Errorf("%s = %v, want 0", suite.MetricRejected, n)
	}
	if n := s.Metric(t, suite.MetricOutOfBounds, metrics.Dim{Name: suite.DimensionField, Value: "detail.channel_name"}); n != 2 {
		t.Errorf("%s{Field=detail.channel_name} = %v, want 2", suite.MetricOutOfBounds, n)
	}
}

// endedSession sets up a channel whose single-track session ended at the sample's time, and
// returns the sample retargeted at it.
func endedSession(t testing.TB, s *stack, sample string) (awstest.Channel, string, []byte) {
	t.Helper()
	ev, err := ivsevent.Parse(awstest.LoadEvent(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	ch, streamID := s.scenarioFor(t, ev)
	return ch, streamID, retarget(t, awstest.LoadEvent(t, sample), ch.ARN, streamID)
}

// TestThrottling checks IVS throttling: retried by the SDK and then published, or a batch item
// failure when it outlasts the retries; either way the throttles are counted.
func TestThrottling(t *testing.T) {
	tests := map[string]struct {
		throttles   int
		maxAttempts int
		wantFailed  bool
		wantMetric  float64
	}{
		"retried then published": {throttles: 2, maxAttempts: 6, wantMetric: 2},
		"outlasts the retries":   {throttles: 100, maxAttempts: 3, wantFailed: true, wantMetric: 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, withPacer(ivsquota.NewPacer(0), tc.maxAttempts))
			_, _, body := endedSession(t, s, "session-ended")
			if err := s.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpGetStreamSession, Error: ivstest.CodeThrottling, Count: tc.throttles}); err != nil {
				t.Fatal(err)
			}
			failed := s.processSQS(t, 1, body)
			if got := len(failed) == 1; got != tc.wantFailed {
				t.Errorf("failed %v, want failure %v", failed, tc.wantFailed)
			}
			wantPublished := 1
			if tc.wantFailed {
				wantPublished = 0
			}
			if pub := s.publishedEvents(t); len(pub) != wantPublished {
				t.Errorf("published %d events, want %d", len(pub), wantPublished)
			}
			if n := s.Metric(t, suite.MetricIVSThrottles, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionEnrich}); n != tc.wantMetric {
				t.Errorf("metric %s = %v, want %v", suite.MetricIVSThrottles, n, tc.wantMetric)
			}
		})
	}
}

// TestServerErrors checks that an IVS 5xx is a batch item failure and a bare event's error.
func TestServerErrors(t *testing.T) {
	for _, code := range []string{ivstest.CodeInternalServer, ivstest.CodeServiceUnavailable, ivstest.CodeAccessDenied} {
		t.Run(code, func(t *testing.T) {
			s := newStack(t)
			_, _, body := endedSession(t, s, "session-ended")
			if err := s.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpGetStreamSession, Error: code, Count: 2}); err != nil {
				t.Fatal(err)
			}
			if failed := s.processSQS(t, 1, body); len(failed) != 1 {
				t.Errorf("failed %v, want the message", failed)
			}
			if _, err := s.p.Process(context.Background(), body); !retryable.Is(err) {
				t.Errorf("bare event: error %v, want a transient error", err)
			}
			if pub := s.publishedEvents(t); len(pub) != 0 {
				t.Errorf("published %d events, want none", len(pub))
			}
			// The fault is spent: the next delivery goes through.
			if failed := s.processSQS(t, 2, body); len(failed) != 0 {
				t.Errorf("redelivery failed %v", failed)
			}
			if pub := s.publishedEvents(t); len(pub) != 1 {
				t.Errorf("published %d events after redelivery, want 1", len(pub))
			}
		})
	}
}

// routes reports whether the enriched detail e, as the suite publishes it, matches pattern.
func routes(t *testing.T, pattern ivsevent.Pattern, e session.Enriched) bool {
	t.Helper()
	entry, _, err := suiteevent.EnrichedEntry(testBus, e)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := eventpattern.Match([]byte(pattern.JSON()), awstest.Delivered(t, "e", time.Now(), entry))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestSessionNotVisible checks a session GetStreamSession does not show: retried until
// ENRICH_MAX_ATTEMPTS deliveries, then published from the event alone, not enriched, and its
// refusal still goes to the corrector (apply, no change: the corrector reads the channel).
func TestSessionNotVisible(t *testing.T) {
	s := newStack(t)
	ch := s.createChannel(t, nil)
	const unknownStream = "st-0000000000000000000000A"
	body := retarget(t, awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed"), ch.ARN, unknownStream)
	for n := 1; n < s.h.Cfg.MaxAttempts; n++ {
		if failed := s.processSQS(t, n, body); len(failed) != 1 {
			t.Fatalf("delivery %d: failed %v, want the message (retry later)", n, failed)
		}
	}
	if pub := s.publishedEvents(t); len(pub) != 0 {
		t.Fatalf("published %d events before the last attempt, want none", len(pub))
	}
	if failed := s.processSQS(t, s.h.Cfg.MaxAttempts, body); len(failed) != 0 {
		t.Fatalf("last delivery failed %v, want it published", failed)
	}
	got := s.onePublished(t)
	r := got.Record
	// The record keeps what IVS confirms (no code: IVS shows no such session); the event's
	// claimed refusal is kept beside it, marked unconfirmed (issue 22, item 3).
	claimed := slices.ContainsFunc(r.Events, func(e session.Event) bool {
		return e.Code == ivsevent.CodeMultitrackInputNotAllowed && strings.Contains(e.Unconfirmed, "does not show")
	})
	if r.Enriched || !strings.Contains(r.EnrichmentNote, "ResourceNotFoundException") || r.StreamID != unknownStream || r.Code != "" || !claimed {
		t.Errorf("record = enriched %v, note %q, stream %s, code %q, events %+v; want not enriched, a ResourceNotFoundException note, the event's stream, no code and the claim marked unconfirmed",
			r.Enriched, r.EnrichmentNote, r.StreamID, r.Code, r.Events)
	}
	// IVS does not confirm the refusal: a decision that says so, archived, and no change.
	if d := got.Decision; d.Action != multitrack.ActionUnverified || d.Change != nil || d.Code != ivsevent.CodeMultitrackInputNotAllowed ||
		!strings.Contains(d.Reason, "does not show the stream session") {
		t.Errorf("decision %+v: want unverified, with no change and the reason", d)
	}
	if c := r.Correction; c == nil || c.Outcome != session.CorrectionUnchanged || c.Decision.Action != multitrack.ActionUnverified {
		t.Errorf("record correction = %+v, want the unverified decision, unchanged", c)
	}
	if routes(t, suite.CorrectionsNeeded, got) {
		t.Error("the enriched event matches the CorrectionsNeeded rule: an unconfirmed refusal would change the channel")
	}
	if err := r.Validate(); err != nil {
		t.Errorf("record.Validate() = %v", err)
	}
	if n := s.Metric(t, suite.MetricEnrichments, metrics.Dim{Name: "Enriched", Value: "false"}); n != 1 {
		t.Errorf("metric %s{Enriched=false} = %v, want 1", suite.MetricEnrichments, n)
	}
}

// TestNoEndTimeYet checks a Session Ended whose session GetStreamSession still shows live:
// retried until ENRICH_MAX_ATTEMPTS deliveries, then published with what GetStreamSession knew.
func TestNoEndTimeYet(t *testing.T) {
	s := newStack(t)
	ch := s.createChannel(t, nil)
	s.clock.Set(time.Date(2026, 11, 3, 18, 50, 0, 0, time.UTC))
	res := s.connect(t, ch, ivstest.Ladder(1)) // live: no endTime
	body := retarget(t, awstest.LoadEvent(t, "session-ended"), ch.ARN, res.StreamID)
	for n := 1; n < s.h.Cfg.MaxAttempts; n++ {
		if failed := s.processSQS(t, n, body); len(failed) != 1 {
			t.Fatalf("delivery %d: failed %v, want the message (retry later)", n, failed)
		}
	}
	if failed := s.processSQS(t, s.h.Cfg.MaxAttempts, body); len(failed) != 0 {
		t.Fatalf("last delivery failed %v", failed)
	}
	got := s.onePublished(t)
	r := got.Record
	if !r.Enriched || !strings.Contains(r.EnrichmentNote, "no endTime") || r.Outcome != session.OutcomeEnded || r.VideoTrackCount != 1 {
		t.Errorf("record = enriched %v, note %q, outcome %s, %d tracks; want enriched, a note, ended, 1 track", r.Enriched, r.EnrichmentNote, r.Outcome, r.VideoTrackCount)
	}
}

// TestValidationException checks that a permanent IVS error publishes the event's record with
// the error as its note.
func TestValidationException(t *testing.T) {
	s := newStack(t)
	_, _, body := endedSession(t, s, "session-ended")
	if err := s.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpGetStreamSession, Error: ivstest.CodeValidation, Message: "streamId is invalid", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if failed := s.processSQS(t, 1, body); len(failed) != 0 {
		t.Fatalf("failed %v, want published", failed)
	}
	got := s.onePublished(t)
	if want := "GetStreamSession: ValidationException: streamId is invalid"; got.Record.Enriched || got.Record.EnrichmentNote != want {
		t.Errorf("record enriched %v note %q, want not enriched, note %q", got.Record.Enriched, got.Record.EnrichmentNote, want)
	}
}

// TestPublishFailures checks that every failure to publish is a batch item failure.
func TestPublishFailures(t *testing.T) {
	unavailable := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-ErrorType", "InternalException")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"InternalException","message":"try again"}`))
		})
	}
	tests := map[string][]stackOption{
		"bus 500":     {withBusWrap(unavailable)},
		"unknown bus": {withConfig(func(c *Config) { c.EventBusName = "no-such-bus" })},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, opts...)
			_, _, body := endedSession(t, s, "session-ended")
			if failed := s.processSQS(t, 1, body); len(failed) != 1 {
				t.Errorf("failed %v, want the message", failed)
			}
		})
	}
	t.Run("entry refused", func(t *testing.T) {
		s := newStack(t)
		_, _, body := endedSession(t, s, "session-ended")
		s.h.Bus = refusingBus{}
		if failed := s.processSQS(t, 1, body); len(failed) != 1 {
			t.Errorf("failed %v, want the message", failed)
		}
	})
}

// refusingBus answers PutEvents with every entry failed.
type refusingBus struct{}

func (refusingBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{FailedEntryCount: int32(len(in.Entries))}
	for range in.Entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again")})
	}
	return out, nil
}

// TestTrimmed checks that a session with more events than fit an EventBridge entry is
// published with its oldest events dropped and counted.
func TestTrimmed(t *testing.T) {
	s := newStack(t)
	ch := s.createChannel(t, nil)
	start := time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)
	ss := &types.StreamSession{
		StreamId:  aws.String("st-1A2b3c4D5e6F78ghij9Klmn"),
		StartTime: aws.Time(start),
		EndTime:   aws.Time(start.Add(time.Hour)),
		Channel:   &types.Channel{Arn: aws.String(ch.ARN), Name: aws.String("studio-a"), Type: types.ChannelTypeStandardChannelType},
		IngestConfigurations: &types.IngestConfigurations{
			VideoConfigurations: []types.VideoConfiguration{{Track: aws.String("Track0"), VideoWidth: 1920, VideoHeight: 1080}},
		},
	}
	long := strings.Repeat("x", 600) // codes are free strings: a future one could be this long
	for i := range session.MaxTruncatedEvents {
		ss.TruncatedEvents = append(ss.TruncatedEvents, types.StreamEvent{
			Name: aws.String("Starvation Start"), Type: aws.String(ivsevent.DetailTypeStreamHealthChange),
			Code: aws.String(long), EventTime: aws.Time(start.Add(time.Duration(i) * time.Second)),
		})
	}
	s.h.IVS = fakeGetter(func(context.Context, *ivs.GetStreamSessionInput) (*types.StreamSession, error) { return ss, nil })
	body := retarget(t, awstest.LoadEvent(t, "session-ended"), ch.ARN, "")
	if failed := s.processSQS(t, 1, body); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	got := s.onePublished(t) // the local bus refuses entries above 256 KB
	r := got.Record
	if r.EventsDropped == 0 || !r.EventsTruncated {
		t.Errorf("eventsDropped %d, eventsTruncated %v: want events dropped and the truncation flagged", r.EventsDropped, r.EventsTruncated)
	}
	if total := len(r.Events) + r.EventsDropped; total != session.MaxTruncatedEvents+1 {
		t.Errorf("kept %d + dropped %d = %d events, want %d", len(r.Events), r.EventsDropped, total, session.MaxTruncatedEvents+1)
	}
	if !strings.Contains(s.Logs.String(), "trimmed") {
		t.Error("the trimming is not logged")
	}
}

// TestCorrectionConfig checks that the configured mode and opt-out tag reach the decision.
func TestCorrectionConfig(t *testing.T) {
	tests := map[string]struct {
		mode     multitrack.Mode
		tags     map[string]string
		want     multitrack.Action
		wantDry  bool
		wantNote string
	}{
		"apply":   {mode: multitrack.ModeApply, want: multitrack.ActionApply},
		"dry-run": {mode: multitrack.ModeDryRun, want: multitrack.ActionApply, wantDry: true},
		"off":     {mode: multitrack.ModeOff, want: multitrack.ActionSkipped},
		"opt-out": {mode: multitrack.ModeApply, tags: map[string]string{suite.DefaultOptOutTag: "yes"}, want: multitrack.ActionSkipped},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, withConfig(func(c *Config) { c.Correction.Mode = tc.mode }))
			sample := awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed")
			ev, _ := ivsevent.Parse(sample)
			ch := s.createChannel(t, &ivs.CreateChannelInput{Tags: tc.tags})
			s.clock.Set(ev.Time)
			res := s.connect(t, ch, ivstest.Ladder(2))
			if failed := s.processSQS(t, 1, retarget(t, sample, ch.ARN, res.StreamID)); len(failed) != 0 {
				t.Fatalf("failed %v", failed)
			}
			got := s.onePublished(t)
			if got.Decision.Action != tc.want || got.Decision.DryRun != tc.wantDry {
				t.Errorf("decision = %+v, want action %s dry-run %v", got.Decision, tc.want, tc.wantDry)
			}
			if got.Record.Correction == nil || got.Record.Correction.Decision.Action != tc.want {
				t.Errorf("record correction = %+v, want the decision", got.Record.Correction)
			}
		})
	}
}

// TestCancelled checks that an invocation cut short leaves the message for redelivery.
func TestCancelled(t *testing.T) {
	s := newStack(t)
	_, _, body := endedSession(t, s, "session-ended")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Through the processor, as Lambda calls it: the message must be left for redelivery.
	out, err := s.p.Process(ctx, awstest.SQSEvent(t, awstest.SQSMessage(suite.FunctionEnrich, "m", body, 1, time.Time{})))
	if err != nil {
		t.Fatal(err)
	}
	if failed := out.(events.SQSEventResponse).BatchItemFailures; len(failed) != 1 {
		t.Errorf("failures with a cancelled context = %v, want the message", failed)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := map[string]struct {
		env       map[string]string
		want      Config
		wantField string
	}{
		"defaults": {
			env: map[string]string{suite.EnvEventBusName: "bus"},
			want: Config{EventBusName: "bus", MaxAttempts: suite.DefaultEnrichMaxAttempts, Correction: multitrack.Config{
				Mode: multitrack.ModeApply, AllowContainerFormatChange: true, OptOutTag: suite.DefaultOptOutTag},
				LivePhase: true, CallsPerSecond: suite.InstanceRate(suite.FunctionEnrich, suite.DefaultIVSQuotaShare)},
		},
		"all set": {
			env: map[string]string{suite.EnvEventBusName: "bus", suite.EnvEnrichMaxAttempts: "7", suite.EnvCorrectionMode: "dry-run",
				suite.EnvDefaultMaximumResolution: "HD", suite.EnvAllowTypeChange: "true", suite.EnvAllowContainerFormatChange: "false", suite.EnvOptOutTag: "keep",
				suite.EnvEnrichLivePhase: "false", suite.EnvArchiveBucket: "archive", suite.EnvIVSCallsPerSecond: "0.5"},
			want: Config{EventBusName: "bus", MaxAttempts: 7, Correction: multitrack.Config{Mode: multitrack.ModeDryRun,
				DefaultMaximumResolution: types.MultitrackMaximumResolutionHd, AllowTypeChange: true, OptOutTag: "keep"},
				ArchiveBucket: "archive", CallsPerSecond: 0.5},
		},
		"no bus":       {env: map[string]string{}, wantField: suite.EnvEventBusName},
		"bad attempts": {env: map[string]string{suite.EnvEventBusName: "bus", suite.EnvEnrichMaxAttempts: "0"}, wantField: suite.EnvEnrichMaxAttempts},
		"bad mode":     {env: map[string]string{suite.EnvEventBusName: "bus", suite.EnvCorrectionMode: "yes"}, wantField: suite.EnvCorrectionMode},
		"bad live":     {env: map[string]string{suite.EnvEventBusName: "bus", suite.EnvEnrichLivePhase: "sometimes"}, wantField: suite.EnvEnrichLivePhase},
		"bad rate":     {env: map[string]string{suite.EnvEventBusName: "bus", suite.EnvIVSCallsPerSecond: "6"}, wantField: suite.EnvIVSCallsPerSecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.wantField != "" {
				var fe *invalid.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.wantField {
					t.Fatalf("LoadConfig error = %v, want a FieldError for %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("LoadConfig = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 6: 15 * time.Minute, 50: 15 * time.Minute} {
		if got := retryDelay(n); got != want {
			t.Errorf("retryDelay(%d) = %v, want %v", n, got, want)
		}
	}
}

// BenchmarkHandle measures one message (GetStreamSession, decision, PutEvents) through the
// handler against the local IVS and bus, over loopback HTTP with the real SDK clients.
func BenchmarkHandle(b *testing.B) {
	s := newStack(b)
	_, _, body := endedSession(b, s, "session-ended-multitrack-input-not-allowed")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.h.Handle(ctx, batch.Message{ID: "m", Body: body, ReceiveCount: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNeverLatestSession checks that a late event is enriched with its own session, not with
// the channel's latest one.
func TestNeverLatestSession(t *testing.T) {
	s := newStack(t)
	ch, streamID, body := endedSession(t, s, "session-ended") // ended at 19:00:01
	s.clock.Set(time.Date(2026, 11, 3, 19, 30, 0, 0, time.UTC))
	newer := s.connect(t, ch, ivstest.Ladder(2)) // the channel's latest session, another stream
	if newer.StreamID == streamID {
		t.Fatal("the local IVS reused a stream ID")
	}
	if failed := s.processSQS(t, 1, body); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	pub := s.publishedEvents(t)
	if len(pub) != 1 {
		t.Fatalf("published %d events, want 1", len(pub))
	}
	ev, _ := ivsevent.Parse(body)
	got := checkEnriched(t, decodeEnvelope(t, pub[0]), ev, ch.ARN, streamID, true)
	if got.Record.EndTime.IsZero() || got.Record.VideoTrackCount != 1 {
		t.Errorf("record end %v with %d tracks: want the event's ended single-track session", got.Record.EndTime, got.Record.VideoTrackCount)
	}
}
