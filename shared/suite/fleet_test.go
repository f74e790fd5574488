package suite

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

var twoRegions = Fleet{Regions: []string{"us-west-2", "eu-west-1"}}

func TestSingleRegionHasNoFleet(t *testing.T) {
	var f Fleet
	if f.Enabled() || f.Home() != "" {
		t.Fatalf("the zero Fleet is a fleet: %+v", f)
	}
	if got := f.Routes(); !reflect.DeepEqual(got, Routes) {
		t.Errorf("single-region routes differ from Routes:\n%v\n%v", got, Routes)
	}
	for _, fn := range AllFunctions() {
		if q := f.QueueName(fn, "eu-west-1"); q != fn {
			t.Errorf("QueueName(%s) = %s, want %s", fn, q, fn)
		}
		env := DefaultSettings().Environment(fn, Resources{EventBus: "b", ArchiveBucket: "a", DeadLetterQueueURL: "https://q", Account: "123456789012"})
		for _, k := range []string{EnvFleetRegions, EnvFleetMemberAccounts} {
			if _, ok := env[k]; ok {
				t.Errorf("single-region %s has %s", fn, k)
			}
		}
		// Only the sweep is given its account in one region (the live index it lists).
		if _, ok := env[EnvAccountID]; ok != (fn == FunctionSweep) {
			t.Errorf("single-region %s: %s given = %v, want %v", fn, EnvAccountID, ok, fn == FunctionSweep)
		}
	}
}

func TestFleetRoutes(t *testing.T) {
	type want struct{ bus, fn, region, pattern string }
	check := func(t *testing.T, f Fleet, wants map[string]want) {
		t.Helper()
		got := map[string]want{}
		for _, r := range f.Routes() {
			if _, dup := got[r.Name]; dup {
				t.Errorf("two routes named %s", r.Name)
			}
			got[r.Name] = want{r.Bus, r.Function, r.Region, r.Pattern.JSON()}
		}
		for name, w := range wants {
			g, ok := got[name]
			if !ok {
				t.Errorf("no route %s", name)
				continue
			}
			if g.bus != w.bus || g.fn != w.fn || g.region != w.region {
				t.Errorf("route %s: bus %s, function %s, region %s; want %s, %s, %s", name, g.bus, g.fn, g.region, w.bus, w.fn, w.region)
			}
			for _, part := range strings.Split(w.pattern, "|") {
				if !strings.Contains(g.pattern, part) {
					t.Errorf("route %s: pattern %s lacks %s", name, g.pattern, part)
				}
			}
		}
		for name := range got {
			if _, ok := wants[name]; !ok {
				t.Errorf("unexpected route %s", name)
			}
		}
	}
	t.Run("regions", func(t *testing.T) {
		check(t, twoRegions, map[string]want{
			"IvsEvents":                   {BusDefault, FunctionEnrich, "us-west-2", `"source":["aws.ivs"]`},
			"IvsEvents-eu-west-1":         {BusFleet, FunctionEnrich, "eu-west-1", `"region":["eu-west-1"]`},
			"EnrichedSessions":            {BusSessions, FunctionArchive, "", `"detail-type":["IVS Session Enriched"]`},
			"Corrections":                 {BusSessions, FunctionArchive, "", `IVS Channel Multitrack Corrected`},
			"SessionQuality":              {BusSessions, FunctionArchive, "", `IVS Session Quality`},
			"CorrectionsNeeded":           {BusSessions, FunctionCorrect, "us-west-2", `"record":{"region":["us-west-2"]}|"action":["apply"]`},
			"CorrectionsNeeded-eu-west-1": {BusSessions, FunctionCorrect, "eu-west-1", `"record":{"region":["eu-west-1"]}`},
			"EndedSessions":               {BusSessions, FunctionQuality, "us-west-2", `"region":["us-west-2"]|"outcome":["ended"]`},
			"EndedSessions-eu-west-1":     {BusSessions, FunctionQuality, "eu-west-1", `"outcome":["ended"],"region":["eu-west-1"]`},
		})
	})
	t.Run("member accounts", func(t *testing.T) {
		f := twoRegions
		f.Accounts = []string{"210987654321"}
		wants := map[string]want{
			"IvsEvents":           {BusDefault, FunctionEnrich, "us-west-2", `"source":["aws.ivs"]`},
			"IvsEvents-us-west-2": {BusFleet, FunctionEnrich, "us-west-2", `"region":["us-west-2"]`},
			"IvsEvents-eu-west-1": {BusFleet, FunctionEnrich, "eu-west-1", `"region":["eu-west-1"]`},
		}
		for _, r := range twoRegions.Routes() {
			if _, ok := wants[r.Name]; !ok {
				wants[r.Name] = want{r.Bus, r.Function, r.Region, r.Pattern.JSON()}
			}
		}
		check(t, f, wants)
	})
	// The base routes are never changed by a fleet's copies.
	if got := Routes[3].Pattern.JSON(); strings.Contains(got, "region") {
		t.Errorf("Routes changed: %s", got)
	}
}

func TestFleetQueueNames(t *testing.T) {
	for _, c := range []struct{ fn, region, want string }{
		{FunctionEnrich, "us-west-2", "enrich"},
		{FunctionEnrich, "eu-west-1", "enrich-eu-west-1"},
		{FunctionCorrect, "eu-west-1", "correct-eu-west-1"},
		{FunctionQuality, "eu-west-1", "quality-eu-west-1"},
		{FunctionArchive, "eu-west-1", "archive"},
		{FunctionSweep, "eu-west-1", "sweep"},
	} {
		if got := twoRegions.QueueName(c.fn, c.region); got != c.want {
			t.Errorf("QueueName(%s, %s) = %s, want %s", c.fn, c.region, got, c.want)
		}
	}
	if got := twoRegions.QueueRegions(FunctionArchive); !slices.Equal(got, []string{""}) {
		t.Errorf("archive's queue regions %v", got)
	}
	if got := twoRegions.QueueRegions(FunctionCorrect); !slices.Equal(got, twoRegions.Regions) {
		t.Errorf("correct's queue regions %v", got)
	}
	// Every route's target queue is one of its function's queues.
	for _, r := range twoRegions.Routes() {
		q := twoRegions.QueueName(r.Function, r.Region)
		found := false
		for _, region := range twoRegions.QueueRegions(r.Function) {
			found = found || twoRegions.QueueName(r.Function, region) == q
		}
		if !found {
			t.Errorf("route %s targets %s, not a queue of %s", r.Name, q, r.Function)
		}
	}
}

func TestFleetCheck(t *testing.T) {
	good := []Fleet{
		{},
		twoRegions,
		{Regions: []string{"ap-south-1"}},
		{Regions: []string{"us-west-2", "eu-central-1", "ap-northeast-1"}, Accounts: []string{"111111111111", "222222222222"}},
		{Regions: []string{"us-west-2"}, Accounts: []string{"111111111111"}, Organization: "o-a1b2c3d4e5"},
	}
	for _, f := range good {
		if err := f.Check(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	bad := map[string]struct {
		f     Fleet
		field string
	}{
		"not a region":         {Fleet{Regions: []string{"us-west-2", "europe"}}, "regions"},
		"region twice":         {Fleet{Regions: []string{"us-west-2", "us-west-2"}}, "regions"},
		"short account":        {Fleet{Regions: []string{"us-west-2"}, Accounts: []string{"12345"}}, "accounts"},
		"account twice":        {Fleet{Regions: []string{"us-west-2"}, Accounts: []string{"111111111111", "111111111111"}}, "accounts"},
		"accounts, no regions": {Fleet{Accounts: []string{"111111111111"}}, "regions"},
		"bad organization":     {Fleet{Regions: []string{"us-west-2"}, Accounts: []string{"111111111111"}, Organization: "org-1"}, "organization"},
		"organization only":    {Fleet{Regions: []string{"us-west-2"}, Organization: "o-a1b2c3d4e5"}, "accounts"},
	}
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			err := c.f.Check()
			var fe *invalid.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("Check() = %v, want a FieldError on %s", err, c.field)
			}
		})
	}
}

func TestFleetEnvironmentAndLoad(t *testing.T) {
	s := DefaultSettings()
	s.Fleet = Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{"210987654321"}}
	r := Resources{EventBus: "b", ArchiveBucket: "a", DeadLetterQueueURL: "https://q", Account: "123456789012"}
	for _, fn := range AllFunctions() {
		env := s.Environment(fn, r)
		_, has := env[EnvFleetRegions]
		if want := slices.Contains(FleetFunctions, fn); has != want {
			t.Errorf("%s: fleet variables %v, want %v", fn, has, want)
		}
		if !has {
			continue
		}
		f, own, err := LoadFleet(func(k string) string { return env[k] })
		if err != nil || own != "123456789012" || !reflect.DeepEqual(f, Fleet{Regions: s.Fleet.Regions, Accounts: s.Fleet.Accounts}) {
			t.Errorf("%s: LoadFleet = %+v, %q, %v", fn, f, own, err)
		}
	}
	bad := map[string]map[string]string{
		EnvAccountID:           {EnvFleetRegions: "us-west-2"},
		EnvFleetRegions:        {EnvFleetRegions: "us-west-2,mars", EnvAccountID: "123456789012"},
		EnvFleetMemberAccounts: {EnvFleetRegions: "us-west-2", EnvAccountID: "123456789012", EnvFleetMemberAccounts: "123456789012"},
	}
	for field, env := range bad {
		_, _, err := LoadFleet(func(k string) string { return env[k] })
		var fe *invalid.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("LoadFleet(%v) = %v, want a FieldError on %s", env, err, field)
		}
	}
	if f, own, err := LoadFleet(func(string) string { return "" }); err != nil || f.Enabled() || own != "" {
		t.Errorf("no fleet variables: %+v %q %v", f, own, err)
	}
}

func TestFleetCovers(t *testing.T) {
	f := Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{"210987654321"}}
	for _, c := range []struct {
		account, region string
		want            bool
	}{
		{"123456789012", "us-west-2", true},
		{"123456789012", "eu-west-1", true},
		{"210987654321", "eu-west-1", true},
		{"123456789012", "ap-south-1", false},
		{"999999999999", "us-west-2", false},
	} {
		if got := f.Covers("123456789012", c.account, c.region); got != c.want {
			t.Errorf("Covers(%s, %s) = %v", c.account, c.region, got)
		}
	}
}

func TestFleetRoleName(t *testing.T) {
	// IAM role names are at most 64 characters; the longest region name AWS has is 14.
	for _, fn := range FleetFunctions {
		if n := FleetRoleName(fn, "ap-southeast-7"); len(n) > 64 {
			t.Errorf("%s: %d characters", n, len(n))
		}
	}
	if got := FleetRoleName(FunctionEnrich, "eu-west-1"); got != "ivs-sessions-enrich-eu-west-1" {
		t.Errorf("FleetRoleName = %s", got)
	}
	b, _ := json.Marshal(List(" a, ,b ,"))
	if string(b) != `["a","b"]` {
		t.Errorf("List = %s", b)
	}
}
