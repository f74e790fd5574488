package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// e2eBuild is the one build of the bootstraps and the emulator of a test binary: every run of
// TestEndToEnd (go test -count=10) plays on the same executables, into a directory TestMain
// removes.
var e2eBuild struct {
	once  sync.Once
	dir   string
	art   engine.Artifacts
	steps []engine.BuildStep
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if e2eBuild.dir != "" {
		_ = os.RemoveAll(e2eBuild.dir)
	}
	os.Exit(code)
}

// buildOnce builds the bootstraps and the emulator the first time it is called, with the
// progress engine.BuildWithProgress reported, and returns that build every time.
func buildOnce(ctx context.Context) (engine.Artifacts, []engine.BuildStep, error) {
	b := &e2eBuild
	b.once.Do(func() {
		root, err := engine.ModuleRoot(".")
		if err != nil {
			b.err = err
			return
		}
		if b.dir, b.err = os.MkdirTemp("", "ivs-sessions-e2e-"); b.err != nil {
			return
		}
		var mu sync.Mutex
		b.art, b.err = engine.BuildWithProgress(ctx, root, filepath.Join(b.dir, "bin"), func(s engine.BuildStep) {
			mu.Lock()
			b.steps = append(b.steps, s)
			mu.Unlock()
		})
	})
	return b.art, b.steps, b.err
}

// TestEndToEnd builds the three functions for this host (once per test binary), runs them under the Lambda Runtime
// Interface Emulator behind the local EventBridge, SQS, S3 and IVS, plays scenarios 1 to 4 and
// 6, and checks what a user would: the archived records (every track, the refusal codes, the
// corrections), the channels' final configuration read with the real IVS SDK client, and the
// IVS calls the functions made, (scenario 7) that each record's per-track quality matches
// the series the simulator published, (scenario 9) that a channel with ads is left TS and a
// person told, and (scenario 10) that a fleet's one archive holds both regions, each correction
// made in its own region's (and account's) IVS. The stack runs the fleet layout scenario 10
// needs, as make local does. Then it checks that no process is left running.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("end-to-end: the Lambda Runtime Interface Emulator runs on Linux only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	began := time.Now()
	art, steps, err := buildOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Each executable is reported as it starts and when it is built, enrich first (alone).
	started, built := map[string]int{}, map[string]int{}
	for i, s := range steps {
		switch {
		case !s.Done:
			started[s.Target] = i + 1
		case s.Err == nil && started[s.Target] > 0:
			built[s.Target] = i + 1
		}
	}
	for _, target := range append(suite.AllFunctions(), engine.RIETarget) {
		if started[target] == 0 || built[target] <= started[target] {
			t.Errorf("build progress %+v: %s not reported started, then built", steps, target)
		}
	}
	if len(steps) != 2*(len(suite.AllFunctions())+1) || steps[0].Target != suite.Functions[0] || !steps[1].Done {
		t.Errorf("build progress %+v, want %s built alone first, then the others", steps, suite.Functions[0])
	}

	scenarios, err := engine.Select("1,2,3,4,6,7,8,9,10,11")
	if err != nil {
		t.Fatal(err)
	}
	var tl timeline
	stack, err := engine.Start(ctx, engine.Config{Dir: dir, Artifacts: art, Quota: ivstest.DefaultQuota, Observe: tl.add, Fleet: engine.FleetOf(scenarios)})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = stack.Close()
		}
		if t.Failed() {
			t.Logf("timeline:\n%s", tl.String(stack.Started()))
		}
	})

	results := map[string]engine.Result{}
	for _, sc := range scenarios {
		res, err := stack.Run(ctx, sc)
		if err != nil {
			t.Fatalf("%v", err)
		}
		for _, c := range res.Failed() {
			t.Errorf("%s: expectation %s: %s", sc.Name, c.Name, c.Detail)
		}
		results[sc.Name] = res
		t.Logf("%s: %s, %d records", sc.Name, res.End.Sub(res.Start).Round(time.Millisecond), len(res.Archive.Sessions))
	}

	// A person's client, as a user would make one: the account's credentials; the channel's ARN
	// says in which region (and account) to ask. The subtests read a dozen channels in a few
	// milliseconds, over the local IVS's 5 GetChannel calls a second in the home region: the
	// reads are paced to that quota and a throttle is retried, as the functions' own clients do.
	pacer := ivsquota.NewPacer(suite.IVSCallsPerSecond)
	channel := func(t *testing.T, res engine.Result, name string) types.Channel {
		t.Helper()
		arn, err := ivsevent.ParseChannelARN(res.Channels[name])
		if err != nil {
			t.Fatal(err)
		}
		client := ivs.New(ivs.Options{
			Region:       arn.Region,
			BaseEndpoint: aws.String(stack.Endpoints().IVS),
			Credentials:  stack.CredentialsFor(arn.Account),
			HTTPClient:   sdkhttp.New(),
		}, pacer.ScopedOptions(arn.Account+"/"+arn.Region, 0))
		out, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(res.Channels[name])})
		if err != nil {
			t.Fatalf("GetChannel %s: %v", name, err)
		}
		return *out.Channel
	}

	t.Run("multitrack-not-allowed", func(t *testing.T) {
		res := results["multitrack-not-allowed"]
		refused := findRecord(t, res, session.OutcomeRefused)
		if refused.Code != ivsevent.CodeMultitrackInputNotAllowed {
			t.Errorf("refused record code = %q, want %s", refused.Code, ivsevent.CodeMultitrackInputNotAllowed)
		}
		live := findRecord(t, res, session.OutcomeEnded)
		checkTracks(t, live, ivstest.Ladder(5), 1)
		checkTracks(t, refused, ivstest.Ladder(5), -1)
		if c := refused.Correction; c == nil || c.Decision.Action != multitrack.ActionApply || c.Outcome != session.CorrectionApplied {
			t.Errorf("refused record's correction = %+v, want apply, applied", c)
		}
		corr := onlyCorrection(t, res)
		if corr.Correction.Outcome != session.CorrectionApplied || corr.StreamID != refused.StreamID {
			t.Errorf("correction = %s for %s, want applied for %s", corr.Correction.Outcome, corr.StreamID, refused.StreamID)
		}
		if corr.Before == nil || corr.After == nil || corr.After.MultitrackInputConfiguration == nil || !corr.After.MultitrackInputConfiguration.Enabled {
			t.Errorf("correction before/after = %+v / %+v, want multitrack enabled after", corr.Before, corr.After)
		}
		ch := channel(t, res, "s1-studio")
		checkMultitrack(t, ch, types.ContainerFormatFragmentedMP4, true, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
		checkUpdates(t, res, 1)
	})

	t.Run("require-to-allow", func(t *testing.T) {
		res := results["require-to-allow"]
		refused := findRecord(t, res, session.OutcomeRefused)
		if refused.Code != ivsevent.CodeMultitrackInputRequired {
			t.Errorf("refused record code = %q, want %s", refused.Code, ivsevent.CodeMultitrackInputRequired)
		}
		checkTracks(t, findRecord(t, res, session.OutcomeEnded), ivstest.Ladder(1), 1)
		if onlyCorrection(t, res).Correction.Outcome != session.CorrectionApplied {
			t.Error("the correction was not applied")
		}
		// Only the policy moves; the maximum resolution and the container format stay.
		ch := channel(t, res, "s2-studio")
		checkMultitrack(t, ch, types.ContainerFormatFragmentedMP4, true, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionHd)
		checkUpdates(t, res, 1)
	})

	t.Run("basic-manual", func(t *testing.T) {
		res := results["basic-manual"]
		refused := findRecord(t, res, session.OutcomeRefused)
		c := refused.Correction
		if c == nil || c.Decision.Action != multitrack.ActionManual || !strings.Contains(c.Decision.Reason, "BASIC") {
			t.Errorf("correction = %+v, want manual with a reason naming BASIC", c)
		}
		if n := len(res.Archive.Corrections); n != 0 {
			t.Errorf("%d corrections archived, want none", n)
		}
		ch := channel(t, res, "s3-basic")
		if ch.Type != types.ChannelTypeBasicChannelType {
			t.Errorf("channel type = %s, want BASIC (unchanged)", ch.Type)
		}
		if m := ch.MultitrackInputConfiguration; m != nil && m.Enabled {
			t.Errorf("multitrack enabled on the BASIC channel: %+v", m)
		}
		checkUpdates(t, res, 0)
		if n := res.Counters.FunctionCalls()[ivstest.OpGetChannel].Calls; n != 0 {
			t.Errorf("the functions called GetChannel %d times, want 0 (nothing to correct)", n)
		}
	})

	t.Run("wait-while-live", func(t *testing.T) {
		res := results["wait-while-live"]
		if res.Counters.Deferred < 1 {
			t.Errorf("the correction was deferred %d times, want at least once", res.Counters.Deferred)
		}
		checkUpdates(t, res, 1)
		corr := onlyCorrection(t, res)
		ended := findRecord(t, res, session.OutcomeEnded) // the single-track stream that kept the channel live
		if corr.Correction.Outcome != session.CorrectionApplied {
			t.Fatalf("correction outcome = %s, want applied", corr.Correction.Outcome)
		}
		if ended.EndTime.IsZero() || corr.Correction.At.Before(ended.EndTime) {
			t.Errorf("correction applied at %s, before the live stream ended at %s", corr.Correction.At, ended.EndTime)
		}
		checkMultitrack(t, channel(t, res, "s4-studio"), types.ContainerFormatFragmentedMP4, true, types.MultitrackPolicyAllow, "")
	})

	t.Run("malformed-event", func(t *testing.T) {
		res := results["malformed-event"]
		if n := res.Counters.Metric(suite.MetricRejected, suite.DimensionFunction+"="+suite.FunctionEnrich); n != 2 {
			t.Errorf("enrich rejected %v events, want 2", n)
		}
		if res.Counters.DeadLetters != 0 || res.Counters.BatchErrors != 0 {
			t.Errorf("dead letters %d, failed invocations %d, want none", res.Counters.DeadLetters, res.Counters.BatchErrors)
		}
		checkTracks(t, findRecord(t, res, session.OutcomeEnded), ivstest.Ladder(4), 1)
		if !tl.contains(suite.FunctionEnrich, "detail.stream_id") || !tl.contains(suite.FunctionEnrich, "detail.event_name") {
			t.Error("enrich did not log the fields at fault of the malformed events")
		}
	})

	t.Run("ingest-quality", func(t *testing.T) {
		checkQuality(t, stack, results["ingest-quality"])
	})

	// The sweep recovers every session whose events were lost: the live ones ended, the lost
	// ones archived with their tracks, each refusal corrected once.
	t.Run("lost-events", func(t *testing.T) {
		res := results["lost-events"]
		outcomes := map[session.Outcome]int{}
		for _, a := range res.Archive.Sessions {
			r := a.Record
			outcomes[r.Outcome]++
			if !r.Enriched || r.EndTime.IsZero() || r.VideoTrackCount == 0 {
				t.Errorf("record %s: enriched %v, end %v, %d video tracks; want the session's end and tracks", r.StreamID, r.Enriched, r.EndTime, r.VideoTrackCount)
			}
		}
		if outcomes[session.OutcomeEnded] != 7 || outcomes[session.OutcomeRefused] != 2 || outcomes[session.OutcomeLive] != 0 {
			t.Errorf("outcomes %v, want 7 ended, 2 refused, none live", outcomes)
		}
		checkUpdates(t, res, 2)
		if n := res.Counters.FunctionCalls()[ivstest.OpListStreams].Calls; n != 1 {
			t.Errorf("ListStreams called %d times, want 1 (the live sweep)", n)
		}
	})

	// A multitrack encoder on a channel with ads: the channel stays TS without multitrack, the
	// decision is manual for ad insertion, UpdateChannel is never called, and a person is told.
	t.Run("ads-multitrack", func(t *testing.T) {
		res := results["ads-multitrack"]
		refused := findRecord(t, res, session.OutcomeRefused)
		c := refused.Correction
		if c == nil || c.Decision.Action != multitrack.ActionManual || c.Decision.Conflict != multitrack.ConflictAdInsertion {
			t.Errorf("correction = %+v, want manual for ad insertion", c)
		}
		ch := channel(t, res, "s9-ads")
		if aws.ToString(ch.AdConfigurationArn) == "" || refused.Channel == nil || refused.Channel.AdConfigurationARN != aws.ToString(ch.AdConfigurationArn) {
			t.Errorf("channel ad configuration %q, record's %+v: want the same, set", aws.ToString(ch.AdConfigurationArn), refused.Channel)
		}
		if m := ch.MultitrackInputConfiguration; ch.ContainerFormat != types.ContainerFormatTs || (m != nil && m.Enabled) {
			t.Errorf("channel %s, multitrack %+v; want TS, multitrack off", ch.ContainerFormat, m)
		}
		checkUpdates(t, res, 0)
		if n := len(res.Archive.Corrections); n != 0 {
			t.Errorf("%d corrections archived, want none (never routed to the corrector)", n)
		}
		var told []string
		for _, p := range stack.Bus.Published(localbus.AlarmTopic) {
			if strings.Contains(p.Message, res.Channels["s9-ads"]) {
				told = append(told, p.Rule+": "+p.Message)
			}
		}
		if len(told) != 1 || !strings.Contains(told[0], "NotifyChannelForAPerson") || !strings.Contains(told[0], "ad configuration") ||
			!strings.Contains(told[0], refused.StreamID) {
			t.Errorf("notifications about the channel = %q, want one naming the session and the ad configuration", told)
		}
	})

	// Scenario 11: one archive, both regions; each refusal corrected by the IVS of its own
	// region and account (the member's through the role its template creates), the sessions
	// whose end EventBridge lost in eu-west-1 finished by the sweep of eu-west-1.
	t.Run("fleet", func(t *testing.T) {
		res := results["fleet"]
		byRegion := map[string]int{}
		for _, as := range res.Archive.Sessions {
			byRegion[as.Record.Region]++
			if !strings.Contains(as.Key, "/account="+as.Record.Account+"/region="+as.Record.Region+"/") {
				t.Errorf("record %s of %s/%s keyed %s", as.Record.StreamID, as.Record.Account, as.Record.Region, as.Key)
			}
		}
		if byRegion["us-west-2"] != 2 || byRegion["eu-west-1"] != 6 || len(byRegion) != 2 {
			t.Errorf("records by region %v, want us-west-2 2 and eu-west-1 6 in one archive", byRegion)
		}
		for name, want := range map[string]struct{ account, region string }{
			"f-oregon": {"123456789012", "us-west-2"}, "f-dublin": {"123456789012", "eu-west-1"}, "f-member": {"210987654321", "eu-west-1"},
		} {
			srv := stack.IVSAt(want.account, want.region)
			if n := srv.Stats()[ivstest.OpUpdateChannel].Calls; n < 1 {
				t.Errorf("%s: %s/%s's IVS answered %d UpdateChannel, want the correction made there", name, want.account, want.region, n)
			}
			ch := channel(t, res, name)
			if m := ch.MultitrackInputConfiguration; m == nil || !m.Enabled || m.Policy != types.MultitrackPolicyAllow {
				t.Errorf("%s: multitrack %+v, want enabled, ALLOW", name, m)
			}
		}
		// The member's channel was reached through its role, which only correct's (and the
		// other fleet functions') home role may assume.
		assumed := map[string]bool{}
		for _, c := range stack.STS.Calls() {
			if !c.Allowed {
				t.Errorf("AssumeRole refused: %+v", c)
			}
			assumed[c.RoleARN] = true
		}
		for _, fn := range []string{suite.FunctionEnrich, suite.FunctionCorrect} {
			if role := "arn:aws:iam::210987654321:role/" + suite.FleetRoleName(fn, "eu-west-1"); !assumed[role] {
				t.Errorf("%s never assumed %s (assumed %v)", fn, role, assumed)
			}
		}
		lost := 0
		for _, as := range res.Archive.Sessions {
			if strings.HasPrefix(stack.ChannelName(as.Record.ChannelARN), "f-lost") && as.Record.Outcome == session.OutcomeEnded {
				lost++
			}
		}
		if lost != 2 {
			t.Errorf("%d f-lost sessions ended in the archive, want 2 (finished by the sweep of eu-west-1)", lost)
		}
	})

	// The border: a replayed refusal older than correctionMaxAge and three forged messages on the
	// correct queue change no channel and tell nobody; the replay is still archived.
	t.Run("border", func(t *testing.T) {
		res := results["border"]
		refused := findRecord(t, res, session.OutcomeRefused)
		if refused.Code != ivsevent.CodeMultitrackInputNotAllowed || refused.Correction == nil || refused.Correction.Outcome != session.CorrectionDecided {
			t.Errorf("the replayed refusal's record: code %q, correction %+v; want it archived, decided and no more", refused.Code, refused.Correction)
		}
		checkUpdates(t, res, 0)
		if n := len(res.Archive.Corrections); n != 0 {
			t.Errorf("%d corrections archived, want none (the replay and the forgeries publish nothing)", n)
		}
		if n := res.Counters.FunctionCalls()[ivstest.OpGetStreamSession].Calls; n < 4 {
			t.Errorf("%d GetStreamSession calls, want enrich's for the replayed refusal and the corrector's for each forged message", n)
		}
		for _, p := range stack.Bus.Published(localbus.AlarmTopic) {
			if strings.Contains(p.Message, res.Channels["s10-studio"]) || strings.Contains(p.Message, res.Channels["s10-live"]) {
				t.Errorf("a person was told: %s: %s", p.Rule, p.Message)
			}
		}
	})

	for fn, n := range stack.Restarts() {
		t.Errorf("%s's emulator was restarted %d times", fn, n)
	}
	if running := processesUnder(e2eBuild.dir); len(running) == 0 {
		t.Error("no emulator or bootstrap found running before Close: the check for leftovers below cannot see them")
	}
	closed = true
	if err := stack.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if left := processesUnder(e2eBuild.dir); len(left) > 0 {
		t.Errorf("processes left running after Close: %v", left)
	}

	// make report on this archive says the same read directly and counted by the local Athena.
	t.Run("report", func(t *testing.T) {
		root, err := engine.ModuleRoot(".")
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, root, stack.S3.BucketDir(stack.Bucket))
	})
	t.Logf("end to end in %s", time.Since(began).Round(time.Millisecond))
}

// checkReport runs make report's command on the archive folder twice, -direct and -athena, as
// of the same time, and compares the figures (all of the JSON but how it was read).
func checkReport(t *testing.T, root, archive string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "report")
	// -race, as make test builds the report's own tests: the packages it links (DuckDB's cgo
	// bindings among them) come from the build cache then, and only the link is left.
	build := exec.CommandContext(ctx, "go", "build", "-race", "-o", bin, "./scripts/report")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the report: %v\n%s", err, out)
	}
	asOf := time.Now().UTC().Truncate(time.Second)
	reports := map[string]map[string]any{}
	for _, mode := range []string{"direct", "athena"} {
		cmd := exec.CommandContext(ctx, bin, "-dir", archive, "-"+mode, "-json", "-html", "", "-as-of", asOf.Format(time.RFC3339),
			"-from", asOf.AddDate(0, 0, -1).Format(time.DateOnly))
		cmd.Dir = root
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("report -%s: %v\n%s", mode, err, stderr.String())
		}
		var r map[string]any
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("report -%s: %v", mode, err)
		}
		read, _ := r["read"].(map[string]any)
		if read["mode"] != mode {
			t.Errorf("report -%s read in mode %v", mode, read["mode"])
		}
		delete(r, "read")
		reports[mode] = r
	}
	if !reflect.DeepEqual(reports["direct"], reports["athena"]) {
		d, _ := json.MarshalIndent(reports["direct"], "", " ")
		a, _ := json.MarshalIndent(reports["athena"], "", " ")
		t.Errorf("make report's figures differ\n-direct:\n%s\n-athena:\n%s", d, a)
	}
	overall, _ := reports["direct"]["overall"].(map[string]any)
	if n, _ := overall["sessions"].(float64); n < 10 {
		t.Errorf("the report counts %v sessions; want the scenarios'", overall["sessions"])
	}
	// The fleet scenario's regions and member account, each in the per-region breakdown.
	places := map[string]float64{}
	perRegion, _ := reports["direct"]["perRegion"].([]any)
	for _, g := range perRegion {
		g, _ := g.(map[string]any)
		n, _ := g["sessions"].(float64)
		places[fmt.Sprint(g["account"], "/", g["region"])] = n
	}
	for _, want := range []string{"123456789012/us-west-2", "123456789012/eu-west-1", "210987654321/eu-west-1"} {
		if places[want] == 0 {
			t.Errorf("the report's regions %v; want sessions of %s", places, want)
		}
	}
}

// findRecord returns the one archived record of the scenario with the outcome.
func findRecord(t *testing.T, res engine.Result, outcome session.Outcome) session.Record {
	t.Helper()
	var found []session.Record
	for _, as := range res.Archive.Sessions {
		if as.Record.Outcome == outcome {
			found = append(found, as.Record)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s records in the archive, want 1 (of %d)", len(found), outcome, len(res.Archive.Sessions))
	}
	return found[0]
}

// checkTracks checks that a record holds every video track of the ladder, in order, and
// audio audio tracks (-1: any).
func checkTracks(t *testing.T, rec session.Record, ladder []ivstest.VideoTrack, audio int) {
	t.Helper()
	if len(rec.Video) != len(ladder) || rec.VideoTrackCount != len(ladder) {
		t.Fatalf("record %s: %d video tracks (count %d), want %d", rec.StreamID, len(rec.Video), rec.VideoTrackCount, len(ladder))
	}
	for i, want := range ladder {
		got := rec.Video[i]
		if got.Width != int64(want.Width) || got.Height != int64(want.Height) || got.FrameRate != int64(want.Framerate) ||
			got.TargetBitrate != int64(want.Bitrate) || got.Codec != want.Codec {
			t.Errorf("record %s video track %d = %+v, want %+v", rec.StreamID, i, got, want)
		}
	}
	if audio >= 0 && (len(rec.Audio) != audio || rec.AudioTrackCount != audio) {
		t.Errorf("record %s: %d audio tracks, want %d", rec.StreamID, len(rec.Audio), audio)
	}
	if rec.Multitrack != (len(ladder) > 1) {
		t.Errorf("record %s: multitrack = %t with %d video tracks", rec.StreamID, rec.Multitrack, len(ladder))
	}
}

func onlyCorrection(t *testing.T, res engine.Result) session.Corrected {
	t.Helper()
	if len(res.Archive.Corrections) != 1 {
		t.Fatalf("%d corrections archived, want 1", len(res.Archive.Corrections))
	}
	return res.Archive.Corrections[0].Corrected
}

func checkMultitrack(t *testing.T, ch types.Channel, cf types.ContainerFormat, enabled bool, policy types.MultitrackPolicy, res types.MultitrackMaximumResolution) {
	t.Helper()
	m := ch.MultitrackInputConfiguration
	if m == nil {
		t.Fatalf("channel %s: no multitrack configuration", aws.ToString(ch.Name))
	}
	if ch.ContainerFormat != cf || m.Enabled != enabled || m.Policy != policy || (res != "" && m.MaximumResolution != res) {
		t.Errorf("channel %s: %s, multitrack %t %s %s; want %s, %t %s %s", aws.ToString(ch.Name), ch.ContainerFormat, m.Enabled, m.Policy, m.MaximumResolution,
			cf, enabled, policy, res)
	}
}

// checkUpdates checks that the functions made exactly n successful UpdateChannel calls and no
// failed one (a ConflictException would mean an update tried while live).
func checkUpdates(t *testing.T, res engine.Result, n int) {
	t.Helper()
	got := res.Counters.FunctionCalls()[ivstest.OpUpdateChannel]
	if got.OK != n || got.Errors != 0 {
		t.Errorf("UpdateChannel: %d successful, %d failed; want exactly %d successful, none failed", got.OK, got.Errors, n)
	}
}

// processesUnder returns the processes whose executable is below dir.
func processesUnder(dir string) []string {
	exes, _ := filepath.Glob("/proc/[0-9]*/exe")
	var out []string
	for _, e := range exes {
		target, err := os.Readlink(e)
		if err == nil && strings.HasPrefix(target, dir) {
			out = append(out, filepath.Base(filepath.Dir(e))+" "+target)
		}
	}
	return out
}

// timeline collects timeline entries; it is safe for concurrent use.
type timeline struct {
	mu      sync.Mutex
	entries []engine.Entry
}

func (tl *timeline) add(e engine.Entry) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.entries = append(tl.entries, e)
}

func (tl *timeline) contains(actor, text string) bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, e := range tl.entries {
		if e.Actor == actor && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

func (tl *timeline) String(start time.Time) string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var b strings.Builder
	for _, e := range tl.entries {
		if e.Level >= engine.LevelInfo {
			b.WriteString(e.Format(start) + "\n")
		}
	}
	return b.String()
}
