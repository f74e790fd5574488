package lambdarie_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
)

// rie and bootstrap are built once by TestMain.
var rie, bootstrap string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if runtime.GOOS != "linux" {
		fmt.Println("lambdarie: skipping: the emulator runs on Linux only")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "lambdarie-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	if rie, err = lambdarie.BuildRIE(ctx, "", dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bootstrap = filepath.Join(dir, "echo", "bootstrap")
	if err := lambdarie.BuildBootstrap(ctx, "", "./testdata/echo", bootstrap); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func config(t *testing.T) lambdarie.Config {
	t.Helper()
	if rie == "" {
		t.Skip("the emulator runs on Linux only")
	}
	return lambdarie.Config{
		RIE:          rie,
		Bootstrap:    bootstrap,
		FunctionName: "echo",
		Timeout:      5 * time.Second,
		Env:          map[string]string{"AWS_REGION": "us-west-2", "EVENT_BUS_NAME": "ivs-sessions", "AWS_LAMBDA_FUNCTION_NAME": "overridden"},
	}
}

func startInstance(t *testing.T, cfg lambdarie.Config) *lambdarie.Instance {
	t.Helper()
	inst, err := lambdarie.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

func TestInvoke(t *testing.T) {
	t.Setenv("LAMBDARIE_HOST_ONLY", "must not leak")
	inst := startInstance(t, config(t))
	tests := map[string]struct {
		event    string
		want     string // the response, when the function succeeds
		wantType string // the errorType, when it fails
		wantMsg  string
	}{
		"echo":        {event: `{"hello":"world"}`, want: `{"hello":"world"}`},
		"error":       {event: `{"fail":"boom"}`, wantType: "errorString", wantMsg: "boom"},
		"panic":       {event: `{"panic":"oops"}`, wantType: "string", wantMsg: "oops"},
		"exit":        {event: `{"exit":3}`, wantType: "Runtime.ExitError", wantMsg: "exit status 3"},
		"environment": {event: `{"env":["AWS_REGION","EVENT_BUS_NAME","AWS_LAMBDA_FUNCTION_NAME","AWS_LAMBDA_FUNCTION_TIMEOUT","LAMBDARIE_HOST_ONLY","HOME"]}`, want: `{"env":{"AWS_LAMBDA_FUNCTION_NAME":"echo","AWS_LAMBDA_FUNCTION_TIMEOUT":"5","AWS_REGION":"us-west-2","EVENT_BUS_NAME":"ivs-sessions"}}`},
	}
	// Each failure is followed by an echo, which shows the instance recovered from it.
	for _, name := range []string{"echo", "error", "echo", "panic", "echo", "exit", "echo", "environment"} {
		tc := tests[name]
		t.Run(name, func(t *testing.T) {
			out, err := inst.Invoke(context.Background(), []byte(tc.event))
			if tc.wantType == "" {
				if err != nil || string(out) != tc.want {
					t.Errorf("Invoke(%s) = %s, %v; want %s", tc.event, out, err, tc.want)
				}
				return
			}
			var fe *lambdarie.FunctionError
			if !errors.As(err, &fe) || fe.Type != tc.wantType || !strings.Contains(fe.Message, tc.wantMsg) {
				t.Errorf("Invoke(%s) = %s, %v; want a function error %s %q", tc.event, out, err, tc.wantType, tc.wantMsg)
			}
		})
	}
	if n := inst.Restarts(); n != 0 {
		t.Errorf("restarts = %d, want 0: the emulator survives function failures", n)
	}
}

func TestDeadlineAndTimeout(t *testing.T) {
	cfg := config(t)
	cfg.Timeout = 500 * time.Millisecond // rounded up to 1 s
	inst := startInstance(t, cfg)
	out, err := inst.Invoke(context.Background(), []byte(`{"deadline":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		DeadlineMS int64 `json:"deadline_ms"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.DeadlineMS <= 0 || resp.DeadlineMS > 1000 {
		t.Errorf("deadline = %s, %v; want at most the 1 s timeout (500 ms rounded up) away", out, err)
	}
	_, err = inst.Invoke(context.Background(), []byte(`{"sleep_ms":60000}`))
	var fe *lambdarie.FunctionError
	if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Errorf("a function past its timeout: %v, want a Sandbox.Timedout function error", err)
	}
	if out, err := inst.Invoke(context.Background(), []byte(`{"after":"timeout"}`)); err != nil || string(out) != `{"after":"timeout"}` {
		t.Errorf("invoke after a timeout = %s, %v", out, err)
	}
}

func TestLogs(t *testing.T) {
	var mu sync.Mutex
	var seen []lambdarie.Line
	cfg := config(t)
	cfg.OnLog = func(l lambdarie.Line) {
		mu.Lock()
		seen = append(seen, l)
		mu.Unlock()
	}
	inst := startInstance(t, cfg)
	if _, err := inst.Invoke(context.Background(), []byte(`{"log":"hello timeline"}`)); err != nil {
		t.Fatal(err)
	}
	// Invoke returns once the emulator has printed the invoke's REPORT line, its last: a
	// report printed right after Invoke (scripts/invoke) holds the whole invoke.
	if logs := inst.Logs(); len(logs) == 0 || !strings.HasPrefix(logs[len(logs)-1].Text, "REPORT RequestId: ") {
		t.Fatalf("after Invoke, the last line is not REPORT: %+v", logs)
	}
	// OnLog is called just after a line is stored, so it may still be catching up.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		done := n > 0 && strings.HasPrefix(seen[n-1].Text, "REPORT RequestId: ")
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no REPORT line; lines: %+v", inst.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var requestID string
	got := map[string]lambdarie.Line{}
	for _, l := range seen {
		if l.Function != "echo" || l.Instance != 0 || l.Time.IsZero() {
			t.Errorf("line %+v: want function echo, instance 0, a time", l)
		}
		if strings.HasPrefix(l.Text, "START RequestId: ") {
			requestID = l.RequestID
		}
		got[l.Text] = l
	}
	if requestID == "" {
		t.Fatalf("no START line with a request ID: %+v", seen)
	}
	for _, text := range []string{"stdout: hello timeline", "stderr: hello timeline"} {
		l, ok := got[text]
		if !ok || l.Runtime || l.RequestID != requestID {
			t.Errorf("line %q = %+v (found %v); want a function line of request %s", text, l, ok, requestID)
		}
	}
	if logs := inst.Logs(); len(logs) != len(seen) {
		t.Errorf("Logs() has %d lines, OnLog saw %d", len(logs), len(seen))
	}
}

// TestInvokesAreSerialized sends concurrent invokes to one instance: the emulator would crash
// on the second, so Invoke must queue them.
func TestInvokesAreSerialized(t *testing.T) {
	inst := startInstance(t, config(t))
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for n := range 6 {
		wg.Go(func() {
			event := fmt.Sprintf(`{"n":%d,"sleep_ms":10}`, n)
			out, err := inst.Invoke(context.Background(), []byte(event))
			if err != nil || string(out) != event {
				errs <- fmt.Errorf("Invoke(%s) = %s, %v", event, out, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := inst.Restarts(); n != 0 {
		t.Errorf("restarts = %d, want 0", n)
	}
}

// TestCancelledInvoke checks that a caller that gives up gets its context's error at once, and
// that the instance finishes that invoke before it takes the next.
func TestCancelledInvoke(t *testing.T) {
	inst := startInstance(t, config(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := inst.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Invoke with a cancelled context = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := inst.Invoke(ctx, []byte(`{"sleep_ms":300}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke past its context's deadline = %v, want context.DeadlineExceeded", err)
	}
	if out, err := inst.Invoke(context.Background(), []byte(`{"next":1}`)); err != nil || string(out) != `{"next":1}` {
		t.Errorf("the next invoke = %s, %v", out, err)
	}
	if n := inst.Restarts(); n != 0 {
		t.Errorf("restarts = %d, want 0", n)
	}
}

// TestPoolConcurrency runs two invokes that each wait for the other (a barrier in the
// function): it passes only if a pool of two runs them together.
func TestPoolConcurrency(t *testing.T) {
	pool, err := lambdarie.NewPool(context.Background(), config(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if pool.Size() != 2 {
		t.Errorf("Size = %d, want 2", pool.Size())
	}
	dir := t.TempDir()
	event := fmt.Sprintf(`{"barrier":%q,"n":2}`, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			if _, err := pool.Invoke(context.Background(), []byte(event)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("invoke through the barrier: %v", err)
	}
	instances := map[int]bool{}
	for _, l := range pool.Logs() {
		instances[l.Instance] = true
	}
	if !instances[0] || !instances[1] {
		t.Errorf("lines came from instances %v, want 0 and 1", instances)
	}
	if pool.Restarts() != 0 {
		t.Errorf("restarts = %d", pool.Restarts())
	}
}

// TestAdapter feeds real bootstraps from a local queue: partial batch failures come back, a
// function error fails the whole batch, and poison messages end in the DLQ.
func TestAdapter(t *testing.T) {
	pool, err := lambdarie.NewPool(context.Background(), config(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	bus, err := localbus.New(localbus.Config{
		// On a manual clock a visibility timeout ends when RunUntilIdle moves the clock, never
		// during an invoke, however slow a cold start on a loaded machine.
		Clock: localbus.NewManualClock(time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)),
		Rules: []localbus.Rule{{Name: "all", Bus: localbus.DefaultBus, Pattern: `{"source":["test"]}`, Queue: "echo"}},
		Queues: []localbus.QueueConfig{{
			Name: "echo", ReportBatchItemFailures: true, MaxReceiveCount: 2, VisibilityTimeout: 20 * time.Millisecond,
			Handler: lambdarie.Adapter(pool),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	for _, detail := range []string{`{"ok":1}`, `{"please":"fail"}`, `{"ok":2}`} {
		if _, err := bus.Put(localbus.Entry{Source: "test", DetailType: "t", Detail: detail}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bus.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	dead, _ := bus.DeadLetters("echo")
	if len(dead) != 1 || !strings.Contains(dead[0].Body, `"please":"fail"`) {
		t.Errorf("dead letters = %+v, want the failing message", dead)
	}
	if qs := bus.Stats().Queues["echo"]; qs.Deleted != 2 || qs.DeadLettered != 1 || qs.BatchErrors != 0 {
		t.Errorf("stats = %+v", qs)
	}

	// A function error fails the whole batch.
	handler := lambdarie.Adapter(pool)
	batch := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "{}"}}}
	if _, err := handler(context.Background(), batch); err != nil {
		t.Errorf("a batch the function accepts: %v", err)
	}
	var fe *lambdarie.FunctionError
	failing := lambdarie.Adapter(invokerFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &lambdarie.FunctionError{Type: "errorString", Message: "boom"}
	}))
	if _, err := failing(context.Background(), batch); !errors.As(err, &fe) {
		t.Errorf("a function error: %v, want it returned", err)
	}
	for body, wantErr := range map[string]bool{"": false, "null": false, `{"batchItemFailures":[]}`: false, `not json`: true} {
		h := lambdarie.Adapter(invokerFunc(func(context.Context, []byte) ([]byte, error) { return []byte(body), nil }))
		if _, err := h(context.Background(), batch); (err != nil) != wantErr {
			t.Errorf("response %q: error %v, want error %v", body, err, wantErr)
		}
	}
}

type invokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// TestCloseStopsProcesses checks that no emulator or bootstrap outlives Close.
func TestCloseStopsProcesses(t *testing.T) {
	cfg := config(t)
	// A copy of the bootstrap, so its path identifies this test's processes only.
	dir := t.TempDir()
	data, err := os.ReadFile(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bootstrap = filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(cfg.Bootstrap, data, 0o755); err != nil {
		t.Fatal(err)
	}
	pool, err := lambdarie.NewPool(context.Background(), cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := pool.Invoke(context.Background(), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(processesRunning(cfg.Bootstrap)); n == 0 {
		t.Fatal("no bootstrap process found after an invoke: the check below would prove nothing")
	}
	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pool.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded 2-core machine is slow to reap
	for len(processesRunning(cfg.Bootstrap)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("bootstrap processes still running after Close: %v", processesRunning(cfg.Bootstrap))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := pool.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, lambdarie.ErrClosed) {
		t.Errorf("Invoke after Close = %v, want ErrClosed", err)
	}
}

// processesRunning returns the IDs of live processes whose command line starts with or holds
// path (the emulator's last argument is the bootstrap; the bootstrap is its own argv[0]).
func processesRunning(path string) []string {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), path) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(filepath.Dir(f), "stat"))
		if err != nil || strings.Contains(string(stat), ") Z ") { // a zombie is gone in all but name
			continue
		}
		pids = append(pids, filepath.Base(filepath.Dir(f)))
	}
	return pids
}

func TestConfigErrors(t *testing.T) {
	good := config(t)
	notExec := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		mod  func(*lambdarie.Config)
		want string
	}{
		"no function name":         {func(c *lambdarie.Config) { c.FunctionName = "" }, "FunctionName is required"},
		"no emulator":              {func(c *lambdarie.Config) { c.RIE = "" }, "RIE is required"},
		"missing bootstrap":        {func(c *lambdarie.Config) { c.Bootstrap = "/nonexistent/bootstrap" }, "Bootstrap"},
		"bootstrap not executable": {func(c *lambdarie.Config) { c.Bootstrap = notExec }, "want an executable file"},
		"negative timeout":         {func(c *lambdarie.Config) { c.Timeout = -time.Second }, "negative"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			inst, err := lambdarie.Start(context.Background(), cfg)
			if err == nil {
				inst.Close()
				t.Fatalf("Start = nil error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := lambdarie.NewPool(context.Background(), good, 0); err == nil {
		t.Error("NewPool(0): want an error")
	}
}

func TestRestartAfterCrash(t *testing.T) {
	inst := startInstance(t, config(t))
	if _, err := inst.Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	lambdarie.KillEmulator(inst)
	out, err := inst.Invoke(context.Background(), []byte(`{"after":"crash"}`))
	if err != nil || string(out) != `{"after":"crash"}` {
		t.Errorf("invoke after a crash = %s, %v", out, err)
	}
	if n := inst.Restarts(); n != 1 {
		t.Errorf("restarts = %d, want 1", n)
	}
}

// TestLogsCompleteAfterPanic: a runtime that exits mid-invoke prints no REPORT; Invoke still
// returns with the invoke's lines, panic included, in Logs.
func TestLogsCompleteAfterPanic(t *testing.T) {
	inst := startInstance(t, config(t))
	_, err := inst.Invoke(context.Background(), []byte(`{"panic":"oops"}`))
	var fnErr *lambdarie.FunctionError
	if !errors.As(err, &fnErr) {
		t.Fatalf("Invoke = %v, want a function error", err)
	}
	var panicked, done bool
	for _, l := range inst.Logs() {
		panicked = panicked || strings.Contains(l.Text, "resulted in a panic")
		done = done || strings.Contains(l.Text, "Invoke DONE failed")
	}
	if !panicked || !done {
		t.Errorf("Logs after Invoke: panic line %v, end line %v; want both: %+v", panicked, done, inst.Logs())
	}
}
