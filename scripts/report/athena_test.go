package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/athenatest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// runJSON runs the report with args and returns what -json printed.
func runJSON(t *testing.T, now time.Time, args ...string) Report {
	t.Helper()
	var out, stderr bytes.Buffer
	if err := run(context.Background(), append(args, "-json", "-html", ""), &out, &stderr, now); err != nil {
		t.Fatalf("report %q: %v\n%s", args, err, stderr.String())
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report %q: %v\n%s", args, err, out.String())
	}
	return r
}

// sameFigures fails the test when two reports' figures differ (how they were read aside).
func sameFigures(t *testing.T, direct, other Report) {
	t.Helper()
	d, o := direct, other
	d.Read, o.Read = ReadStats{}, ReadStats{}
	if !reflect.DeepEqual(d, o) {
		dj, _ := json.MarshalIndent(d, "", " ")
		oj, _ := json.MarshalIndent(o, "", " ")
		t.Errorf("the figures differ\ndirect:\n%s\nother:\n%s", dj, oj)
	}
}

// bytesUnder is the size of the objects whose keys start with the session prefix of one of days
// and contain every one of parts.
func bytesUnder(objs map[string][]byte, days []time.Time, parts ...string) int64 {
	var n int64
	for k, b := range objs {
		in := false
		for _, d := range days {
			in = in || strings.HasPrefix(k, session.DayPrefix(d))
		}
		for _, p := range parts {
			in = in && strings.Contains(k, p)
		}
		if in {
			n += int64(len(b))
		}
	}
	return n
}

// The fixture archive: the report says the same whether it reads the records or Athena (the
// local Athena, over the same folder) counts them, for every range; Athena scans exactly the
// objects of the range's days (and channels), then those of the channels whose live session a
// later one may have ended, from that session's day.
func TestSameFiguresEitherWay(t *testing.T) {
	objs := objects(t)
	// A channel with an ad configuration: two refusals left alone for ads, one session live;
	// and a fleet's channels in eu-west-1, of this account and of a member account (the
	// region column and the per-region breakdown, either way).
	for _, f := range append([]fixture{
		{channel: "adsDDDDDDDDD", name: "ads", stream: 1, start: t0.Add(4 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
		{channel: "adsDDDDDDDDD", name: "ads", stream: 2, start: t0.Add(5 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
		{channel: "adsDDDDDDDDD", name: "ads", stream: 3, start: t0.Add(6 * time.Hour), duration: time.Hour, ladder: singleHD, ads: true},
	}, fleetChannels()...) {
		r := f.record()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		objs[r.Key()] = b
	}
	dir := writeDir(t, objs)
	day := 24 * time.Hour
	d3, d4, d5 := threeDays.From, threeDays.From.Add(day), threeDays.From.Add(2*day)
	tests := map[string]struct {
		args     []string
		now      time.Time
		days     []time.Time
		channels []string
		// next: the days and channel of the query that finds which session ended a live one
		nextDays []time.Time
	}{
		"three days":                   {days: []time.Time{d3, d4, d5}, nextDays: []time.Time{d3, d4, d5}},
		"three days, nothing stale":    {now: t0.Add(day + 4*time.Hour), days: []time.Time{d3, d4, d5}, nextDays: []time.Time{d3, d4, d5}},
		"one day":                      {args: []string{"-to", "2026-11-03"}, days: []time.Time{d3}},
		"the last two days":            {args: []string{"-from", "2026-11-04"}, days: []time.Time{d4, d5}},
		"one channel":                  {args: []string{"-channels", "deskBBBBBBBB"}, days: []time.Time{d3, d4, d5}, channels: []string{"deskBBBBBBBB"}},
		"the channel with a stale one": {args: []string{"-channels", "fieldCCCCCCC,studioAAAAAA"}, days: []time.Time{d3, d4, d5}, channels: []string{"fieldCCCCCCC", "studioAAAAAA"}, nextDays: []time.Time{d3, d4, d5}},
		"a month and more":             {args: []string{"-from", "2026-10-20"}, days: []time.Time{d3, d4, d5}, nextDays: []time.Time{d3, d4, d5}},
		"days with nothing":            {args: []string{"-from", "2026-10-01", "-to", "2026-10-31"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC)
			}
			args := append([]string{"-dir", dir, "-from", "2026-11-03", "-to", "2026-11-05"}, tc.args...)
			direct := runJSON(t, now, append(args, "-direct")...)
			viaAthena := runJSON(t, now, append(args, "-athena")...)
			sameFigures(t, direct, viaAthena)
			if name == "three days" && direct.Overall.LeftForAds != 2 {
				t.Errorf("%d refusals left alone for ads; want the ads channel's 2", direct.Overall.LeftForAds)
			}
			if name == "three days" && len(direct.PerRegion) != 3 {
				t.Errorf("per region %+v; want us-west-2, and eu-west-1 of two accounts", direct.PerRegion)
			}
			if direct.Read.Mode != ModeDirect || viaAthena.Read.Mode != ModeAthena || viaAthena.Read.Athena == nil {
				t.Fatalf("modes %q and %q (%+v)", direct.Read.Mode, viaAthena.Read.Mode, viaAthena.Read)
			}
			var chParts []string
			for _, c := range tc.channels { // the objects of sessions_by_channel's partitions
				chParts = append(chParts, "/region=us-west-2/channel="+c+"/")
			}
			var want int64
			for _, c := range chParts {
				want += bytesUnder(objs, tc.days, c)
			}
			if len(chParts) == 0 {
				want = bytesUnder(objs, tc.days)
			}
			qs := viaAthena.Read.Athena.Queries
			if len(tc.days) == 0 {
				if len(qs) != 0 {
					t.Errorf("queries %+v for a range with no object; want none", qs)
				}
				return
			}
			if len(qs) == 0 || qs[0].ScannedBytes != want {
				t.Errorf("queries %+v; want the first to scan %d bytes (the range's objects)", qs, want)
			}
			if tc.nextDays != nil && direct.StillLive != nil && len(direct.StillLive) > 0 && strings.HasPrefix(direct.StillLive[0].Why, "session ") {
				if next := bytesUnder(objs, tc.nextDays, "/region=us-west-2/channel=fieldCCCCCCC/"); len(qs) != 2 || qs[1].ScannedBytes != next {
					t.Errorf("queries %+v; want a second one scanning %d bytes (the stale session's channel)", qs, next)
				}
			}
			var scanned int64
			for _, q := range qs {
				scanned += q.ScannedBytes
			}
			a := viaAthena.Read.Athena
			if a.ScannedBytes != scanned || a.CostUSD != roundTo(float64(scanned)/(1<<40)*PricePerTB, 6) || a.BilledBytes != int64(len(qs))*minBilledPerScan {
				t.Errorf("athena stats %+v", a)
			}
		})
	}
}

// A range that holds more than one query may scan is split by days; the figures are the same.
// The fixture's refusals on desk and studio each come before or after a correction applied in
// another query's days.
func TestSameFiguresInSeveralQueries(t *testing.T) {
	objs := objects(t)
	dir := writeDir(t, objs)
	now := time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC)
	largest := int64(0)
	for _, d := range threeDays.days() {
		largest = max(largest, bytesUnder(objs, []time.Time{d}))
	}
	var direct, split Report
	var queries []QueryStats
	for _, cutoff := range []int64{0, largest * 10 / 9 * 11 / 10} {
		var out, stderr bytes.Buffer
		o, err := parseFlags([]string{"-dir", dir, "-json", "-html", ""}, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		o.direct, o.athena = cutoff == 0, cutoff != 0
		athenaFor := func(context.Context) (*athenaRunner, func(), error) {
			a, stop, err := startLocalAthena(dir, "", "")
			if a != nil {
				a.cutoff = cutoff
			}
			return a, stop, err
		}
		if err := report(context.Background(), dirSource{dir: dir}, threeDays, o, now, "", athenaFor, &out, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		var r Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if cutoff == 0 {
			direct = r
		} else {
			split, queries = r, r.Read.Athena.Queries
		}
	}
	sameFigures(t, direct, split)
	if len(queries) < 3 || !strings.HasPrefix(queries[0].What, "report 1/3 (2026-11-03 to 2026-11-03)") {
		t.Errorf("queries %+v; want one per day", queries)
	}
	if len(direct.Disagreeing) != 1 || len(direct.StillLive) != 1 {
		t.Errorf("disagreeing %+v, still live %+v; want desk, and field's first session", direct.Disagreeing, direct.StillLive)
	}
}

// Without -athena or -direct the report runs on Athena past -athena-above objects, and says why.
func TestChoosesAthena(t *testing.T) {
	dir := writeDir(t, objects(t))
	now := time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC)
	args := []string{"-dir", dir, "-from", "2026-11-03", "-to", "2026-11-05"}
	if r := runJSON(t, now, args...); r.Read.Mode != ModeDirect || r.Read.Why != "10 objects in the range, at most -athena-above 100000" {
		t.Errorf("mode %s (%s); want direct", r.Read.Mode, r.Read.Why)
	}
	if r := runJSON(t, now, append(args, "-athena-above", "9")...); r.Read.Mode != ModeAthena || r.Read.Why != "10 objects in the range, more than -athena-above 9" {
		t.Errorf("mode %s (%s); want athena", r.Read.Mode, r.Read.Why)
	}
	var stderr bytes.Buffer
	for _, bad := range [][]string{{"-athena", "-direct"}, {"-bucket", "b", "-athena"}, {"-athena-above", "-1"}} {
		err := run(context.Background(), append(args, bad...), &bytes.Buffer{}, &stderr, now)
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// A deployed stack: the bucket (the local S3, the real S3 client) and its Athena (the local
// Athena over the same objects, found by the SDK through AWS_ENDPOINT_URL_ATHENA), named by the
// outputs make deploy writes: the same figures as reading the bucket directly.
func TestBucketWithAthena(t *testing.T) {
	objs := objects(t)
	st := putS3(t, objs)
	srv, err := athenatest.New(athenatest.Options{Dir: writeDir(t, objs), Bucket: testBucket})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	sdkEnv(t, st.S3URL)
	t.Setenv("AWS_ENDPOINT_URL_ATHENA", hs.URL)
	outputs := filepath.Join(t.TempDir(), "cdk-outputs.json")
	b, _ := json.Marshal(map[string]map[string]string{catalog.StackName: {
		"Suite" + catalog.OutputArchiveBucket + "46A7C8A7": testBucket,
		"Suite" + catalog.OutputWorkGroup + "8F5BB717":     srv.WorkGroup(),
		"Suite" + catalog.OutputDatabase + "5ADAE02E":      srv.Database(),
		"SuiteEventBusName1234ABCD":                        "bus",
	}})
	if err := os.WriteFile(outputs, b, 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC)
	args := []string{"-outputs", outputs, "-from", "2026-11-03", "-to", "2026-11-05"}
	direct := runJSON(t, now, append(args, "-direct")...)
	viaAthena := runJSON(t, now, append(args, "-athena")...)
	sameFigures(t, direct, viaAthena)
	if direct.Read.Source != "s3://"+testBucket || viaAthena.Read.Athena.WorkGroup != srv.WorkGroup() || direct.Overall.Sessions != 9 {
		t.Errorf("read %+v / %+v", direct.Read, viaAthena.Read)
	}
	if n := srv.Calls()[athenatest.OpStartQueryExecution]; n != len(viaAthena.Read.Athena.Queries) {
		t.Errorf("%d queries started, the report says %d", n, len(viaAthena.Read.Athena.Queries))
	}
}

// Athena's answers the report meets: a throttled start is retried by the SDK's retryer; a
// failed query fails the report with Athena's reason; Ctrl-C stops the query in Athena.
func TestAthenaAnswers(t *testing.T) {
	srv, a := localRunner(t, athenatest.Options{Dir: writeDir(t, objects(t))})
	ctx := context.Background()

	srv.InjectFault(athenatest.Fault{Op: athenatest.OpStartQueryExecution, Count: 1, Status: 400, Type: "TooManyRequestsException",
		Message: "Rate exceeded", Reason: string(types.ThrottleReasonConcurrentQueryLimitExceeded)})
	rows, err := a.query(ctx, "count", "SELECT count(*) AS n FROM sessions WHERE year = 2026 AND month = 11 AND day = 3")
	if err != nil || len(rows) != 1 || rows[0].int("n") != 4 {
		t.Errorf("after a throttle: %v %v; want 4", rows, err)
	}
	if n := srv.Calls()[athenatest.OpStartQueryExecution]; n != 2 {
		t.Errorf("%d starts; want the throttled one and its retry", n)
	}

	_, err = a.query(ctx, "broken", "SELECT nosuchcolumn FROM sessions")
	if err == nil || !strings.Contains(err.Error(), "broken query") || !strings.Contains(err.Error(), "FAILED: COLUMN_NOT_FOUND") {
		t.Errorf("failed query: %v", err)
	}

	release := srv.Hold()
	defer release()
	polled := srv.Calls()[athenatest.OpGetQueryExecution]
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := a.query(cctx, "held", "SELECT 1")
		done <- err
	}()
	for srv.Calls()[athenatest.OpGetQueryExecution] < polled+3 { // it is polling a query held QUEUED
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("interrupted: %v", err)
	}
	if n := srv.Calls()[athenatest.OpStopQueryExecution]; n != 1 {
		t.Errorf("%d StopQueryExecution; want the interrupted query stopped", n)
	}
}

// The saved queries the stack deploys, run on the local Athena over the fixture archive in its
// month, agree with the records the direct reader reads.
func TestSavedQueriesAgree(t *testing.T) {
	objs := objects(t)
	dir := writeDir(t, objs)
	_, a := localRunner(t, athenatest.Options{Dir: dir, Now: func() time.Time { return t0.Add(72 * time.Hour) }, Account: testAccount, Region: "us-west-2"})
	var records []Session
	for k, b := range objs {
		if s, err := decodeSession(k, b); err == nil && strings.HasPrefix(k, session.KeyPrefix) {
			records = append(records, s)
		}
	}
	direct := Aggregate(records, Options{Now: t0.Add(72 * time.Hour), StaleAfter: 48 * time.Hour})
	queries := map[string]catalog.NamedQuery{}
	for _, q := range catalog.NamedQueries() {
		queries[q.ID] = q
	}
	ctx := context.Background()
	sql := func(id string) string {
		return strings.ReplaceAll(queries[id].For(testAccount, "us-west-2"), catalog.ChannelPlaceholder, "deskBBBBBBBB")
	}

	rows, err := a.query(ctx, "sessions per channel", sql("SessionsPerChannelQuery"))
	if err != nil {
		t.Fatal(err)
	}
	// The damaged object is a row of NULLs (ignore.malformed.json): a session of no channel.
	got, want := map[string]string{}, map[string]string{"": "1 sessions, 0 multitrack, 0 h"}
	for _, r := range rows {
		hours, _ := strconv.ParseFloat(cmpOr(r.str("hours"), "0"), 64)
		got[r.str("channelid")] = fmt.Sprintf("%s sessions, %d multitrack, %v h", r.str("sessions"), r.int("multitrack_sessions"), hours)
	}
	for _, c := range direct.PerChannel {
		multitrack, seconds := 0, 0.0
		for _, s := range records {
			if s.ChannelID == c.ChannelID {
				seconds += s.DurationSeconds
				if s.Multitrack {
					multitrack++
				}
			}
		}
		want[c.ChannelID] = fmt.Sprintf("%d sessions, %d multitrack, %v h", c.Sessions, multitrack, roundTo(seconds/3600, 1))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sessions per channel\n got %v\nwant %v", got, want)
	}

	rows, err = a.query(ctx, "refusals by code", sql("RefusalsByCodeQuery"))
	if err != nil {
		t.Fatal(err)
	}
	var gotRefusals []Count
	for _, r := range rows {
		if r.str("channels") != "1" {
			t.Errorf("code %s on %s channels; each fixture refusal is on one", r.str("code"), r.str("channels"))
		}
		gotRefusals = append(gotRefusals, Count{Label: r.str("code"), N: r.int("refusals")})
	}
	if !reflect.DeepEqual(counts(countOf(gotRefusals)), direct.Overall.Refusals) {
		t.Errorf("refusals by code %v, the direct reader %v", gotRefusals, direct.Overall.Refusals)
	}

	rows, err = a.query(ctx, "one channel's sessions", sql("ChannelSessionsQuery"))
	if err != nil {
		t.Fatal(err)
	}
	var gotDesk, wantDesk []string
	for _, r := range rows {
		gotDesk = append(gotDesk, r.str("streamid")+" "+r.str("outcome")+" "+r.str("code")+" "+r.str("correction_outcome"))
	}
	for _, s := range records {
		if s.ChannelID == "deskBBBBBBBB" {
			corr := ""
			if s.Correction != nil {
				corr = string(s.Correction.Outcome)
			}
			wantDesk = append(wantDesk, s.StreamID+" "+string(s.Outcome)+" "+s.Code+" "+corr)
		}
	}
	slices.Sort(wantDesk)
	slices.Reverse(wantDesk) // newest first: the fixture's stream numbers follow the starts
	if !reflect.DeepEqual(gotDesk, wantDesk) || len(gotDesk) != 3 {
		t.Errorf("desk's sessions\n got %q\nwant %q", gotDesk, wantDesk)
	}

	rows, err = a.query(ctx, "degraded sessions", sql("DegradedSessionsQuery"))
	if err != nil {
		t.Fatal(err)
	}
	degraded := 0
	for _, c := range direct.Overall.Verdicts {
		if c.Label == "degraded" {
			degraded = c.N
		}
	}
	if len(rows) != degraded || degraded != 1 || rows[0].str("streamid") != "st-studioAAAAAA00000000003" {
		t.Errorf("degraded sessions %v; the direct reader counts %d", rows, degraded)
	}
}

// localRunner serves a local Athena with opts (over testBucket) and returns it with a runner
// whose real SDK client (the standard retryer) talks to it.
func localRunner(t *testing.T, opts athenatest.Options) (*athenatest.Server, *athenaRunner) {
	t.Helper()
	opts.Bucket = testBucket
	srv, err := athenatest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return srv, &athenaRunner{client: athena.New(athena.Options{Region: localRegion, BaseEndpoint: aws.String(hs.URL), HTTPClient: sdkhttp.New(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}),
		workGroup: srv.WorkGroup(), database: srv.Database(), poll: time.Millisecond, maxPoll: 10 * time.Millisecond}
}

func countOf(cs []Count) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		m[c.Label] += c.N
	}
	return m
}
