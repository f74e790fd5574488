package ivssessions_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/infra/ivssessions"
	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestSingleRegionTemplateUnchanged: without regions (the default) the stack is the
// single-region deployment, resource for resource as it was before fleets: the fleet code adds
// nothing to it. The golden file is the template of the default settings with the tests' dummy
// bootstraps; a change that is meant to alter the single-region stack rewrites it with
// go test ./infra/ivssessions -run TestSingleRegionTemplateUnchanged -update, and the diff
// shows what changed for every single-region deployment.
func TestSingleRegionTemplateUnchanged(t *testing.T) {
	f := defaultFixture(t)
	golden.CheckJSON(t, filepath.Join("testdata", "single-region.template.json"), f.template)
}

// The fleet the template tests synthesize: a home region, another region, a member account.
const (
	home, other = "us-west-2", "eu-west-1"
	member      = "210987654321"
)

// fleetApp is a fleet's stacks synthesized as infra/main.go synthesizes them.
type fleetApp struct {
	home      *fixture
	forwarder *fixture // the other region's
	member    *fixture // nil without member accounts
}

var fleetFixtures = map[string]*fleetApp{}

// synthFleet synthesizes (once per name) the fleet of props, as infra/main.go does: the home
// stack in the home region, AddFleetStacks, and cdk-nag over the app.
func synthFleet(t *testing.T, name string, props ivssessions.IvsSessionsProps) *fleetApp {
	t.Helper()
	if f, ok := fleetFixtures[name]; ok {
		return f
	}
	app := newApp(t)
	defer failedSynth(t)
	props.AssetsDir = assetsDir
	homeStack := awscdk.NewStack(app, jsii.String("IvsSessions"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(props.Regions[0])}})
	s := ivssessions.NewIvsSessions(homeStack, jsii.String("Suite"), &props)
	stacks := ivssessions.AddFleetStacks(app, homeStack, props)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(nil), nil)
	fa := &fleetApp{home: fixtureOf(t, homeStack), forwarder: fixtureOf(t, stacks.Forwarders[props.Regions[1]])}
	fa.home.suite = s
	if stacks.Member != nil {
		fa.member = fixtureOf(t, stacks.Member)
	}
	fleetFixtures[name] = fa
	return fa
}

// fixtureOf reads stack's synthesized template.
func fixtureOf(t *testing.T, stack awscdk.Stack) *fixture {
	t.Helper()
	tmpl := assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Resources map[string]map[string]any }
	var whole any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &whole); err != nil {
		t.Fatal(err)
	}
	return &fixture{stack: stack, annots: assertions.Annotations_FromStack(stack), resources: doc.Resources, template: whole}
}

func twoRegionFleet(t *testing.T) *fleetApp {
	return synthFleet(t, "members", ivssessions.IvsSessionsProps{Regions: []string{home, other}, Accounts: []string{member}})
}

// flat renders a template value as one string: a Ref as ${name}, an attribute as
// ${id.attribute}, a join joined, a list as its items' strings sorted and comma-separated; the
// partition, which CDK resolves where the region is known, as aws.
func flat(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			items[i] = flat(item)
		}
		slices.Sort(items)
		return strings.Join(items, ",")
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			if r == "AWS::Partition" {
				return "aws"
			}
			return "${" + r + "}"
		}
		if a := list(v["Fn::GetAtt"]); len(a) == 2 {
			return "${" + str(a[0]) + "." + str(a[1]) + "}"
		}
		if j := list(v["Fn::Join"]); len(j) == 2 {
			var b strings.Builder
			for _, part := range list(j[1]) {
				b.WriteString(flat(part))
			}
			return b.String()
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestFleetNagClean(t *testing.T) {
	fa := twoRegionFleet(t)
	for name, f := range map[string]*fixture{"home": fa.home, "forwarder": fa.forwarder, "member": fa.member} {
		t.Run(name, func(t *testing.T) {
			nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			for _, m := range append(*f.annots.FindError(jsii.String("*"), nag), *f.annots.FindWarning(jsii.String("*"), nag)...) {
				b, _ := json.Marshal(m)
				t.Errorf("cdk-nag: %s", b)
			}
			for id, r := range f.resources {
				for _, s := range list(get(r, "Metadata", "cdk_nag", "rules_to_suppress")) {
					if !strings.HasPrefix(str(get(s, "id")), "AwsSolutions-") || len(str(get(s, "reason"))) < 40 {
						t.Errorf("%s: suppression %v needs a rule and a real reason", id, s)
					}
				}
			}
		})
	}
}

// TestFleetRegionalQueues: each regional function has a queue per region, each with its own
// event source mapping capped at the function's maximum concurrency (a region's batches never
// wait for another region's), one dead-letter queue, and the function's reserved concurrency
// covers every mapping; archive keeps one queue.
func TestFleetRegionalQueues(t *testing.T) {
	f := twoRegionFleet(t).home
	for _, fn := range suite.Functions {
		t.Run(fn, func(t *testing.T) {
			homeQ, otherQ := f.suite.QueueOf(fn, home), f.suite.QueueOf(fn, other)
			regional := suite.IsRegional(fn)
			if regional == (f.id(t, homeQ) == f.id(t, otherQ)) {
				t.Fatalf("regional %v, but home and %s queues %s, %s", regional, other, f.id(t, homeQ), f.id(t, otherQ))
			}
			fnID := f.id(t, f.suite.Function(fn))
			mappings := 0
			for _, esm := range f.ofType("AWS::Lambda::EventSourceMapping") {
				if !equal(get(esm, "Properties", "FunctionName"), ref(fnID)) {
					continue
				}
				mappings++
				if got := num(get(esm, "Properties", "ScalingConfig", "MaximumConcurrency")); regional && got != suite.MaxConcurrency {
					t.Errorf("a mapping's maximum concurrency %v, want %d", got, suite.MaxConcurrency)
				}
			}
			want := 1
			if regional {
				want = 2
				for _, q := range []string{f.id(t, homeQ), f.id(t, otherQ)} {
					dlq := get(f.properties(t, q, "AWS::SQS::Queue"), "RedrivePolicy", "deadLetterTargetArn")
					if !equal(dlq, arnOf(f.id(t, f.suite.DeadLetterQueue(fn)))) {
						t.Errorf("queue %s's DLQ %v, want the function's one DLQ", q, dlq)
					}
				}
				reserved := num(get(f.properties(t, fnID, "AWS::Lambda::Function"), "ReservedConcurrentExecutions"))
				if reserved != 2*suite.MaxConcurrency {
					t.Errorf("reserved concurrency %v, want %d (each region's mapping at most %d)", reserved, 2*suite.MaxConcurrency, suite.MaxConcurrency)
				}
			}
			if mappings != want {
				t.Errorf("%d event source mappings, want %d", mappings, want)
			}
		})
	}
}

// TestFleetWiring: the home region's IVS events reach enrich from the default bus as in a
// single-region deployment, every region's forwarded events reach its own enrich queue from the
// fleet bus, and the suite's events reach the correct and quality queue of the record's region.
func TestFleetWiring(t *testing.T) {
	f := twoRegionFleet(t).home
	fleetBus := f.id(t, f.suite.FleetBus())
	if name := get(f.properties(t, fleetBus, "AWS::Events::EventBus"), "Name"); name != suite.FleetBusName {
		t.Errorf("fleet bus named %v, want %s (the forwarders target it by ARN)", name, suite.FleetBusName)
	}
	suiteBus := f.id(t, f.suite.EventBus())
	type route struct {
		bus     any
		pattern map[string]any
		queue   string
	}
	rules := map[string]route{}
	for id, r := range f.ofType("AWS::Events::Rule") {
		p := get(r, "Properties").(map[string]any)
		pattern, ok := p["EventPattern"].(map[string]any)
		if !ok {
			continue // the sweep's schedules
		}
		for _, tg := range list(p["Targets"]) {
			if a, ok := get(tg, "Arn").(map[string]any); ok && a["Fn::GetAtt"] != nil {
				rules[id] = route{p["EventBusName"], pattern, str(list(a["Fn::GetAtt"])[0])}
			}
		}
	}
	find := func(fn, region string, bus any, match func(map[string]any) bool) bool {
		q := f.id(t, f.suite.QueueOf(fn, region))
		for _, r := range rules {
			if r.queue == q && equal(r.bus, bus) && match(r.pattern) {
				return true
			}
		}
		return false
	}
	ivs := func(region string) func(map[string]any) bool {
		return func(p map[string]any) bool {
			return equal(p["source"], []any{"aws.ivs"}) && (region == "" && p["region"] == nil || equal(p["region"], []any{region}))
		}
	}
	recordIn := func(region string) func(map[string]any) bool {
		return func(p map[string]any) bool { return equal(get(p, "detail", "record", "region"), []any{region}) }
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"home IVS events from the default bus to enrich's home queue", find(suite.FunctionEnrich, home, nil, ivs(""))},
		{"member IVS events of the home region from the fleet bus to enrich's home queue", find(suite.FunctionEnrich, home, ref(fleetBus), ivs(home))},
		{other + " IVS events from the fleet bus to enrich's " + other + " queue", find(suite.FunctionEnrich, other, ref(fleetBus), ivs(other))},
		{"home corrections to correct's home queue", find(suite.FunctionCorrect, home, ref(suiteBus), recordIn(home))},
		{other + " corrections to correct's " + other + " queue", find(suite.FunctionCorrect, other, ref(suiteBus), recordIn(other))},
		{other + " ended sessions to quality's " + other + " queue", find(suite.FunctionQuality, other, ref(suiteBus), recordIn(other))},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("no rule: %s", c.what)
		}
	}
	// Nothing of another region reaches a home queue of correct or quality.
	for _, fn := range []string{suite.FunctionCorrect, suite.FunctionQuality} {
		q := f.id(t, f.suite.QueueOf(fn, home))
		for id, r := range rules {
			if r.queue == q && !recordIn(home)(r.pattern) {
				t.Errorf("rule %s sends %v to %s's home queue", id, r.pattern, fn)
			}
		}
	}
	// What the fleet bus receives and no queue reads is kept: unknown detail-types, and a
	// region outside the fleet.
	outside := false
	for _, r := range rules {
		if equal(r.bus, ref(fleetBus)) && equal(get(r.pattern, "region"), []any{map[string]any{"anything-but": []any{home, other}}}) &&
			r.queue == f.id(t, f.suite.DeadLetterQueue(suite.FunctionEnrich)) {
			outside = true
		}
	}
	if !outside {
		t.Errorf("no rule keeps the fleet bus's IVS events of a region outside the fleet")
	}
	// The functions that call a region's APIs know the fleet; archive does not need to.
	for _, fn := range suite.AllFunctions() {
		env, _ := get(f.properties(t, f.id(t, f.suite.Function(fn)), "AWS::Lambda::Function"), "Environment", "Variables").(map[string]any)
		_, has := env[suite.EnvFleetRegions]
		if want := slices.Contains(suite.FleetFunctions, fn); has != want {
			t.Errorf("%s: %s set %v, want %v", fn, suite.EnvFleetRegions, has, want)
		}
		if has && (env[suite.EnvFleetRegions] != home+","+other || env[suite.EnvFleetMemberAccounts] != member || !equal(env[suite.EnvAccountID], ref("AWS::AccountId"))) {
			t.Errorf("%s: fleet environment %v", fn, env)
		}
	}
}

// TestFleetIAM: each function that calls IVS may call it on the channels of its own account in
// each region of the fleet and nowhere else, its account-level calls are narrowed to the
// fleet's regions, and it may assume exactly its own role in each member account and region.
func TestFleetIAM(t *testing.T) {
	f := twoRegionFleet(t).home
	for _, fn := range suite.FleetFunctions {
		t.Run(fn, func(t *testing.T) {
			roleID := str(list(get(f.properties(t, f.id(t, f.suite.Function(fn)), "AWS::Lambda::Function"), "Role", "Fn::GetAtt"))[0])
			role := f.properties(t, roleID, "AWS::IAM::Role")
			if got := get(role, "RoleName"); got != suite.FleetRoleName(fn, home) {
				t.Errorf("role name %v, want %s (the member roles trust it by name)", got, suite.FleetRoleName(fn, home))
			}
			var assumes []any
			for _, pol := range f.ofType("AWS::IAM::Policy") {
				if !slices.ContainsFunc(list(get(pol, "Properties", "Roles")), func(v any) bool { return equal(v, ref(roleID)) }) {
					continue
				}
				for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
					actions, res := asStrings(get(st, "Action")), get(st, "Resource")
					switch {
					case slices.Contains(actions, "sts:AssumeRole"):
						assumes = append(assumes, list(res)...)
					case equal(res, "*") && (strings.HasPrefix(actions[0], "ivs:") || strings.HasPrefix(actions[0], "cloudwatch:")):
						if !equal(get(st, "Condition"), map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": []any{home, other}}}) {
							t.Errorf("%v on * with condition %v, want the fleet's regions only", actions, get(st, "Condition"))
						}
					case strings.HasPrefix(actions[0], "ivs:"):
						if flat(res) != "arn:aws:ivs:"+other+":${AWS::AccountId}:channel/*,arn:aws:ivs:"+home+":${AWS::AccountId}:channel/*" {
							t.Errorf("%v on %v, want the account's channels in %s and %s", actions, res, home, other)
						}
					}
				}
			}
			want := "arn:aws:iam::" + member + ":role/" + suite.FleetRoleName(fn, other) + ",arn:aws:iam::" + member + ":role/" + suite.FleetRoleName(fn, home)
			if flat(assumes) != want {
				t.Errorf("sts:AssumeRole on %v, want exactly %v", assumes, want)
			}
		})
	}
	archiveRole := str(list(get(f.properties(t, f.id(t, f.suite.Function(suite.FunctionArchive)), "AWS::Lambda::Function"), "Role", "Fn::GetAtt"))[0])
	if n := get(f.properties(t, archiveRole, "AWS::IAM::Role"), "RoleName"); n != nil {
		t.Errorf("archive's role is named %v: it calls nothing in the members", n)
	}
}

// TestFleetBusPolicy: the fleet bus accepts the member accounts' forwarded events (aws.ivs, and
// their forwarder's alarm, aws.cloudwatch) by list, or by organization, and nothing else.
func TestFleetBusPolicy(t *testing.T) {
	for name, c := range map[string]struct {
		props     ivssessions.IvsSessionsProps
		principal string
		condition map[string]any
	}{
		"list": {
			ivssessions.IvsSessionsProps{Regions: []string{home, other}, Accounts: []string{member}},
			"arn:aws:iam::" + member + ":root",
			map[string]any{"StringEquals": map[string]any{"events:source": []any{"aws.ivs", "aws.cloudwatch"}}},
		},
		"organization": {
			ivssessions.IvsSessionsProps{Regions: []string{home, other}, Accounts: []string{member}, Organization: "o-a1b2c3d4e5"},
			"*",
			map[string]any{"StringEquals": map[string]any{"events:source": []any{"aws.ivs", "aws.cloudwatch"}, "aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := synthFleet(t, name, c.props).home
			busID := f.id(t, f.suite.FleetBus())
			var found []map[string]any
			for _, st := range f.statements() {
				if equal(st.body["Resource"], arnOf(busID)) {
					found = append(found, st.body)
				}
			}
			for _, p := range f.ofType("AWS::Events::EventBusPolicy") {
				if equal(get(p, "Properties", "EventBusName"), ref(busID)) {
					for _, st := range list(get(p, "Properties", "Statement")) {
						found = append(found, st.(map[string]any))
					}
					if st, ok := get(p, "Properties", "Statement").(map[string]any); ok {
						found = append(found, st)
					}
				}
			}
			if len(found) != 1 {
				t.Fatalf("fleet bus policy statements %v, want one", found)
			}
			st := found[0]
			if st["Effect"] != "Allow" || !equal(st["Action"], "events:PutEvents") || flat(get(st, "Principal", "AWS")) != c.principal || !equal(st["Condition"], c.condition) {
				t.Errorf("fleet bus statement %v, want PutEvents by %v with %v", st, c.principal, c.condition)
			}
		})
	}
}

// TestForwarderStack: another region's stack sends every IVS event of its default bus to the
// home region's fleet bus with a role that may do that only, keeps what cannot be delivered,
// alarms on it, and forwards that alarm home.
func TestForwarderStack(t *testing.T) {
	f := twoRegionFleet(t).forwarder
	if r := f.stack.Region(); *r != other {
		t.Fatalf("forwarder stack in %s", *r)
	}
	busARN := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":events:" + home + ":", ref("AWS::AccountId"), ":event-bus/" + suite.FleetBusName}}}
	rules := f.ofType("AWS::Events::Rule")
	var forward, alarm map[string]any
	for _, r := range rules {
		p := get(r, "Properties").(map[string]any)
		switch {
		case equal(get(p, "EventPattern", "source"), []any{"aws.ivs"}):
			forward = p
		case equal(get(p, "EventPattern", "source"), []any{"aws.cloudwatch"}):
			alarm = p
		}
	}
	if forward == nil || alarm == nil || len(rules) != 2 {
		t.Fatalf("rules %v: want the IVS events' and the alarm's", rules)
	}
	if forward["Name"] != suite.ForwarderRuleName || forward["EventBusName"] != nil || get(forward, "EventPattern", "detail-type") != nil {
		t.Errorf("forwarding rule %v: want %s on the default bus, every IVS event", forward, suite.ForwarderRuleName)
	}
	dlqs := f.ofType("AWS::SQS::Queue")
	if len(dlqs) != 1 {
		t.Fatalf("queues %v, want the forwarder's dead-letter queue", dlqs)
	}
	var dlqID string
	for id, q := range dlqs {
		dlqID = id
		if get(q, "Properties", "QueueName") != suite.ForwarderDeadLetterQueueName || num(get(q, "Properties", "MessageRetentionPeriod")) != 14*24*3600 {
			t.Errorf("dead-letter queue %v", q)
		}
	}
	for _, p := range []map[string]any{forward, alarm} {
		tg := list(p["Targets"])
		if len(tg) != 1 || !equal(get(tg[0], "Arn"), busARN) || !equal(get(tg[0], "DeadLetterConfig", "Arn"), arnOf(dlqID)) || get(tg[0], "RoleArn") == nil {
			t.Errorf("target %v: want the fleet bus %v with a role and the dead-letter queue", tg, busARN)
		}
	}
	// The role may put events on the fleet bus, nothing else.
	for _, st := range f.statements() {
		if st.body["Effect"] != "Allow" || f.resources[st.where]["Type"] != "AWS::IAM::Policy" {
			continue
		}
		if !equal(st.body["Action"], "events:PutEvents") || !equal(st.body["Resource"], busARN) {
			t.Errorf("%s: %v on %v, want events:PutEvents on the fleet bus only", st.where, st.body["Action"], st.body["Resource"])
		}
	}
	alarms := f.ofType("AWS::CloudWatch::Alarm")
	for id, a := range alarms {
		if !equal(get(a, "Properties", "Dimensions"), []any{map[string]any{"Name": "QueueName", "Value": attr(dlqID, "QueueName")}}) {
			t.Errorf("alarm %s on %v, want the dead-letter queue's depth", id, get(a, "Properties", "Dimensions"))
		}
		if !equal(get(alarm, "EventPattern", "resources"), []any{arnOf(id)}) {
			t.Errorf("the alarm rule forwards %v, want alarm %s's state changes", get(alarm, "EventPattern", "resources"), id)
		}
	}
	if len(alarms) != 1 {
		t.Errorf("%d alarms, want 1", len(alarms))
	}
}

// TestMemberTemplate: the member accounts' template forwards as a region of the home account
// does, into the home account given as a parameter, refuses a region outside the fleet or the
// home account, and gives each home function exactly its calls on this account's channels in
// this region, through a role only that function's role may assume.
func TestMemberTemplate(t *testing.T) {
	f := twoRegionFleet(t).member
	param := get(f.template, "Parameters", "HomeAccountId")
	if get(param, "AllowedPattern") != "^[0-9]{12}$" {
		t.Errorf("HomeAccountId parameter %v", param)
	}
	if get(f.template, "Parameters", "BootstrapVersion") != nil {
		t.Errorf("the member template needs no CDK bootstrap in the member accounts, but has BootstrapVersion")
	}
	rules, _ := json.Marshal(get(f.template, "Rules"))
	for _, want := range []string{`"Fn::Contains":[["us-west-2","eu-west-1"],{"Ref":"AWS::Region"}]`, `"Fn::Equals":[{"Ref":"AWS::AccountId"},{"Ref":"HomeAccountId"}]`} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("template rules %s lack %s", rules, want)
		}
	}
	busARN := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":events:" + home + ":", ref("HomeAccountId"), ":event-bus/" + suite.FleetBusName}}}
	forwarded := false
	for _, r := range f.ofType("AWS::Events::Rule") {
		forwarded = forwarded || (equal(get(r, "Properties", "EventPattern", "source"), []any{"aws.ivs"}) && equal(get(r, "Properties", "Targets", 0, "Arn"), busARN))
	}
	if !forwarded {
		t.Errorf("the member template does not forward IVS events to %v", busARN)
	}
	channels := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":ivs:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":channel/*"}}}
	wantCalls := map[string][]string{
		suite.FunctionEnrich:  {"ivs:GetStreamSession"},
		suite.FunctionCorrect: {"ivs:GetChannel", "ivs:GetStream", "ivs:GetStreamSession", "ivs:UpdateChannel"},
		suite.FunctionSweep:   {"ivs:GetStreamSession", "ivs:ListChannels", "ivs:ListStreamSessions", "ivs:ListStreams"},
		suite.FunctionQuality: {"cloudwatch:GetMetricData"},
	}
	roles := 0
	for id, r := range f.ofType("AWS::IAM::Role") {
		p := get(r, "Properties").(map[string]any)
		name, _ := json.Marshal(p["RoleName"])
		fn := ""
		for _, candidate := range suite.FleetFunctions {
			if string(name) == `{"Fn::Join":["",["ivs-sessions-`+candidate+`-",{"Ref":"AWS::Region"}]]}` {
				fn = candidate
			}
		}
		if fn == "" {
			continue // the forwarder's
		}
		roles++
		trust := get(p, "AssumeRolePolicyDocument", "Statement", 0)
		homeRole := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":iam::", ref("HomeAccountId"), ":role/" + suite.FleetRoleName(fn, home)}}}
		if !equal(get(trust, "Condition"), map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": homeRole}}) {
			t.Errorf("%s role trusts %v with %v, want the home %s function's role only", fn, get(trust, "Principal"), get(trust, "Condition"), fn)
		}
		var calls []string
		for _, pol := range f.ofType("AWS::IAM::Policy") {
			if !slices.ContainsFunc(list(get(pol, "Properties", "Roles")), func(v any) bool { return equal(v, ref(id)) }) {
				continue
			}
			for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
				if get(st, "Effect") != "Allow" {
					continue // correct's opt-out guard
				}
				acts := asStrings(get(st, "Action"))
				calls = append(calls, acts...)
				if equal(get(st, "Resource"), "*") {
					if !equal(get(st, "Condition"), map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": ref("AWS::Region")}}) {
						t.Errorf("%s: %v on * without this region's condition: %v", fn, acts, get(st, "Condition"))
					}
				} else if !equal(get(st, "Resource"), channels) {
					t.Errorf("%s: %v on %v, want this account's channels in this region", fn, acts, get(st, "Resource"))
				}
			}
		}
		slices.Sort(calls)
		if !slices.Equal(calls, wantCalls[fn]) {
			t.Errorf("%s role calls %v, want %v", fn, calls, wantCalls[fn])
		}
	}
	if roles != len(suite.FleetFunctions) {
		t.Errorf("%d function roles, want %d", roles, len(suite.FleetFunctions))
	}
}

// TestFleetAlarmsReachTheHomeTopic: the forwarders' alarms arrive on the fleet bus and go to
// the one alarm topic; each regional queue has its age alarm; the dashboard graphs every region.
func TestFleetAlarmsReachTheHomeTopic(t *testing.T) {
	f := twoRegionFleet(t).home
	topic := ref(f.id(t, f.suite.AlarmTopic()))
	found := false
	for _, r := range f.ofType("AWS::Events::Rule") {
		p := get(r, "Properties")
		if equal(get(p, "EventBusName"), ref(f.id(t, f.suite.FleetBus()))) && equal(get(p, "EventPattern", "source"), []any{"aws.cloudwatch"}) &&
			equal(get(p, "Targets", 0, "Arn"), topic) {
			found = true
		}
	}
	if !found {
		t.Errorf("no rule sends the forwarders' alarms to the alarm topic")
	}
	for _, fn := range suite.RegionalFunctions {
		q := f.id(t, f.suite.QueueOf(fn, other))
		if len(f.alarmOn(t, "ApproximateAgeOfOldestMessage", map[string]any{"Name": "QueueName", "Value": attr(q, "QueueName")})) != 1 {
			t.Errorf("%s's %s queue has no age alarm", fn, other)
		}
	}
	body, _ := json.Marshal(dashboardBody(t, f))
	for _, want := range []string{`"region":"` + other + `"`, suite.ForwarderRuleName, suite.ForwarderDeadLetterQueueName} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

func TestFleetNeedsItsHomeRegion(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "home region "+home) {
			t.Errorf("recover() = %v, want a panic naming the home region", r)
		}
	}()
	ctx := cdkContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	stack := awscdk.NewStack(app, jsii.String("Elsewhere"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(other)}})
	ivssessions.NewIvsSessions(stack, jsii.String("Suite"), &ivssessions.IvsSessionsProps{AssetsDir: assetsDir, Regions: []string{home, other}})
}
