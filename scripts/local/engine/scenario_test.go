package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

func TestBuiltin(t *testing.T) {
	all := Builtin()
	if len(all) != len(builtinOrder) || len(all) < 9 {
		t.Fatalf("%d built-in scenarios, want the issue's 6, ingest quality, lost events and ads", len(all))
	}
	for i, sc := range all {
		if sc.Name != builtinOrder[i] {
			t.Errorf("scenario %d is %s, want %s", i+1, sc.Name, builtinOrder[i])
		}
		if sc.Expect == nil {
			t.Errorf("%s: no expectations: the run could not tell whether it worked", sc.Name)
			continue
		}
		if sc.Expect.DeadLetters == nil || *sc.Expect.DeadLetters != 0 {
			t.Errorf("%s: want an expectation of no dead letters", sc.Name)
		}
		if sc.Expect.Sessions == nil {
			t.Errorf("%s: want an expectation on the sessions archived", sc.Name)
		}
	}
}

func TestSelect(t *testing.T) {
	tests := map[string]struct {
		sel  string
		want []string
	}{
		"empty is all":     {"", builtinOrder},
		"all":              {"all", builtinOrder},
		"numbers":          {"1,4", []string{"multitrack-not-allowed", "wait-while-live"}},
		"names and spaces": {"burst, 3", []string{"burst", "basic-manual"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Select(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, sc := range got {
				names = append(names, sc.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Select(%q) = %v, want %v", tc.sel, names, tc.want)
			}
		})
	}
	for _, bad := range []string{"0", "99", "nope", "1,,2", "none"} {
		if _, err := Select(bad); err == nil {
			t.Errorf("Select(%q): no error", bad)
		} else if !strings.Contains(err.Error(), "multitrack-not-allowed") {
			t.Errorf("Select(%q) error %q does not list the scenarios", bad, err)
		}
	}
}

// valid is a scenario using every kind of step; the bad cases below break one field each.
const valid = `{
  "name": "custom",
  "title": "every kind of step",
  "timeline": "brief",
  "channels": [
    {"name": "a", "type": "STANDARD", "containerFormat": "FRAGMENTED_MP4", "multitrack": {"enabled": true, "policy": "ALLOW", "maximumResolution": "HD"}, "tags": {"team": "x"}},
    {"name": "g", "count": 3, "adConfiguration": "midrolls"}
  ],
  "steps": [
    {"note": "hello"},
    {"connect": "a", "tracks": 2, "expect": "live", "degradations": [{"kind": "bitrate-dip", "track": 1, "from": 0.5}]},
    {"connect": "g", "video": [{"codec": "avc1.64002A", "width": 1280, "height": 720, "framerate": 30, "bitrate": 2000000}]},
    {"neighbour": {"operation": "GetChannel", "perSecond": 2, "for": "1s"}},
    {"sleep": "250ms"},
    {"inject": {"id": "{{uuid}}", "resources": ["{{arn:a}}"], "detail": {"stream_id": "{{stream:a}}", "at": "{{now}}"}}},
    {"waitFor": "channel", "channel": "a", "multitrack": {"enabled": true}, "timeout": "5s"},
    {"waitFor": "deferred"},
    {"disconnect": "g"},
    {"starve": "a"},
    {"recover": "a"},
    {"waitFor": "idle"}
  ],
  "expect": {"sessions": 4, "calls": {"UpdateChannel": 0}, "records": [{"channel": "g", "videoTracks": 1}, {"channel": "a", "verdict": "degraded", "reason": "low-bitrate"}], "channels": {"a": {"policy": "ALLOW"}, "g": {"adConfiguration": true}}, "notifications": {"NotifyChannelForAPerson": 3}}
}`

func TestParseScenario(t *testing.T) {
	sc, err := ParseScenario([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(sc.Steps[4].Sleep); got != 250*time.Millisecond {
		t.Errorf("sleep = %s, want 250ms", got)
	}
	if got := sc.Channels[1].memberNames(); strings.Join(got, ",") != "g-01,g-02,g-03" {
		t.Errorf("group members = %v", got)
	}
	if sc.Timeline != TimelineBrief {
		t.Error("timeline brief not read")
	}
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseScenario(b)
	if err != nil {
		t.Fatalf("the scenario does not read back: %v\n%s", err, b)
	}
	if time.Duration(again.Steps[6].Timeout) != 5*time.Second {
		t.Errorf("timeout after a round trip = %s", time.Duration(again.Steps[6].Timeout))
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := map[string]struct {
		old, new  string // replace old with new in valid
		wantField string
	}{
		"not json":                          {`{`, `[`, "scenario"},
		"unknown field":                     {`"title"`, `"titel"`, "scenario"},
		"trailing data":                     {`}` + "\n" + `  ],`, `}]}{`, "scenario"},
		"bad name":                          {`"name": "custom"`, `"name": "Custom Scenario"`, "name"},
		"no title":                          {`"title": "every kind of step"`, `"title": " "`, "title"},
		"bad timeline":                      {`"brief"`, `"short"`, "timeline"},
		"bad channel name":                  {`"name": "a",`, `"name": "a b",`, "channels[0].name"},
		"duplicate channel":                 {`"name": "g"`, `"name": "a"`, "channels[1].name"},
		"bad type":                          {`"type": "STANDARD"`, `"type": "PREMIUM"`, "channels[0].type"},
		"bad container":                     {`"containerFormat": "FRAGMENTED_MP4"`, `"containerFormat": "MP4"`, "channels[0].containerFormat"},
		"enabled, no policy":                {`"policy": "ALLOW", "maximumResolution": "HD"}, "tags"`, `"maximumResolution": "HD"}, "tags"`, "channels[0].multitrack.policy"},
		"bad resolution":                    {`"maximumResolution": "HD"}, "tags"`, `"maximumResolution": "4K"}, "tags"`, "channels[0].multitrack.maximumResolution"},
		"group too big":                     {`"count": 3`, `"count": 1000`, "channels[1].count"},
		"two actions":                       {`{"note": "hello"}`, `{"note": "hello", "sleep": "1s"}`, "steps[0]"},
		"starve an unknown":                 {`{"starve": "a"}`, `{"starve": "zz"}`, "steps[9].starve"},
		"degrade a track beyond the ladder": {`"track": 1, "from": 0.5`, `"track": 2, "from": 0.5`, "steps[1].degradations[0]"},
		"degradation bad kind":              {`"kind": "bitrate-dip"`, `"kind": "blur"`, "steps[1].degradations[0]"},
		"hold a non-function":               {`{"note": "hello"}`, `{"hold": "transcode"}`, "steps[0].hold"},
		"release and hold":                  {`{"note": "hello"}`, `{"hold": "correct", "release": "correct"}`, "steps[0]"},
		"no action":                         {`{"note": "hello"}`, `{"tracks": 2}`, "steps[0]"},
		"unknown channel":                   {`{"connect": "a"`, `{"connect": "b"`, "steps[1].connect"},
		"too many tracks":                   {`"tracks": 2`, `"tracks": 6`, "steps[1].tracks"},
		"no tracks":                         {`"tracks": 2, `, ``, "steps[1].tracks"},
		"bad neighbour op":                  {`"GetChannel"`, `"ListChannels"`, "steps[3].neighbour.operation"},
		"bad neighbour rate":                {`"perSecond": 2`, `"perSecond": 0`, "steps[3].neighbour.perSecond"},
		"bad neighbour for":                 {`"for": "1s"`, `"for": "1h"`, "steps[3].neighbour.for"},
		"inject not an object":              {`{"inject": {"id": "{{uuid}}", "resources": ["{{arn:a}}"], "detail": {"stream_id": "{{stream:a}}", "at": "{{now}}"}}}`, `{"inject": "abc"}`, "steps[5].inject"},
		"unknown placeholder":               {`{{uuid}}`, `{{random}}`, "steps[5].inject"},
		"placeholder on group":              {`{{arn:a}}`, `{{arn:g}}`, "steps[5].inject"},
		"bad wait":                          {`"waitFor": "deferred"`, `"waitFor": "godot"`, "steps[7].waitFor"},
		"wait channel unknown":              {`"channel": "a", "multitrack"`, `"channel": "z", "multitrack"`, "steps[6].channel"},
		"wait channel no mt":                {`"multitrack": {"enabled": true}, `, ``, "steps[6].multitrack"},
		"unknown disconnect":                {`{"disconnect": "g"}`, `{"disconnect": "h"}`, "steps[8].disconnect"},
		"expect record":                     {`{"channel": "g", "videoTracks": 1}`, `{"channel": "q"}`, "expect.records[0].channel"},
		"expect channel":                    {`"channels": {"a"`, `"channels": {"q"`, "expect.channels"},
		"bad ad configuration":              {`"adConfiguration": "midrolls"`, `"adConfiguration": "mid rolls"`, "channels[1].adConfiguration"},
		"unknown notification":              {`"NotifyChannelForAPerson": 3`, `"NotifyEveryone": 3`, "expect.notifications"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(valid, tc.old) {
				t.Fatalf("the test's old text %q is not in the valid scenario", tc.old)
			}
			_, err := ParseScenario([]byte(strings.Replace(valid, tc.old, tc.new, 1)))
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *invalid.FieldError", err)
			}
			if fe.Field != tc.wantField {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tc.wantField, err)
			}
		})
	}
}

func TestLoadScenarioNamesTheFile(t *testing.T) {
	_, err := LoadScenario("testdata/does-not-exist.json")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.json") {
		t.Errorf("err = %v, want one naming the file", err)
	}
}
