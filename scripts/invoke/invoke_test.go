package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const (
	sampleARN    = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	sampleStream = "st-1A2b3c4D5e6F78ghij9Klmn"
)

// TestMain builds the emulator and each function's bootstrap once for all of TestRun's runs
// (go build links them again every time: seconds each on a loaded machine), into a directory it
// removes at the end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ivs-sessions-invoke-test-")
	if err != nil {
		panic(err)
	}
	built := map[string]*builtOnce{}
	var mu sync.Mutex
	fresh := build
	build = func(ctx context.Context, moduleDir, _, fn string) (string, string, error) {
		mu.Lock()
		b := built[fn]
		if b == nil {
			b = &builtOnce{}
			built[fn] = b
		}
		mu.Unlock()
		b.once.Do(func() { b.rie, b.bootstrap, b.err = fresh(ctx, moduleDir, filepath.Join(dir, fn), fn) })
		return b.rie, b.bootstrap, b.err
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// builtOnce is one function's build.
type builtOnce struct {
	once           sync.Once
	rie, bootstrap string
	err            error
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTargetOf(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := map[string]struct {
		file    string
		event   []byte
		want    target
		wantErr bool
	}{
		"refusal": {file: "../../events/session-ended-multitrack-input-not-allowed.json", want: target{ChannelARN: sampleARN, ChannelName: "studio-a",
			StreamID: sampleStream, Code: ivsevent.CodeMultitrackInputNotAllowed, Ended: true, Time: at("2026-11-03T17:40:03Z")}},
		"live":          {file: "../../events/stream-start.json", want: target{ChannelARN: sampleARN, ChannelName: "studio-a", StreamID: sampleStream, Time: at("2026-11-03T18:00:05Z")}},
		"ended":         {file: "../../events/recording-end.json", want: target{ChannelARN: sampleARN, ChannelName: "studio-a", StreamID: sampleStream, Ended: true, Time: at("2026-11-03T19:00:33Z")}},
		"account-level": {file: "../../events/limit-breach-concurrent-viewers.json", want: target{Time: at("2026-11-03T18:41:00Z")}},
		"other source":  {event: []byte(`{"source":"aws.medialive","detail-type":"x","detail":{}}`)},
		"not JSON":      {event: []byte(`{"source":`), wantErr: true},
		"invalid IVS":   {file: "../../events/invalid/missing-stream-id.json", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev := tc.event
			if tc.file != "" {
				ev = readFile(t, tc.file)
			}
			got, err := targetOf(ev)
			if (err != nil) != tc.wantErr {
				t.Fatalf("targetOf error = %v, want error %v", err, tc.wantErr)
			}
			if got.Channel != nil || got != tc.want {
				t.Errorf("targetOf = %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("suite events", func(t *testing.T) {
		for _, file := range []string{"../../events/suite/session-enriched.json", "../../events/suite/channel-corrected.json"} {
			got, err := targetOf(readFile(t, file))
			if err != nil {
				t.Fatal(err)
			}
			if got.ChannelARN != sampleARN || got.StreamID != sampleStream || got.Code != ivsevent.CodeMultitrackInputNotAllowed ||
				!got.Ended || got.Channel == nil || got.Channel.ContainerFormat != "TS" || got.ChannelName != "studio-a" {
				t.Errorf("%s: targetOf = %+v (channel %+v)", file, got, got.Channel)
			}
		}
		// A quality measurement names the session it measured (it used to panic: issue 22).
		got, err := targetOf(readFile(t, "../../events/suite/session-quality.json"))
		if err != nil || got.ChannelARN != sampleARN || got.StreamID != sampleStream || !got.Ended || got.Time.IsZero() {
			t.Errorf("session-quality.json: targetOf = %+v, %v", got, err)
		}
	})
}

// TestSuiteSamples checks that the suite events in testdata are what enrich and correct
// publish: they decode strictly and their records and keys are valid.
func TestSuiteSamples(t *testing.T) {
	var env events.EventBridgeEvent
	strict := func(t *testing.T, b []byte, v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	strict(t, readFile(t, "../../events/suite/session-enriched.json"), &env)
	var en session.Enriched
	strict(t, env.Detail, &en)
	if env.Source != suite.EventSource || env.DetailType != suite.DetailTypeSessionEnriched || en.Record.Validate() != nil || en.Decision.Action != "apply" {
		t.Errorf("session-enriched.json: %s %s, record %v, decision %s", env.Source, env.DetailType, en.Record.Validate(), en.Decision.Action)
	}
	strict(t, readFile(t, "../../events/suite/channel-corrected.json"), &env)
	var c session.Corrected
	strict(t, env.Detail, &c)
	if env.Source != suite.EventSource || env.DetailType != suite.DetailTypeChannelCorrected || c.Key() == "" || c.SessionKey != en.Record.Key() {
		t.Errorf("channel-corrected.json: %s %s, key %q, session key %q (want %q)", env.Source, env.DetailType, c.Key(), c.SessionKey, en.Record.Key())
	}
}

// TestAliasAndSetup sets up the sample channel and session on a local IVS and checks that an
// SDK client going through the alias sees the event's identifiers only.
func TestAliasAndSetup(t *testing.T) {
	tests := map[string]struct {
		event     string
		wantCode  string
		wantEnded bool
	}{
		"not allowed":      {"session-ended-multitrack-input-not-allowed", ivsevent.CodeMultitrackInputNotAllowed, true},
		"required":         {"session-ended-multitrack-input-required", ivsevent.CodeMultitrackInputRequired, true},
		"track count":      {"session-ended-invalid-multitrack-input-track-count", ivsevent.CodeInvalidMultitrackInputTrackCount, true},
		"media properties": {"session-ended-invalid-multitrack-input-video-track-media-properties", ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, true},
		"stream key":       {"session-ended-invalid-get-client-configuration-stream-key", "", true},
		"live":             {"stream-start", "", false},
		"ended":            {"stream-end", "", true},
	}
	ctx := context.Background()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tg, err := targetOf(awstest.LoadEvent(t, tc.event))
			if err != nil {
				t.Fatal(err)
			}
			clock := ivstest.NewFakeClock(time.Now())
			srv := ivstest.NewServer(ivstest.Options{Clock: clock})
			t.Cleanup(srv.Close)
			loc, err := setup(ctx, srv, ivstest.Client(srv), clock, tg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCode == "" && session.IsRefusal(tg.Code) && len(loc.Notes) == 0 {
				t.Error("no note says the refusal is not simulated")
			}
			a := httptest.NewServer(newAlias(srv.Handler(), map[string]string{tg.ChannelARN: loc.ChannelARN, tg.StreamID: loc.StreamID}))
			t.Cleanup(a.Close)
			client := ivs.New(ivs.Options{Region: "us-west-2", BaseEndpoint: aws.String(a.URL), Credentials: aws.AnonymousCredentials{}, Retryer: aws.NopRetryer{},
				HTTPClient: sdkhttp.New()})

			out, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(sampleARN), StreamId: aws.String(sampleStream)})
			if err != nil {
				t.Fatalf("GetStreamSession through the alias: %v", err)
			}
			ss := out.StreamSession
			if aws.ToString(ss.StreamId) != sampleStream || aws.ToString(ss.Channel.Arn) != sampleARN {
				t.Errorf("session %s of %s, want the sample's identifiers", aws.ToString(ss.StreamId), aws.ToString(ss.Channel.Arn))
			}
			if got := ss.EndTime != nil; got != tc.wantEnded {
				t.Errorf("session ended %v, want %v", got, tc.wantEnded)
			}
			if !ss.StartTime.Before(tg.Time.Add(time.Second)) || (tc.wantEnded && !ss.EndTime.Equal(tg.Time)) {
				t.Errorf("session %v to %v, want it to end at the event's time %v", ss.StartTime, ss.EndTime, tg.Time)
			}
			var code string
			for _, e := range ss.TruncatedEvents {
				code += aws.ToString(e.Code)
			}
			if code != tc.wantCode {
				t.Errorf("session codes %q, want %q", code, tc.wantCode)
			}
			if _, err := client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: aws.String(sampleARN), Tags: map[string]string{"k": "v"}}); err != nil {
				t.Fatalf("TagResource through the alias (ARN in the path): %v", err)
			}
			ch, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(sampleARN)})
			if err != nil || aws.ToString(ch.Channel.Arn) != sampleARN || ch.Channel.Tags["k"] != "v" {
				t.Errorf("GetChannel through the alias = %+v, %v", ch, err)
			}
			_, err = client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/Other1234567")})
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				t.Errorf("GetChannel of another channel = %v, want ResourceNotFoundException", err)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    options
		wantErr string
	}{
		"bare":       {args: []string{"-fn", "enrich", "-event", "e.json"}, want: options{fn: "enrich", event: "e.json"}},
		"sqs":        {args: []string{"-fn", "archive", "-event", "e.json", "-sqs", "-timeout", "5s"}, want: options{fn: "archive", event: "e.json", sqs: true, timeout: 5 * time.Second}},
		"save":       {args: []string{"-fn", "enrich", "-event", "e.json", "-save", "out"}, want: options{fn: "enrich", event: "e.json", save: "out"}},
		"no fn":      {args: []string{"-event", "e.json"}, wantErr: "-fn"},
		"unknown fn": {args: []string{"-fn", "stats", "-event", "e.json"}, wantErr: "-fn"},
		"no event":   {args: []string{"-fn", "enrich"}, wantErr: "-event"},
		"extra":      {args: []string{"-fn", "enrich", "-event", "e.json", "more"}, wantErr: "unexpected"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseArgs(tc.args, &bytes.Buffer{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("parseArgs error = %v, want one about %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseArgs = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestRun builds and invokes each function as `make invoke` does, and checks the report.
func TestRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Runtime Interface Emulator runs on Linux only")
	}
	tests := map[string]struct {
		args    []string
		env     map[string]string
		want    []string
		wantErr error // and its message holds want's last entry when set
	}{
		"enrich a refusal": {
			args: []string{"-fn", "enrich", "-event", "../../events/session-ended-multitrack-input-not-allowed.json"},
			want: []string{`"outcome": "done"`, `"message":"published enriched session"`, "GetStreamSession: 1 call(s)",
				"routed to the archive, correct queue(s)", `"channelArn": "` + sampleARN + `"`, `"action": "apply"`},
		},
		"enrich in dry-run": {
			args: []string{"-fn", "enrich", "-event", "../../events/session-ended-multitrack-input-not-allowed.json", "-sqs"},
			env:  map[string]string{suite.EnvCorrectionMode: "dry-run"},
			want: []string{`"batchItemFailures": null`, `"dryRun": true`, "routed to the archive, correct queue(s)"},
		},
		"correct an enriched refusal": {
			args: []string{"-fn", "correct", "-event", "../../events/suite/session-enriched.json", "-sqs"},
			want: []string{`"batchItemFailures": null`, `"outcome":"applied"`, "UpdateChannel: 1 call(s), 0 error(s)",
				"GetStream: 1 call(s), 1 error(s)", "routed to the archive queue(s)"},
		},
		"archive an enriched session": {
			args: []string{"-fn", "archive", "-event", "../../events/suite/session-enriched.json"},
			want: []string{`"outcome": "done"`, "sessions/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=AbCdef1G2hij/" + sampleStream + ".json"},
		},
		"correct an IVS event": {
			args:    []string{"-fn", "correct", "-event", "../../events/session-ended-multitrack-input-not-allowed.json", "-sqs"},
			want:    []string{`"batchItemFailures": null`, "rejected: retrying cannot fix this", "events/suite/session-enriched.json"},
			wantErr: errRejected,
		},
		"archive an IVS event": {
			args:    []string{"-fn", "archive", "-event", "../../events/stream-start.json"},
			want:    []string{`"outcome": "rejected"`, "events/suite/channel-corrected.json"},
			wantErr: errRejected,
		},
		"enrich an invalid IVS event": {
			args:    []string{"-fn", "enrich", "-event", "../../events/invalid/missing-stream-id.json"},
			want:    []string{"invoking anyway to show how enrich rejects it", `"outcome": "rejected"`, "== IVS calls ==\n(none)", "detail.stream_id"},
			wantErr: errRejected,
		},
		// A measurement never creates a record (issue 22, item 4): on an empty archive, archive
		// validates it, finds no record of the session and asks for the message again.
		"archive a quality measurement": {
			args: []string{"-fn", "archive", "-event", "../../events/suite/session-quality.json", "-sqs"},
			want: []string{`"itemIdentifier": "invoke-message-1"`, "a measurement never creates one", "== IVS calls ==\n(none)", "== archive (s3://ivs-sessions-invoke) ==\n(empty)",
				"delivered again"},
			wantErr: errRedeliver,
		},
		"archive a correction": {
			args: []string{"-fn", "archive", "-event", "../../events/suite/channel-corrected.json", "-sqs"},
			want: []string{`"batchItemFailures": null`, "corrections/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=AbCdef1G2hij/",
				"sessions/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=AbCdef1G2hij/" + sampleStream + ".json", "== IVS calls ==\n(none)"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			err := run(context.Background(), tc.args, getenv, &out, &errOut)
			want := tc.want
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("run: %v\n%s%s", err, out.String(), errOut.String())
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("run = %v, want %v\n%s%s", err, tc.wantErr, out.String(), errOut.String())
			case tc.wantErr != nil:
				// The last wanted text is in the error (the hint or the reason), the rest in the report.
				if last := want[len(want)-1]; !strings.Contains(err.Error(), last) {
					t.Errorf("run = %v, want an error holding %q", err, last)
				}
				want = want[:len(want)-1]
			}
			for _, w := range want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("the report lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	t.Run("enrich then correct what it published", func(t *testing.T) {
		dir := t.TempDir()
		var out bytes.Buffer
		args := []string{"-fn", "enrich", "-event", "../../events/session-ended-multitrack-input-not-allowed.json", "-save", dir}
		if err := run(context.Background(), args, os.Getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("enrich: %v\n%s", err, out.String())
		}
		saved := filepath.Join(dir, "1-ivs-session-enriched.json")
		if !strings.Contains(out.String(), "saved "+saved) {
			t.Fatalf("enrich -save did not report %s:\n%s", saved, out.String())
		}
		out.Reset()
		if err := run(context.Background(), []string{"-fn", "correct", "-event", saved, "-sqs"}, os.Getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("correct %s: %v\n%s", saved, err, out.String())
		}
		if !strings.Contains(out.String(), `"outcome":"applied"`) {
			t.Errorf("correct did not apply the saved decision:\n%s", out.String())
		}
	})
	t.Run("missing event file", func(t *testing.T) {
		err := run(context.Background(), []string{"-fn", "enrich", "-event", filepath.Join(t.TempDir(), "none.json")}, os.Getenv, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run = %v, want a missing file error", err)
		}
	})
}

// TestJudge reads what a function made of an event from its response and its output.
func TestJudge(t *testing.T) {
	emf := func(n int) string {
		return `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"IvsSessions","Dimensions":[["Function"]],"Metrics":[{"Name":"` +
			suite.MetricRejected + `","Unit":"Count"}]}]},"Function":"correct","` + suite.MetricRejected + `":` + strconv.Itoa(n) + `}`
	}
	rejectLine := `{"level":"ERROR","msg":"rejected: retrying cannot fix this","messageId":"m1","reason":"source: want ivs-sessions, got \"aws.ivs\""}`
	tests := map[string]struct {
		response string
		sqs      bool
		lines    []string
		want     error
	}{
		"bare done":         {response: `{"eventId":"e","outcome":"done"}`},
		"bare rejected":     {response: `{"eventId":"e","outcome":"rejected","reason":"detail.stream_id: want an IVS stream ID"}`, want: errRejected},
		"sqs done":          {response: `{"batchItemFailures":null}`, sqs: true, lines: []string{`{"level":"INFO","msg":"record archived"}`}},
		"sqs rejected":      {response: `{"batchItemFailures":null}`, sqs: true, lines: []string{rejectLine, emf(1)}, want: errRejected},
		"sqs metric only":   {response: `{"batchItemFailures":null}`, sqs: true, lines: []string{emf(1)}, want: errRejected},
		"sqs zero metric":   {response: `{"batchItemFailures":null}`, sqs: true, lines: []string{emf(0)}},
		"sqs item failures": {response: `{"batchItemFailures":[{"itemIdentifier":"invoke-message-1"}]}`, sqs: true, want: errRedeliver},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := judge([]byte(tc.response), tc.sqs, tc.lines).err(suite.FunctionCorrect, []byte(`{"source":"aws.ivs"}`))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("judge = %v, want %v", err, tc.want)
			}
			if errors.Is(err, errRejected) && !strings.Contains(err.Error(), "events/suite/session-enriched.json") {
				t.Errorf("judge = %v, want a hint at the suite's samples", err)
			}
			if name == "sqs rejected" && !strings.Contains(err.Error(), "want ivs-sessions") {
				t.Errorf("judge = %v, want the reason logged", err)
			}
		})
	}
}

// TestSetupRefusedName: a channel name the local IVS refuses (as IVS would) is replaced, with a
// note that quotes the refusal; the setup goes on.
func TestSetupRefusedName(t *testing.T) {
	clock := ivstest.NewFakeClock(time.Now())
	srv := ivstest.NewServer(ivstest.Options{Clock: clock})
	t.Cleanup(srv.Close)
	tg := target{ChannelARN: sampleARN, ChannelName: "Studio A!", StreamID: sampleStream, Ended: true, Time: time.Now().UTC().Truncate(time.Second)}
	loc, err := setup(context.Background(), srv, ivstest.Client(srv), clock, tg)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	notes := strings.Join(loc.Notes, "\n")
	if !strings.Contains(notes, `refused the channel name "Studio A!" (ValidationException: `) || strings.Contains(notes, "(ValidationException: )") {
		t.Errorf("notes %q, want the refusal of the name with IVS's message", notes)
	}
	if loc.ChannelARN == "" || loc.StreamID == "" {
		t.Errorf("setup = %+v, want a channel and a session", loc)
	}
}
