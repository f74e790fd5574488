package ivssessions_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/infra/ivssessions"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestSweep: the sweep is deployed with one run at a time, its two schedules, and a role that
// allows exactly the calls it makes, on exactly what it touches.
func TestSweep(t *testing.T) {
	f := defaultFixture(t)
	fnID := f.id(t, f.suite.Function(suite.FunctionSweep))
	p := f.properties(t, fnID, "AWS::Lambda::Function")
	if num(p["ReservedConcurrentExecutions"]) != suite.SweepConcurrency || num(p["Timeout"]) != suite.SweepSettings.Timeout.Seconds() {
		t.Errorf("ReservedConcurrentExecutions %v, Timeout %v", p["ReservedConcurrentExecutions"], p["Timeout"])
	}
	env, _ := get(p, "Environment", "Variables").(map[string]any)
	for _, k := range []string{suite.EnvEventBusName, suite.EnvArchiveBucket, suite.EnvAccountID, suite.EnvIVSCallsPerSecond, suite.EnvCorrectionMode} {
		if env[k] == nil {
			t.Errorf("environment lacks %s: %v", k, env)
		}
	}
	var schedules []string
	for _, r := range f.ofType("AWS::Events::Rule") {
		expr, _ := get(r, "Properties", "ScheduleExpression").(string)
		if expr == "" {
			continue
		}
		schedules = append(schedules, expr)
		targets := list(get(r, "Properties", "Targets"))
		if len(targets) != 1 || !equal(get(targets[0], "Arn"), arnOf(fnID)) {
			t.Errorf("schedule %s targets %v, want the sweep", expr, targets)
		}
	}
	slices.Sort(schedules)
	want := []string{suite.DefaultSweepDailySchedule, suite.DefaultSweepSchedule}
	slices.Sort(want)
	if !slices.Equal(schedules, want) {
		t.Errorf("schedules %v, want %v", schedules, want)
	}

	errorsAlarm := false
	for _, a := range f.ofType("AWS::CloudWatch::Alarm") {
		ap := a["Properties"].(map[string]any)
		errorsAlarm = errorsAlarm || (ap["MetricName"] == "Errors" && equal(get(ap, "Dimensions", 0), map[string]any{"Name": "FunctionName", "Value": ref(fnID)}) &&
			equal(ap["AlarmActions"], []any{ref(f.id(t, f.suite.AlarmTopic()))}))
	}
	if !errorsAlarm {
		t.Error("no Errors alarm on the sweep to the alarm topic")
	}

	roleID := str(list(get(p["Role"], "Fn::GetAtt"))[0])
	got := map[string][]string{} // action -> resources (JSON-ish strings)
	for _, pol := range f.ofType("AWS::IAM::Policy") {
		if !slices.ContainsFunc(list(get(pol, "Properties", "Roles")), func(v any) bool { return equal(v, ref(roleID)) }) {
			continue
		}
		for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
			for _, a := range asStrings(get(st, "Action")) {
				got[a] = append(got[a], strings.Join(strings.Fields(toJSON(get(st, "Resource"))), ""))
			}
		}
	}
	var actions []string
	for a := range got {
		if !strings.HasPrefix(a, "xray:") && !strings.HasPrefix(a, "logs:") {
			actions = append(actions, a)
		}
	}
	slices.Sort(actions)
	want = []string{"events:PutEvents", "ivs:GetStreamSession", "ivs:ListChannels", "ivs:ListStreamSessions", "ivs:ListStreams",
		"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}
	if !slices.Equal(actions, want) {
		t.Errorf("sweep actions %v, want exactly %v", actions, want)
	}
	for _, a := range []string{"s3:PutObject"} {
		for _, r := range got[a] {
			if !strings.Contains(r, "/"+ivssessions.SweepPrefix+"*") {
				t.Errorf("%s on %s, want only %s*", a, r, ivssessions.SweepPrefix)
			}
		}
	}
	// A stale entry of the live index is the only object it deletes; it lists the live index
	// (and sessions/ and sweep/, so that a missing object answers 404).
	f.checkOnlyOn(t, suite.FunctionSweep, "s3:DeleteObject", ivssessions.LivePrefix)
	for _, pol := range f.ofType("AWS::IAM::Policy") {
		for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
			if get(st, "Sid") == "ListSessionRecords" {
				want := map[string]any{"StringLike": map[string]any{"s3:prefix": []any{ivssessions.LivePrefix + "*", ivssessions.SessionsPrefix + "*", ivssessions.SweepPrefix + "*"}}}
				if !equal(get(st, "Condition"), want) {
					t.Errorf("the sweep's s3:ListBucket condition %v, want %v", get(st, "Condition"), want)
				}
			}
		}
	}
	for _, r := range got["s3:GetObject"] {
		if !strings.Contains(r, "/"+ivssessions.SweepPrefix+"*") && !strings.Contains(r, "/"+ivssessions.SessionsPrefix+"*") {
			t.Errorf("s3:GetObject on %s, want only sessions/ and sweep/", r)
		}
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
