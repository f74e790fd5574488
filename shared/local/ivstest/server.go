package ivstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Defaults of Options.
const (
	DefaultRegion  = "us-west-2"
	DefaultAccount = "123456789012"
	// DefaultQuota is IVS's documented rate quota: 5 calls per second for each operation, per
	// account and region, not adjustable. The standalone server uses it; Options.Quota's zero
	// value turns quotas off, so unit tests are not throttled unless they ask to be.
	DefaultQuota = 5
)

// The IVS API operations the server implements; they name the entries of Stats and Faults.
const (
	OpBatchGetChannel     = "BatchGetChannel"
	OpCreateChannel       = "CreateChannel"
	OpDeleteChannel       = "DeleteChannel"
	OpGetChannel          = "GetChannel"
	OpListChannels        = "ListChannels"
	OpUpdateChannel       = "UpdateChannel"
	OpGetStream           = "GetStream"
	OpListStreams         = "ListStreams"
	OpStopStream          = "StopStream"
	OpGetStreamSession    = "GetStreamSession"
	OpListStreamSessions  = "ListStreamSessions"
	OpTagResource         = "TagResource"
	OpUntagResource       = "UntagResource"
	OpListTagsForResource = "ListTagsForResource"
)

// Options configures a Server. The zero value is usable: region us-west-2, account
// 123456789012, no quotas, wall-clock time, events kept in memory only.
type Options struct {
	// Region and Account appear in every ARN the server generates and in every event's
	// envelope. Defaults: DefaultRegion, DefaultAccount.
	Region  string
	Account string
	// Quota is the number of calls per second each operation accepts before it answers 429
	// ThrottlingException (tag operations accept twice as many, as IVS documents 10 TPS for
	// them). 0 turns quotas off; DefaultQuota is IVS's value. Quotas use wall-clock time.
	Quota int
	// Clock is the source of simulated time. Nil means wall-clock time that Server.Advance
	// (and POST /_admin/clock) can move forward.
	Clock Clock
	// Sink receives every event the server emits, in order. Nil keeps events in memory only
	// (Server.Events).
	Sink Sink
	// Metrics, when set, receives the CloudWatch series IVS publishes for every session that
	// was live (a cloudwatchtest.Server): see SessionMetrics.
	Metrics MetricSink
	// Logger receives one line per API call (operation, status, error code) and sink failures;
	// never a request body or a secret. Nil discards.
	Logger *slog.Logger
	// Seed seeds the randomness of fault rates; 0 picks a random seed.
	Seed uint64
}

// Validate reports the first invalid option: a region or account that cannot appear in an
// ARN, or a negative quota.
func (o Options) Validate() error {
	if o.Region != "" && !regionPattern.MatchString(o.Region) {
		return fmt.Errorf("ivstest: region: want lowercase letters, digits and dashes (e.g. us-west-2), got %q", o.Region)
	}
	if o.Account != "" && !accountPattern.MatchString(o.Account) {
		return fmt.Errorf("ivstest: account: want 12 digits, got %q", o.Account)
	}
	if o.Quota < 0 {
		return fmt.Errorf("ivstest: quota: want 0 (off) or a positive number of calls per second, got %d", o.Quota)
	}
	return nil
}

// Server is a local Amazon IVS (low-latency) control plane and broadcast simulator: it answers
// the IVS REST-JSON API as aws-sdk-go-v2/service/ivs sends it, and simulates encoders that
// connect to channels and the EventBridge events IVS emits. It is safe for concurrent use.
type Server struct {
	// URL is the base URL of a started server (http://127.0.0.1:port), for an SDK client's
	// BaseEndpoint or AWS_ENDPOINT_URL_IVS. Empty until Start.
	URL string

	region, account string
	clock           Clock
	log             *slog.Logger
	handler         http.Handler
	ts              *httptest.Server

	mu       sync.Mutex // guards the fields below
	channels map[string]*channel
	keys     map[string]*channel // stream key value -> channel
	keyARNs  map[string]*channel // stream key ARN -> channel
	// adConfigs are the ad configurations by ARN (api_adconfigs.go).
	adConfigs map[string]*adConfiguration
	seq       uint64 // sessions created so far

	events  *eventQueue
	metrics MetricSink
	quota   *quotas
	faults  *faults
	stats   *stats
	closeMu sync.Mutex
}

// NewServer starts a Server on a loopback port, like httptest.NewServer; Close stops it. It
// panics if opts is invalid (see Options.Validate).
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a Server that is not listening: serve Handler yourself, or call
// Start. It panics if opts is invalid (see Options.Validate).
func NewUnstartedServer(opts Options) *Server {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if opts.Clock == nil {
		opts.Clock = &wallClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		region:    opts.Region,
		account:   opts.Account,
		clock:     opts.Clock,
		log:       opts.Logger,
		channels:  map[string]*channel{},
		keys:      map[string]*channel{},
		keyARNs:   map[string]*channel{},
		adConfigs: map[string]*adConfiguration{},
		quota:     newQuotas(opts.Quota),
		faults:    newFaults(opts.Seed),
		stats:     newStats(),
		metrics:   opts.Metrics,
	}
	s.events = newEventQueue(opts.Sink, opts.Logger)
	mux := http.NewServeMux()
	mux.Handle(adminPrefix, http.StripPrefix(strings.TrimSuffix(adminPrefix, "/"), s.adminHandler()))
	mux.HandleFunc("/", s.serveAPI)
	s.handler = mux
	return s
}

// Start starts the server on a loopback port and sets URL. It panics if already started.
func (s *Server) Start() {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.ts != nil {
		panic("ivstest: Server already started")
	}
	s.ts = httptest.NewServer(s.handler)
	s.URL = s.ts.URL
}

// Close stops a started server and waits for its requests to finish. It is safe to call more
// than once and on a server that was never started.
func (s *Server) Close() {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.ts != nil {
		s.ts.Close()
	}
}

// Handler returns the server's HTTP handler: the IVS API on POST /<Operation> and
// /tags/{resourceArn}, and the admin API under /_admin/.
func (s *Server) Handler() http.Handler { return s.handler }

// Region returns the server's region.
func (s *Server) Region() string { return s.region }

// Account returns the server's account ID.
func (s *Server) Account() string { return s.account }

// Now returns the server's simulated time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Advance moves the server's simulated time forward by d. It returns an error when the
// server's Clock is not an Advancer.
func (s *Server) Advance(d time.Duration) error {
	a, ok := s.clock.(Advancer)
	if !ok {
		return fmt.Errorf("ivstest: advance clock: the server's %T cannot be advanced", s.clock)
	}
	a.Advance(d)
	return nil
}

// request is one decoded API call.
type request struct {
	ctx   context.Context
	body  []byte
	label string     // the {resourceArn} of the tags routes, unescaped
	query url.Values // the tags routes' query
}

// decode unmarshals the JSON body into v; an empty body is {}. A body that is not JSON, or a
// member of the wrong JSON type, is a ValidationException naming the member.
func (r *request) decode(v any) error {
	if len(strings.TrimSpace(string(r.body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return newError(CodeValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be a JSON %s", typeErr.Field, typeErr.Type.Kind())
		}
		return newError(CodeValidation, "Request body is not valid JSON: %v", err)
	}
	return nil
}

type handlerFunc func(s *Server, r *request) (any, error)

type operation struct {
	name   string
	status int // on success
	handle handlerFunc
}

// jsonOperations are the operations served as POST /<Operation>.
var jsonOperations = map[string]operation{
	OpBatchGetChannel:    {OpBatchGetChannel, http.StatusOK, (*Server).batchGetChannel},
	OpCreateChannel:      {OpCreateChannel, http.StatusOK, (*Server).createChannel},
	OpDeleteChannel:      {OpDeleteChannel, http.StatusNoContent, (*Server).deleteChannel},
	OpGetChannel:         {OpGetChannel, http.StatusOK, (*Server).getChannel},
	OpListChannels:       {OpListChannels, http.StatusOK, (*Server).listChannels},
	OpUpdateChannel:      {OpUpdateChannel, http.StatusOK, (*Server).updateChannel},
	OpGetStream:          {OpGetStream, http.StatusOK, (*Server).getStream},
	OpListStreams:        {OpListStreams, http.StatusOK, (*Server).listStreams},
	OpStopStream:         {OpStopStream, http.StatusOK, (*Server).stopStream},
	OpGetStreamSession:   {OpGetStreamSession, http.StatusOK, (*Server).getStreamSession},
	OpListStreamSessions: {OpListStreamSessions, http.StatusOK, (*Server).listStreamSessions},
	OpListStreamKeys:     {OpListStreamKeys, http.StatusOK, (*Server).listStreamKeys},
	OpGetStreamKey:       {OpGetStreamKey, http.StatusOK, (*Server).getStreamKey},

	OpCreateAdConfiguration: {OpCreateAdConfiguration, http.StatusOK, (*Server).createAdConfiguration},
	OpGetAdConfiguration:    {OpGetAdConfiguration, http.StatusOK, (*Server).getAdConfiguration},
	OpListAdConfigurations:  {OpListAdConfigurations, http.StatusOK, (*Server).listAdConfigurations},
	OpDeleteAdConfiguration: {OpDeleteAdConfiguration, http.StatusNoContent, (*Server).deleteAdConfiguration},
}

// tagOperations are the /tags/{resourceArn} routes, by HTTP method.
var tagOperations = map[string]operation{
	http.MethodPost:   {OpTagResource, http.StatusOK, (*Server).tagResource},
	http.MethodDelete: {OpUntagResource, http.StatusOK, (*Server).untagResource},
	http.MethodGet:    {OpListTagsForResource, http.StatusOK, (*Server).listTagsForResource},
}

// Operations lists every operation the server implements.
func Operations() []string {
	ops := make([]string, 0, len(jsonOperations)+len(tagOperations))
	for name := range jsonOperations {
		ops = append(ops, name)
	}
	for _, op := range tagOperations {
		ops = append(ops, op.name)
	}
	return ops
}

const tagsPrefix = "/tags/"

// route finds the operation of r and, for the tags routes, the unescaped resource ARN.
func route(r *http.Request) (operation, string, bool) {
	if path := r.URL.EscapedPath(); strings.HasPrefix(path, tagsPrefix) {
		op, ok := tagOperations[r.Method]
		if !ok {
			return operation{}, "", false
		}
		label, err := url.PathUnescape(strings.TrimPrefix(path, tagsPrefix))
		if err != nil {
			return operation{}, "", false
		}
		return op, label, true
	}
	if r.Method != http.MethodPost {
		return operation{}, "", false
	}
	op, ok := jsonOperations[strings.TrimPrefix(r.URL.Path, "/")]
	return op, "", ok
}

// maxBody bounds a request body; IVS requests are small.
const maxBody = 1 << 20

// serveAPI answers one IVS API call: count it, apply the quota, then any injected fault, then
// the operation.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	op, label, ok := route(r)
	if !ok {
		writeError(w, newError(CodeUnknownOperation, "No operation for %s %s", r.Method, r.URL.Path))
		return
	}
	s.stats.call(op.name)
	// Read the body first: only then does net/http notice a client that hangs up (and cancel
	// r.Context()) while an injected latency runs.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, newError(CodeValidation, "Cannot read the request body: %v", err))
		return
	}
	if !s.quota.allow(op.name) {
		s.stats.throttle(op.name)
		s.log.InfoContext(r.Context(), "ivs call", "operation", op.name, "status", http.StatusTooManyRequests, "error", CodeThrottling)
		writeError(w, &apiError{Code: CodeThrottling, Message: "Rate exceeded"})
		return
	}
	latency, injected := s.faults.take(op.name)
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if injected != nil {
		s.stats.inject(op.name, injected.Code == CodeThrottling)
		s.log.InfoContext(r.Context(), "ivs call", "operation", op.name, "status", injected.status(), "error", injected.Code, "injected", true)
		writeError(w, injected)
		return
	}
	req := &request{ctx: context.WithoutCancel(r.Context()), body: body, label: label, query: r.URL.Query()}
	out, err := op.handle(s, req)
	if err != nil {
		ae := &apiError{Code: CodeInternalServer}
		errors.As(err, &ae)
		s.stats.fail(op.name)
		s.log.InfoContext(r.Context(), "ivs call", "operation", op.name, "status", ae.status(), "error", ae.Code)
		writeError(w, err)
		return
	}
	s.log.InfoContext(r.Context(), "ivs call", "operation", op.name, "status", op.status)
	if op.status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(op.status)
	_ = json.NewEncoder(w).Encode(out)
}
