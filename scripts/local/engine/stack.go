package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/workdir"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Defaults of Config.
const (
	// DefaultSecond is the length of one SQS second: every batching window, visibility timeout
	// and ChangeMessageVisibility wait of the deployment runs 20 times faster than deployed,
	// while function timeouts and IVS quotas stay in real time.
	DefaultSecond = 50 * time.Millisecond
	// DefaultCorrectionRetryDelay is CORRECTION_RETRY_DELAY locally (deployed: 60s): the first
	// wait of a correction whose channel is live, in SQS seconds (so 50 ms with DefaultSecond).
	DefaultCorrectionRetryDelay = time.Second
	// QualityRetryDelay is QUALITY_RETRY_DELAY locally (deployed: 2m): the wait between two
	// reads of a session whose metrics are not all in CloudWatch, in SQS seconds (so 100 ms
	// with DefaultSecond). The local CloudWatch has a session's series as soon as it ends, so
	// only a session that never has them (one too short for a datapoint) waits: its five reads
	// took 25 s of a run at the deployed two minutes.
	QualityRetryDelay = 2 * time.Second
	// SweepSpeedup is how many times faster than deployed the sweep paces its IVS calls
	// locally: its pacing runs on a faster local clock, as SQS's waits do (DefaultSecond),
	// because it sweeps every channel every earlier scenario created, one ListStreamSessions
	// each, at 0.3 calls per second per run when deployed (suite.InstanceRate: its share split
	// between its live and its window run). A run stays within the local IVS's quota (see
	// SweepRate), which every function's calls still meet in real time; the scenarios run the
	// sweep's runs one at a time, so they never add up past it (were they to, the local IVS
	// would throttle them, as IVS does).
	SweepSpeedup = 16
	// uncappedConcurrency stands in, locally, for a function whose event source mapping has no
	// maximum concurrency (archive): that many emulators.
	uncappedConcurrency = 3
)

// Callers whose IVS calls are told apart besides the functions.
var otherCallers = []string{ActorScenario, ActorNeighbour}

// viaPrefix starts the path of the IVS endpoint of a named caller: <ivs>/via/<caller>/<op>.
const viaPrefix = "/via/"

// LocalSettings returns the settings the local stack runs the functions with: the defaults
// of the deployment, with DefaultCorrectionRetryDelay.
func LocalSettings() suite.Settings {
	s := suite.DefaultSettings()
	s.CorrectionRetryDelay = DefaultCorrectionRetryDelay
	return s
}

// Config configures a Stack.
type Config struct {
	// Dir is the stack's working directory: the archive's files under s3/ and the functions'
	// raw output under logs/. Required; created if needed. The archive of an earlier run is
	// moved aside, never deleted: see PreviousArchive.
	Dir string
	// Artifacts are the executables to run (see Build). Required.
	Artifacts Artifacts
	// Quota is the local IVS server's calls per second per operation; 0 turns quotas off.
	// IVS's value is ivstest.DefaultQuota (5).
	Quota int
	// Second is the length of one SQS second (see DefaultSecond); 0 means DefaultSecond.
	Second time.Duration
	// Settings are the functions' settings; nil means LocalSettings().
	Settings *suite.Settings
	// Bucket is the archive bucket; empty means workdir.Bucket.
	Bucket string
	// Observe, when set, receives every timeline entry. It is called from many goroutines and
	// must be quick and safe for concurrent use.
	Observe func(Entry)
	// Wrap, when set, wraps the HTTP handler of each local server the functions and clients
	// reach (service is ServiceIVS, ServiceBus or ServiceS3): a soak run puts its faults there.
	Wrap func(service string, h http.Handler) http.Handler
	// Fleet, when enabled, runs the fleet layout the CDK app deploys for it (FleetOf the
	// scenarios to play): a local IVS and CloudWatch per account and region, one queue per
	// region for each regional function, the fleet bus that the other regions' and the member
	// accounts' events reach (as their forwarders send them), and the functions calling each
	// channel's region and account. The zero Fleet is the single-region deployment.
	Fleet suite.Fleet
}

// The services Config.Wrap is given.
const (
	ServiceIVS = "ivs"
	ServiceBus = "bus" // EventBridge and SQS
	ServiceS3  = "s3"
)

// Stack is the whole suite running locally: the IVS server and broadcast simulator, the local
// EventBridge and SQS, the file-backed S3, and the three functions' real bootstraps under the
// Lambda Runtime Interface Emulator, wired as the CDK app deploys them. Build one with Start
// and stop it with Close. A Stack is safe for concurrent use.
type Stack struct {
	// AWS is the local AWS: IVS (API and broadcast simulator), the local EventBridge with the
	// functions' SQS queues, the file-backed S3 holding the archive, and the local CloudWatch
	// holding the series the simulator publishes for every session, which quality reads.
	*localaws.AWS

	cfg      Config
	previous string // where the archive of an earlier run was moved, or ""
	settings suite.Settings
	second   time.Duration
	start    time.Time
	rec      *recorder

	pools map[string]*lambdarie.Pool

	logMu    sync.Mutex
	logFiles map[string]*os.File // function name, "timeline" -> file

	closing   atomic.Bool // set by Close: the observer hears nothing more (shutdown noise)
	closeOnce sync.Once
	closeErr  error
}

// Start starts every part of the stack on loopback ports and returns when the functions'
// emulators listen (the bootstraps start on their first invocation). It returns an error, and
// leaves nothing running, when a part does not start.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Dir == "" {
		return nil, errors.New("engine: config: Dir is required")
	}
	if err := cfg.Artifacts.validate(); err != nil {
		return nil, err
	}
	if cfg.Quota < 0 {
		return nil, fmt.Errorf("engine: config: Quota: want 0 (off) or more, got %d", cfg.Quota)
	}
	s := &Stack{
		cfg: cfg, second: cfg.Second, start: time.Now(), rec: newRecorder(),
		pools: map[string]*lambdarie.Pool{}, logFiles: map[string]*os.File{},
	}
	if s.second <= 0 {
		s.second = DefaultSecond
	}
	bucket := cfg.Bucket
	if bucket == "" {
		bucket = workdir.Bucket
	}
	s.settings = LocalSettings()
	if cfg.Settings != nil {
		s.settings = *cfg.Settings
	}
	s.settings.Fleet = cfg.Fleet
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if err := s.openLogs(); err != nil {
		return nil, err
	}

	s3Dir := workdir.S3Dir(cfg.Dir)
	if s.previous, err = moveAside(cfg.Dir, s3Dir, time.Now()); err != nil {
		return nil, err
	}
	if s.AWS, err = localaws.Start(localaws.Config{
		IVS: s.ivsOptions(), Bus: s.busConfig(), Bucket: bucket, S3Dir: s3Dir,
		CloudWatch: &cloudwatchtest.Options{}, Fleet: cfg.Fleet,
		WrapIVS: func(h http.Handler) http.Handler { return s.wrap(ServiceIVS, s.ivsHandler(h)) },
		WrapBus: func(h http.Handler) http.Handler { return s.wrap(ServiceBus, h) },
		WrapS3:  func(h http.Handler) http.Handler { return s.wrap(ServiceS3, h) },
	}); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	for _, fn := range suite.Functions {
		if err := s.startFunction(ctx, fn); err != nil {
			return nil, err
		}
	}
	if err := s.startSweep(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Stack) wrap(service string, h http.Handler) http.Handler {
	if s.cfg.Wrap == nil {
		return h
	}
	return s.cfg.Wrap(service, h)
}

// scale returns d of the deployment in local time: d's seconds as SQS seconds.
func (s *Stack) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / float64(time.Second) * float64(s.second))
}

// concurrency is a function's local concurrency: its maximum concurrency, or
// uncappedConcurrency when it has none.
func concurrency(fs suite.FunctionSettings) int {
	if fs.MaxConcurrency > 0 {
		return fs.MaxConcurrency
	}
	return uncappedConcurrency
}

func (s *Stack) busConfig() *localbus.Config {
	var queues []localbus.QueueConfig
	fleet := s.cfg.Fleet
	for _, fn := range suite.Functions {
		d := suite.Deployment[fn]
		for _, region := range fleet.QueueRegions(fn) {
			q := localbus.QueueConfig{
				Name:        fleet.QueueName(fn, region),
				BatchSize:   d.BatchSize,
				BatchWindow: s.scale(d.BatchWindow),
				// Scaled like every SQS wait, but never below the function timeout, which stays
				// real: a slow invocation must not see its messages delivered again meanwhile.
				VisibilityTimeout:       max(s.scale(d.VisibilityTimeout()), d.Timeout+5*time.Second),
				MaxReceiveCount:         d.MaxReceiveCount,
				MaxConcurrency:          concurrency(d),
				ReportBatchItemFailures: true,
				Timeout:                 d.Timeout,
				DeliveryDelay:           localDeliveryDelay(s.scale(d.DeliveryDelay)),
			}
			if q.Name != fn {
				q.DeadLetterQueue = fn // a region's queue redrives to the function's one DLQ, as deployed
			}
			queues = append(queues, q)
		}
	}
	return &localbus.Config{
		Rules: localbus.FleetRules(suite.BusSessions, fleet), Queues: queues, Second: s.second,
		OnActivity: s.onActivity,
	}
}

// functionOfQueue returns the function a queue feeds, or "".
func (s *Stack) functionOfQueue(queue string) string {
	for _, fn := range suite.Functions {
		if slices.Contains(s.queuesOf(fn), queue) {
			return fn
		}
	}
	return ""
}

// queuesOf lists the queues of function fn: one, or in a fleet one per region for a regional
// function.
func (s *Stack) queuesOf(fn string) []string {
	var out []string
	for _, region := range s.cfg.Fleet.QueueRegions(fn) {
		out = append(out, s.cfg.Fleet.QueueName(fn, region))
	}
	return out
}

func (s *Stack) ivsOptions() *ivstest.Options {
	// Lost, late and repeated events are the local bus's EventFaults.
	sink := ivstest.SinkFunc(func(_ context.Context, ev ivstest.Event) error {
		_, err := s.put(ev.JSON, false)
		return err
	})
	return &ivstest.Options{
		Quota: s.cfg.Quota,
		Sink:  sink,
		Logger: slog.New(callLog{onCall: s.onCall, onOther: func(r slog.Record) {
			s.emit(Entry{Time: r.Time, Actor: ActorIVS, Level: LevelProblem, Text: "IVS server: " + r.Message})
		}}),
	}
}

// ivsHandler serves the IVS server's handler ivsH, tagging each request with its caller:
// requests under /via/<caller>/ come from that function or actor, the others from ActorYou.
func (s *Stack) ivsHandler(ivsH http.Handler) http.Handler {
	mux := http.NewServeMux()
	// The caller in the context (ivstest.WithCaller) names who called in the timeline's call
	// log and in the IVS server's channel history.
	withCaller := func(caller string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(ivstest.WithCaller(r.Context(), caller)))
		})
	}
	for _, c := range append(suite.AllFunctions(), otherCallers...) {
		mux.Handle(viaPrefix+c+"/", http.StripPrefix(viaPrefix+c, withCaller(c, ivsH)))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ivsH.ServeHTTP(w, r.WithContext(ivstest.WithCaller(r.Context(), ActorYou)))
	}))
	return mux
}

// leaseRetryDelay is CORRECTION_LEASE_RETRY_DELAY locally, in SQS seconds: as long, in real
// time, as the deployed default. A channel's lease lapses in real time (the function's clock);
// a wait of the deployed 5 SQS seconds would last 250 ms here, and a lease left by a crashed
// invocation would spend twenty times the receives it spends in AWS.
func (s *Stack) leaseRetryDelay() time.Duration {
	deployed, _ := time.ParseDuration(suite.DefaultCorrectionLeaseRetryDelay)
	return time.Duration(float64(deployed) * float64(time.Second) / float64(s.second)).Round(time.Second)
}

// SweepRate is the sweep's pacing locally, in IVS calls per second per operation: its
// per-instance rate of the deployment (suite.InstanceRate) times SweepSpeedup, at most the
// local IVS's quota and IVS's own (suite.IVSCallsPerSecond).
func (s *Stack) SweepRate() float64 {
	limit := float64(suite.IVSCallsPerSecond)
	if s.cfg.Quota > 0 {
		limit = min(limit, float64(s.cfg.Quota))
	}
	r := min(suite.InstanceRate(suite.FunctionSweep, s.settings.IVSQuotaShare)*SweepSpeedup, limit)
	return math.Round(r*1000) / 1000 // 4.8, not 4.800000000000001
}

// Environment returns the environment of function fn, as the CDK app gives it, pointed at the
// local servers (localaws.AWS.FunctionEnv); its IVS calls go through /via/<fn>, so the timeline
// tells them apart. Three values differ from the deployment's, as the run says: correct's wait
// for a held lease (leaseRetryDelay), quality's wait between reads (QualityRetryDelay) and the
// sweep's pacing (SweepRate).
func (s *Stack) Environment(fn string) map[string]string {
	env := s.FunctionEnv(fn, s.settings)
	env["AWS_ENDPOINT_URL_IVS"] = s.IVSURL + viaPrefix + fn
	switch fn {
	case suite.FunctionCorrect:
		env[suite.EnvCorrectionLeaseRetryDelay] = s.leaseRetryDelay().String()
	case suite.FunctionQuality:
		env[suite.EnvQualityRetryDelay] = QualityRetryDelay.String()
	case suite.FunctionSweep:
		env[suite.EnvIVSCallsPerSecond] = strconv.FormatFloat(s.SweepRate(), 'f', -1, 64)
	}
	return env
}

func (s *Stack) startFunction(ctx context.Context, fn string) error {
	d := suite.Deployment[fn]
	queues := s.queuesOf(fn)
	// Each queue's event source mapping has the function's concurrency: as many emulators.
	pool, err := lambdarie.NewPool(ctx, lambdarie.Config{
		RIE: s.cfg.Artifacts.RIE, Bootstrap: s.cfg.Artifacts.Bootstraps[fn], FunctionName: fn,
		Timeout: d.Timeout, MemoryMB: d.MemoryMB, Env: s.Environment(fn), OnLog: s.onLog,
	}, concurrency(d)*len(queues))
	if err != nil {
		return fmt.Errorf("engine: start %s: %w", fn, err)
	}
	s.pools[fn] = pool
	for _, q := range queues {
		if err := s.Bus.SetHandler(q, lambdarie.Adapter(pool)); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	return nil
}

// Pool returns the emulators of function fn (nil for an unknown name): a soak run finds the
// bootstrap processes it may kill through them.
func (s *Stack) Pool(fn string) *lambdarie.Pool { return s.pools[fn] }

// Hold stops the queues of function fn from delivering until Release; their messages wait.
func (s *Stack) Hold(fn string) error {
	if _, ok := s.pools[fn]; !ok {
		return fmt.Errorf("engine: hold %q: not a function of the stack", fn)
	}
	for _, q := range s.queuesOf(fn) {
		if err := s.Bus.SetHandler(q, nil); err != nil {
			return err
		}
	}
	return nil
}

// Release lets the queues of function fn deliver to its function again.
func (s *Stack) Release(fn string) error {
	pool, ok := s.pools[fn]
	if !ok {
		return fmt.Errorf("engine: release %q: not a function of the stack", fn)
	}
	for _, q := range s.queuesOf(fn) {
		if err := s.Bus.SetHandler(q, lambdarie.Adapter(pool)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stack) openLogs() error {
	dir := filepath.Join(s.cfg.Dir, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("engine: logs: %w", err)
	}
	for _, name := range append(suite.AllFunctions(), "timeline") {
		f, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			return fmt.Errorf("engine: logs: %w", err)
		}
		s.logFiles[name] = f
	}
	return nil
}

// writeLog appends line to the log file name, printed as data (redact.Escape): a person reads
// these files with cat and less, and a line may quote what an event or the archive said.
func (s *Stack) writeLog(name, line string) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if f := s.logFiles[name]; f != nil {
		_, _ = f.WriteString(redact.Escape(line) + "\n")
	}
}

// emit records an entry in timeline.log and hands it to the observer.
func (s *Stack) emit(e Entry) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.writeLog("timeline", e.Format(s.start))
	if s.cfg.Observe != nil && !s.closing.Load() {
		s.cfg.Observe(e)
	}
}

func (s *Stack) onLog(l lambdarie.Line) {
	s.writeLog(l.Function, fmt.Sprintf("%s [%d] %s", l.Time.UTC().Format("15:04:05.000"), l.Instance, l.Text))
	if e, ok := s.lineEntry(l); ok {
		s.emit(e)
	}
}

func (s *Stack) onCall(c Call) {
	s.rec.update(func(cs *Counters) {
		count(cs.Calls, c.Caller, c)
		if c.Region != "" && slices.Contains(suite.AllFunctions(), c.Caller) {
			count(cs.RegionCalls, c.Region, c)
		}
	})
	text, level := callText(c)
	if c.Caller == ActorScenario || c.Caller == ActorNeighbour {
		level = LevelDetail // not the suite's calls: counted, shown only in detail
	}
	s.emit(Entry{Time: c.Time, Actor: c.Caller, Level: level, Text: text})
}

// count adds call c to calls[key][c.Operation].
func count(calls map[string]map[string]CallCount, key string, c Call) {
	ops := calls[key]
	if ops == nil {
		ops = map[string]CallCount{}
		calls[key] = ops
	}
	n := ops[c.Operation]
	n.Calls++
	switch {
	case c.Error == ivstest.CodeThrottling:
		n.Throttled++
	case c.Error == ivstest.CodeChannelNotBroadcasting:
		n.Offline++
	case c.Error != "":
		n.Errors++
	default:
		n.OK++
	}
	ops[c.Operation] = n
}

func (s *Stack) onActivity(a localbus.Activity) {
	switch a.Kind {
	case localbus.ActivityVisibility:
		if s.functionOfQueue(a.Queue) == suite.FunctionCorrect {
			s.rec.update(func(c *Counters) { c.Deferred++ })
		}
	case localbus.ActivityDeadLetter:
		s.rec.update(func(c *Counters) { c.DeadLetters++ })
	case localbus.ActivityBatchFailed:
		s.rec.update(func(c *Counters) { c.BatchErrors++ })
	case localbus.ActivityPublished:
		s.rec.update(func(c *Counters) { c.Notifications[a.Rule]++ })
	}
	if text, level := activityText(a); text != "" {
		s.emit(Entry{Time: a.Time, Actor: activityActor(a), Level: level, Text: s.rec.readable(text)})
	}
}

// put routes an IVS event (a full EventBridge envelope) on the default bus, as IVS does, and
// records it in the timeline.
func (s *Stack) put(envelope []byte, injected bool) (string, error) {
	if ev, err := ivsevent.Parse(envelope); err == nil && !ev.AccountLevel() {
		arn := ev.Channel.String()
		if ev.StreamID() != "" {
			s.rec.setStream(arn, ev.StreamID())
		}
		if s.rec.name(arn) == arn && ev.ChannelName() != "" {
			s.rec.setName(arn, ev.ChannelName()) // a channel created outside a scenario
		}
	}
	text, level := eventText(envelope, s.rec)
	if injected {
		text = "injected: " + text
	}
	s.rec.update(func(c *Counters) {
		c.Events++
		if injected {
			c.Injected++
		}
	})
	s.emit(Entry{Actor: ActorIVS, Level: level, Text: text})
	id, err := s.Bus.Inject(s.BusOf(envelope), envelope)
	if err != nil {
		return "", fmt.Errorf("engine: put event: %w", err)
	}
	return id, nil
}

// BusOf returns the bus an IVS event reaches, as deployed: the default bus of the home region
// for the home account's events there (and every event of a single-region deployment); in a
// fleet, the fleet bus for another region's or a member account's, which its forwarder sends
// there (an envelope whose account and region cannot be read counts as the home's).
func (s *Stack) BusOf(envelope []byte) string {
	if !s.cfg.Fleet.Enabled() {
		return localbus.DefaultBus
	}
	var head struct{ Account, Region string }
	if json.Unmarshal(envelope, &head) != nil || (head.Account == s.Account && head.Region == s.Region) || head.Account == "" {
		return localbus.DefaultBus
	}
	return suite.FleetBusName
}

// BusOfRegion returns the bus the IVS events of the home account in region reach (BusOf).
func (s *Stack) BusOfRegion(region string) string {
	if !s.cfg.Fleet.Enabled() || region == "" || region == s.Region {
		return localbus.DefaultBus
	}
	return suite.FleetBusName
}

// Inject puts a raw event (a full EventBridge envelope, as IVS sends it) on the default bus,
// bypassing PutEvents' refusal of aws.* sources, and returns its id. It returns an error when
// the envelope is not a JSON object.
func (s *Stack) Inject(envelope []byte) (string, error) { return s.put(envelope, true) }

// NameChannel makes the timeline show name for the channel arn.
func (s *Stack) NameChannel(arn, name string) { s.rec.setName(arn, name) }

// ChannelName returns the name the timeline shows for the channel arn (arn itself when the
// channel was not named).
func (s *Stack) ChannelName(arn string) string { return s.rec.name(arn) }

// LatestStream returns the stream ID of the latest event of channel arn, or "".
func (s *Stack) LatestStream(arn string) string { return s.rec.stream(arn) }

// Counters returns a snapshot of what the stack counted since it started.
func (s *Stack) Counters() Counters { return s.rec.snapshot() }

// WaitIdle blocks until every queue is drained and no function runs, or ctx ends.
func (s *Stack) WaitIdle(ctx context.Context) error { return s.Bus.WaitIdle(ctx) }

// Dir returns the stack's working directory.
func (s *Stack) Dir() string { return s.cfg.Dir }

// Started returns when the stack started; timeline times count from it.
func (s *Stack) Started() time.Time { return s.start }

// Settings returns the settings the functions run with.
func (s *Stack) Settings() suite.Settings { return s.settings }

// Second returns the length of one SQS second.
func (s *Stack) Second() time.Duration { return s.second }

// Note adds a line to the timeline.
func (s *Stack) Note(actor string, level Level, text string) {
	s.emit(Entry{Actor: actor, Level: level, Text: s.rec.readable(text)})
}

// Endpoints are the addresses of the local servers.
type Endpoints struct {
	// IVS is the IVS API; the broadcast simulator's admin API is under IVS + "/_admin/".
	IVS string
	// EventBridge and SQS are the same server: the local bus.
	EventBridge string
	SQS         string
	S3          string
	CloudWatch  string
	Region      string
	Bucket      string
	EventBus    string // the suite's bus
	// Athena is the local Athena (scripts/athena-server), when make local -keep runs one.
	Athena string
}

// Endpoints returns the addresses of the local servers.
func (s *Stack) Endpoints() Endpoints {
	return Endpoints{IVS: s.IVSURL, EventBridge: s.BusURL, SQS: s.BusURL, S3: s.S3URL, CloudWatch: s.CloudWatchURL,
		Region: s.Region, Bucket: s.Bucket, EventBus: suite.BusSessions}
}

// ClientEnv returns the environment variables that point the AWS CLI (v2.13+, or v1.29+) and
// the SDKs at the stack, sorted, as NAME=value.
func (s *Stack) ClientEnv() []string { return s.EnvList() }

// IVSClient returns a real IVS SDK client whose calls the timeline attributes to caller (one of
// ActorScenario, ActorNeighbour or ActorYou). With a quota, a scenario client paces itself to
// it (ivsquota) and retries throttles; a neighbour client does neither.
func (s *Stack) IVSClient(caller string) *ivs.Client {
	return s.IVSClientAt(caller, s.Account, s.Region)
}

// IVSClientAt is IVSClient for account and region of a fleet: signed for region, with
// account's credentials, so the local AWS serves it with that account's IVS there.
func (s *Stack) IVSClientAt(caller, account, region string) *ivs.Client {
	endpoint := s.IVSURL
	if caller != ActorYou {
		endpoint += viaPrefix + caller
	}
	optFns := []func(*ivs.Options){func(o *ivs.Options) { o.BaseEndpoint = aws.String(endpoint) }}
	if caller == ActorScenario && s.cfg.Quota > 0 {
		optFns = append(optFns, ivsquota.NewPacer(float64(s.cfg.Quota)).ClientOptions(0))
	}
	return s.AWS.IVSClientAt(account, region, optFns...)
}

// Fleet returns the fleet the stack runs (Config.Fleet).
func (s *Stack) Fleet() suite.Fleet { return s.cfg.Fleet }

// S3Client returns a real S3 SDK client for the archive (path-style), with the SDK's standard
// retryer.
func (s *Stack) S3Client() *s3.Client {
	return s.AWS.S3Client(func(o *s3.Options) { o.Retryer = retry.NewStandard() })
}

// Close stops the functions, the bus and the servers, and waits for them; no process is left
// running. It is idempotent and returns the first error met.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		var errs []error
		if s.AWS != nil {
			errs = append(errs, s.AWS.Close()) // the bus first: no invocation runs after it
		}
		for _, fn := range suite.AllFunctions() {
			if p := s.pools[fn]; p != nil {
				errs = append(errs, p.Close())
			}
		}
		s.logMu.Lock()
		for _, f := range s.logFiles {
			errs = append(errs, f.Close())
		}
		s.logFiles = nil
		s.logMu.Unlock()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Restarts returns how many times the functions' emulators had to be restarted (a crash or a
// hang), by function.
func (s *Stack) Restarts() map[string]int {
	out := map[string]int{}
	for fn, p := range s.pools {
		if n := p.Restarts(); n > 0 {
			out[fn] = n
		}
	}
	return out
}

// Progress returns a one-line status of the pipeline: IVS events, each queue's messages done
// (processed or dead-lettered) of those sent, the functions' IVS calls and throttles, dead
// letters.
func (s *Stack) Progress() string {
	st := s.Bus.Stats()
	c := s.Counters()
	var b strings.Builder
	fmt.Fprintf(&b, "events %d |", c.Events)
	dlq := 0
	for _, fn := range suite.Functions {
		var done, sent int
		for _, name := range s.queuesOf(fn) {
			q := st.Queues[name]
			// A message a function sent to the DLQ itself was also deleted: count it once.
			done += q.Deleted + q.DeadLettered - q.SentToDeadLetter
			sent += q.Sent
			dlq += q.DeadLettered
		}
		fmt.Fprintf(&b, " %s %d/%d", fn, done, sent)
	}
	var calls, throttled int
	for _, n := range c.FunctionCalls() {
		calls += n.Calls
		throttled += n.Throttled
	}
	fmt.Fprintf(&b, " | IVS calls %d, throttled %d | DLQ %d", calls, throttled, dlq)
	return b.String()
}
