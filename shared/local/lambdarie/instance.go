package lambdarie

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Defaults applied by Start to zero fields of Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMemoryMB     = 128
	DefaultStartTimeout = 10 * time.Second
)

// invokePath is the emulator's invoke endpoint (the Lambda Invoke API path).
const invokePath = "/2015-03-31/functions/function/invocations"

// maxLogLines is how many lines Logs keeps per instance.
const maxLogLines = 2000

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("lambdarie: instance closed")

// Config describes a function to run.
type Config struct {
	RIE          string        // path to the aws-lambda-rie executable (see BuildRIE)
	Bootstrap    string        // path to the function's bootstrap executable (see BuildBootstrap)
	FunctionName string        // AWS_LAMBDA_FUNCTION_NAME; required
	Timeout      time.Duration // the function timeout, rounded up to whole seconds; 0 means DefaultTimeout
	MemoryMB     int           // AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0 means DefaultMemoryMB

	// Env is the function's environment: AWS_REGION, credentials, AWS_ENDPOINT_URL_*, the
	// suite's settings. Nothing is inherited from this process (no host credentials leak in).
	// PATH, TZ, LANG and the AWS_LAMBDA_* variables are set from the fields above; Env's values
	// for those are overridden.
	Env map[string]string

	// StartTimeout bounds the wait for the emulator to listen; 0 means DefaultStartTimeout.
	StartTimeout time.Duration

	// OnLog, when set, receives every captured line, from one goroutine per instance. It must
	// be safe for concurrent use when several instances share it (a Pool).
	OnLog func(Line)
}

// Line is one line the function or the emulator printed.
type Line struct {
	Time      time.Time
	Function  string // Config.FunctionName
	Instance  int    // the instance's index in its Pool (0 for a lone Instance)
	RequestID string // the invoke during which the line was printed, if any
	Runtime   bool   // printed by the emulator (START, END, REPORT, its own errors), not the function
	Text      string
}

// FunctionError is a function invocation that failed: the handler returned an error or
// panicked, the process exited, or the invoke timed out.
type FunctionError struct {
	Type    string // errorType, e.g. "errorString", "Runtime.ExitError", "Sandbox.Timedout"
	Message string // errorMessage
	Payload []byte // the response body as the emulator returned it
}

// Error returns "<function>: <type>: <message>".
func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// Invoker invokes a function synchronously. Instance and Pool implement it.
type Invoker interface {
	// Invoke sends payload as the event and returns the function's response, or a
	// *FunctionError when the function failed.
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

var (
	_ Invoker = (*Instance)(nil)
	_ Invoker = (*Pool)(nil)
)

// Instance is one emulator process running one function's bootstrap.
type Instance struct {
	cfg    Config
	index  int
	client *http.Client
	sem    chan struct{} // held during an invoke: the emulator takes one at a time

	mu       sync.Mutex // guards the fields below
	proc     *process
	closed   bool
	restarts int

	logMu   sync.Mutex
	logs    []Line
	current string // request ID between the emulator's START and END lines
	reports int    // invokes whose last line (REPORT, or Invoke DONE failed) was read
	// reported is closed and replaced at each such line, waking waitReport.
	reported chan struct{}
}

// reportWait bounds how long Invoke waits, after the response, for the emulator's last line of
// the invoke (REPORT, or "Invoke DONE failed" when the runtime exited), so that Logs holds the
// whole invoke when Invoke returns.
const reportWait = 2 * time.Second

// process is one run of the emulator.
type process struct {
	cmd     *exec.Cmd
	url     string
	exited  chan struct{} // closed when the emulator has exited
	readers sync.WaitGroup
}

// Start validates cfg and starts the emulator, which starts the bootstrap on the first invoke.
// It returns an error naming the missing field or file, or the emulator's output when it does
// not come up within cfg.StartTimeout.
func Start(ctx context.Context, cfg Config) (*Instance, error) {
	return start(ctx, cfg, 0)
}

func start(ctx context.Context, cfg Config, index int) (*Instance, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	inst := &Instance{
		cfg:   cfg,
		index: index,
		sem:   make(chan struct{}, 1),

		reported: make(chan struct{}),
		// The emulator answers within the function timeout; past it (and a margin) it is hung.
		client: &http.Client{Timeout: cfg.Timeout + 10*time.Second},
	}
	p, err := inst.launch(ctx)
	if err != nil {
		return nil, err
	}
	inst.proc = p
	return inst, nil
}

func (c Config) withDefaults() (Config, error) {
	if c.FunctionName == "" {
		return c, errors.New("lambdarie: config: FunctionName is required")
	}
	for field, path := range map[string]string{"RIE": c.RIE, "Bootstrap": c.Bootstrap} {
		if path == "" {
			return c, fmt.Errorf("lambdarie: config %s: %s is required", c.FunctionName, field)
		}
		st, err := os.Stat(path)
		if err != nil {
			return c, fmt.Errorf("lambdarie: config %s: %s: %w", c.FunctionName, field, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return c, fmt.Errorf("lambdarie: config %s: %s %s: want an executable file", c.FunctionName, field, path)
		}
	}
	if c.Timeout < 0 || c.MemoryMB < 0 || c.StartTimeout < 0 {
		return c, fmt.Errorf("lambdarie: config %s: negative Timeout, MemoryMB or StartTimeout", c.FunctionName)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	c.Timeout = time.Duration(math.Ceil(c.Timeout.Seconds())) * time.Second
	if c.MemoryMB == 0 {
		c.MemoryMB = DefaultMemoryMB
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	abs, err := filepath.Abs(c.Bootstrap)
	if err != nil {
		return c, fmt.Errorf("lambdarie: config %s: Bootstrap: %w", c.FunctionName, err)
	}
	c.Bootstrap = abs
	return c, nil
}

// environ returns the emulator's (and so the function's) environment.
func (i *Instance) environ() []string {
	env := map[string]string{}
	for k, v := range i.cfg.Env {
		env[k] = v
	}
	for k, v := range map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"AWS_LAMBDA_FUNCTION_NAME":        i.cfg.FunctionName,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int(i.cfg.Timeout / time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(i.cfg.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + i.cfg.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME":      fmt.Sprintf("local/%s/%d", i.cfg.FunctionName, i.index),
	} {
		env[k] = v
	}
	delete(env, "AWS_LAMBDA_RUNTIME_API") // the emulator sets it
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// launch starts an emulator process and waits until it listens.
func (i *Instance) launch(ctx context.Context) (*process, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("lambdarie: %s: %w", i.cfg.FunctionName, err)
	}
	emulatorAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(i.cfg.RIE,
		"--log-level", "error",
		"--runtime-interface-emulator-address", emulatorAddr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		i.cfg.Bootstrap)
	cmd.Dir = filepath.Dir(i.cfg.Bootstrap) // as /var/task, where the bootstrap lives
	cmd.Env = i.environ()
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("lambdarie: %s: %w", i.cfg.FunctionName, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("lambdarie: %s: %w", i.cfg.FunctionName, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lambdarie: start %s for %s: %w", i.cfg.RIE, i.cfg.FunctionName, err)
	}
	p := &process{cmd: cmd, url: "http://" + emulatorAddr + invokePath, exited: make(chan struct{})}
	p.readers.Add(2)
	go i.readLines(&p.readers, stdout, false)
	go i.readLines(&p.readers, stderr, true)
	go func() {
		p.readers.Wait() // Wait must not run before the pipes are drained
		_ = cmd.Wait()
		close(p.exited)
	}()

	deadline := time.Now().Add(i.cfg.StartTimeout)
	for {
		conn, err := net.DialTimeout("tcp", emulatorAddr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("lambdarie: %s: the emulator exited at start: %s", i.cfg.FunctionName, i.lastLines(5))
		case <-ctx.Done():
			i.kill(p)
			return nil, fmt.Errorf("lambdarie: start %s: %w", i.cfg.FunctionName, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			i.kill(p)
			return nil, fmt.Errorf("lambdarie: %s: the emulator did not listen on %s within %s: %s", i.cfg.FunctionName, emulatorAddr, i.cfg.StartTimeout, i.lastLines(5))
		}
	}
}

// freePorts reserves n free loopback TCP ports and releases them for the emulator to bind.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// readLines captures the lines of one of the emulator's output streams.
func (i *Instance) readLines(wg *sync.WaitGroup, r io.Reader, stderr bool) {
	defer wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		text := sc.Text()
		line := Line{Time: time.Now(), Function: i.cfg.FunctionName, Instance: i.index, Text: text, Runtime: stderr}
		i.logMu.Lock()
		switch {
		case strings.HasPrefix(text, "START RequestId: "):
			line.Runtime = true
			i.current, _, _ = strings.Cut(strings.TrimPrefix(text, "START RequestId: "), " ")
			line.RequestID = i.current
		case strings.HasPrefix(text, "END RequestId: "), strings.HasPrefix(text, "REPORT RequestId: "):
			line.Runtime = true
			line.RequestID = i.current
			if strings.HasPrefix(text, "REPORT") {
				i.current = ""
				i.invokeEnded()
			}
		case strings.Contains(text, "(rapid) Invoke DONE failed"):
			// A runtime that exits mid-invoke (a panic) gets this line instead of END and REPORT.
			line.RequestID = i.current
			i.current = ""
			i.invokeEnded()
		default:
			line.RequestID = i.current
		}
		i.logs = append(i.logs, line)
		if len(i.logs) > maxLogLines {
			i.logs = append(i.logs[:0], i.logs[len(i.logs)-maxLogLines:]...)
		}
		i.logMu.Unlock()
		if i.cfg.OnLog != nil {
			i.cfg.OnLog(line)
		}
	}
	_, _ = io.Copy(io.Discard, r) // a line too long ends the scanner; keep the pipe drained
}

// invokeEnded counts the end of an invoke and wakes waitReport; logMu is held.
func (i *Instance) invokeEnded() {
	i.reports++
	close(i.reported)
	i.reported = make(chan struct{})
}

// Logs returns the lines captured so far (the last 2000), oldest first.
func (i *Instance) Logs() []Line {
	i.logMu.Lock()
	defer i.logMu.Unlock()
	return append([]Line(nil), i.logs...)
}

func (i *Instance) lastLines(n int) string {
	logs := i.Logs()
	if len(logs) > n {
		logs = logs[len(logs)-n:]
	}
	var texts []string
	for _, l := range logs {
		texts = append(texts, l.Text)
	}
	if len(texts) == 0 {
		return "(no output)"
	}
	return strings.Join(texts, " | ")
}

// Restarts reports how many times the emulator was restarted after it died or hung.
func (i *Instance) Restarts() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.restarts
}

// Invoke sends payload to the function and returns its response. Invokes are serialized: a
// call waits while another runs. A function failure is a *FunctionError. If ctx ends first,
// Invoke returns ctx's error at once, but the instance stays busy until the function finishes
// (a Lambda invoke cannot be cancelled either). If the emulator died or hung, it is restarted
// before the next invoke, and the invoke that found it so gets an error.
func (i *Instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case i.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdarie: invoke %s: %w", i.cfg.FunctionName, ctx.Err())
	}
	p, err := i.ready(ctx)
	if err != nil {
		<-i.sem
		return nil, err
	}
	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-i.sem }()
		i.logMu.Lock()
		want := i.reports + 1
		i.logMu.Unlock()
		status, body, err := i.post(p, payload)
		if err != nil {
			i.kill(p) // dead or hung: the next invoke starts a new one
		} else {
			// The emulator prints the invoke's last lines after it answers.
			i.waitReport(want, reportWait)
		}
		done <- result{status, body, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("lambdarie: invoke %s: %w", i.cfg.FunctionName, r.err)
		}
		return interpret(r.status, r.body)
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdarie: invoke %s: %w", i.cfg.FunctionName, ctx.Err())
	}
}

// waitReport waits until the emulator has printed n REPORT lines, or for at most d.
func (i *Instance) waitReport(n int, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		i.logMu.Lock()
		seen, signal := i.reports, i.reported
		i.logMu.Unlock()
		if seen >= n {
			return
		}
		select {
		case <-signal:
		case <-timer.C:
			return
		}
	}
}

// ready returns the running emulator, restarting it if it has exited.
func (i *Instance) ready(ctx context.Context) (*process, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return nil, ErrClosed
	}
	select {
	case <-i.proc.exited:
	default:
		return i.proc, nil
	}
	p, err := i.launch(ctx)
	if err != nil {
		return nil, err
	}
	i.proc = p
	i.restarts++
	return p, nil
}

func (i *Instance) post(p *process, payload []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", uuid.NewString())
	resp, err := i.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

// interpret turns the emulator's answer into a response or a *FunctionError.
func interpret(status int, body []byte) ([]byte, error) {
	if status == http.StatusOK && bytes.HasPrefix(body, []byte("Task timed out after")) {
		return nil, &FunctionError{Type: "Sandbox.Timedout", Message: string(body), Payload: body}
	}
	var doc struct {
		Type    *string `json:"errorType"`
		Message *string `json:"errorMessage"`
	}
	isError := json.Unmarshal(body, &doc) == nil && doc.Type != nil && doc.Message != nil
	switch {
	case isError && (status == http.StatusOK || status == http.StatusBadGateway):
		return nil, &FunctionError{Type: *doc.Type, Message: *doc.Message, Payload: body}
	case status == http.StatusOK:
		return body, nil
	}
	return nil, fmt.Errorf("lambdarie: emulator answered HTTP %d: %s", status, bytes.TrimSpace(body))
}

// Close stops the emulator (SIGTERM, then SIGKILL after two seconds) and waits for it to exit.
// Invokes after Close return ErrClosed. Close is idempotent.
func (i *Instance) Close() error {
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		return nil
	}
	i.closed = true
	p := i.proc
	i.mu.Unlock()
	i.stop(p)
	return nil
}

// stop ends an emulator gracefully, so it stops the bootstrap it started.
func (i *Instance) stop(p *process) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(2 * time.Second):
		i.kill(p)
	}
}

// kill ends an emulator and the bootstrap it started at once, and waits for the emulator.
func (i *Instance) kill(p *process) {
	select {
	case <-p.exited:
		return // reaped: its ID may belong to another process by now
	default:
	}
	pid := p.cmd.Process.Pid
	for _, child := range children(pid) {
		_ = syscall.Kill(-child, syscall.SIGKILL) // the bootstrap leads its own group
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		// A grandchild still holds the output pipe; the emulator itself is gone.
	}
}
