package ivssessions_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/infra/ivssessions"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The template tests synthesize two stacks (default settings and custom settings) once each and
// share them: a synth through jsii takes seconds.
var (
	assetsDir string
	defaults  *fixture
	custom    *fixture
)

// customProps is a configuration with every setting away from its default.
var customProps = ivssessions.IvsSessionsProps{
	CorrectionMode:             multitrack.ModeDryRun,
	DefaultMaximumResolution:   "HD",
	AllowTypeChange:            jsii.Bool(true),
	AllowContainerFormatChange: jsii.Bool(false),
	OptOutTag:                  "team:hands-off",
	CorrectionMaxAge:           120 * time.Hour,
	EnrichMaxAttempts:          8,
	ArchiveRetentionDays:       20, // below the 30-day transition: no transition rule
	EventArchiveRetentionDays:  7,
	LogRetentionDays:           30,
	AlarmEmail:                 "ops@example.com",
	QueueSenders:               redriver,
}

// redriver is the role customProps lets redrive the dead-letter queues (queueSenders).
const redriver = "arn:aws:iam::123456789012:role/ops-redrive"

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("node"); err != nil {
		fmt.Fprintln(os.Stderr, "infra tests need Node.js on PATH: the CDK runs in a jsii node process")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "ivssessions-assets-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Dummy bootstraps: the template does not depend on what the functions contain.
	for _, name := range suite.AllFunctions() {
		err := os.MkdirAll(filepath.Join(dir, name), 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte("#!/bin/sh\n"), 0o755)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	assetsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	jsii.Close()
	os.Exit(code)
}

// fixture is one synthesized stack with the suite in it.
type fixture struct {
	stack     awscdk.Stack
	suite     ivssessions.IvsSessions
	annots    assertions.Annotations
	resources map[string]map[string]any
	template  any // the whole template, as JSON
}

// cdkContext is the context of the repository's cdk.json (feature flags included), so the tests
// synthesize what `cdk synth` does.
func cdkContext(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	return cfg.Context
}

// synthFailed is set when a synth panicked, so later tests fail at once instead of repeating it.
var synthFailed string

// newApp returns a CDK app with the tests' context; it fails t at once when an earlier synth
// panicked (synthFailed).
func newApp(t testing.TB) awscdk.App {
	t.Helper()
	if synthFailed != "" {
		t.Fatalf("an earlier synth failed: %s", synthFailed)
	}
	ctx := cdkContext(t)
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
}

// failedSynth, deferred by a test helper that synthesizes, turns the synth's panic into t's
// failure and remembers it (synthFailed). A cdk-nag error fails the synth itself (a validation
// failure, reported above on stderr).
func failedSynth(t testing.TB) {
	if r := recover(); r != nil {
		synthFailed = fmt.Sprint(r)
		t.Fatalf("synth failed (cdk-nag findings, if any, are printed above): %v", r)
	}
}

func synth(t testing.TB, props ivssessions.IvsSessionsProps) (f *fixture) {
	t.Helper()
	app := newApp(t)
	defer failedSynth(t)
	props.AssetsDir = assetsDir
	stack := awscdk.NewStack(app, jsii.String("Test"), nil)
	s := ivssessions.NewIvsSessions(stack, jsii.String(catalog.SuiteID), &props)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(nil), nil)

	tmpl := assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var whole any
	if err := json.Unmarshal(raw, &whole); err != nil {
		t.Fatal(err)
	}
	return &fixture{stack: stack, suite: s, annots: assertions.Annotations_FromStack(stack), resources: doc.Resources, template: whole}
}

func defaultFixture(t *testing.T) *fixture {
	t.Helper()
	if defaults == nil {
		defaults = synth(t, ivssessions.IvsSessionsProps{})
	}
	return defaults
}

func customFixture(t *testing.T) *fixture {
	t.Helper()
	if custom == nil {
		custom = synth(t, customProps)
	}
	return custom
}

// id is the logical ID of the CloudFormation resource behind construct c.
func (f *fixture) id(t *testing.T, c constructs.IConstruct) string {
	t.Helper()
	el, ok := c.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		t.Fatalf("%s has no CloudFormation resource", *c.Node().Path())
	}
	return *f.stack.GetLogicalId(el)
}

// properties returns the Properties of resource id, which must have type typ.
func (f *fixture) properties(t *testing.T, id, typ string) map[string]any {
	t.Helper()
	r, ok := f.resources[id]
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	if r["Type"] != typ {
		t.Fatalf("resource %s is a %v, want %s", id, r["Type"], typ)
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

// ofType returns the resources of type typ by logical ID.
func (f *fixture) ofType(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range f.resources {
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// get walks a JSON value: keys for objects, ints for arrays.
func get(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		case int:
			a, ok := v.([]any)
			if !ok || p >= len(a) {
				return nil
			}
			v = a[p]
		}
	}
	return v
}

func ref(id string) map[string]any     { return map[string]any{"Ref": id} }
func arnOf(id string) map[string]any   { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }
func attr(id, a string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, a}} }
func jsonValue(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
func list(v any) []any         { a, _ := v.([]any); return a }
func equal(got, want any) bool { return reflect.DeepEqual(jsonValue(got), jsonValue(want)) }
func str(v any) string         { s, _ := v.(string); return s }
func num(v any) float64        { n, _ := v.(float64); return n }
func asStrings(v any) (out []string) {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		for _, s := range v {
			out = append(out, str(s))
		}
	}
	return out
}

func TestResourceCounts(t *testing.T) {
	f := defaultFixture(t)
	n := len(suite.Functions)
	want := map[string]int{
		"AWS::Lambda::Function":           n + 1, // and the sweep
		"AWS::Lambda::EventSourceMapping": n,
		"AWS::IAM::Role":                  n + 1,
		"AWS::Logs::LogGroup":             n + 1,
		"AWS::SQS::Queue":                 2 * n,                                                // a queue and its DLQ per function
		"AWS::Events::Rule":               len(suite.Routes) + len(suite.Notifications) + 1 + 2, // routes, notifications, unknown IVS events, the sweep's 2 schedules
		"AWS::Events::EventBus":           1,
		"AWS::Events::Archive":            2, // the suite's events, every IVS event
		"AWS::S3::Bucket":                 3, // archive, query results, access logs
		"AWS::Glue::Database":             1,
		"AWS::Glue::Table":                3, // sessions, sessions by channel, corrections
		"AWS::Athena::WorkGroup":          1,
		"AWS::Athena::NamedQuery":         4,
		"AWS::SNS::Topic":                 1,
		"AWS::SNS::Subscription":          0, // no alarm e-mail by default
		"AWS::KMS::Key":                   1,
		"AWS::CloudWatch::Alarm":          5*n + 3 + 1, // DLQ depth, Errors, Throttles, rejected, age per function; access, failed, unknown; the sweep's Errors
		"AWS::CloudWatch::Dashboard":      1,
	}
	for typ, count := range want {
		if got := len(f.ofType(typ)); got != count {
			t.Errorf("%s: got %d, want %d", typ, got, count)
		}
	}
	if got := len(customFixture(t).ofType("AWS::SNS::Subscription")); got != 1 {
		t.Errorf("with alarmEmail: got %d subscriptions, want 1", got)
	}
}

func TestFunctions(t *testing.T) {
	f := defaultFixture(t)
	busID, bucketID := f.id(t, f.suite.EventBus()), f.id(t, f.suite.ArchiveBucket())
	correction := []string{suite.EnvCorrectionMode, suite.EnvAllowTypeChange, suite.EnvAllowContainerFormatChange, suite.EnvOptOutTag}
	wantEnv := map[string][]string{
		suite.FunctionEnrich: append([]string{suite.EnvEventBusName, suite.EnvEnrichMaxAttempts, suite.EnvEnrichLivePhase,
			suite.EnvIVSCallsPerSecond, suite.EnvArchiveBucket}, correction...),
		suite.FunctionCorrect: append([]string{suite.EnvEventBusName, suite.EnvCorrectionMaxAge, suite.EnvCorrectionRetryDelay,
			suite.EnvLockBucket, suite.EnvDeadLetterQueueURL, suite.EnvIVSCallsPerSecond}, correction...),
		suite.FunctionArchive: {suite.EnvArchiveBucket},
		suite.FunctionQuality: {suite.EnvEventBusName, suite.EnvQualityMaxAttempts, suite.EnvQualityRetryDelay, suite.EnvMetricsPerSecond},
	}
	for _, name := range suite.Functions {
		t.Run(name, func(t *testing.T) {
			p := f.properties(t, f.id(t, f.suite.Function(name)), "AWS::Lambda::Function")
			for key, want := range map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"TracingConfig": map[string]any{"Mode": "Active"},
			} {
				if !equal(p[key], want) {
					t.Errorf("%s = %v, want %v", key, p[key], want)
				}
			}
			if got := get(p, "LoggingConfig", "LogFormat"); got != "JSON" {
				t.Errorf("LogFormat = %v, want JSON", got)
			}
			lg, _ := get(p, "LoggingConfig", "LogGroup", "Ref").(string)
			if got := get(f.properties(t, lg, "AWS::Logs::LogGroup"), "RetentionInDays"); num(got) != ivssessions.DefaultLogRetentionDays {
				t.Errorf("log retention = %v, want %d", got, ivssessions.DefaultLogRetentionDays)
			}
			if m, to := num(p["MemorySize"]), num(p["Timeout"]); m < 128 || to < 1 || to > 900 {
				t.Errorf("MemorySize %v, Timeout %v: want both chosen", m, to)
			}
			if get(p, "Code", "S3Key") == nil {
				t.Errorf("Code is not an S3 asset")
			}

			env, _ := get(p, "Environment", "Variables").(map[string]any)
			var keys []string
			for k := range env {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := slices.Clone(wantEnv[name])
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Errorf("environment variables %v, want %v", keys, want)
			}
			if _, ok := env[suite.EnvEventBusName]; ok && !equal(env[suite.EnvEventBusName], ref(busID)) {
				t.Errorf("%s = %v, want the bus", suite.EnvEventBusName, env[suite.EnvEventBusName])
			}
			if _, ok := env[suite.EnvArchiveBucket]; ok && !equal(env[suite.EnvArchiveBucket], ref(bucketID)) {
				t.Errorf("%s = %v, want the archive bucket", suite.EnvArchiveBucket, env[suite.EnvArchiveBucket])
			}
			if _, ok := env[suite.EnvLockBucket]; ok && !equal(env[suite.EnvLockBucket], ref(bucketID)) {
				t.Errorf("%s = %v, want the archive bucket", suite.EnvLockBucket, env[suite.EnvLockBucket])
			}
			// Ref of a queue is its URL.
			if dlq := ref(f.id(t, f.suite.DeadLetterQueue(name))); env[suite.EnvDeadLetterQueueURL] != nil && !equal(env[suite.EnvDeadLetterQueueURL], dlq) {
				t.Errorf("%s = %v, want the URL of the function's own DLQ (%v)", suite.EnvDeadLetterQueueURL, env[suite.EnvDeadLetterQueueURL], dlq)
			}
			if _, ok := env[suite.EnvCorrectionMode]; ok {
				for k, want := range map[string]string{
					suite.EnvCorrectionMode:             suite.DefaultCorrectionMode,
					suite.EnvOptOutTag:                  suite.DefaultOptOutTag,
					suite.EnvAllowTypeChange:            fmt.Sprint(suite.DefaultAllowTypeChange),
					suite.EnvAllowContainerFormatChange: fmt.Sprint(suite.DefaultAllowContainerFormatChange),
				} {
					if env[k] != want {
						t.Errorf("%s = %v, want %q", k, env[k], want)
					}
				}
			}
		})
	}
}

func TestQueuesAndEventSources(t *testing.T) {
	f := defaultFixture(t)
	mappings := f.ofType("AWS::Lambda::EventSourceMapping")
	for _, name := range suite.Functions {
		t.Run(name, func(t *testing.T) {
			fnID := f.id(t, f.suite.Function(name))
			queueID, dlqID := f.id(t, f.suite.Queue(name)), f.id(t, f.suite.DeadLetterQueue(name))
			var esm map[string]any
			for _, m := range mappings {
				if equal(get(m, "Properties", "FunctionName"), ref(fnID)) {
					esm = m["Properties"].(map[string]any)
				}
			}
			if esm == nil {
				t.Fatal("no event source mapping")
			}
			if !equal(esm["EventSourceArn"], arnOf(queueID)) {
				t.Errorf("EventSourceArn = %v, want the %s queue", esm["EventSourceArn"], name)
			}
			if !equal(esm["FunctionResponseTypes"], []string{"ReportBatchItemFailures"}) {
				t.Errorf("FunctionResponseTypes = %v", esm["FunctionResponseTypes"])
			}
			if bs := num(esm["BatchSize"]); bs < 1 || bs > 10 {
				t.Errorf("BatchSize = %v, want 1 to 10", bs)
			}
			gotConc := get(esm, "ScalingConfig", "MaximumConcurrency")
			if name == suite.FunctionEnrich || name == suite.FunctionCorrect || name == suite.FunctionQuality {
				if num(gotConc) != suite.MaxConcurrency {
					t.Errorf("MaximumConcurrency = %v, want suite.MaxConcurrency (%d): the function calls IVS or paces CloudWatch", gotConc, suite.MaxConcurrency)
				}
			} else if gotConc != nil {
				t.Errorf("MaximumConcurrency = %v, want none", gotConc)
			}

			q := f.properties(t, queueID, "AWS::SQS::Queue")
			timeout := num(f.properties(t, fnID, "AWS::Lambda::Function")["Timeout"])
			if vt := num(q["VisibilityTimeout"]); vt < 6*timeout {
				t.Errorf("VisibilityTimeout %v < 6 x function timeout %v", vt, timeout)
			}
			if !equal(get(q, "RedrivePolicy", "deadLetterTargetArn"), arnOf(dlqID)) {
				t.Errorf("RedrivePolicy = %v, want the DLQ", q["RedrivePolicy"])
			}
			mrc := num(get(q, "RedrivePolicy", "maxReceiveCount"))
			if mrc < 3 {
				t.Errorf("maxReceiveCount = %v, want at least 3", mrc)
			}
			// quality's messages wait suite.DefaultQualityDelay for CloudWatch; no other queue delays.
			if got, want := num(q["DelaySeconds"]), suite.Deployment[name].DeliveryDelay.Seconds(); got != want {
				t.Errorf("DelaySeconds = %v, want %v", got, want)
			}
			if name == suite.FunctionQuality && mrc <= suite.DefaultQualityMaxAttempts {
				t.Errorf("maxReceiveCount %v must exceed the quality attempts (%d)", mrc, suite.DefaultQualityMaxAttempts)
			}
			if name == suite.FunctionEnrich && mrc <= suite.DefaultEnrichMaxAttempts {
				t.Errorf("maxReceiveCount %v must exceed the enrich attempts (%d), or a session is dead-lettered before enrich gives up waiting", mrc, suite.DefaultEnrichMaxAttempts)
			}
			for _, id := range []string{queueID, dlqID} {
				if get(f.properties(t, id, "AWS::SQS::Queue"), "SqsManagedSseEnabled") != true {
					t.Errorf("queue %s is not encrypted", id)
				}
			}
			if num(get(f.properties(t, dlqID, "AWS::SQS::Queue"), "MessageRetentionPeriod")) != 14*24*3600 {
				t.Errorf("DLQ retention is not 14 days")
			}
		})
	}
	// Every queue refuses plain HTTP.
	for id := range f.ofType("AWS::SQS::Queue") {
		if !f.deniesInsecureTransport("AWS::SQS::QueuePolicy", "Queues", ref(id)) {
			t.Errorf("queue %s: no policy denying aws:SecureTransport false", id)
		}
	}
}

// deniesInsecureTransport reports whether a policy of type typ attached (through field) to
// target denies every request without TLS.
func (f *fixture) deniesInsecureTransport(typ, field string, target any) bool {
	for _, r := range f.ofType(typ) {
		attached := get(r, "Properties", field)
		if !equal(attached, target) && !slices.ContainsFunc(list(attached), func(v any) bool { return equal(v, target) }) {
			continue
		}
		for _, st := range list(get(r, "Properties", "PolicyDocument", "Statement")) {
			if get(st, "Effect") == "Deny" && get(st, "Condition", "Bool", "aws:SecureTransport") == "false" {
				return true
			}
		}
	}
	return false
}

func TestRoutes(t *testing.T) {
	f := defaultFixture(t)
	busID := f.id(t, f.suite.EventBus())
	rules := f.ofType("AWS::Events::Rule")
	for _, route := range suite.Routes {
		t.Run(route.Name, func(t *testing.T) {
			var want any
			if err := json.Unmarshal([]byte(route.Pattern.JSON()), &want); err != nil {
				t.Fatal(err)
			}
			var matched []map[string]any
			for _, r := range rules {
				p := r["Properties"].(map[string]any)
				if reflect.DeepEqual(p["EventPattern"], want) && equal(get(p, "Targets", 0, "Arn"), arnOf(f.id(t, f.suite.Queue(route.Function)))) {
					matched = append(matched, p)
				}
			}
			if len(matched) != 1 {
				t.Fatalf("%d rules with pattern %s targeting the %s queue, want 1", len(matched), route.Pattern.JSON(), route.Function)
			}
			p := matched[0]
			switch route.Bus {
			case suite.BusDefault:
				if p["EventBusName"] != nil {
					t.Errorf("EventBusName = %v, want the default bus", p["EventBusName"])
				}
			case suite.BusSessions:
				if !equal(p["EventBusName"], ref(busID)) {
					t.Errorf("EventBusName = %v, want the suite's bus", p["EventBusName"])
				}
			}
			if len(list(p["Targets"])) != 1 {
				t.Errorf("%d targets, want 1", len(list(p["Targets"])))
			}
			if !equal(get(p, "Targets", 0, "DeadLetterConfig", "Arn"), arnOf(f.id(t, f.suite.DeadLetterQueue(route.Function)))) {
				t.Errorf("target DLQ = %v, want the %s DLQ", get(p, "Targets", 0, "DeadLetterConfig"), route.Function)
			}
		})
	}

	archive := f.ofType("AWS::Events::Archive")
	for _, a := range archive {
		if !equal(get(a, "Properties", "SourceArn"), arnOf(busID)) {
			continue // the IVS events' archive: TestUnknownIvsEventsKept
		}
		if !equal(get(a, "Properties", "EventPattern", "source"), []string{suite.EventSource}) {
			t.Errorf("archive pattern = %v", get(a, "Properties", "EventPattern"))
		}
		if num(get(a, "Properties", "RetentionDays")) != ivssessions.DefaultEventArchiveRetentionDays {
			t.Errorf("archive retention = %v", get(a, "Properties", "RetentionDays"))
		}
	}
}

// statement is one policy statement and where it was found.
type statement struct {
	where string
	body  map[string]any
}

// statements lists every policy statement in the template: identity policies, resource
// policies and key policies.
func (f *fixture) statements() []statement {
	var out []statement
	add := func(where string, doc any) {
		for _, st := range list(get(doc, "Statement")) {
			out = append(out, statement{where: where, body: st.(map[string]any)})
		}
	}
	for id, r := range f.resources {
		p, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::IAM::Policy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy":
			add(id, p["PolicyDocument"])
		case "AWS::KMS::Key":
			add(id, p["KeyPolicy"])
		case "AWS::IAM::Role":
			for _, pol := range list(p["Policies"]) {
				add(id, get(pol, "PolicyDocument"))
			}
		}
	}
	return out
}

func TestIAM(t *testing.T) {
	f := defaultFixture(t)
	channelARN := map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":ivs:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":channel/*",
	}}}
	for _, st := range f.statements() {
		if st.body["Effect"] != "Allow" {
			continue // the Deny statements refuse plain HTTP, or an update of an opted-out channel
		}
		for _, a := range asStrings(st.body["Action"]) {
			if a == "*" {
				t.Errorf("%s: Allow of action *", st.where)
			}
			identity := f.resources[st.where]["Type"] == "AWS::IAM::Policy"
			if identity && strings.HasSuffix(a, ":*") {
				t.Errorf("%s: Allow of every action of a service (%s)", st.where, a)
			}
			if strings.HasPrefix(a, "ivs:") && !equal(st.body["Resource"], channelARN) {
				t.Errorf("%s: %s on %v, want only the account's and region's channels", st.where, a, st.body["Resource"])
			}
		}
	}
	// Resource * only for the actions AWS documents without resource-level permissions (the
	// Service Authorization Reference lists no resource type for them); every other action is
	// scoped, IVS's lists included (the IVS user guide's IAM examples scope ListChannels and
	// ListStreams to the account's channels).
	// (In a KMS key policy, Resource * means the key itself: only identity policies are looked at.)
	unscopable := []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:GetMetricData"}
	for _, st := range f.statements() {
		typ := f.resources[st.where]["Type"]
		if (typ != "AWS::IAM::Policy" && typ != "AWS::IAM::Role") || st.body["Effect"] != "Allow" ||
			!slices.ContainsFunc(asStrings(st.body["Resource"]), func(r string) bool { return r == "*" }) {
			continue
		}
		for _, a := range asStrings(st.body["Action"]) {
			if !slices.Contains(unscopable, a) {
				t.Errorf("%s: %s on Resource *, want it scoped (only %v have no resource-level permissions)", st.where, a, unscopable)
			}
		}
	}
	for id, r := range f.ofType("AWS::IAM::Role") {
		if m := get(r, "Properties", "ManagedPolicyArns"); m != nil {
			t.Errorf("role %s has managed policies %v", id, m)
		}
	}

	busARN := arnOf(f.id(t, f.suite.EventBus()))
	wantIVS := map[string][]string{
		suite.FunctionEnrich:  {"ivs:GetStreamSession"},
		suite.FunctionCorrect: {"ivs:GetChannel", "ivs:GetStream", "ivs:GetStreamSession", "ivs:UpdateChannel"},
		suite.FunctionArchive: nil,
	}
	for _, name := range suite.Functions {
		t.Run(name, func(t *testing.T) {
			roleARN := get(f.properties(t, f.id(t, f.suite.Function(name)), "AWS::Lambda::Function"), "Role")
			roleID := str(list(get(roleARN, "Fn::GetAtt"))[0])
			var ivs, puts, s3Actions, cloudwatch []string
			var changeVisibility bool
			var s3Resources, sendResources []any
			for id, pol := range f.ofType("AWS::IAM::Policy") {
				if !slices.ContainsFunc(list(get(pol, "Properties", "Roles")), func(v any) bool { return equal(v, ref(roleID)) }) {
					continue
				}
				for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
					if get(st, "Effect") != "Allow" {
						continue // TestOptOutGuard
					}
					for _, a := range asStrings(get(st, "Action")) {
						switch {
						case strings.HasPrefix(a, "ivs:"):
							ivs = append(ivs, a)
						case strings.HasPrefix(a, "cloudwatch:"):
							cloudwatch = append(cloudwatch, a)
						case a == "events:PutEvents":
							puts = append(puts, a)
							if !equal(get(st, "Resource"), busARN) {
								t.Errorf("%s: PutEvents on %v, want the suite's bus only", id, get(st, "Resource"))
							}
						case a == "sqs:ChangeMessageVisibility":
							changeVisibility = changeVisibility || equal(get(st, "Resource"), arnOf(f.id(t, f.suite.Queue(name))))
						case a == "sqs:SendMessage":
							sendResources = append(sendResources, get(st, "Resource"))
						case strings.HasPrefix(a, "s3:"):
							// Nothing is deleted but the live index's entries (checkOnlyOn below).
							if strings.HasPrefix(a, "s3:Delete") && a != "s3:DeleteObject" {
								t.Errorf("%s: %s granted; only the live index's entries are deleted", id, a)
							}
							s3Actions = append(s3Actions, a)
							s3Resources = append(s3Resources, get(st, "Resource"))
						}
					}
				}
			}
			slices.Sort(ivs)
			if !slices.Equal(ivs, wantIVS[name]) {
				t.Errorf("IVS actions %v, want %v", ivs, wantIVS[name])
			}
			wantPut := name == suite.FunctionEnrich || name == suite.FunctionCorrect || name == suite.FunctionQuality
			// quality reads IVS's metrics: exactly GetMetricData (the functions' own metrics are EMF
			// log lines, which need no CloudWatch permission).
			if wantCW := name == suite.FunctionQuality; wantCW != slices.Equal(cloudwatch, []string{"cloudwatch:GetMetricData"}) || (!wantCW && len(cloudwatch) > 0) {
				t.Errorf("CloudWatch actions %v, want cloudwatch:GetMetricData for quality only", cloudwatch)
			}
			if (len(puts) > 0) != wantPut {
				t.Errorf("events:PutEvents granted: %v, want %v", len(puts) > 0, wantPut)
			}
			if name == suite.FunctionCorrect && !changeVisibility {
				t.Errorf("correct cannot ChangeMessageVisibility on its own queue")
			}
			switch name {
			case suite.FunctionArchive:
				f.checkArchiveS3(t, s3Resources)
				// Exactly what it calls: GetObject, PutObject (conditional) and ListBucket (so a
				// missing record is NoSuchKey, not AccessDenied), DeleteObject of the live index's
				// entries; no wildcard, tagging or ACL.
				slices.Sort(s3Actions)
				if got := slices.Compact(s3Actions); !slices.Equal(got, []string{"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}) {
					t.Errorf("S3 actions %v, want s3:DeleteObject, s3:GetObject, s3:ListBucket, s3:PutObject", got)
				}
				f.checkOnlyOn(t, suite.FunctionArchive, "s3:DeleteObject", ivssessions.LivePrefix)
			case suite.FunctionEnrich:
				// The session records, read only: a repeated event costs an S3 read, no IVS call.
				sessions := map[string]any{"Fn::Join": []any{"", []any{arnOf(f.id(t, f.suite.ArchiveBucket())), "/" + ivssessions.SessionsPrefix + "*"}}}
				if !slices.Equal(s3Actions, []string{"s3:GetObject"}) || len(s3Resources) != 1 || !equal(s3Resources[0], sessions) {
					t.Errorf("S3 %v on %v, want s3:GetObject on %v only", s3Actions, s3Resources, sessions)
				}
			case suite.FunctionCorrect:
				// Its channels' leases and intent records: get and put of the objects under
				// locks/, and a listing of locks/ only (a missing intent is 404, not 403).
				bucket := arnOf(f.id(t, f.suite.ArchiveBucket()))
				locks := map[string]any{"Fn::Join": []any{"", []any{bucket, "/" + ivssessions.LocksPrefix + "*"}}}
				slices.Sort(s3Actions)
				if !slices.Equal(s3Actions, []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject"}) {
					t.Errorf("S3 actions %v, want s3:GetObject, s3:ListBucket and s3:PutObject", s3Actions)
				}
				for _, r := range s3Resources {
					if !equal(r, locks) && !equal(r, bucket) {
						t.Errorf("S3 resource %v, want only %v and the bucket", r, locks)
					}
				}
				for _, pol := range f.ofType("AWS::IAM::Policy") {
					for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
						if get(st, "Action") == "s3:ListBucket" && equal(get(st, "Resource"), bucket) && get(st, "Sid") == "ListLocksOnly" &&
							!equal(get(st, "Condition"), map[string]any{"StringLike": map[string]any{"s3:prefix": ivssessions.LocksPrefix + "*"}}) {
							t.Errorf("correct's s3:ListBucket condition %v, want s3:prefix %s*", get(st, "Condition"), ivssessions.LocksPrefix)
						}
					}
				}
			default:
				if len(s3Resources) > 0 {
					t.Errorf("S3 access granted: %v", s3Resources)
				}
			}
			// Every function re-enqueues the records its deadline left unstarted on its own
			// queue; correct also sends a correction it gives up on to its own DLQ. Nothing else.
			want := []any{arnOf(f.id(t, f.suite.Queue(name)))}
			if name == suite.FunctionCorrect {
				want = append(want, arnOf(f.id(t, f.suite.DeadLetterQueue(name))))
			}
			for _, r := range sendResources {
				if !slices.ContainsFunc(want, func(w any) bool { return equal(r, w) }) {
					t.Errorf("sqs:SendMessage on %v, want only %v", r, want)
				}
			}
			for _, w := range want {
				if !slices.ContainsFunc(sendResources, func(r any) bool { return equal(r, w) }) {
					t.Errorf("sqs:SendMessage not granted on %v", w)
				}
			}
		})
	}
}

// checkArchiveS3 checks that the archive function's S3 resources are the archive bucket and
// the objects under its prefixes, nothing else.
func (f *fixture) checkArchiveS3(t *testing.T, resources []any) {
	t.Helper()
	bucket := arnOf(f.id(t, f.suite.ArchiveBucket()))
	allowed := []any{bucket, map[string]any{"Fn::Join": []any{"", []any{bucket, "/" + ivssessions.LivePrefix + "*"}}}}
	for _, prefix := range ivssessions.ArchivePrefixes {
		allowed = append(allowed, map[string]any{"Fn::Join": []any{"", []any{bucket, "/" + prefix + "*"}}})
	}
	var seen []string
	for _, rs := range resources {
		items := list(jsonValue(rs))
		if items == nil {
			items = []any{jsonValue(rs)}
		}
		for _, r := range items {
			if !slices.ContainsFunc(allowed, func(a any) bool { return equal(a, r) }) {
				t.Errorf("S3 resource %v is outside the archive's prefixes", r)
			}
			b, _ := json.Marshal(r)
			seen = append(seen, string(b))
		}
	}
	for _, prefix := range ivssessions.ArchivePrefixes {
		if !slices.ContainsFunc(seen, func(s string) bool { return strings.Contains(s, "/"+prefix+"*") }) {
			t.Errorf("no S3 grant on %s*", prefix)
		}
	}
}

// checkOnlyOn checks that function fn's role allows action on objects under prefix of the
// archive bucket and nothing else.
func (f *fixture) checkOnlyOn(t *testing.T, fn, action, prefix string) {
	t.Helper()
	roleID := str(list(get(f.properties(t, f.id(t, f.suite.Function(fn)), "AWS::Lambda::Function")["Role"], "Fn::GetAtt"))[0])
	want := map[string]any{"Fn::Join": []any{"", []any{arnOf(f.id(t, f.suite.ArchiveBucket())), "/" + prefix + "*"}}}
	n := 0
	for _, pol := range f.ofType("AWS::IAM::Policy") {
		if !slices.ContainsFunc(list(get(pol, "Properties", "Roles")), func(v any) bool { return equal(v, ref(roleID)) }) {
			continue
		}
		for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
			if !slices.Contains(asStrings(get(st, "Action")), action) {
				continue
			}
			n++
			if !equal(get(st, "Resource"), want) {
				t.Errorf("%s: %s on %v, want only %s*", fn, action, get(st, "Resource"), prefix)
			}
		}
	}
	if n == 0 {
		t.Errorf("%s: no %s granted on %s*", fn, action, prefix)
	}
}

func TestBuckets(t *testing.T) {
	f := defaultFixture(t)
	archiveID := f.id(t, f.suite.ArchiveBucket())
	buckets := f.ofType("AWS::S3::Bucket")
	for id, b := range buckets {
		p := b["Properties"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if get(p, "PublicAccessBlockConfiguration", k) != true {
				t.Errorf("bucket %s: %s is not true", id, k)
			}
		}
		if got := get(p, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "SSEAlgorithm"); got != "AES256" {
			t.Errorf("bucket %s: SSEAlgorithm = %v, want AES256", id, got)
		}
		if got := get(p, "OwnershipControls", "Rules", 0, "ObjectOwnership"); got != "BucketOwnerEnforced" {
			t.Errorf("bucket %s: ObjectOwnership = %v", id, got)
		}
		if b["DeletionPolicy"] != "Retain" {
			t.Errorf("bucket %s: DeletionPolicy = %v, want Retain", id, b["DeletionPolicy"])
		}
		if !f.deniesInsecureTransport("AWS::S3::BucketPolicy", "Bucket", ref(id)) {
			t.Errorf("bucket %s: no policy denying aws:SecureTransport false", id)
		}
		if len(list(get(p, "LifecycleConfiguration", "Rules"))) == 0 {
			t.Errorf("bucket %s: no lifecycle rules", id)
		}
	}

	p := f.properties(t, archiveID, "AWS::S3::Bucket")
	if got := get(p, "VersioningConfiguration", "Status"); got != "Enabled" {
		t.Errorf("archive versioning = %v", got)
	}
	logsID := str(get(p, "LoggingConfiguration", "DestinationBucketName", "Ref"))
	if _, ok := buckets[logsID]; !ok || logsID == archiveID {
		t.Errorf("archive access logs go to %v, want the logs bucket", get(p, "LoggingConfiguration"))
	}
	for id, b := range buckets {
		if id != logsID && get(b, "Properties", "LoggingConfiguration", "DestinationBucketName", "Ref") != logsID {
			t.Errorf("bucket %s does not log to the logs bucket", id)
		}
	}
	rule := get(p, "LifecycleConfiguration", "Rules", 0)
	if num(get(rule, "ExpirationInDays")) != suite.DefaultArchiveRetentionDays {
		t.Errorf("archive expiration = %v, want %d days", get(rule, "ExpirationInDays"), suite.DefaultArchiveRetentionDays)
	}
	if num(get(rule, "NoncurrentVersionExpiration", "NoncurrentDays")) < 1 {
		t.Errorf("archive noncurrent versions never expire: %v", rule)
	}
	if got := get(rule, "Transitions", 0, "StorageClass"); got != "INTELLIGENT_TIERING" {
		t.Errorf("archive transition = %v, want INTELLIGENT_TIERING", got)
	}

	// correct's leases and intent records under locks/, and their older versions, expire after
	// 14 days: an intent must outlive every redrive of its correction.
	var locks []any
	for _, r := range list(get(p, "LifecycleConfiguration", "Rules")) {
		if get(r, "Prefix") == ivssessions.LocksPrefix {
			locks = append(locks, r)
		}
	}
	if len(locks) != 1 || num(get(locks[0], "ExpirationInDays")) != 14 || num(get(locks[0], "NoncurrentVersionExpiration", "NoncurrentDays")) != 14 ||
		get(locks[0], "Status") != "Enabled" {
		t.Errorf("lifecycle rules for %s: %v, want one expiring objects and noncurrent versions after 14 days", ivssessions.LocksPrefix, locks)
	}

	c := customFixture(t)
	rule = get(c.properties(t, c.id(t, c.suite.ArchiveBucket()), "AWS::S3::Bucket"), "LifecycleConfiguration", "Rules", 0)
	if num(get(rule, "ExpirationInDays")) != 20 || get(rule, "Transitions") != nil {
		t.Errorf("archiveRetentionDays 20: rule %v, want expiry after 20 days and no transition", rule)
	}
}

func TestAnalytics(t *testing.T) {
	f := defaultFixture(t)
	archiveID := f.id(t, f.suite.ArchiveBucket())
	db := f.suite.GlueDatabase()
	if len(f.ofType("AWS::Glue::Database")) != 1 {
		t.Fatal("no Glue database")
	}
	for _, d := range f.ofType("AWS::Glue::Database") {
		if got := get(d, "Properties", "DatabaseInput", "Name"); got != db {
			t.Errorf("database name %v, want %s", got, db)
		}
	}

	columnNames := func(cols []catalog.Column) (out []any) {
		for _, c := range cols {
			out = append(out, strings.ToLower(c.Name))
		}
		return out
	}
	want := map[string]struct {
		cols   []any
		prefix string
	}{
		catalog.TableSessions:          {columnNames(catalog.RecordColumns()), ivssessions.SessionsPrefix},
		catalog.TableSessionsByChannel: {columnNames(catalog.RecordColumns()), ivssessions.SessionsPrefix},
		catalog.TableCorrections:       {columnNames(catalog.CorrectionColumns()), ivssessions.CorrectionsPrefix},
	}
	tables := map[string]map[string]any{}
	for _, tb := range f.ofType("AWS::Glue::Table") {
		in := get(tb, "Properties", "TableInput").(map[string]any)
		name := str(in["Name"])
		tables[name] = in
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected table %s", name)
			continue
		}
		if get(tb, "Properties", "DatabaseName") != db {
			t.Errorf("table %s in database %v, want %s", name, get(tb, "Properties", "DatabaseName"), db)
		}
		var cols []any
		for _, c := range list(get(in, "StorageDescriptor", "Columns")) {
			cols = append(cols, get(c, "Name"))
		}
		if !reflect.DeepEqual(cols, w.cols) {
			t.Errorf("table %s columns %v, want %v", name, cols, w.cols)
		}
		if got := get(in, "StorageDescriptor", "SerdeInfo", "SerializationLibrary"); got != "org.openx.data.jsonserde.JsonSerDe" {
			t.Errorf("table %s: SerDe %v", name, got)
		}
		if got := get(in, "StorageDescriptor", "SerdeInfo", "Parameters", catalog.IgnoreMalformedJSON); got != "true" {
			t.Errorf("table %s: %s = %v, want true (a damaged object is a row of NULLs, not a failed query)", name, catalog.IgnoreMalformedJSON, got)
		}
		if get(in, "Parameters", "projection.enabled") != "true" {
			t.Errorf("table %s: partition projection is off", name)
		}
		tmpl, _ := json.Marshal(get(in, "Parameters", "storage.location.template"))
		if !strings.Contains(string(tmpl), archiveID) || !strings.Contains(string(tmpl), "/"+w.prefix+"year=${year}/month=${month}/day=${day}/") {
			t.Errorf("table %s: location template %s", name, tmpl)
		}
	}
	sessions, byChannel := tables[catalog.TableSessions], tables[catalog.TableSessionsByChannel]
	if sessions == nil || byChannel == nil {
		t.Fatalf("tables %v, want %s and %s", slices.Collect(maps.Keys(tables)), catalog.TableSessions, catalog.TableSessionsByChannel)
	}
	if len(list(sessions["PartitionKeys"])) != 3 || get(sessions, "Parameters", "projection.channel.type") != nil {
		t.Errorf("%s: partitions %v, want year, month, day", catalog.TableSessions, sessions["PartitionKeys"])
	}
	// A session is (account, region, channel, stream): the by-channel table names all three of
	// the channel's (issue 10), as injected partitions named apart from the record's columns.
	recordCols := map[any]bool{}
	for _, c := range columnNames(catalog.RecordColumns()) {
		recordCols[c] = true
	}
	for i, p := range []string{"key_account", "key_region", "key_channel"} {
		if get(byChannel, "PartitionKeys", 3+i, "Name") != p || get(byChannel, "Parameters", "projection."+p+".type") != "injected" {
			t.Errorf("%s: want an injected %s partition, got %v", catalog.TableSessionsByChannel, p, byChannel["PartitionKeys"])
		}
	}
	for _, pk := range list(byChannel["PartitionKeys"]) {
		if recordCols[get(pk, "Name")] {
			t.Errorf("%s: partition %v is also a column", catalog.TableSessionsByChannel, get(pk, "Name"))
		}
	}
	tmpl, _ := json.Marshal(get(byChannel, "Parameters", "storage.location.template"))
	if !strings.Contains(string(tmpl), "/account=${key_account}/region=${key_region}/channel=${key_channel}/") {
		t.Errorf("%s: location template %s does not follow session.SessionKey", catalog.TableSessionsByChannel, tmpl)
	}

	wgs := f.ofType("AWS::Athena::WorkGroup")
	if len(wgs) != 1 {
		t.Fatalf("%d workgroups", len(wgs))
	}
	var wgID string
	for id, wg := range wgs {
		wgID = id
		cfg := get(wg, "Properties", "WorkGroupConfiguration")
		if get(cfg, "EnforceWorkGroupConfiguration") != true {
			t.Errorf("workgroup configuration is not enforced")
		}
		if get(cfg, "ResultConfiguration", "EncryptionConfiguration", "EncryptionOption") != "SSE_S3" {
			t.Errorf("query results are not encrypted: %v", get(cfg, "ResultConfiguration"))
		}
		out, _ := json.Marshal(get(cfg, "ResultConfiguration", "OutputLocation"))
		if !strings.Contains(string(out), "s3://") || strings.Contains(string(out), archiveID) {
			t.Errorf("results go to %s, want the results bucket", out)
		}
		if get(wg, "Properties", "Name") != f.suite.AthenaWorkGroup() {
			t.Errorf("workgroup name %v, want %s", get(wg, "Properties", "Name"), f.suite.AthenaWorkGroup())
		}
	}
	// The names follow the construct's path as the catalog derives them (the local Athena
	// serves the names of catalog.AppPath).
	if path := "Test/" + catalog.SuiteID; db != catalog.DatabaseName(path) || f.suite.AthenaWorkGroup() != catalog.WorkGroupName(path) {
		t.Errorf("database %s, workgroup %s; want %s, %s", db, f.suite.AthenaWorkGroup(), catalog.DatabaseName(path), catalog.WorkGroupName(path))
	}
	saved := map[string]bool{}
	for id, q := range f.ofType("AWS::Athena::NamedQuery") {
		if get(q, "Properties", "Database") != db || !equal(get(q, "Properties", "WorkGroup"), ref(wgID)) {
			t.Errorf("named query %s: database %v, workgroup %v", id, get(q, "Properties", "Database"), get(q, "Properties", "WorkGroup"))
		}
		saved[str(get(q, "Properties", "Name"))] = true
	}
	for _, q := range catalog.NamedQueries() {
		if !saved[q.Name] {
			t.Errorf("the catalog's query %q is not saved in the workgroup", q.Name)
		}
	}
}

func TestAlarms(t *testing.T) {
	f := defaultFixture(t)
	topicID := f.id(t, f.suite.AlarmTopic())
	alarms := f.ofType("AWS::CloudWatch::Alarm")
	has := func(metric string, dim map[string]any) bool {
		for _, a := range alarms {
			p := a["Properties"].(map[string]any)
			if p["MetricName"] != metric || !equal(get(p, "Dimensions", 0), dim) {
				continue
			}
			return num(p["Threshold"]) == 1 && p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" &&
				equal(p["AlarmActions"], []any{ref(topicID)}) && equal(p["OKActions"], []any{ref(topicID)})
		}
		return false
	}
	for _, name := range suite.Functions {
		dlq := map[string]any{"Name": "QueueName", "Value": attr(f.id(t, f.suite.DeadLetterQueue(name)), "QueueName")}
		if !has("ApproximateNumberOfMessagesVisible", dlq) {
			t.Errorf("%s: no DLQ depth alarm to the topic", name)
		}
		fn := map[string]any{"Name": "FunctionName", "Value": ref(f.id(t, f.suite.Function(name)))}
		for _, metric := range []string{"Errors", "Throttles"} {
			if !has(metric, fn) {
				t.Errorf("%s: no %s alarm to the topic", name, metric)
			}
		}
	}
	if len(f.suite.Alarms()) != len(alarms) {
		t.Errorf("Alarms() has %d, template %d", len(f.suite.Alarms()), len(alarms))
	}

	topic := f.properties(t, topicID, "AWS::SNS::Topic")
	keyID := str(list(get(topic, "KmsMasterKeyId", "Fn::GetAtt"))[0])
	if get(f.properties(t, keyID, "AWS::KMS::Key"), "EnableKeyRotation") != true {
		t.Errorf("topic key %s: rotation off", keyID)
	}
	if !f.deniesInsecureTransport("AWS::SNS::TopicPolicy", "Topics", []any{ref(topicID)}) {
		t.Errorf("topic does not deny plain HTTP")
	}
	cwAllowed := func(typ string) bool {
		for _, st := range f.statements() {
			if f.resources[st.where]["Type"] == typ && st.body["Effect"] == "Allow" && slices.Contains(asStrings(get(st.body, "Principal", "Service")), "cloudwatch.amazonaws.com") {
				return true
			}
		}
		return false
	}
	if !cwAllowed("AWS::SNS::TopicPolicy") || !cwAllowed("AWS::KMS::Key") {
		t.Errorf("CloudWatch may not publish to the encrypted topic (topic policy %v, key policy %v)", cwAllowed("AWS::SNS::TopicPolicy"), cwAllowed("AWS::KMS::Key"))
	}
	for _, s := range customFixture(t).ofType("AWS::SNS::Subscription") {
		if get(s, "Properties", "Protocol") != "email" || get(s, "Properties", "Endpoint") != customProps.AlarmEmail {
			t.Errorf("subscription %v", s["Properties"])
		}
	}
}

// dashboardBody rebuilds the dashboard's JSON from its Fn::Join, with every reference replaced
// by its logical ID.
func dashboardBody(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	var body strings.Builder
	for _, d := range f.ofType("AWS::CloudWatch::Dashboard") {
		v := get(d, "Properties", "DashboardBody")
		parts := list(get(v, "Fn::Join", 1))
		if parts == nil {
			parts = []any{v}
		}
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				body.WriteString(p)
			default:
				if r := get(p, "Ref"); r != nil {
					body.WriteString(str(r))
				} else if a := list(get(p, "Fn::GetAtt")); a != nil {
					body.WriteString(str(a[0]))
				}
			}
		}
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body.String()), &out); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, body.String())
	}
	return out
}

func TestDashboard(t *testing.T) {
	f := defaultFixture(t)
	body := dashboardBody(t, f)
	titles := map[string]string{} // title -> the widget's metrics as JSON
	for _, w := range list(body["widgets"]) {
		b, _ := json.Marshal(get(w, "properties", "metrics"))
		titles[str(get(w, "properties", "title"))] = string(b)
	}
	search := func(metric, dim string) string {
		return fmt.Sprintf(`{%s,%s} MetricName=\"%s\"`, suite.MetricNamespace, dim, metric)
	}
	for title, want := range map[string][]string{
		"Sessions per hour":                   {`"` + suite.MetricNamespace + `","` + suite.MetricSessions + `"`},
		"Multitrack share":                    {`"` + suite.MetricMultitrack + `"`, `"` + suite.MetricSessions + `"`},
		"Refusals by code (per hour)":         {search(suite.MetricRefusals, suite.DimensionCode)},
		"Corrections by outcome (per hour)":   {search(suite.MetricCorrections, suite.DimensionOutcome)},
		"IVS throttles by function":           {search(suite.MetricIVSThrottles, suite.DimensionFunction)},
		"Dead-letter queue depths":            dlqNames(t, f),
		"Session quality verdicts (per hour)": {search(suite.MetricQualityVerdicts, suite.DimensionVerdict)},
	} {
		got, ok := titles[title]
		if !ok {
			t.Errorf("no widget %q (have %v)", title, slices.Collect(maps.Keys(titles)))
			continue
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("widget %q: metrics %s lack %s", title, got, w)
			}
		}
	}
}

// TestDegradedByChannelWidget checks the Logs Insights widget that counts degraded sessions per
// hour and channel: it reads the quality function's log group with the query of the function's
// log line.
func TestDegradedByChannelWidget(t *testing.T) {
	f := defaultFixture(t)
	for _, w := range list(dashboardBody(t, f)["widgets"]) {
		if str(get(w, "properties", "title")) != "Degraded sessions per hour, by channel" {
			continue
		}
		q := str(get(w, "properties", "query"))
		for _, want := range []string{`msg = "quality measured"`, `verdict = "degraded"`, "bin(1h)", "channelId"} {
			if !strings.Contains(q, want) {
				t.Errorf("query %q lacks %s", q, want)
			}
		}
		return
	}
	t.Error("no widget of degraded sessions by channel")
}

func dlqNames(t *testing.T, f *fixture) []string {
	var out []string
	for _, name := range suite.Functions {
		out = append(out, `"ApproximateNumberOfMessagesVisible","QueueName","`+f.id(t, f.suite.DeadLetterQueue(name))+`"`)
	}
	return out
}

func TestNagClean(t *testing.T) {
	for name, f := range map[string]*fixture{"defaults": defaultFixture(t), "custom": customFixture(t)} {
		t.Run(name, func(t *testing.T) {
			for _, level := range []string{"error", "warning"} {
				find := f.annots.FindError
				if level == "warning" {
					find = f.annots.FindWarning
				}
				msgs := find(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
				for _, m := range *msgs {
					b, _ := json.Marshal(m)
					t.Errorf("cdk-nag %s: %s", level, b)
				}
			}
			// Every suppression names a rule and gives a reason a reader can check.
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

func TestCustomSettingsReachTheTemplate(t *testing.T) {
	f := customFixture(t)
	env := func(name string) map[string]any {
		v, _ := get(f.properties(t, f.id(t, f.suite.Function(name)), "AWS::Lambda::Function"), "Environment", "Variables").(map[string]any)
		return v
	}
	for _, name := range []string{suite.FunctionEnrich, suite.FunctionCorrect} {
		for k, want := range map[string]string{
			suite.EnvCorrectionMode:             string(multitrack.ModeDryRun),
			suite.EnvDefaultMaximumResolution:   "HD",
			suite.EnvAllowTypeChange:            "true",
			suite.EnvAllowContainerFormatChange: "false",
			suite.EnvOptOutTag:                  "team:hands-off",
		} {
			if got := env(name)[k]; got != want {
				t.Errorf("%s %s = %v, want %q", name, k, got, want)
			}
		}
	}
	if got := env(suite.FunctionEnrich)[suite.EnvEnrichMaxAttempts]; got != "8" {
		t.Errorf("%s = %v, want 8", suite.EnvEnrichMaxAttempts, got)
	}
	maxAge, err := time.ParseDuration(str(env(suite.FunctionCorrect)[suite.EnvCorrectionMaxAge]))
	if err != nil || maxAge != 120*time.Hour {
		t.Errorf("%s = %v (%v), want 120h", suite.EnvCorrectionMaxAge, env(suite.FunctionCorrect)[suite.EnvCorrectionMaxAge], err)
	}
	correctQueue := f.properties(t, f.id(t, f.suite.Queue(suite.FunctionCorrect)), "AWS::SQS::Queue")
	if got := num(correctQueue["MessageRetentionPeriod"]); got <= maxAge.Seconds() {
		t.Errorf("correct queue keeps messages %vs, not longer than the %v a correction may wait", got, maxAge)
	}
	enrichQueue := f.properties(t, f.id(t, f.suite.Queue(suite.FunctionEnrich)), "AWS::SQS::Queue")
	if got := num(get(enrichQueue, "RedrivePolicy", "maxReceiveCount")); got <= 8 {
		t.Errorf("enrich maxReceiveCount %v, want more than the 8 attempts", got)
	}
	for id, lg := range f.ofType("AWS::Logs::LogGroup") {
		if num(get(lg, "Properties", "RetentionInDays")) != 30 {
			t.Errorf("log group %s retention %v, want 30", id, get(lg, "Properties", "RetentionInDays"))
		}
	}
	for _, a := range f.ofType("AWS::Events::Archive") {
		if num(get(a, "Properties", "RetentionDays")) != 7 {
			t.Errorf("event archive retention %v, want 7", get(a, "Properties", "RetentionDays"))
		}
	}
}

func TestNewIvsSessionsPanicsWithoutAssets(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("NoAssets"), nil)
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "bootstrap") || !strings.Contains(msg, "make build") {
			t.Errorf("panic %q, want one naming the missing bootstrap and make build", msg)
		}
	}()
	ivssessions.NewIvsSessions(stack, jsii.String(catalog.SuiteID), &ivssessions.IvsSessionsProps{AssetsDir: t.TempDir()})
}

func TestNewIvsSessionsPanicsOnBadProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("BadProps"), nil)
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, ivssessions.ContextCorrectionMode) {
			t.Errorf("panic %q, want one naming %s", msg, ivssessions.ContextCorrectionMode)
		}
	}()
	ivssessions.NewIvsSessions(stack, jsii.String(catalog.SuiteID), &ivssessions.IvsSessionsProps{AssetsDir: assetsDir, CorrectionMode: "sometimes"})
}
