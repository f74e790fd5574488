package athenatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

const (
	account = "123456789012"
	region  = "us-west-2"
	bucket  = "ivs-sessions-athena-test"
)

var t0 = time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC)

// rec builds a session record as the suite archives it.
func rec(channel string, stream int, start time.Time, code string, tracks int) session.Record {
	r := session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: fmt.Sprintf("arn:aws:ivs:%s:%s:channel/%s", region, account, channel),
		ChannelID: channel, Region: region, Account: account, StreamID: fmt.Sprintf("st-%s%011d", channel, stream),
		Channel: &session.Channel{Name: channel + "-name"}, StartTime: start, EndTime: start.Add(time.Hour), Enriched: true}
	r.Events = []session.Event{{Time: start, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionCreated},
		{Time: r.EndTime, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded, Code: code}}
	for i := range tracks {
		r.Video = append(r.Video, session.VideoTrack{Track: fmt.Sprintf("Track%d", i), Width: 1920 >> i, Height: 1080 >> i, FrameRate: 30, TargetBitrate: 6_000_000 >> i})
	}
	if code != "" {
		r.Correction = &session.Correction{Decision: multitrack.Decision{Action: multitrack.ActionApply, Code: code}, Outcome: session.CorrectionApplied, At: start.Add(10 * time.Second)}
	}
	return session.Merge(r, session.Record{})
}

// archive returns five records: two channels over three days (Nov 3, 4 and 30), one
// refused, one measured degraded; and the objects that are not records of any table's
// partitions.
func archive(t *testing.T) map[string][]byte {
	t.Helper()
	day := 24 * time.Hour
	recs := []session.Record{
		rec("aaaaaaaaaaaa", 1, t0, ivsevent.CodeMultitrackInputNotAllowed, 3),
		rec("aaaaaaaaaaaa", 2, t0.Add(time.Hour), "", 3),
		rec("bbbbbbbbbbbb", 1, t0.Add(day), "", 1),
		rec("bbbbbbbbbbbb", 2, t0.Add(day+time.Hour), "", 1),
		rec("aaaaaaaaaaaa", 3, t0.Add(27*day), "", 2),
	}
	recs[1].Quality = &quality.Report{Verdict: quality.VerdictDegraded, WorstTrack: "Track1",
		Reasons: []quality.Reason{{Code: "bitrate-low", Track: "Track1"}}, Tracks: []quality.TrackReport{{Track: "Track1", Kind: quality.KindVideo, TargetBitrate: 3_000_000}}}
	out := map[string][]byte{}
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[r.Key()] = append(b, '\n')
	}
	// Not partitions of the projection: a day written without its two digits, a year outside
	// the range, a hidden file.
	out["sessions/year=2026/month=11/day=3/account=123456789012/region=us-west-2/channel=aaaaaaaaaaaa/st-x.json"] = []byte(`{"channelId":"x"}`)
	out["sessions/year=1999/month=11/day=03/account=123456789012/region=us-west-2/channel=aaaaaaaaaaaa/st-y.json"] = []byte(`{"channelId":"y"}`)
	out["sessions/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=aaaaaaaaaaaa/_tmp.json"] = []byte(`{"channelId":"z"}`)
	return out
}

type fixture struct {
	srv    *athenatest.Server
	client *athena.Client
	dir    string
	objs   map[string][]byte
}

func newFixture(t *testing.T, objs map[string][]byte, opts athenatest.Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	for k, b := range objs {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts.Dir, opts.Bucket, opts.Account, opts.Region = dir, bucket, account, region
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0.Add(48 * time.Hour) }
	}
	srv, err := athenatest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	client := athena.New(athena.Options{Region: region, BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New()})
	return &fixture{srv: srv, client: client, dir: dir, objs: objs}
}

// start starts query in the server's workgroup and database.
func (f *fixture) start(t *testing.T, query string) string {
	t.Helper()
	out, err := f.client.StartQueryExecution(context.Background(), &athena.StartQueryExecutionInput{QueryString: aws.String(query),
		WorkGroup: aws.String(f.srv.WorkGroup()), QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(f.srv.Database())}})
	if err != nil {
		t.Fatalf("start %q: %v", query, err)
	}
	return aws.ToString(out.QueryExecutionId)
}

// wait polls until the query has finished and returns it.
func (f *fixture) wait(t *testing.T, id string) *types.QueryExecution {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := f.client.GetQueryExecution(context.Background(), &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		switch out.QueryExecution.Status.State {
		case types.QueryExecutionStateSucceeded, types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			return out.QueryExecution
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s still %s after a minute", id, out.QueryExecution.Status.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rows reads every page of a query's results through the SDK's paginator: the header, then
// the rows (a NULL as nil).
func (f *fixture) rows(t *testing.T, id string, pageSize int32) (header []string, rows [][]*string, meta []types.ColumnInfo, pages int) {
	t.Helper()
	p := athena.NewGetQueryResultsPaginator(f.client, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(pageSize)})
	first := true
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		meta = page.ResultSet.ResultSetMetadata.ColumnInfo
		for _, r := range page.ResultSet.Rows {
			var row []*string
			for _, d := range r.Data {
				row = append(row, d.VarCharValue)
			}
			if first {
				for _, v := range row {
					header = append(header, aws.ToString(v))
				}
				first = false
				continue
			}
			rows = append(rows, row)
		}
	}
	return header, rows, meta, pages
}

// query runs query to its end and returns its execution and rows.
func (f *fixture) query(t *testing.T, query string) (*types.QueryExecution, [][]*string) {
	t.Helper()
	x := f.wait(t, f.start(t, query))
	if x.Status.State != types.QueryExecutionStateSucceeded {
		return x, nil
	}
	_, rows, _, _ := f.rows(t, aws.ToString(x.QueryExecutionId), athenatest.MaxResults)
	return x, rows
}

// bytesOf is the size of the objects whose keys contain every one of parts.
func (f *fixture) bytesOf(parts ...string) int64 {
	var n int64
	for k, b := range f.objs {
		ok := strings.HasPrefix(k, session.KeyPrefix) && !strings.Contains(k, "day=3/") && !strings.Contains(k, "year=1999") && !strings.Contains(k, "/_")
		for _, p := range parts {
			ok = ok && strings.Contains(k, p)
		}
		if ok {
			n += int64(len(b))
		}
	}
	return n
}

func strs(rows [][]*string) []string {
	var out []string
	for _, r := range rows {
		var cells []string
		for _, c := range r {
			if c == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, *c)
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}

// A query goes QUEUED, RUNNING, SUCCEEDED; its results are not there before; they come with
// a header row; the statistics say what it scanned.
func TestQueryLifecycle(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{})
	release := f.srv.Hold()
	id := f.start(t, "SELECT streamid, outcome FROM sessions WHERE year = 2026 AND month = 11 AND day = 3 ORDER BY streamid")
	out, err := f.client.GetQueryExecution(context.Background(), &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
	if err != nil || out.QueryExecution.Status.State != types.QueryExecutionStateQueued {
		t.Fatalf("state %v, err %v; want QUEUED while held", out.QueryExecution.Status.State, err)
	}
	_, err = f.client.GetQueryResults(context.Background(), &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id)})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || ire.ErrorMessage() != "Query has not yet finished. Current state: QUEUED" {
		t.Errorf("results before the end: %v; want InvalidRequestException, not yet finished", err)
	}
	release()
	x := f.wait(t, id)
	if x.Status.State != types.QueryExecutionStateSucceeded || x.Status.SubmissionDateTime == nil || x.Status.CompletionDateTime == nil {
		t.Fatalf("status %+v", x.Status)
	}
	if got, want := aws.ToInt64(x.Statistics.DataScannedInBytes), f.bytesOf("day=03"); got != want || want == 0 {
		t.Errorf("scanned %d bytes, want %d (the objects of 2026-11-03)", got, want)
	}
	header, rows, meta, _ := f.rows(t, id, 1000)
	if !reflect.DeepEqual(header, []string{"streamid", "outcome"}) || len(meta) != 2 || aws.ToString(meta[0].Type) != "varchar" {
		t.Errorf("header %v, columns %+v", header, meta)
	}
	if got := strs(rows); !reflect.DeepEqual(got, []string{"st-aaaaaaaaaaaa00000000001|refused", "st-aaaaaaaaaaaa00000000002|ended"}) {
		t.Errorf("rows %v", got)
	}
}

// Every page holds up to MaxResults rows, the first one the header; NextToken leads to the
// next; a page size over 1,000 or a foreign token is refused.
func TestPaging(t *testing.T) {
	f := newFixture(t, nil, athenatest.Options{})
	var digits []string
	for i := range 50 {
		digits = append(digits, fmt.Sprintf("(%d)", i))
	}
	v := "(VALUES " + strings.Join(digits, ", ") + ")"
	x, _ := f.query(t, "SELECT a.x * 50 + b.x AS n FROM "+v+" AS a(x), "+v+" AS b(x) ORDER BY n")
	id := aws.ToString(x.QueryExecutionId)
	for _, size := range []int32{1000, 7} {
		_, rows, _, pages := f.rows(t, id, size)
		if len(rows) != 2500 || *rows[0][0] != "0" || *rows[2499][0] != "2499" {
			t.Fatalf("page size %d: %d rows", size, len(rows))
		}
		if want := (2500 + 1 + int(size) - 1) / int(size); pages != want {
			t.Errorf("page size %d: %d pages, want %d (the header counts in the first)", size, pages, want)
		}
	}
	for name, in := range map[string]*athena.GetQueryResultsInput{
		"1001 rows":     {QueryExecutionId: aws.String(id), MaxResults: aws.Int32(1001)},
		"foreign token": {QueryExecutionId: aws.String(id), NextToken: aws.String("bm90LWEtdG9rZW4")},
		"unknown query": {QueryExecutionId: aws.String("00000000-0000-0000-0000-000000000000")},
	} {
		_, err := f.client.GetQueryResults(context.Background(), in)
		var ire *types.InvalidRequestException
		if !errors.As(err, &ire) {
			t.Errorf("%s: err %v, want InvalidRequestException", name, err)
		}
	}
}

// Partition projection: a query reads the partitions its conditions on the partition keys
// select, and DataScannedInBytes is their objects' size; a data condition selects rows, not
// partitions; objects the projection does not produce are never read.
func TestPartitionProjection(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{})
	chA := "key_account = '" + account + "' AND key_region = '" + region + "' AND key_channel = 'aaaaaaaaaaaa'"
	tests := map[string]struct {
		where   string
		table   string
		rows    int
		scanned int64
	}{
		"every partition":       {rows: 5, scanned: f.bytesOf()},
		"one day":               {where: "year = 2026 AND month = 11 AND day = 4", rows: 2, scanned: f.bytesOf("day=04")},
		"a range of days":       {where: "year = 2026 AND month = 11 AND day BETWEEN 3 AND 4", rows: 4, scanned: f.bytesOf("day=03") + f.bytesOf("day=04")},
		"two months, OR":        {where: "((year = 2026 AND month = 11 AND day >= 30) OR (year = 2026 AND month = 12 AND day <= 2))", rows: 1, scanned: f.bytesOf("day=30")},
		"a data condition":      {where: "channelid = 'bbbbbbbbbbbb'", rows: 2, scanned: f.bytesOf()},
		"both":                  {where: "channelid = 'bbbbbbbbbbbb' AND day = 3", rows: 0, scanned: f.bytesOf("day=03")},
		"no day at all":         {where: "year = 2025", rows: 0, scanned: 0},
		"one channel":           {table: catalog.TableSessionsByChannel, where: chA, rows: 3, scanned: f.bytesOf("channel=aaaaaaaaaaaa")},
		"one channel, one day":  {table: catalog.TableSessionsByChannel, where: chA + " AND year = 2026 AND month = 11 AND day = 3", rows: 2, scanned: f.bytesOf("channel=aaaaaaaaaaaa", "day=03")},
		"two channels, IN list": {table: catalog.TableSessionsByChannel, where: "key_account IN ('" + account + "') AND key_region = '" + region + "' AND key_channel IN ('aaaaaaaaaaaa', 'bbbbbbbbbbbb')", rows: 5, scanned: f.bytesOf()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			table := tc.table
			if table == "" {
				table = catalog.TableSessions
			}
			q := "SELECT streamid FROM " + table
			if tc.where != "" {
				q += " WHERE " + tc.where
			}
			x, rows := f.query(t, q)
			if x.Status.State != types.QueryExecutionStateSucceeded {
				t.Fatalf("%s: %s", x.Status.State, aws.ToString(x.Status.StateChangeReason))
			}
			if len(rows) != tc.rows || aws.ToInt64(x.Statistics.DataScannedInBytes) != tc.scanned {
				t.Errorf("%d rows, scanned %d; want %d rows, %d bytes", len(rows), aws.ToInt64(x.Statistics.DataScannedInBytes), tc.rows, tc.scanned)
			}
		})
	}
}

// A table with injected partitions refuses, as Athena does, a query that does not give each
// of them as static equalities.
func TestInjectedPartitions(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{})
	const want = "CONSTRAINT_VIOLATION: For the injected projected partition column key_region, the WHERE clause must contain only static equality conditions, and at least one such condition must be present."
	for name, where := range map[string]string{
		"none given":      "key_account = '" + account + "' AND key_channel = 'aaaaaaaaaaaa'",
		"not an equality": "key_account = '" + account + "' AND key_region LIKE 'us-%' AND key_channel = 'aaaaaaaaaaaa'",
		"from the data":   "key_account = '" + account + "' AND key_region = region AND key_channel = 'aaaaaaaaaaaa'",
	} {
		t.Run(name, func(t *testing.T) {
			x, _ := f.query(t, "SELECT streamid FROM "+catalog.TableSessionsByChannel+" WHERE "+where)
			if x.Status.State != types.QueryExecutionStateFailed || aws.ToString(x.Status.StateChangeReason) != want {
				t.Errorf("%s: %q; want FAILED, %q", x.Status.State, aws.ToString(x.Status.StateChangeReason), want)
			}
			if e := x.Status.AthenaError; e == nil || aws.ToInt32(e.ErrorCategory) != 2 {
				t.Errorf("AthenaError %+v; want a user error (category 2)", e)
			}
		})
	}
}

// The SerDe: a line that is not JSON is a row of NULLs (ignore.malformed.json); a value of
// another type is NULL in its column alone.
func TestSerDe(t *testing.T) {
	objs := archive(t)
	objs["sessions/year=2026/month=11/day=05/account=123456789012/region=us-west-2/channel=cccccccccccc/broken.json"] = []byte("{not json\n")
	objs["sessions/year=2026/month=11/day=05/account=123456789012/region=us-west-2/channel=cccccccccccc/typed.json"] = []byte(`{"channelId":"cccccccccccc","streamId":"st-c","durationSeconds":"long","extra":1}` + "\n")
	f := newFixture(t, objs, athenatest.Options{})
	_, rows := f.query(t, "SELECT channelid, streamid, durationseconds, \"$path\" FROM sessions WHERE year = 2026 AND month = 11 AND day = 5 ORDER BY streamid NULLS FIRST")
	want := []string{
		"NULL|NULL|NULL|s3://" + bucket + "/sessions/year=2026/month=11/day=05/account=123456789012/region=us-west-2/channel=cccccccccccc/broken.json",
		"cccccccccccc|st-c|NULL|s3://" + bucket + "/sessions/year=2026/month=11/day=05/account=123456789012/region=us-west-2/channel=cccccccccccc/typed.json",
	}
	if got := strs(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
}

// Values are written as Athena writes them, the Trino functions the suite uses are translated,
// current_date is the server's.
func TestValuesAndTranslation(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{})
	x, rows := f.query(t, `SELECT CAST(7 AS bigint), CAST(0.25 AS double), CAST(0.0001 AS double), CAST(3 AS double), true, 'x', NULL,
		ARRAY[1, 2], current_date, transform(ARRAY[1, 2], v -> v * 2), element_at(ARRAY['a', 'b'], 2), array_join(ARRAY['a', 'b'], '-'),
		from_iso8601_timestamp('2026-11-03T17:00:00.000Z'), count_if(true), cardinality(ARRAY[1, 2, 3])`)
	if x.Status.State != types.QueryExecutionStateSucceeded {
		t.Fatalf("%s: %s", x.Status.State, aws.ToString(x.Status.StateChangeReason))
	}
	want := "7|0.25|1.0E-4|3.0|true|x|NULL|[1, 2]|2026-11-05|[2, 4]|b|a-b|2026-11-03 17:00:00.000 UTC|1|3"
	if got := strs(rows); len(got) != 1 || got[0] != want {
		t.Errorf("values\n got %q\nwant %q", got, want)
	}
	_, meta := f.columns(t, aws.ToString(x.QueryExecutionId))
	wantTypes := []string{"bigint", "double", "double", "double", "boolean", "varchar"}
	if !reflect.DeepEqual(meta[:len(wantTypes)], wantTypes) {
		t.Errorf("types %v, want %v...", meta, wantTypes)
	}
	// A row (struct) is written {field=value}, its fields in order and in lower case.
	_, rows = f.query(t, "SELECT correction.decision.action, correction FROM sessions WHERE outcome = 'refused'")
	if got := strs(rows); len(got) != 1 || !strings.HasPrefix(got[0], "apply|{decision={action=apply, ") || !strings.Contains(got[0], ", code=MultitrackInputNotAllowed, ") ||
		!strings.HasSuffix(got[0], "}, outcome=applied, at=2026-11-03T17:00:10.000Z, detail=null}") {
		t.Errorf("row value %q", got)
	}
}

func (f *fixture) columns(t *testing.T, id string) ([]string, []string) {
	t.Helper()
	header, _, meta, _ := f.rows(t, id, 1)
	var types []string
	for _, c := range meta {
		types = append(types, aws.ToString(c.Type))
	}
	return header, types
}

// Errors come back as Athena returns them: InvalidRequestException for a bad call, a FAILED
// query with the error's name for a bad query, the injected faults with their shapes.
func TestErrors(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{})
	ctx := context.Background()
	_, err := f.client.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT 1"), WorkGroup: aws.String("nope")})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || ire.ErrorMessage() != "WorkGroup nope is not found." || aws.ToString(ire.AthenaErrorCode) != "INVALID_INPUT" {
		t.Errorf("unknown workgroup: %v", err)
	}
	_, err = f.client.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String(strings.Repeat(" ", athenatest.MaxQueryLength+1)), WorkGroup: aws.String(f.srv.WorkGroup())})
	if !errors.As(err, &ire) {
		t.Errorf("a query too long: %v", err)
	}
	for q, want := range map[string]string{
		"SELEC 1":                                  "SYNTAX_ERROR: line 1:1: ",
		"SELECT streamid FROM nothing":             "TABLE_NOT_FOUND: line 1:22: Table 'awsdatacatalog." + f.srv.Database() + ".nothing' does not exist",
		"SELECT streamid FROM otherdb.sessions":    "SCHEMA_NOT_FOUND: line 1:22: Schema 'otherdb' does not exist",
		"SELECT nosuchcolumn FROM sessions":        "COLUMN_NOT_FOUND: ",
		"SELECT no_such_function(1)":               "FUNCTION_NOT_FOUND: ",
		"CREATE TABLE x (a int)":                   "SYNTAX_ERROR: ",
		"SELECT * FROM read_text('/etc/hostname')": "NOT_SUPPORTED: ",
	} {
		x, _ := f.query(t, q)
		if x.Status.State != types.QueryExecutionStateFailed || !strings.HasPrefix(aws.ToString(x.Status.StateChangeReason), want) {
			t.Errorf("%q: %s %q; want FAILED %q...", q, x.Status.State, aws.ToString(x.Status.StateChangeReason), want)
			continue
		}
		_, err := f.client.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: x.QueryExecutionId})
		if !errors.As(err, &ire) || ire.ErrorMessage() != aws.ToString(x.Status.StateChangeReason) {
			t.Errorf("%q: results: %v; want InvalidRequestException with the reason", q, err)
		}
	}
	f.srv.InjectFault(athenatest.Fault{Op: athenatest.OpStartQueryExecution, Count: 1, Status: 400, Type: "TooManyRequestsException", Message: "Rate exceeded", Reason: string(types.ThrottleReasonConcurrentQueryLimitExceeded)})
	_, err = f.client.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT 1"), WorkGroup: aws.String(f.srv.WorkGroup())})
	var tmr *types.TooManyRequestsException
	if !errors.As(err, &tmr) || tmr.Reason != types.ThrottleReasonConcurrentQueryLimitExceeded {
		t.Errorf("fault: %v; want TooManyRequestsException, CONCURRENT_QUERY_LIMIT_EXCEEDED", err)
	}
	f.srv.InjectFault(athenatest.Fault{Op: athenatest.OpGetQueryExecution, Count: 1, Status: 500, Type: "InternalServerException", Message: "oops"})
	_, err = f.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String("x")})
	var ise *types.InternalServerException
	if !errors.As(err, &ise) {
		t.Errorf("fault: %v; want InternalServerException", err)
	}
}

// ClientRequestToken makes StartQueryExecution idempotent; StopQueryExecution cancels; the
// workgroup's cutoff cancels a query that would scan more.
func TestIdempotencyStopAndCutoff(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{})
	ctx := context.Background()
	in := &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT 1"), WorkGroup: aws.String(f.srv.WorkGroup()), ClientRequestToken: aws.String("token-0000000000000000000000000000001")}
	a, err1 := f.client.StartQueryExecution(ctx, in)
	b, err2 := f.client.StartQueryExecution(ctx, in)
	if err1 != nil || err2 != nil || aws.ToString(a.QueryExecutionId) != aws.ToString(b.QueryExecutionId) {
		t.Errorf("the same token: %v %v, %v %v; want one execution", a, err1, b, err2)
	}
	in.QueryString = aws.String("SELECT 2")
	if _, err := f.client.StartQueryExecution(ctx, in); err == nil {
		t.Error("the same token with another query: no error")
	}

	release := f.srv.Hold()
	id := f.start(t, "SELECT 1")
	if _, err := f.client.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	release()
	if x := f.wait(t, id); x.Status.State != types.QueryExecutionStateCancelled {
		t.Errorf("stopped query: %s", x.Status.State)
	}

	small := newFixture(t, archive(t), athenatest.Options{BytesScannedCutoff: 100})
	x, _ := small.query(t, "SELECT count(*) FROM sessions")
	if x.Status.State != types.QueryExecutionStateCancelled || !strings.Contains(aws.ToString(x.Status.StateChangeReason), "BytesScannedCutoffPerQuery 100") {
		t.Errorf("over the cutoff: %s %q", x.Status.State, aws.ToString(x.Status.StateChangeReason))
	}
	if x, _ := small.query(t, "SELECT count(*) FROM sessions WHERE year = 2025"); x.Status.State != types.QueryExecutionStateSucceeded {
		t.Errorf("under the cutoff: %s", x.Status.State)
	}
}

// The workgroup's saved queries are listed and read back with this stack's account and
// region, and each runs.
func TestNamedQueries(t *testing.T) {
	f := newFixture(t, archive(t), athenatest.Options{Now: func() time.Time { return t0 }})
	ctx := context.Background()
	list, err := f.client.ListNamedQueries(ctx, &athena.ListNamedQueriesInput{WorkGroup: aws.String(f.srv.WorkGroup())})
	if err != nil || len(list.NamedQueryIds) != len(catalog.NamedQueries()) {
		t.Fatalf("list: %v %v", list, err)
	}
	var names []string
	for _, id := range list.NamedQueryIds {
		q, err := f.client.GetNamedQuery(ctx, &athena.GetNamedQueryInput{NamedQueryId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		nq := q.NamedQuery
		names = append(names, aws.ToString(nq.Name))
		sql := aws.ToString(nq.QueryString)
		if strings.Contains(sql, catalog.ThisAccount) || aws.ToString(nq.Database) != f.srv.Database() {
			t.Errorf("%s: %s in database %s", aws.ToString(nq.Name), sql, aws.ToString(nq.Database))
		}
		x, rows := f.query(t, strings.ReplaceAll(sql, catalog.ChannelPlaceholder, "aaaaaaaaaaaa"))
		if x.Status.State != types.QueryExecutionStateSucceeded || len(rows) == 0 {
			t.Errorf("%s: %s %s, %d rows", aws.ToString(nq.Name), x.Status.State, aws.ToString(x.Status.StateChangeReason), len(rows))
		}
	}
	var want []string
	for _, q := range catalog.NamedQueries() {
		want = append(want, q.Name)
	}
	if slices.Sort(names); !reflect.DeepEqual(names, slices.Sorted(slices.Values(want))) {
		t.Errorf("named queries %v, want %v", names, want)
	}
}
