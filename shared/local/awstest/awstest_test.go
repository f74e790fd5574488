package awstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// recorder is a testing.TB that records failures instead of failing, so a test can check
// what a helper reports. Methods it does not define panic (the embedded TB is nil).
type recorder struct {
	testing.TB

	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }

func (r *recorder) Error(args ...any) { r.fail(fmt.Sprint(args...)) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.fail(fmt.Sprint(args...))
	runtime.Goexit()
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// run calls f with r on its own goroutine, so that Fatal ends f only, then runs the cleanups f
// registered and returns the failures reported.
func (r *recorder) run(f func(tb testing.TB)) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures
}

func TestBuffer(t *testing.T) {
	var b awstest.Buffer
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { fmt.Fprint(&b, "ab") })
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("ab", 50) {
		t.Errorf("String() = %q, want 50 writes of ab, each whole", got)
	}
}

func TestWire(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
		_, _ = w.Write(body)
	})
	tests := map[string]struct {
		op     func(*http.Request) string
		path   string
		header string
		want   string
	}{
		"by path":   {op: awstest.ByPath, path: "/UpdateChannel", want: "UpdateChannel"},
		"by target": {op: awstest.ByTarget, path: "/", header: "AWSEvents.PutEvents", want: "AWSEvents.PutEvents"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := awstest.NewWire(echo, tc.op)
			srv := httptest.NewServer(w)
			defer srv.Close()
			for _, body := range []string{`{"n":1}`, `{"n":2}`} {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(body))
				req.Header.Set("X-Amz-Target", tc.header)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(got) != body {
					t.Errorf("the peer answered %q, want the body passed on intact (%q)", got, body)
				}
			}
			if got := w.Bodies(tc.want); len(got) != 2 || string(got[0]) != `{"n":1}` || string(got[1]) != `{"n":2}` {
				t.Errorf("Bodies(%q) = %q, want both, in order", tc.want, got)
			}
			if got := w.Bodies("Other"); len(got) != 0 {
				t.Errorf("Bodies(Other) = %q, want none", got)
			}
			w.Reset()
			if got := w.Bodies(tc.want); len(got) != 0 {
				t.Errorf("after Reset, Bodies = %q, want none", got)
			}
		})
	}
}

// TestStack starts every peer and checks that each client reaches its peer through the URL
// the stack reports (and its Wire, where it has one).
func TestStack(t *testing.T) {
	ctx := context.Background()
	s := awstest.New(t, awstest.Options{
		IVS:    &ivstest.Options{},
		Bus:    &localbus.Config{Queues: []localbus.QueueConfig{{Name: "q"}}},
		Bucket: "bucket",
	})

	ch := s.CreateChannel(t, &ivs.CreateChannelInput{Name: aws.String("studio")})
	if !strings.HasSuffix(ch.ARN, "/"+ch.ID) || ch.StreamKey == "" || ch.Passphrase == "" {
		t.Errorf("channel %+v, want an ARN ending in its ID, a stream key and a passphrase", ch)
	}
	if _, err := s.IVSClient().GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(ch.ARN)}); err != nil {
		t.Fatal(err)
	}
	if got := s.IVSWire.Bodies("GetChannel"); len(got) != 1 || !strings.Contains(string(got[0]), ch.ARN) {
		t.Errorf("IVS wire GetChannel %q, want the request", got)
	}
	if got := s.IVSWire.Bodies("CreateChannel"); len(got) != 0 {
		t.Errorf("IVS wire CreateChannel %q: the test's own client (Admin) is not recorded", got)
	}

	_, err := s.EventBridgeClient().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("test"), DetailType: aws.String("Test"), Detail: aws.String(`{"a":1}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.PublishedBodies(); len(got) != 1 || !strings.Contains(string(got[0]), `"DetailType":"Test"`) {
		t.Errorf("PublishedBodies() = %q, want the PutEvents request", got)
	}
	if out := s.Outputs()["published events"]; !strings.Contains(out, `"DetailType":"Test"`) {
		t.Errorf("Outputs()[published events] = %q, want the PutEvents request", out)
	}
	q, err := s.SQSClient().GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
	if err != nil || !strings.HasSuffix(aws.ToString(q.QueueUrl), "/"+awstest.Account+"/q") {
		t.Errorf("GetQueueUrl = %v, %v; want the local queue's URL", q, err)
	}

	if _, err := s.S3Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.S3Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(got.Body); string(b) != "v" {
		t.Errorf("object = %q, want v", b)
	}
	got.Body.Close()

	env := s.Env(map[string]string{"EXTRA": "x", "AWS_REGION": "eu-west-1"})
	want := map[string]string{
		"AWS_ENDPOINT_URL_IVS": s.IVSURL, "AWS_ENDPOINT_URL_EVENTBRIDGE": s.BusURL, "AWS_ENDPOINT_URL_SQS": s.BusURL,
		"AWS_ENDPOINT_URL_S3": s.S3URL, "AWS_ACCESS_KEY_ID": awstest.AccessKeyID, "AWS_LAMBDA_LOG_FORMAT": "JSON",
		"EXTRA": "x", "AWS_REGION": "eu-west-1",
	}
	for k, v := range want {
		if env[k] != v || v == "" {
			t.Errorf("Env()[%s] = %q, want %q", k, env[k], v)
		}
	}

	dim := metrics.Dim{Name: suite.DimensionFunction, Value: "f"}
	s.Metrics.Add(suite.MetricRejected, 2, dim)
	if got := s.Metric(t, suite.MetricRejected, dim); got != 2 {
		t.Errorf("Metric = %v, want 2 (Metric flushes the recorder)", got)
	}
}

func TestStackWithoutPeers(t *testing.T) {
	s := awstest.New(t, awstest.Options{})
	for k := range s.Env(nil) {
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
			t.Errorf("Env() has %s without a peer: the function would reach AWS", k)
		}
	}
	if _, ok := s.Outputs()["published events"]; ok {
		t.Error("Outputs() has published events without a bus")
	}
	clients := map[string]func(){
		"IVS":         func() { s.IVSClient() },
		"EventBridge": func() { s.EventBridgeClient() },
		"SQS":         func() { s.SQSClient() },
		"S3":          func() { s.S3Client() },
	}
	for name, client := range clients {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s client without its peer: want a panic, not a client aimed at AWS", name)
				}
			}()
			client()
		}()
	}
}

// TestStackChecksSecrets checks that a stack fails its test, at the end, when a channel's
// secret reached the logs, and names the kind of secret without showing it.
func TestStackChecksSecrets(t *testing.T) {
	tests := map[string]struct {
		leak func(s *awstest.Stack, ch awstest.Channel)
		want []string
	}{
		"nothing leaked": {leak: func(s *awstest.Stack, ch awstest.Channel) { s.Log.Info("created", "arn", ch.ARN) }},
		"stream key in the logs": {
			leak: func(s *awstest.Stack, ch awstest.Channel) { s.Log.Info("created", "key", ch.StreamKey) },
			want: []string{"a secret (a stream key) appears in the logs", "something shaped like a stream key appears in the logs"},
		},
		"passphrase in the metrics": {
			leak: func(s *awstest.Stack, ch awstest.Channel) {
				s.Metrics.Add("Leaks", 1, metrics.Dim{Name: "Passphrase", Value: ch.Passphrase})
				_ = s.Metrics.Flush()
			},
			want: []string{"a secret (an SRT passphrase) appears in the metrics"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var ch awstest.Channel
			r := &recorder{}
			got := r.run(func(tb testing.TB) {
				s := awstest.New(tb, awstest.Options{IVS: &ivstest.Options{}})
				ch = s.CreateChannel(tb, &ivs.CreateChannelInput{})
				tc.leak(s, ch)
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("failures %q, want %q", got, tc.want)
			}
			for _, msg := range got {
				if strings.Contains(msg, ch.StreamKey) || strings.Contains(msg, ch.Passphrase) {
					t.Errorf("the failure shows the secret: %s", msg)
				}
			}
		})
	}
}

func TestSecretsCheck(t *testing.T) {
	var s awstest.Secrets
	s.Add("a stream key", "sk_us-west-2_abcdABCDefgh_567890abcdef")
	s.Add("an SRT passphrase", "pass-123")
	s.Add("ignored", "")
	got := (&recorder{}).run(func(tb testing.TB) {
		s.Check(tb, map[string]string{
			"logs":      "no secret here",
			"events":    `{"passphrase":"pass-123"}`,
			"archive":   "rtmps://x/app/sk_us-west-2_abcdABCDefgh_567890abcdef",
			"other key": "sk_eu-central-1_Zz9_secret0",
		})
	})
	want := []string{
		"a secret (a stream key) appears in the archive",
		"something shaped like a stream key appears in the archive",
		"a secret (an SRT passphrase) appears in the events",
		"something shaped like a stream key appears in the other key",
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures %q, want %q", got, want)
	}
}

func TestEMFSum(t *testing.T) {
	var emf awstest.Buffer
	rec := metrics.New(suite.MetricNamespace, &emf)
	rec.Add("Events", 2, metrics.Dim{Name: "DetailType", Value: "A"})
	rec.Add("Events", 3, metrics.Dim{Name: "DetailType", Value: "B"})
	rec.Add("Other", 7)
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	rec.Add("Events", 1, metrics.Dim{Name: "DetailType", Value: "A"})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		name string
		dims []metrics.Dim
		want float64
	}{
		"any dimensions": {name: "Events", want: 6},
		"one dimension":  {name: "Events", dims: []metrics.Dim{{Name: "DetailType", Value: "A"}}, want: 3},
		"no such value":  {name: "Events", dims: []metrics.Dim{{Name: "DetailType", Value: "C"}}, want: 0},
		"no such metric": {name: "Missing", want: 0},
		"no dimensions":  {name: "Other", want: 7},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := awstest.EMFSum(t, emf.String(), tc.name, tc.dims...); got != tc.want {
				t.Errorf("EMFSum(%s, %v) = %v, want %v", tc.name, tc.dims, got, tc.want)
			}
		})
	}
	got := (&recorder{}).run(func(tb testing.TB) { awstest.EMFSum(tb, emf.String()+"not json\n", "Events") })
	if len(got) != 1 || !strings.Contains(got[0], `EMF line "not json"`) {
		t.Errorf("failures %q, want one naming the line that is not JSON", got)
	}
}

// TestSQSMessages checks the SQS records against what batch.Processor reads from them.
func TestSQSMessages(t *testing.T) {
	sent := time.Date(2026, 11, 3, 17, 0, 0, 123e6, time.UTC)
	tests := map[string]struct {
		sent     time.Time
		wantSent time.Time
	}{
		"sent":         {sent: sent, wantSent: sent},
		"no timestamp": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []batch.Message
			p := &batch.Processor{
				Function: "f", Log: slog.New(slog.DiscardHandler), Metrics: metrics.New(suite.MetricNamespace, io.Discard),
				Do: func(_ context.Context, m batch.Message) error {
					got = append(got, m)
					if string(m.Body) == "retry" {
						return retryable.Later("test", 0, errors.New("not yet"))
					}
					return nil
				},
			}
			failed := awstest.ProcessSQS(t, p.Process, awstest.SQSMessages("q", 3, tc.sent, []byte("ok"), []byte("retry"))...)
			if !slices.Equal(failed, []string{"msg-1"}) {
				t.Errorf("failed %v, want [msg-1]", failed)
			}
			if len(got) != 2 {
				t.Fatalf("processed %d messages, want 2", len(got))
			}
			for i, m := range got {
				if m.ID != fmt.Sprintf("msg-%d", i) || m.ReceiveCount != 3 || m.QueueARN != awstest.QueueARN("q") || m.ReceiptHandle == "" ||
					!m.Sent.Equal(tc.wantSent) || !m.FirstReceived.Equal(tc.wantSent) {
					t.Errorf("message %d = %+v, want msg-%d received 3 times from %s, sent %v", i, m, i, awstest.QueueARN("q"), tc.wantSent)
				}
			}
		})
	}
	if arn := awstest.QueueARN("q"); arn != "arn:aws:sqs:"+awstest.Region+":"+awstest.Account+":q" {
		t.Errorf("QueueARN = %s", arn)
	}
}

func TestProcessSQSFails(t *testing.T) {
	tests := map[string]struct {
		handler func(context.Context, json.RawMessage) (any, error)
		want    string
	}{
		"an error":       {func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("boom") }, "process an SQS batch: boom"},
		"another answer": {func(context.Context, json.RawMessage) (any, error) { return batch.Result{}, nil }, "got batch.Result, want events.SQSEventResponse"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := (&recorder{}).run(func(tb testing.TB) {
				awstest.ProcessSQS(tb, tc.handler, awstest.SQSMessage("q", "m", nil, 1, time.Time{}))
			})
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Errorf("failures %q, want one with %q", got, tc.want)
			}
		})
	}
	resp := func(context.Context, json.RawMessage) (any, error) {
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "m"}}}, nil
	}
	if got := awstest.ProcessSQS(t, resp); !slices.Equal(got, []string{"m"}) {
		t.Errorf("ProcessSQS = %v, want [m]", got)
	}
}

func TestFunctionLog(t *testing.T) {
	fn := func(text string) lambdarie.Line { return lambdarie.Line{Text: text} }
	rt := func(text string) lambdarie.Line { return lambdarie.Line{Text: text, Runtime: true} }
	tests := map[string]struct {
		lines    []lambdarie.Line
		wantText string
		wantIDs  []string
		wantErrs []string
	}{
		"good": {
			lines:    []lambdarie.Line{rt("START RequestId: a"), fn(`{"msg":"x","requestId":"b"}`), fn(`{"_aws":{},"M":1}`), fn(`{"msg":"y","requestId":"a"}`), fn(`{"msg":"z","requestId":"b"}`)},
			wantText: `{"msg":"x","requestId":"b"}` + "\n" + `{"_aws":{},"M":1}` + "\n" + `{"msg":"y","requestId":"a"}` + "\n" + `{"msg":"z","requestId":"b"}`,
			wantIDs:  []string{"a", "b"},
		},
		"not JSON": {
			lines: []lambdarie.Line{fn("init failed err=x")}, wantText: "init failed err=x",
			wantErrs: []string{`log line is not a JSON object: "init failed err=x"`},
		},
		"no requestId": {
			lines: []lambdarie.Line{fn(`{"msg":"x"}`)}, wantText: `{"msg":"x"}`,
			wantErrs: []string{`log line without requestId: {"msg":"x"}`},
		},
		"silent": {lines: []lambdarie.Line{rt("END RequestId: a")}, wantErrs: []string{"the function printed nothing"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var text string
			var ids []string
			errs := (&recorder{}).run(func(tb testing.TB) { text, ids = awstest.FunctionLog(tb, tc.lines) })
			if text != tc.wantText || !slices.Equal(ids, tc.wantIDs) || !slices.Equal(errs, tc.wantErrs) {
				t.Errorf("FunctionLog = %q, %q, failures %q; want %q, %q, %q", text, ids, errs, tc.wantText, tc.wantIDs, tc.wantErrs)
			}
		})
	}
}
