package ivssessions_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/infra/ivssessions"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestFailuresReachAPerson: a failed correction, a channel only a person may change and a
// broadcaster to tell each reach the alarm topic as a text that names the channel, the session
// and what to do, and EventBridge may publish to the encrypted topic.
func TestFailuresReachAPerson(t *testing.T) {
	f := defaultFixture(t)
	topicID := f.id(t, f.suite.AlarmTopic())
	busID := f.id(t, f.suite.EventBus())
	tests := map[string]struct {
		pattern          ivsevent.Pattern
		channel, session string
		todo             string
	}{
		"failed":            {suite.CorrectionsFailed, "$.detail.channelArn", "$.detail.streamId", "What to do: fix the cause above, then redrive"},
		"manual":            {suite.ChannelsForAPerson, "$.detail.record.channelArn", "$.detail.record.streamId", "What to do: as the reason says"},
		"manual, corrector": {suite.CorrectionsForAPerson, "$.detail.channelArn", "$.detail.streamId", "What to do: as the reason says"},
		"broadcaster":       {suite.BroadcastersToTell, "$.detail.record.channelArn", "$.detail.record.streamId", "What to do: tell the channel's broadcaster"},
	}
	if len(tests) != len(suite.Notifications) {
		t.Errorf("%d notifications tested, %d defined", len(tests), len(suite.Notifications))
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var want any
			if err := json.Unmarshal([]byte(tc.pattern.JSON()), &want); err != nil {
				t.Fatal(err)
			}
			var found int
			for _, r := range f.ofType("AWS::Events::Rule") {
				p := r["Properties"].(map[string]any)
				if !equal(p["EventPattern"], want) {
					continue
				}
				found++
				if !equal(p["EventBusName"], ref(busID)) {
					t.Errorf("rule on %v, want the suite's bus", p["EventBusName"])
				}
				target := get(p, "Targets", 0)
				if !equal(get(target, "Arn"), ref(topicID)) {
					t.Errorf("target %v, want the alarm topic", get(target, "Arn"))
				}
				paths := get(target, "InputTransformer", "InputPathsMap").(map[string]any)
				template := str(get(target, "InputTransformer", "InputTemplate"))
				for _, path := range []string{tc.channel, tc.session} {
					var key string
					for k, v := range paths {
						if v == path {
							key = k
						}
					}
					if key == "" || !strings.Contains(template, "<"+key+">") {
						t.Errorf("the text does not name %s: paths %v, template %s", path, paths, template)
					}
				}
				if !strings.Contains(template, tc.todo) {
					t.Errorf("template %s, want it to say %q", template, tc.todo)
				}
				// The deployed text is the one the local bus renders (suite.Notification.Transformer),
				// placeholders standing for the same paths.
				var n suite.Notification
				for _, x := range suite.Notifications {
					if x.Pattern.JSON() == tc.pattern.JSON() {
						n = x
					}
				}
				localPaths, localTemplate := n.Transformer()
				deployed := template
				for k, v := range paths {
					deployed = strings.ReplaceAll(deployed, "<"+k+">", "{"+v.(string)+"}")
				}
				for k, v := range localPaths {
					localTemplate = strings.ReplaceAll(localTemplate, "<"+k+">", "{"+v+"}")
				}
				if deployed != `"`+localTemplate+`"` {
					t.Errorf("deployed template\n%s\nwant the local one, quoted\n%q", deployed, localTemplate)
				}
			}
			if found != 1 {
				t.Fatalf("%d rules with pattern %s, want 1", found, tc.pattern.JSON())
			}
		})
	}
	allowed := func(typ string) bool {
		for _, st := range f.statements() {
			if f.resources[st.where]["Type"] == typ && st.body["Effect"] == "Allow" &&
				slices.Contains(asStrings(get(st.body, "Principal", "Service")), "events.amazonaws.com") {
				return true
			}
		}
		return false
	}
	if !allowed("AWS::SNS::TopicPolicy") || !allowed("AWS::KMS::Key") {
		t.Errorf("EventBridge may not publish to the encrypted topic (topic policy %v, key policy %v)", allowed("AWS::SNS::TopicPolicy"), allowed("AWS::KMS::Key"))
	}
}

// alarmOn returns the alarms on metric (with dimension dim, if not nil) that notify the topic.
func (f *fixture) alarmOn(t *testing.T, metric string, dim map[string]any) []map[string]any {
	t.Helper()
	topicID := f.id(t, f.suite.AlarmTopic())
	var out []map[string]any
	for _, a := range f.ofType("AWS::CloudWatch::Alarm") {
		p := a["Properties"].(map[string]any)
		if p["MetricName"] != metric || (dim != nil && !equal(get(p, "Dimensions", 0), dim)) {
			continue
		}
		if !equal(p["AlarmActions"], []any{ref(topicID)}) || !equal(p["OKActions"], []any{ref(topicID)}) || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
			t.Errorf("alarm on %s does not notify the topic: %v", metric, p)
		}
		out = append(out, p)
	}
	return out
}

// TestAlarmsOnFailures: rejected events, queue age, access errors, failed corrections and
// unknown IVS events are alarmed.
func TestAlarmsOnFailures(t *testing.T) {
	f := defaultFixture(t)
	wantAge := map[string]float64{suite.FunctionEnrich: 30 * 60, suite.FunctionArchive: 15 * 60, suite.FunctionCorrect: 25 * 3600,
		suite.FunctionQuality: 30 * 60}
	for _, name := range suite.Functions {
		if got := f.alarmOn(t, suite.MetricRejected, map[string]any{"Name": suite.DimensionFunction, "Value": name}); len(got) != 1 || num(got[0]["Threshold"]) != 1 {
			t.Errorf("%s: rejected events alarms %v, want one at 1", name, got)
		}
		queue := map[string]any{"Name": "QueueName", "Value": attr(f.id(t, f.suite.Queue(name)), "QueueName")}
		if got := f.alarmOn(t, "ApproximateAgeOfOldestMessage", queue); len(got) != 1 || num(got[0]["Threshold"]) != wantAge[name] {
			t.Errorf("%s: queue age alarms %v, want one at %v s", name, got, wantAge[name])
		}
	}
	// One metric filter per function's log group, on the error attribute, for AccessDenied.
	filters := f.ofType("AWS::Logs::MetricFilter")
	groups := map[string]bool{}
	for id, mf := range filters {
		p := mf["Properties"].(map[string]any)
		pattern := str(p["FilterPattern"])
		if get(p, "MetricTransformations", 0, "MetricName") != suite.MetricAccessErrors || get(p, "MetricTransformations", 0, "MetricNamespace") != suite.MetricNamespace ||
			!strings.Contains(pattern, "$.err") || !strings.Contains(pattern, "AccessDenied") || !strings.Contains(pattern, "NoSuchBucket") {
			t.Errorf("metric filter %s: %v", id, p)
		}
		groups[str(get(p, "LogGroupName", "Ref"))] = true
	}
	if len(groups) != len(suite.Functions) {
		t.Errorf("access error filters on %d log groups, want %d: %v", len(groups), len(suite.Functions), groups)
	}
	if got := f.alarmOn(t, suite.MetricAccessErrors, nil); len(got) != 1 || num(got[0]["Threshold"]) != 1 || num(got[0]["Period"]) != 300 {
		t.Errorf("access error alarms %v, want one at 1 in 5 minutes", got)
	}
	if got := f.alarmOn(t, suite.MetricCorrections, map[string]any{"Name": suite.DimensionOutcome, "Value": "failed"}); len(got) != 1 {
		t.Errorf("failed corrections alarms %v, want one", got)
	}
	unknown := f.unknownIvsRule(t)
	if got := f.alarmOn(t, "MatchedEvents", map[string]any{"Name": "RuleName", "Value": ref(unknown)}); len(got) != 1 || got[0]["Namespace"] != "AWS/Events" {
		t.Errorf("unknown IVS events alarms %v, want one on the rule's MatchedEvents", got)
	}
	if len(f.suite.Alarms()) != len(f.ofType("AWS::CloudWatch::Alarm")) {
		t.Errorf("Alarms() has %d, template %d", len(f.suite.Alarms()), len(f.ofType("AWS::CloudWatch::Alarm")))
	}
}

// TestNoAlarmEmailSaysWhere: without alarmEmail every synth warns, naming the topic's output
// and how to subscribe; with one, it does not.
func TestNoAlarmEmailSaysWhere(t *testing.T) {
	match := assertions.Match_StringLikeRegexp(jsii.String("no alarmEmail.*AlarmTopicArn.*alarmEmail="))
	if got := defaultFixture(t).annots.FindWarning(jsii.String("*"), match); got == nil || len(*got) != 1 {
		t.Errorf("warnings without alarmEmail: %v, want one", got)
	}
	if got := customFixture(t).annots.FindWarning(jsii.String("*"), match); got != nil && len(*got) != 0 {
		t.Errorf("warnings with alarmEmail: %v, want none", *got)
	}
	if !strings.Contains(ivssessions.NoAlarmEmailMessage, "AlarmTopicArn") {
		t.Errorf("message %q does not say where the alarms go", ivssessions.NoAlarmEmailMessage)
	}
}

// roleOf returns the logical ID of function name's role.
func (f *fixture) roleOf(t *testing.T, name string) string {
	t.Helper()
	return str(list(get(f.properties(t, f.id(t, f.suite.Function(name)), "AWS::Lambda::Function"), "Role", "Fn::GetAtt"))[0])
}

// TestBusPolicy: the suite's bus refuses the suite's events from any principal but the roles of
// the functions that publish them.
func TestBusPolicy(t *testing.T) {
	f := defaultFixture(t)
	busID := f.id(t, f.suite.EventBus())
	policies := f.ofType("AWS::Events::EventBusPolicy")
	if len(policies) != 1 {
		t.Fatalf("%d bus policies, want 1", len(policies))
	}
	for id, pol := range policies {
		p := pol["Properties"].(map[string]any)
		st := p["Statement"]
		if st == nil {
			st = get(p, "Policy", "Statement", 0)
		}
		if !equal(p["EventBusName"], ref(busID)) {
			t.Errorf("%s on %v, want the suite's bus", id, p["EventBusName"])
		}
		want := map[string]any{
			"StringEquals": map[string]any{"events:source": suite.EventSource},
			"ArnNotEquals": map[string]any{"aws:PrincipalArn": []any{arnOf(f.roleOf(t, suite.FunctionEnrich)), arnOf(f.roleOf(t, suite.FunctionCorrect)),
				arnOf(f.roleOf(t, suite.FunctionQuality)), arnOf(f.roleOf(t, suite.FunctionSweep))}},
		}
		if get(st, "Effect") != "Deny" || !equal(get(st, "Principal"), map[string]any{"AWS": "*"}) && get(st, "Principal") != "*" ||
			get(st, "Action") != "events:PutEvents" || !equal(get(st, "Resource"), arnOf(busID)) || !equal(get(st, "Condition"), want) {
			t.Errorf("%s statement %v, want a Deny of PutEvents of source %s for all but enrich, correct, quality and sweep (%v)", id, jsonValue(st), suite.EventSource, jsonValue(want))
		}
	}
}

// TestOptOutGuard: correct's role is denied UpdateChannel on any channel with the opt-out tag.
func TestOptOutGuard(t *testing.T) {
	for name, tc := range map[string]struct {
		f   *fixture
		tag string
	}{
		"default tag": {defaultFixture(t), suite.DefaultOptOutTag},
		"custom tag":  {customFixture(t), customProps.OptOutTag},
	} {
		t.Run(name, func(t *testing.T) {
			f := tc.f
			role := f.roleOf(t, suite.FunctionCorrect)
			var denies []any
			for _, pol := range f.ofType("AWS::IAM::Policy") {
				if !slices.ContainsFunc(list(get(pol, "Properties", "Roles")), func(v any) bool { return equal(v, ref(role)) }) {
					continue
				}
				for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
					if get(st, "Effect") == "Deny" {
						denies = append(denies, st)
					}
				}
			}
			want := map[string]any{"Null": map[string]any{"aws:ResourceTag/" + tc.tag: "false"}}
			if len(denies) != 1 || get(denies[0], "Action") != "ivs:UpdateChannel" || !equal(get(denies[0], "Condition"), want) {
				t.Errorf("correct's denies %v, want ivs:UpdateChannel where %v", jsonValue(denies), want)
			}
		})
	}
}

// TestReservedConcurrency: a function whose event source mapping has a maximum concurrency has
// that much reserved.
func TestReservedConcurrency(t *testing.T) {
	f := defaultFixture(t)
	for _, name := range suite.Functions {
		fnID := f.id(t, f.suite.Function(name))
		fn := f.properties(t, fnID, "AWS::Lambda::Function")
		var maxConc any
		for _, m := range f.ofType("AWS::Lambda::EventSourceMapping") {
			if equal(get(m, "Properties", "FunctionName"), ref(fnID)) {
				maxConc = get(m, "Properties", "ScalingConfig", "MaximumConcurrency")
			}
		}
		spec := suite.Deployment[name]
		switch {
		case spec.MaxConcurrency > 0 && (num(maxConc) != float64(spec.MaxConcurrency) || num(fn["ReservedConcurrentExecutions"]) != num(maxConc)):
			t.Errorf("%s: reserved %v, mapping maximum %v, want both %d", name, fn["ReservedConcurrentExecutions"], maxConc, spec.MaxConcurrency)
		case spec.MaxConcurrency == 0 && fn["ReservedConcurrentExecutions"] != nil:
			t.Errorf("%s: reserved %v without a mapping maximum", name, fn["ReservedConcurrentExecutions"])
		}
	}
}

// unknownIvsRule returns the logical ID of the rule of IVS events of unknown detail-types.
func (f *fixture) unknownIvsRule(t *testing.T) string {
	t.Helper()
	for id, r := range f.ofType("AWS::Events::Rule") {
		if get(r, "Properties", "EventPattern", "detail-type", 0, "anything-but") != nil {
			return id
		}
	}
	t.Fatal("no rule for IVS events of unknown detail-types")
	return ""
}

// TestUnknownIvsEventsKept: every IVS event is archived on the default bus, and one of a
// detail-type nobody knows goes to enrich's dead-letter queue.
func TestUnknownIvsEventsKept(t *testing.T) {
	f := defaultFixture(t)
	var archived bool
	for _, a := range f.ofType("AWS::Events::Archive") {
		p := a["Properties"].(map[string]any)
		if src, _ := json.Marshal(p["SourceArn"]); strings.Contains(string(src), "event-bus/default") {
			archived = equal(get(p, "EventPattern"), map[string]any{"source": []any{ivsevent.Source}}) &&
				num(p["RetentionDays"]) == ivssessions.DefaultEventArchiveRetentionDays
		}
	}
	if !archived {
		t.Errorf("no archive of every IVS event on the default bus: %v", f.ofType("AWS::Events::Archive"))
	}
	p := f.properties(t, f.unknownIvsRule(t), "AWS::Events::Rule")
	if p["EventBusName"] != nil {
		t.Errorf("rule on %v, want the default bus", p["EventBusName"])
	}
	known := asStrings(get(p, "EventPattern", "detail-type", 0, "anything-but"))
	for _, d := range ivsevent.DetailTypes {
		if !slices.Contains(known, d) {
			t.Errorf("%q is not among the known detail-types %v", d, known)
		}
	}
	if !equal(get(p, "EventPattern", "source"), []any{ivsevent.Source}) {
		t.Errorf("pattern %v", p["EventPattern"])
	}
	if !equal(get(p, "Targets", 0, "Arn"), arnOf(f.id(t, f.suite.DeadLetterQueue(suite.FunctionEnrich)))) {
		t.Errorf("target %v, want enrich's dead-letter queue", get(p, "Targets", 0, "Arn"))
	}
}

// TestQueuesAcceptOnlyTheSuite: every queue and dead-letter queue of the suite refuses
// sqs:SendMessage to every principal but the EventBridge rules that target it and the roles
// that send to it, whatever that principal's IAM policies allow (an IAM user of the account
// with sqs:SendMessage on * cannot put a forged apply decision on the correct queue). With
// queueSenders, those roles may send to the queues (a redrive), not to the dead-letter queues.
func TestQueuesAcceptOnlyTheSuite(t *testing.T) {
	for name, tc := range map[string]struct {
		f     *fixture
		extra []any
		// dlqsOnly: the fleet's home, whose regional functions have a queue per region (their
		// queues: TestFleetRegionalQueues); its dead-letter queues are one per function, as here.
		dlqsOnly bool
	}{
		"default":        {f: defaultFixture(t)},
		"queue senders":  {f: customFixture(t), extra: []any{redriver}},
		"a fleet's home": {f: twoRegionFleet(t).home, dlqsOnly: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := tc.f
			rules := f.ofType("AWS::Events::Rule")
			rulesTo := func(queueID string, dlq bool) (out []any) {
				for id, r := range rules {
					for _, target := range list(get(r, "Properties", "Targets")) {
						if equal(get(target, "Arn"), arnOf(queueID)) || (dlq && equal(get(target, "DeadLetterConfig", "Arn"), arnOf(queueID))) {
							out = append(out, arnOf(id))
							break
						}
					}
				}
				return out
			}
			for _, fn := range suite.Functions {
				qID, dlqID := f.id(t, f.suite.Queue(fn)), f.id(t, f.suite.DeadLetterQueue(fn))
				role := get(f.properties(t, f.id(t, f.suite.Function(fn)), "AWS::Lambda::Function"), "Role")
				wantDLQRoles := []any(nil)
				if fn == suite.FunctionCorrect {
					wantDLQRoles = []any{role}
				}
				for _, q := range []struct {
					id           string
					sources      []any
					roles        []any
					dlqOf, label string
				}{
					{id: qID, sources: rulesTo(qID, false), roles: append([]any{role}, tc.extra...), label: fn + " queue"},
					{id: dlqID, sources: append(rulesTo(dlqID, true), arnOf(qID)), roles: wantDLQRoles, label: fn + " dead-letter queue"},
				} {
					if tc.dlqsOnly && q.id == qID {
						continue
					}
					if len(q.sources) == 0 {
						t.Errorf("%s: no rule sends to it (the test would prove nothing)", q.label)
					}
					var denies []map[string]any
					for _, st := range f.statements() {
						if f.resources[st.where]["Type"] == "AWS::SQS::QueuePolicy" && st.body["Effect"] == "Deny" &&
							slices.Contains(asStrings(st.body["Action"]), "sqs:SendMessage") && equal(st.body["Resource"], arnOf(q.id)) {
							denies = append(denies, st.body)
						}
					}
					if len(denies) != 1 {
						t.Fatalf("%s: %d statements deny sqs:SendMessage, want 1", q.label, len(denies))
					}
					d := denies[0]
					if !equal(d["Principal"], map[string]any{"AWS": "*"}) {
						t.Errorf("%s: the Deny is for %v, want every principal", q.label, d["Principal"])
					}
					cond, _ := get(d, "Condition", "ArnNotEquals").(map[string]any)
					if len(get(d, "Condition").(map[string]any)) != 1 || cond == nil {
						t.Fatalf("%s: condition %v, want ArnNotEquals alone", q.label, get(d, "Condition"))
					}
					if !sameSet(values(cond["aws:SourceArn"]), q.sources) {
						t.Errorf("%s: lets in the sources %v, want exactly %v", q.label, cond["aws:SourceArn"], q.sources)
					}
					if !sameSet(values(cond["aws:PrincipalArn"]), q.roles) {
						t.Errorf("%s: lets in the roles %v, want exactly %v", q.label, cond["aws:PrincipalArn"], q.roles)
					}
				}
			}
		})
	}
}

// values returns a condition's value as a list: a list as it is, one value alone, nothing as nil.
func values(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// sameSet reports whether a and b hold the same values, in any order.
func sameSet(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y any) bool { return equal(x, y) }) {
			return false
		}
	}
	return true
}
