package eventpattern_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// TestMatch lists, for each pattern, events that must match and events that must not (the
// quamina style). Events are JSON objects; the cases follow the EventBridge user guide's rules
// for exact values, nesting and arrays (see the package doc).
func TestMatch(t *testing.T) {
	tests := map[string]struct {
		pattern   string
		good, bad []string
	}{
		"exact strings, alternatives": {
			pattern: `{"source":["aws.ivs"],"detail-type":["IVS Stream State Change","IVS Limit Breach"]}`,
			good: []string{
				`{"source":"aws.ivs","detail-type":"IVS Stream State Change"}`,
				`{"source":"aws.ivs","detail-type":"IVS Limit Breach","detail":{}}`,
			},
			bad: []string{
				`{"source":"aws.ivs","detail-type":"IVS Stage Update"}`,
				`{"source":"aws.ivs"}`,                                   // a field the pattern names is missing
				`{"source":"AWS.IVS","detail-type":"IVS Limit Breach"}`,  // case-sensitive
				`{"source":"aws.ivs ","detail-type":"IVS Limit Breach"}`, // character by character
				`{"source":["aws.s3"],"detail-type":"IVS Limit Breach"}`,
				`{"detail-type":"IVS Limit Breach"}`,
			},
		},
		"nested object": {
			pattern: `{"detail":{"decision":{"action":["apply"]}}}`,
			good:    []string{`{"detail":{"decision":{"action":"apply","reason":"x"}}}`},
			bad: []string{
				`{"detail":{"decision":{"action":"manual"}}}`,
				`{"detail":{"decision":"apply"}}`, // same nesting required
				`{"detail":{"action":"apply"}}`,
				`{"detail":"apply"}`,
				`{"detail":null}`,
				`{}`,
			},
		},
		"event array: any element": {
			pattern: `{"resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"]}`,
			good: []string{
				`{"resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"]}`,
				`{"resources":["x","arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"]}`,
				`{"resources":[["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"]]}`,
			},
			bad: []string{`{"resources":[]}`, `{"resources":["x"]}`, `{"resources":"x"}`},
		},
		"array of objects matches within one element": {
			pattern: `{"tracks":{"codec":["avc1"],"profile":["high"]}}`,
			good:    []string{`{"tracks":[{"codec":"opus"},{"codec":"avc1","profile":"high"}]}`},
			bad:     []string{`{"tracks":[{"codec":"avc1","profile":"main"},{"codec":"hevc","profile":"high"}]}`, `{"tracks":[]}`},
		},
		"a string never matches another type": {
			pattern: `{"detail":{"code":["5"],"flag":["true"],"none":["null"]}}`,
			good:    []string{`{"detail":{"code":"5","flag":"true","none":"null"}}`},
			bad: []string{
				`{"detail":{"code":5,"flag":"true","none":"null"}}`,
				`{"detail":{"code":"5","flag":true,"none":"null"}}`,
				`{"detail":{"code":"5","flag":"true","none":null}}`,
				`{"detail":{"code":{"5":"5"},"flag":"true","none":"null"}}`,
			},
		},
		"exists false: absent leaf or absent object": {
			pattern: `{"detail":{"trigger":{"replayName":[{"exists":false}]}}}`,
			good:    []string{`{"detail":{"trigger":{"name":"x"}}}`, `{"detail":{}}`, `{"detail":{"other":1}}`, `{}`},
			bad:     []string{`{"detail":{"trigger":{"replayName":"r1"}}}`, `{"detail":{"trigger":{"replayName":null}}}`},
		},
		"exists true": {
			pattern: `{"detail":{"code":[{"exists":true}]}}`,
			good:    []string{`{"detail":{"code":"x"}}`, `{"detail":{"code":5}}`},
			bad:     []string{`{"detail":{}}`, `{"detail":{"codes":"x"}}`},
		},
		"empty string": {
			pattern: `{"detail":{"channel_name":[""]}}`,
			good:    []string{`{"detail":{"channel_name":""}}`},
			bad:     []string{`{"detail":{}}`, `{"detail":{"channel_name":"x"}}`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := eventpattern.Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			for _, ev := range tc.good {
				if ok, err := p.Match([]byte(ev)); err != nil || !ok {
					t.Errorf("Match(%s) = %v, %v; want true", ev, ok, err)
				}
			}
			for _, ev := range tc.bad {
				if ok, err := p.Match([]byte(ev)); err != nil || ok {
					t.Errorf("Match(%s) = %v, %v; want false", ev, ok, err)
				}
			}
		})
	}
}

// TestCompileErrors: what the suite's patterns do not use is refused where it is compiled.
func TestCompileErrors(t *testing.T) {
	tests := map[string]struct {
		pattern  string
		wantPath string
	}{
		"not JSON":            {`{"source":`, ""},
		"not an object":       {`["aws.ivs"]`, ""},
		"trailing data":       {`{"a":["b"]} {}`, ""},
		"empty pattern":       {`{}`, ""},
		"empty nested object": {`{"detail":{}}`, "detail"},
		"bare string value":   {`{"source":"aws.ivs"}`, "source"},
		"bare number value":   {`{"detail":{"n":5}}`, "detail.n"},
		"empty value list":    {`{"source":[]}`, "source"},
		"number value":        {`{"a":[5]}`, "a[0]"},
		"boolean value":       {`{"a":["x",true]}`, "a[1]"},
		"null value":          {`{"a":[null]}`, "a[0]"},
		"prefix":              {`{"a":[{"prefix":"x"}]}`, "a[0]"},
		"anything-but":        {`{"a":[{"anything-but":"x"}]}`, "a[0]"},
		"numeric":             {`{"a":[{"numeric":[">",0]}]}`, "a[0]"},
		"exists with a value": {`{"a":[{"exists":true},"x"]}`, "a[0]"},
		"exists not boolean":  {`{"a":[{"exists":"false"}]}`, "a[0]"},
		"equals-ignore-case":  {`{"a":[{"equals-ignore-case":"x"}]}`, "a[0]"},
		"$or":                 {`{"$or":[{"a":["b"]}]}`, "$or[0]"},
		"nested invalid":      {`{"detail":{"code":[{"wildcard":"*x"}]}}`, "detail.code[0]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := eventpattern.Compile([]byte(tc.pattern))
			var perr *eventpattern.PatternError
			if !errors.As(err, &perr) {
				t.Fatalf("Compile(%s) = %v, %v; want a *PatternError", tc.pattern, p, err)
			}
			if perr.Path != tc.wantPath {
				t.Errorf("Compile(%s) error path = %q, want %q (error: %v)", tc.pattern, perr.Path, tc.wantPath, err)
			}
			if perr.Want == "" || perr.Got == "" {
				t.Errorf("Compile(%s) error %+v: Want and Got must be set", tc.pattern, perr)
			}
		})
	}
}

func TestMatchBadEvent(t *testing.T) {
	p := eventpattern.MustCompile(`{"source":["aws.ivs"]}`)
	for _, ev := range []string{`{"source":`, `["aws.ivs"]`, `"aws.ivs"`, ``} {
		_, err := p.Match([]byte(ev))
		var eerr *eventpattern.EventError
		if !errors.As(err, &eerr) {
			t.Errorf("Match(%q) error = %v, want an *EventError", ev, err)
		}
	}
}

func TestMatchValue(t *testing.T) {
	p := eventpattern.MustCompile(`{"detail":{"limit_name":["Concurrent Broadcasts"]}}`)
	var ev map[string]any // decoded the default way: numbers as float64
	if err := json.Unmarshal([]byte(`{"detail":{"limit_value":2,"limit_name":"Concurrent Broadcasts"}}`), &ev); err != nil {
		t.Fatal(err)
	}
	if !p.MatchValue(ev) {
		t.Errorf("MatchValue(%v) = false, want true", ev)
	}
	if p.String() == "" {
		t.Error("String() is empty")
	}
}

func TestMatchFunc(t *testing.T) {
	got, err := eventpattern.Match([]byte(`{"a":["b"]}`), []byte(`{"a":"b"}`))
	if err != nil || !got {
		t.Errorf("Match = %v, %v; want true", got, err)
	}
	if _, err := eventpattern.Match([]byte(`{"a":"b"}`), []byte(`{"a":"b"}`)); err == nil {
		t.Error("Match with an invalid pattern: want an error")
	}
}

// routesMatching returns the names of the suite's routes on bus whose pattern matches event.
func routesMatching(t *testing.T, bus string, event []byte) []string {
	t.Helper()
	var names []string
	for _, r := range suite.Routes {
		if r.Bus != bus {
			continue
		}
		p, err := eventpattern.Compile([]byte(r.Pattern.JSON()))
		if err != nil {
			t.Fatalf("route %s: %v", r.Name, err)
		}
		ok, err := p.Match(event)
		if err != nil {
			t.Fatalf("route %s: %v", r.Name, err)
		}
		if ok {
			names = append(names, r.Name)
		}
	}
	return names
}

// TestSuiteRoutesIVSSamples checks that every valid IVS sample in events/ matches exactly the
// IvsEvents route, as the deployed rules would route it.
func TestSuiteRoutesIVSSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no samples in events/: the suite's routes must be tested against them")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, bus := range []string{suite.BusDefault, suite.BusSessions} {
			got := strings.Join(routesMatching(t, bus, b), ",")
			want := ""
			if bus == suite.BusDefault {
				want = "IvsEvents"
			}
			if got != want {
				t.Errorf("%s on bus %s: matched routes %q, want %q", filepath.Base(f), bus, got, want)
			}
		}
	}
}

// TestSuiteRoutesOwnEvents checks the rules on the suite's bus against events built from the
// very types the functions publish (session.Enriched, session.Corrected), and that IVS real-time
// events are not routed.
func TestSuiteRoutesOwnEvents(t *testing.T) {
	const arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	record := session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: arn, StreamID: "st-1A2b3c4D5e6F78ghij9Klmn", Outcome: session.OutcomeRefused}
	enriched := func(action multitrack.Action) []byte {
		return envelope(t, suite.DetailTypeSessionEnriched, session.Enriched{Record: record, Decision: multitrack.Decision{Action: action, Reason: "r"}})
	}
	stage, err := os.ReadFile(filepath.Join("testdata", "stage-update.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		event []byte
		bus   string
		want  string
	}{
		"stage update on default bus":     {stage, suite.BusDefault, ""},
		"enriched, apply":                 {enriched(multitrack.ActionApply), suite.BusSessions, "EnrichedSessions,CorrectionsNeeded"},
		"enriched, manual":                {enriched(multitrack.ActionManual), suite.BusSessions, "EnrichedSessions"},
		"enriched, none":                  {enriched(multitrack.ActionNone), suite.BusSessions, "EnrichedSessions"},
		"enriched, no decision":           {enriched(""), suite.BusSessions, "EnrichedSessions"},
		"correction":                      {envelope(t, suite.DetailTypeChannelCorrected, session.Corrected{ChannelARN: arn}), suite.BusSessions, "Corrections"},
		"enriched, apply, on default bus": {enriched(multitrack.ActionApply), suite.BusDefault, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := strings.Join(routesMatching(t, tc.bus, tc.event), ","); got != tc.want {
				t.Errorf("matched routes %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNotificationsSkipReplays: the patterns of the rules that tell a person (every
// suite.Notifications, and suite.DegradedSessions offered to teams) each match one of the suite's
// events made from an event delivered when IVS sent it, and none made from a replay, whose
// trigger carries the replay's name.
func TestNotificationsSkipReplays(t *testing.T) {
	const arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	trigger := session.Trigger{EventID: "e1", DetailType: "IVS Stream State Change", Name: "Session Ended", Time: time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)}
	replayed := trigger
	replayed.ReplayName = "rebuild-november"
	record := session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: arn, StreamID: "st-1A2b3c4D5e6F78ghij9Klmn", Outcome: session.OutcomeRefused}
	events := func(tr session.Trigger) [][]byte {
		var out [][]byte
		for _, o := range []session.CorrectionOutcome{session.CorrectionFailed, session.CorrectionUnchanged, session.CorrectionApplied} {
			for _, a := range []multitrack.Action{multitrack.ActionApply, multitrack.ActionManual} {
				out = append(out, envelope(t, suite.DetailTypeChannelCorrected, session.Corrected{ChannelARN: arn,
					Correction: session.Correction{Outcome: o, Decision: multitrack.Decision{Action: a}}, Trigger: tr}))
			}
		}
		for _, a := range []multitrack.Action{multitrack.ActionApply, multitrack.ActionManual, multitrack.ActionBroadcaster, multitrack.ActionNone} {
			out = append(out, envelope(t, suite.DetailTypeSessionEnriched, session.Enriched{Record: record, Decision: multitrack.Decision{Action: a}, Trigger: tr}))
		}
		for _, v := range []quality.Verdict{quality.VerdictHealthy, quality.VerdictDegraded} {
			out = append(out, envelope(t, suite.DetailTypeSessionQuality, session.Measured{ChannelARN: arn, Quality: quality.Report{Verdict: v}, Trigger: tr}))
		}
		return out
	}
	patterns := map[string]ivsevent.Pattern{"DegradedSessions": suite.DegradedSessions}
	for _, n := range suite.Notifications {
		patterns[n.Name] = n.Pattern
	}
	fresh, again := events(trigger), events(replayed)
	for name, pattern := range patterns {
		p, err := eventpattern.Compile([]byte(pattern.JSON()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		matched := 0
		for i := range fresh {
			ok, err := p.Match(fresh[i])
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				continue
			}
			matched++
			if ok, err := p.Match(again[i]); err != nil || ok {
				t.Errorf("%s matches the event made from a replay: %s", name, again[i])
			}
		}
		if matched == 0 {
			t.Errorf("%s matches none of the events: the test proves nothing for it", name)
		}
	}
}

// envelope returns detail as the suite's bus delivers it: encoded by the suite's codec
// (suiteevent), in an events.EventBridgeEvent.
func envelope(t *testing.T, detailType string, detail any) []byte {
	t.Helper()
	var entry suiteevent.Entry
	var err error
	switch d := detail.(type) {
	case session.Enriched:
		entry, _, err = suiteevent.EnrichedEntry(suite.BusSessions, d)
	case session.Corrected:
		entry, err = suiteevent.CorrectedEntry(suite.BusSessions, d)
	case session.Measured:
		entry, err = suiteevent.QualityEntry(suite.BusSessions, d)
	}
	if err != nil || entry.DetailType != detailType {
		t.Fatalf("encode %T as %q: %v", detail, detailType, err)
	}
	return awstest.Delivered(t, "0d4c2b1e-9d7c-4f5e-8a3b-2c1d0e9f8a7b", time.Date(2026, 11, 3, 18, 0, 7, 0, time.UTC), entry)
}

func ExamplePattern_Match() {
	p := eventpattern.MustCompile(`{"source":["aws.ivs"],"detail":{"code":["MultitrackInputNotAllowed","MultitrackInputRequired"]}}`)
	ok, _ := p.Match([]byte(`{"source":"aws.ivs","detail":{"event_name":"Session Ended","code":"MultitrackInputNotAllowed"}}`))
	fmt.Println(ok)
	// Output: true
}
