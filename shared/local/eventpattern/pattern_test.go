package eventpattern_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestMatch lists, for each pattern, events that must match and events that must not (the
// quamina style). Events are JSON objects; the cases follow the EventBridge user guide.
func TestMatch(t *testing.T) {
	tests := map[string]struct {
		pattern   string
		good, bad []string
	}{
		"exact strings": {
			pattern: `{"source":["aws.ivs"],"detail-type":["IVS Stream State Change","IVS Limit Breach"]}`,
			good: []string{
				`{"source":"aws.ivs","detail-type":"IVS Stream State Change"}`,
				`{"source":"aws.ivs","detail-type":"IVS Limit Breach","detail":{}}`,
			},
			bad: []string{
				`{"source":"aws.ivs","detail-type":"IVS Stage Update"}`,
				`{"source":"aws.ivs"}`,
				`{"source":"AWS.IVS","detail-type":"IVS Limit Breach"}`,
				`{"source":["aws.s3"],"detail-type":"IVS Limit Breach"}`,
				`{"detail-type":"IVS Limit Breach"}`,
			},
		},
		"nested object": {
			pattern: `{"detail":{"decision":{"action":["apply"]}}}`,
			good:    []string{`{"detail":{"decision":{"action":"apply","reason":"x"}}}`},
			bad: []string{
				`{"detail":{"decision":{"action":"manual"}}}`,
				`{"detail":{"decision":"apply"}}`,
				`{"detail":{"action":"apply"}}`,
				`{"detail":"apply"}`,
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
			pattern: `{"tracks":{"codec":["avc1"],"height":[1080]}}`,
			good: []string{
				`{"tracks":[{"codec":"avc1","height":720},{"codec":"avc1","height":1080}]}`,
				`{"tracks":{"codec":"avc1","height":1080}}`,
			},
			bad: []string{
				`{"tracks":[{"codec":"hvc1","height":1080},{"codec":"avc1","height":720}]}`,
				`{"tracks":[]}`,
			},
		},
		"numbers match by value, not text": {
			pattern: `{"limit_value":[1234, 2.5]}`,
			good: []string{
				`{"limit_value":1234}`, `{"limit_value":1234.0}`, `{"limit_value":1.234e3}`,
				`{"limit_value":2.50}`, `{"limit_value":[1,1234]}`,
			},
			bad: []string{`{"limit_value":"1234"}`, `{"limit_value":1235}`, `{"limit_value":null}`},
		},
		"booleans and null": {
			pattern: `{"enabled":[true],"preset":[null]}`,
			good:    []string{`{"enabled":true,"preset":null}`},
			bad: []string{
				`{"enabled":false,"preset":null}`,
				`{"enabled":"true","preset":null}`,
				`{"enabled":true}`,
				`{"enabled":true,"preset":""}`,
			},
		},
		"string does not match number": {
			pattern: `{"x":["5"]}`,
			good:    []string{`{"x":"5"}`},
			bad:     []string{`{"x":5}`},
		},
		"prefix": {
			pattern: `{"time":[{"prefix":"2026-11"}]}`,
			good:    []string{`{"time":"2026-11-03T18:00:05Z"}`, `{"time":"2026-11"}`},
			bad:     []string{`{"time":"2026-10-03T18:00:05Z"}`, `{"time":2026}`, `{}`},
		},
		"prefix equals-ignore-case": {
			pattern: `{"code":[{"prefix":{"equals-ignore-case":"MULTITRACK"}}]}`,
			good:    []string{`{"code":"MultitrackInputRequired"}`, `{"code":"multitrack"}`},
			bad:     []string{`{"code":"InvalidMultitrackInputTrackCount"}`},
		},
		"suffix": {
			pattern: `{"key":[{"suffix":".json"}]}`,
			good:    []string{`{"key":"sessions/a.json"}`},
			bad:     []string{`{"key":"sessions/a.JSON"}`, `{"key":"a.json.gz"}`},
		},
		"suffix equals-ignore-case": {
			pattern: `{"key":[{"suffix":{"equals-ignore-case":".JSON"}}]}`,
			good:    []string{`{"key":"a.json"}`, `{"key":"a.Json"}`},
			bad:     []string{`{"key":"a.jso"}`},
		},
		"equals-ignore-case": {
			pattern: `{"event_name":[{"equals-ignore-case":"session ended"}]}`,
			good:    []string{`{"event_name":"Session Ended"}`, `{"event_name":"SESSION ENDED"}`},
			bad:     []string{`{"event_name":"Session Ended "}`, `{"event_name":["Stream End"]}`},
		},
		"anything-but string": {
			pattern: `{"event_name":[{"anything-but":"Session Created"}]}`,
			good:    []string{`{"event_name":"Session Ended"}`, `{"event_name":5}`, `{"event_name":["Session Created","Stream End"]}`},
			bad:     []string{`{"event_name":"Session Created"}`, `{}`, `{"event_name":{"x":1}}`},
		},
		"anything-but list": {
			pattern: `{"state":[{"anything-but":["stopped","overloaded", 0]}]}`,
			good:    []string{`{"state":"running"}`, `{"state":1}`},
			bad:     []string{`{"state":"stopped"}`, `{"state":"overloaded"}`, `{"state":0.0}`},
		},
		"anything-but number": {
			pattern: `{"n":[{"anything-but":3}]}`,
			good:    []string{`{"n":4}`, `{"n":"3"}`},
			bad:     []string{`{"n":3}`, `{"n":3.0}`},
		},
		"anything-but prefix": {
			pattern: `{"stream_id":[{"anything-but":{"prefix":"st-"}}]}`,
			good:    []string{`{"stream_id":"xx-1"}`},
			bad:     []string{`{"stream_id":"st-1"}`, `{"stream_id":7}`, `{}`},
		},
		"anything-but suffix": {
			pattern: `{"key":[{"anything-but":{"suffix":".tmp"}}]}`,
			good:    []string{`{"key":"a.json"}`},
			bad:     []string{`{"key":"a.tmp"}`},
		},
		"anything-but equals-ignore-case": {
			pattern: `{"mode":[{"anything-but":{"equals-ignore-case":["OFF","dry-run"]}}]}`,
			good:    []string{`{"mode":"apply"}`},
			bad:     []string{`{"mode":"off"}`, `{"mode":"DRY-RUN"}`},
		},
		"anything-but wildcard": {
			pattern: `{"name":[{"anything-but":{"wildcard":"test-*"}}]}`,
			good:    []string{`{"name":"prod-1"}`},
			bad:     []string{`{"name":"test-1"}`},
		},
		"exists true": {
			pattern: `{"detail":{"code":[{"exists":true}]}}`,
			good: []string{
				`{"detail":{"code":"MultitrackInputNotAllowed"}}`,
				`{"detail":{"code":""}}`,
				`{"detail":{"code":null}}`,
				`{"detail":{"code":["a"]}}`,
			},
			bad: []string{`{"detail":{}}`, `{"detail":{"code":{"a":1}}}`, `{"detail":{"code":[]}}`, `{}`},
		},
		"exists false": {
			pattern: `{"detail":{"code":[{"exists":false}]}}`,
			good:    []string{`{"detail":{}}`, `{}`, `{"detail":{"code":[]}}`, `{"detail":{"code":{"a":1}}}`},
			bad:     []string{`{"detail":{"code":"x"}}`, `{"detail":{"code":null}}`},
		},
		"exists false or a value": {
			pattern: `{"code":[{"exists":false},"MultitrackInputRequired"]}`,
			good:    []string{`{}`, `{"code":"MultitrackInputRequired"}`},
			bad:     []string{`{"code":"MultitrackInputNotAllowed"}`},
		},
		"numeric range": {
			pattern: `{"limit_value":[{"numeric":[">",0,"<=",5]}]}`,
			good:    []string{`{"limit_value":5}`, `{"limit_value":0.1}`, `{"limit_value":[9,3]}`},
			bad:     []string{`{"limit_value":0}`, `{"limit_value":5.01}`, `{"limit_value":"3"}`, `{}`},
		},
		"numeric single comparisons": {
			pattern: `{"a":[{"numeric":["=",3]}],"b":[{"numeric":["<",0]}],"c":[{"numeric":[">=",1e3]}]}`,
			good:    []string{`{"a":3.0,"b":-1,"c":1000}`},
			bad:     []string{`{"a":3.1,"b":-1,"c":1000}`, `{"a":3,"b":0,"c":1000}`, `{"a":3,"b":-1,"c":999}`},
		},
		"wildcard": {
			pattern: `{"key":[{"wildcard":"sessions/*/channel=*/*.json"}]}`,
			good: []string{
				`{"key":"sessions/year=2026/channel=AbC/st-1.json"}`,
				`{"key":"sessions//channel=/.json"}`,
			},
			bad: []string{`{"key":"sessions/year=2026/st-1.json"}`, `{"key":"x/sessions/a/channel=b/c.json"}`},
		},
		"wildcard with escaped star": {
			pattern: `{"s":[{"wildcard":"a\\*b*"}]}`,
			good:    []string{`{"s":"a*b"}`, `{"s":"a*bc"}`},
			bad:     []string{`{"s":"axb"}`},
		},
		"cidr": {
			pattern: `{"ip":[{"cidr":"10.0.0.0/24"}]}`,
			good:    []string{`{"ip":"10.0.0.255"}`},
			bad:     []string{`{"ip":"10.0.1.0"}`, `{"ip":"not an ip"}`, `{"ip":167772161}`},
		},
		"$or at top level": {
			pattern: `{"source":["aws.ivs"],"$or":[{"detail-type":["IVS Limit Breach"]},{"detail":{"code":[{"exists":true}]}}]}`,
			good: []string{
				`{"source":"aws.ivs","detail-type":"IVS Limit Breach"}`,
				`{"source":"aws.ivs","detail-type":"IVS Stream State Change","detail":{"code":"x"}}`,
			},
			bad: []string{
				`{"source":"aws.ivs","detail-type":"IVS Stream State Change","detail":{}}`,
				`{"source":"other","detail-type":"IVS Limit Breach"}`,
			},
		},
		"$or nested": {
			pattern: `{"detail":{"$or":[{"limit_value":[{"numeric":[">",100]}]},{"limit_unit":["viewers"]}]}}`,
			good:    []string{`{"detail":{"limit_value":101}}`, `{"detail":{"limit_unit":"viewers","limit_value":1}}`},
			bad:     []string{`{"detail":{"limit_value":100}}`, `{}`},
		},
		"value list is OR, fields are AND": {
			pattern: `{"a":["x","y"],"b":["z"]}`,
			good:    []string{`{"a":"x","b":"z"}`, `{"a":"y","b":"z","c":1}`},
			bad:     []string{`{"a":"x","b":"y"}`, `{"a":"z","b":"z"}`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := eventpattern.Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			for _, ev := range tc.good {
				if got, err := p.Match([]byte(ev)); err != nil || !got {
					t.Errorf("Match(%s) = %v, %v; want true", ev, got, err)
				}
			}
			for _, ev := range tc.bad {
				if got, err := p.Match([]byte(ev)); err != nil || got {
					t.Errorf("Match(%s) = %v, %v; want false", ev, got, err)
				}
			}
		})
	}
}

// TestCompileErrors lists patterns EventBridge rejects, with the path the error must name.
func TestCompileErrors(t *testing.T) {
	tests := map[string]struct {
		pattern  string
		wantPath string
	}{
		"not JSON":                    {`{"source":`, ""},
		"not an object":               {`["aws.ivs"]`, ""},
		"trailing data":               {`{"a":["b"]} {}`, ""},
		"empty pattern":               {`{}`, ""},
		"empty nested object":         {`{"detail":{}}`, "detail"},
		"bare string value":           {`{"source":"aws.ivs"}`, "source"},
		"bare number value":           {`{"detail":{"n":5}}`, "detail.n"},
		"empty value list":            {`{"source":[]}`, "source"},
		"unknown filter":              {`{"a":[{"contains":"x"}]}`, "a[0]"},
		"two keys in a filter":        {`{"a":[{"prefix":"x","suffix":"y"}]}`, "a[0]"},
		"prefix not a string":         {`{"a":[{"prefix":5}]}`, "a[0].prefix"},
		"prefix bad object":           {`{"a":[{"prefix":{"wildcard":"x"}}]}`, "a[0].prefix"},
		"exists not a boolean":        {`{"a":[{"exists":"yes"}]}`, "a[0].exists"},
		"equals-ignore-case number":   {`{"a":[{"equals-ignore-case":5}]}`, "a[0].equals-ignore-case"},
		"numeric odd length":          {`{"a":[{"numeric":[">",0,"<"]}]}`, "a[0].numeric"},
		"numeric bad operator":        {`{"a":[{"numeric":["!=",0]}]}`, "a[0].numeric"},
		"numeric string operand":      {`{"a":[{"numeric":[">","0"]}]}`, "a[0].numeric"},
		"numeric inverted range":      {`{"a":[{"numeric":[">",5,"<",1]}]}`, "a[0].numeric"},
		"numeric range wrong ops":     {`{"a":[{"numeric":["<",1,">",5]}]}`, "a[0].numeric"},
		"anything-but empty list":     {`{"a":[{"anything-but":[]}]}`, "a[0].anything-but"},
		"anything-but list of bools":  {`{"a":[{"anything-but":[true]}]}`, "a[0].anything-but[0]"},
		"anything-but unknown object": {`{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "a[0].anything-but"},
		"anything-but prefix number":  {`{"a":[{"anything-but":{"prefix":1}}]}`, "a[0].anything-but.prefix"},
		"anything-but null":           {`{"a":[{"anything-but":null}]}`, "a[0].anything-but"},
		"wildcard consecutive stars":  {`{"a":[{"wildcard":"a**b"}]}`, "a[0].wildcard"},
		"wildcard bad escape":         {`{"a":[{"wildcard":"a\\b"}]}`, "a[0].wildcard"},
		"cidr invalid":                {`{"a":[{"cidr":"10.0.0.0/33"}]}`, "a[0].cidr"},
		"$or not a list":              {`{"$or":{"a":["b"]}}`, "$or"},
		"$or empty":                   {`{"$or":[]}`, "$or"},
		"$or element not an object":   {`{"$or":[["a"]]}`, "$or[0]"},
		"$or element invalid":         {`{"$or":[{"a":["b"]},{"c":"d"}]}`, "$or[1].c"},
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
	p := eventpattern.MustCompile(`{"detail":{"limit_value":[{"numeric":[">=",2]}],"limit_name":["Concurrent Broadcasts"]}}`)
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

// envelope wraps detail in the EventBridge envelope the suite's bus delivers.
func envelope(t *testing.T, detailType string, detail any) []byte {
	t.Helper()
	d, err := json.Marshal(detail)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "0d4c2b1e-9d7c-4f5e-8a3b-2c1d0e9f8a7b", "detail-type": detailType, "source": suite.EventSource,
		"account": "123456789012", "time": "2026-11-03T18:00:07Z", "region": "us-west-2", "resources": []string{}, "detail": json.RawMessage(d),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ExamplePattern_Match() {
	p := eventpattern.MustCompile(`{"source":["aws.ivs"],"detail":{"code":[{"prefix":"Multitrack"}]}}`)
	ok, _ := p.Match([]byte(`{"source":"aws.ivs","detail":{"event_name":"Session Ended","code":"MultitrackInputNotAllowed"}}`))
	fmt.Println(ok)
	// Output: true
}
