package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
)

const testBucket = "ivs-sessions-report-test"

// objects returns the archive's objects: the fixtures' records at their keys (four with a
// quality verdict), a correction (not a session record) and an object that is not JSON.
func objects(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range archive() {
		r := f.record()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[r.Key()] = b
	}
	out["corrections/year=2026/month=11/day=03/channel=studioAAAAAA/st-x-applied-1.json"] = []byte(`{"channelArn":"x"}`)
	out["sessions/year=2026/month=11/day=04/channel=studioAAAAAA/broken.json"] = []byte(`{not json`)
	return out
}

func writeDir(t *testing.T, objs map[string][]byte) string { return writeDirBench(t, objs) }

// sdkEnv points the SDK's usual configuration (what make report loads on a bucket) at the local
// S3 at s3URL, with the local credentials, nothing from the host's ~/.aws and no instance
// metadata.
func sdkEnv(t *testing.T, s3URL string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_S3", s3URL)
	t.Setenv("AWS_REGION", "us-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func writeDirBench(t testing.TB, objs map[string][]byte) string {
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
	return dir
}

func putS3(t *testing.T, objs map[string][]byte) *awstest.Stack { return putS3AsBench(t, objs) }

func putS3AsBench(t testing.TB, objs map[string][]byte) *awstest.Stack {
	t.Helper()
	st := awstest.New(t, awstest.Options{Bucket: testBucket})
	client := st.S3Client()
	for k, b := range objs {
		if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

var threeDays = Range{From: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)}

// The folder and the bucket (through the real S3 client and the local S3 server) give the same
// sessions, read concurrently; what is not a session record is skipped and named.
func TestReadSources(t *testing.T) {
	objs := objects(t)
	st := putS3(t, objs)
	sources := map[string]source{
		"folder": dirSource{dir: writeDir(t, objs)},
		"bucket": s3Source{client: st.S3Client(), bucket: testBucket},
	}
	tests := map[string]struct {
		rg        Range
		wantKeys  int
		wantWarns int
	}{
		"three days":          {rg: threeDays, wantKeys: 9, wantWarns: 1},
		"one day":             {rg: Range{From: threeDays.From, To: threeDays.From}, wantKeys: 4},
		"one channel":         {rg: Range{From: threeDays.From, To: threeDays.To, Channels: []string{"deskBBBBBBBB"}}, wantKeys: 3},
		"two channels":        {rg: Range{From: threeDays.From, To: threeDays.To, Channels: []string{"deskBBBBBBBB", "fieldCCCCCCC"}}, wantKeys: 5},
		"days with nothing":   {rg: Range{From: threeDays.From.AddDate(0, 0, -10), To: threeDays.From.AddDate(0, 0, -1)}},
		"a range of years":    {rg: Range{From: threeDays.From.AddDate(-3, 0, 0), To: threeDays.To}, wantKeys: 9, wantWarns: 1},
		"a range of years, 1": {rg: Range{From: threeDays.From.AddDate(-3, 0, 0), To: threeDays.To, Channels: []string{"fieldCCCCCCC"}}, wantKeys: 2},
	}
	for sname, src := range sources {
		for name, tc := range tests {
			t.Run(sname+"/"+name, func(t *testing.T) {
				l, err := list(context.Background(), src, tc.rg, 4)
				if err != nil {
					t.Fatal(err)
				}
				if l.objects != tc.wantKeys+tc.wantWarns {
					t.Errorf("the listing counts %d objects, want %d", l.objects, tc.wantKeys+tc.wantWarns)
				}
				var warns []string
				tl := newTallyFor(Options{Now: t0}, tc.rg, l)
				stats, err := readDirect(context.Background(), src, tc.rg, 4, tl, func(m string) { warns = append(warns, m) })
				if err != nil {
					t.Fatal(err)
				}
				if tl.records != tc.wantKeys || stats.Records != tc.wantKeys || stats.Undecodable != tc.wantWarns || len(warns) != tc.wantWarns {
					t.Fatalf("%d records (stats %+v), warnings %q; want %d records, %d warnings", tl.records, stats, warns, tc.wantKeys, tc.wantWarns)
				}
				for _, w := range warns {
					if !strings.Contains(w, "broken.json: not a session record") {
						t.Errorf("warning %q; want it to name the object", w)
					}
				}
				if name == "three days" {
					r := tl.report()
					measured := 0
					for _, c := range r.Overall.Verdicts {
						if c.Label != notMeasured {
							measured += c.N
						}
					}
					if measured != 4 {
						t.Errorf("%d sessions with a verdict; want the 4 whose record has quality.verdict", measured)
					}
				}
			})
		}
	}
}

func TestDecodeSession(t *testing.T) {
	base := `{"schemaVersion":1,"channelArn":"arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh","channelId":"abcdABCDefgh","streamId":"st-1AuTyMDASvHUTSb8p5PvbsO","outcome":"ended"`
	tests := map[string]struct {
		json, want string
		err        bool
	}{
		"no quality yet":  {json: base + `}`, want: notMeasured},
		"quality.verdict": {json: base + `,"quality":{"verdict":"degraded","reasons":[{"code":"bitrate-low"}]}}`, want: "degraded"},
		// quality is typed in the record (schema version 2): a string there is not a record.
		"quality not an object": {json: base + `,"quality":"n/a"}`, err: true},
		"not a record":          {json: `{"channelArn":"x"}`, err: true},
		"not JSON":              {json: `nope`, err: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := decodeSession("k.json", []byte(tc.json))
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if err == nil && s.verdict() != tc.want {
				t.Errorf("verdict %q, want %q", s.verdict(), tc.want)
			}
		})
	}
}

// make report against a bucket: the SDK's usual configuration (here, the environment) finds the
// local S3; the text and -json say the same.
func TestRunAgainstBucket(t *testing.T) {
	st := putS3(t, objects(t))
	sdkEnv(t, st.S3URL)
	now := time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC)
	page := filepath.Join(t.TempDir(), "report.html")
	chartJS := filepath.Join(t.TempDir(), "chart.js")
	if err := os.WriteFile(chartJS, []byte("window.Chart = function () {};"), 0o644); err != nil {
		t.Fatal(err)
	}

	var text, stderr bytes.Buffer
	args := []string{"-bucket", testBucket, "-from", "2026-11-03", "-to", "2026-11-05", "-html", page, "-chartjs", chartJS}
	if err := run(context.Background(), args, &text, &stderr, now); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"read 9 records", "from s3://" + testBucket, "mode: direct (10 objects in the range, at most -athena-above 100000)",
		"sessions 9 (ended 5, refused 3, live 1)", "multitrack 50% (3/6)", "live again after correction 1 of 3",
		"deskBBBBBBBB desk 123456789012 us-west-2 3 1 2 0 1h0m0s 0% (0/1)", "123456789012 us-west-2 3 9 5 3 1 5h15m0s", "InvalidMultitrackInputTrackCount", "st-fieldCCCCCCC00000000001", "page: " + page,
	} {
		if !strings.Contains(strings.Join(strings.Fields(text.String()), " "), want) {
			t.Errorf("the report lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(stderr.String(), "broken.json") {
		t.Errorf("stderr %q; want the object that is not a record named", stderr.String())
	}
	html, err := os.ReadFile(page)
	if err != nil || !bytes.Contains(html, []byte("window.Chart = function")) {
		t.Errorf("the page (err %v) does not inline the chart library", err)
	}

	var js bytes.Buffer
	if err := run(context.Background(), append(args, "-json"), &js, &stderr, now); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("-json: %v\n%s", err, js.String())
	}
	want := Aggregate(sessionsOf(archive()), Options{Now: now, StaleAfter: 48 * time.Hour})
	if got.Read.Records != 9 || got.From != "2026-11-03" || got.Overall.Sessions != want.Overall.Sessions ||
		!reflect.DeepEqual(got.Overall.Refusals, want.Overall.Refusals) || len(got.Disagreeing) != 1 || len(got.StillLive) != 1 {
		t.Errorf("-json: %+v", got)
	}
}

func TestFlags(t *testing.T) {
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		args     []string
		wantFrom string
		wantTo   string
		wantErr  string
	}{
		"defaults: the last 30 days": {wantFrom: "2026-11-03", wantTo: "2026-12-02"},
		"a range":                    {args: []string{"-from", "2026-10-01", "-to", "2026-10-31"}, wantFrom: "2026-10-01", wantTo: "2026-10-31"},
		"from after to":              {args: []string{"-from", "2026-11-02", "-to", "2026-11-01"}, wantErr: "-from 2026-11-02 is after -to 2026-11-01"},
		"a bad day":                  {args: []string{"-to", "yesterday"}, wantErr: `-to: want a day like 2026-11-30, got "yesterday"`},
		"a channel ARN":              {args: []string{"-channels", "arn:aws:ivs:us-west-2:1:channel/abc"}, wantErr: "-channels: want channel IDs"},
		"no readers":                 {args: []string{"-workers", "0"}, wantErr: "-workers: want at least 1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := parseFlags(tc.args, &bytes.Buffer{})
			var rg Range
			if err == nil {
				rg, err = rangeOf(o, now)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rg.From.Format(time.DateOnly) + " " + rg.To.Format(time.DateOnly); got != tc.wantFrom+" "+tc.wantTo {
				t.Errorf("range %s, want %s %s", got, tc.wantFrom, tc.wantTo)
			}
		})
	}
}

// A missing local archive says what to do.
func TestNoArchive(t *testing.T) {
	_, err := list(context.Background(), dirSource{dir: filepath.Join(t.TempDir(), "nothing")}, threeDays, 2)
	if err == nil || !strings.Contains(err.Error(), "run make local first") {
		t.Errorf("err %v; want a hint to run make local", err)
	}
}

// failingSource fails to read one object.
type failingSource struct {
	source
	bad string
}

func (f failingSource) Get(ctx context.Context, key string) ([]byte, error) {
	if key == f.bad {
		return nil, fmt.Errorf("get %s: AccessDenied", key)
	}
	return f.source.Get(ctx, key)
}

// An object that cannot be read fails the report, naming it (a report missing records would
// mislead).
func TestReadFails(t *testing.T) {
	objs := objects(t)
	bad := archive()[4].record().Key()
	src := failingSource{source: dirSource{dir: writeDir(t, objs)}, bad: bad}
	_, err := readDirect(context.Background(), src, threeDays, 4, newTally(Options{}, time.Minute, t0), func(string) {})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("err %v; want the object that failed", err)
	}
}

// TestTextPrintsDataAsData: what the archive says is printed as data. A channel name with
// terminal escape sequences (a colour, a window title) and a line break, a code and a verdict
// with control characters, and a skipped object's name reach the terminal escaped: no control
// character but the report's own line breaks, and every channel one row.
func TestTextPrintsDataAsData(t *testing.T) {
	objs := objects(t)
	hostile := archive()[3] // the channel's latest session: its name is the one shown
	hostile.name = "studio\x1b[31m\x1b]0;pwned\x07\nSPLIT\tROW\u202e"
	hostile.code = "Multitrack\x1b[2J"
	hostile.verdict = "healthy\\u001b[5m"
	r := hostile.record()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b[:len(b)-1], []byte(`,"quality":{"verdict":"`+hostile.verdict+`","reasons":[]}}`)...)
	objs[r.Key()] = b
	objs["sessions/year=2026/month=11/day=04/channel=studioAAAAAA/\x1b[31mbroken.json"] = []byte(`{not json`)
	dir := writeDir(t, objs)
	now := time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC)
	var text, stderr bytes.Buffer
	args := []string{"-dir", dir, "-from", "2026-11-03", "-to", "2026-11-05", "-html", filepath.Join(t.TempDir(), "r.html"), "-chartjs", writeChartJS(t)}
	if err := run(context.Background(), args, &text, &stderr, now); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for name, out := range map[string]string{"stdout": text.String(), "stderr": stderr.String()} {
		if i := strings.IndexFunc(out, func(r rune) bool { return (r < 0x20 && r != '\n') || r == 0x7f || r == '\u202e' }); i >= 0 {
			t.Errorf("%s holds a control character at byte %d: %q", name, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	for _, want := range []string{`studio\x1b[31m\x1b]0;pwned\a\nSPLIT\tROW\u202e`, `healthy\x1b[5m`} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report lacks %s, escaped:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "\nSPLIT") {
		t.Error("the channel name's line break split a row")
	}
}

// writeChartJS writes a stand-in for Chart.js and returns its path.
func writeChartJS(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chart.js")
	if err := os.WriteFile(p, []byte("window.Chart = function () {};"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
