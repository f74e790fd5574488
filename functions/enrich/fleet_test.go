package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/liveindex"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

// The fleet simulation (make fleet): off unless -fleet is given.
var (
	fleetOn       = flag.Bool("fleet", false, "run TestFleet, the simulated day of a region (make fleet)")
	fleetSessions = flag.Int("fleet.sessions", 100000, "sessions in the simulated day")
	fleetChannels = flag.Int("fleet.channels", 10000, "channels of the region")
	fleetPeak     = flag.Float64("fleet.peak", 2.5, "the evening peak's rate over the day's mean")
	fleetLost     = flag.Float64("fleet.lost", 0.01, "share of IVS events EventBridge loses, one by one")
	fleetLostAll  = flag.Float64("fleet.lostSessions", 0.005, "share of sessions whose every event is lost")
	fleetRefused  = flag.Float64("fleet.refused", 0.02, "share of sessions IVS refuses (MultitrackInputNotAllowed)")
	fleetSeed     = flag.Uint64("fleet.seed", 26, "the simulation's seed")
)

// hourWeights is the day's shape: each hour's rate over the day's mean before scaling, with
// the evening peak at 19:00 to 21:59 (scaled so that the peak is -fleet.peak times the mean).
var hourWeights = [24]float64{0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8,
	1, 1, 1, 1, 1, 1, 1.8, 2.5, 2.5, 2.5, 1.5, 0.8}

// TestFleet simulates one region for one day on a simulated clock (testing/synctest: the
// clock moves only when every goroutine of the simulation waits, so a day passes in minutes):
// -fleet.channels channels, -fleet.sessions sessions with an evening peak, a share refused, a
// share of IVS events lost as EventBridge may lose them, and whole sessions lost. The local IVS
// (its quota enforced in simulated time: it reads the simulated clock) and the local S3 are
// served in process, and every AWS call is the real SDK's over HTTP to them (no sockets). Two
// enrich instances run the real handler (batch.Processor, the memo, the deployed pacing); the
// suite's bus is a Putter that routes the real patterns (suite.Routes) in process; the
// archive's merge is the archive function's (session.Merge, s3doc.Update, the live index); the
// live sweep runs every 10 minutes and the window's runs every 20 (the real shared/sweep code).
// Not simulated: the corrector's and the quality function's own calls: a refusal's correction
// latency is measured to the moment the corrector's rule matches, and every ended session is
// checked to reach the quality function's rule with its start, end and tracks.
//
// It prints what BENCHMARKS.md's fleet section shows, and fails when a session is lost or an
// ended session lacks its start or tracks.
func TestFleet(t *testing.T) {
	if !*fleetOn {
		t.Skip("the fleet simulation runs with make fleet (go test -run TestFleet -fleet)")
	}
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) { runFleet(t) })
	t.Logf("simulated a day in %v of wall-clock time", time.Since(wall).Round(time.Second))
}

// inproc is an http.RoundTripper that serves requests with a handler in the caller's goroutine
// (no sockets: the simulation's clock moves only when every goroutine waits), counting them.
type inproc struct {
	h     http.Handler
	count func(*http.Request)
}

func (p inproc) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.count != nil {
		p.count(r)
	}
	// What net/http's transport would send: the length as a header, the server's view of the URL.
	if r.ContentLength >= 0 && r.Body != nil {
		r.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	r.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// counter counts requests by a label.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(label string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[label]++
}

func (c *counter) get(label string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[label]
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// s3Kind labels an S3 request as S3 bills it: GET (GET, HEAD), PUT (PUT, POST, LIST) apart from
// LIST, and DELETE (free).
func s3Kind(r *http.Request) string {
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Has("list-type"):
		return "LIST"
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return "GET"
	case r.Method == http.MethodDelete:
		return "DELETE"
	}
	return "PUT"
}

// message is one SQS message of a simulated queue.
type message struct {
	id       string
	body     []byte
	sent     time.Time
	visible  time.Time
	receives int
}

// queue is a simulated SQS queue: messages become visible at their time, a batch takes up to n.
type queue struct {
	mu      sync.Mutex
	msgs    []*message
	seq     int
	sends   int
	batches int
}

func (q *queue) send(body []byte, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	q.sends++
	q.msgs = append(q.msgs, &message{id: fmt.Sprintf("m-%d", q.seq), body: body, sent: at, visible: at})
}

func (q *queue) take(n int, now time.Time) []*message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*message
	rest := q.msgs[:0]
	for _, m := range q.msgs {
		if len(out) < n && !m.visible.After(now) {
			m.receives++
			out = append(out, m)
			continue
		}
		rest = append(rest, m)
	}
	q.msgs = rest
	if len(out) > 0 {
		q.batches++
	}
	return out
}

func (q *queue) again(m *message, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m.visible = at
	q.msgs = append(q.msgs, m)
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// fleetBus is the suite's bus in process: it routes each PutEvents entry with the deployed
// patterns and records what the simulation measures.
type fleetBus struct {
	t       *testing.T
	archive *queue
	entries atomic.Int64

	mu          sync.Mutex
	corrections []time.Duration // refusal's Session Ended → the corrector's rule matched
	peakCorr    []time.Duration // the same, for refusals at the peak
	swept       int             // refusals the sweep decided (their events lost)
	ended       map[string]session.Record
	isPeak      func(time.Time) bool
	patterns    map[string][]byte
}

func (b *fleetBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return b.put(in, false)
}

// sweptBus is the bus as the sweep puts on it: its corrections are counted apart (a refusal
// whose events were lost waits for the sweep, by design).
type sweptBus struct{ *fleetBus }

func (b sweptBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return b.put(in, true)
}

func (b *fleetBus) put(in *eventbridge.PutEventsInput, swept bool) (*eventbridge.PutEventsOutput, error) {
	now := time.Now()
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		b.entries.Add(1)
		body, _ := json.Marshal(map[string]any{
			"version": "0", "id": fmt.Sprintf("pub-%d", b.entries.Load()), "detail-type": aws.ToString(e.DetailType),
			"source": aws.ToString(e.Source), "account": awstest.Account, "time": now.UTC().Format(time.RFC3339),
			"region": awstest.Region, "resources": e.Resources, "detail": json.RawMessage(aws.ToString(e.Detail)),
		})
		if b.matches("archive", body) {
			b.archive.send(body, now)
		}
		var d session.Enriched
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
			b.t.Errorf("published detail: %v", err)
			continue
		}
		if b.matches("correct", body) {
			lat := now.Sub(d.Trigger.Time)
			b.mu.Lock()
			switch {
			case swept:
				b.swept++
			default:
				b.corrections = append(b.corrections, lat)
				if b.isPeak(d.Trigger.Time) {
					b.peakCorr = append(b.peakCorr, lat)
				}
			}
			b.mu.Unlock()
		}
		if b.matches("quality", body) {
			b.mu.Lock()
			b.ended[d.Record.StreamID] = d.Record
			b.mu.Unlock()
		}
		out.Entries = append(out.Entries, ebEntry(b.entries.Load()))
	}
	return out, nil
}

func (b *fleetBus) matches(route string, body []byte) bool {
	ok, err := eventpattern.Match(b.patterns[route], body)
	if err != nil {
		b.t.Errorf("pattern %s: %v", route, err)
	}
	return ok
}

// fleet holds one simulation.
type fleet struct {
	t        *testing.T
	ctx      context.Context
	ivs      *ivstest.Server
	s3       *locals3.Server
	bus      *fleetBus
	enrichQ  *queue
	archiveQ *queue
	log      *slog.Logger
	rec      *metrics.Recorder

	ivsCalls counter // IVS calls by caller/operation
	s3Reqs   counter // S3 requests by caller/kind
	start    time.Time
	emf      awstest.Buffer // what the functions' metrics wrote (EMF)
	byStream counter        // enrich's GetStreamSession calls by stream ID
	links    atomic.Int64   // the archive's correction-link GETs (counted, not sent)
}

func (f *fleet) ivsClient(caller string, p *ivsquota.Pacer) *ivs.Client {
	return ivs.New(ivs.Options{Region: awstest.Region, BaseEndpoint: aws.String("http://ivs.local"), Credentials: localaws.Credentials(),
		HTTPClient: &http.Client{Transport: inproc{h: f.ivs.Handler(), count: func(r *http.Request) {
			op := strings.TrimPrefix(r.URL.Path, "/")
			f.ivsCalls.add(caller + "/" + op)
			if caller == "enrich" && op == "GetStreamSession" {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				var in struct {
					StreamID string `json:"streamId"`
				}
				_ = json.Unmarshal(body, &in)
				f.byStream.add(in.StreamID)
			}
		}}}}, p.ClientOptions(0))
}

func (f *fleet) s3Client(caller string) *s3.Client {
	return s3.New(s3.Options{Region: awstest.Region, BaseEndpoint: aws.String("http://s3.local"), UsePathStyle: true, Credentials: localaws.Credentials(),
		DisableLogOutputChecksumValidationSkipped: true,
		HTTPClient: &http.Client{Transport: inproc{h: f.s3.Handler(), count: func(r *http.Request) { f.s3Reqs.add(caller + "/" + s3Kind(r)) }}}})
}

const fleetBucket = "fleet-archive"

// planned is one session of the day.
type planned struct {
	channel         int
	start, end      time.Time
	refused, lost   bool
	arn, streamID   string
	connected, gone bool
}

func runFleet(t *testing.T) {
	// The bubble's clock starts in 2000; the records' dates must be the archive's years.
	time.Sleep(time.Until(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(*fleetSeed, 26))
	logs := &capped{max: 4000}
	f := &fleet{t: t, ctx: ctx, log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		enrichQ: &queue{}, archiveQ: &queue{}, start: time.Now()}
	f.rec = metrics.New(suite.MetricNamespace, &f.emf)
	var lostChannels sync.Map // channel ARN → true while a lost session is on it
	f.ivs = ivstest.NewUnstartedServer(ivstest.Options{Quota: ivstest.DefaultQuota, Sink: ivstest.SinkFunc(func(_ context.Context, ev ivstest.Event) error {
		if len(ev.Resources) > 0 {
			if _, lost := lostChannels.Load(ev.Resources[0]); lost {
				return nil
			}
		}
		if rng.Float64() < *fleetLost {
			return nil
		}
		f.enrichQ.send(ev.JSON, time.Now())
		return nil
	})})
	f.s3 = locals3.NewMemory()
	if err := f.s3.CreateBucket(fleetBucket); err != nil {
		t.Fatal(err)
	}
	patterns := map[string][]byte{"archive": []byte(suite.EnrichedSessions.JSON()), "correct": []byte(suite.CorrectionsNeeded.JSON()),
		"quality": []byte(suite.EndedSessions.JSON())}
	mean := 0.0
	for _, w := range hourWeights {
		mean += w / 24
	}
	// Scale the shape so that the peak is -fleet.peak times the day's mean.
	peakW := slices.Max(hourWeights[:])
	weights := hourWeights
	for i := range weights {
		weights[i] = 1 + (weights[i]-mean)/(peakW-mean)*(*fleetPeak-1)
		weights[i] = max(weights[i], 0.05)
	}
	norm := 0.0
	for _, w := range weights {
		norm += w / 24
	}
	for i := range weights {
		weights[i] /= norm
	}
	isPeak := func(at time.Time) bool {
		return weights[int(at.Sub(f.start).Hours())%24] >= 0.95*slices.Max(weights[:])
	}
	f.bus = &fleetBus{t: t, archive: f.archiveQ, ended: map[string]session.Record{}, isPeak: isPeak, patterns: patterns}

	// The channels.
	// The local IVS enforces its quota in simulated time: the set-up paces itself to it.
	admin := f.ivsClient("setup", ivsquota.NewPacer(float64(ivstest.DefaultQuota)))
	arns := make([]string, *fleetChannels)
	keys := make([]string, *fleetChannels)
	for i := range arns {
		out, err := admin.CreateChannel(ctx, &ivs.CreateChannelInput{})
		if err != nil {
			t.Fatal(err)
		}
		arns[i], keys[i] = aws.ToString(out.Channel.Arn), aws.ToString(out.StreamKey.Value)
	}
	f.ivs.ResetStats()
	time.Sleep(time.Hour) // the day starts on the hour, with the quota's buckets full
	f.start = time.Now()

	// The day's sessions: start times by the hour's weight, 2 to 40 minutes long, each on a
	// channel that is free then.
	plan := make([]*planned, 0, *fleetSessions)
	busy := make([]time.Time, *fleetChannels)
	cum := make([]float64, 25)
	for h, w := range weights {
		cum[h+1] = cum[h] + w
	}
	starts := make([]time.Duration, *fleetSessions)
	for i := range starts {
		x := rng.Float64() * cum[24]
		h := sort.SearchFloat64s(cum, x) - 1
		h = min(max(h, 0), 23)
		starts[i] = time.Duration(h)*time.Hour + time.Duration((x-cum[h])/weights[h]*float64(time.Hour))
	}
	slices.Sort(starts)
	for _, st := range starts {
		start := f.start.Add(st)
		c := rng.IntN(*fleetChannels)
		for busy[c].After(start) {
			c = (c + 1) % *fleetChannels
		}
		p := &planned{channel: c, start: start, end: start.Add(2*time.Minute + time.Duration(rng.Float64()*float64(38*time.Minute))),
			refused: rng.Float64() < *fleetRefused, lost: rng.Float64() < *fleetLostAll}
		if p.refused {
			p.end = start.Add(time.Second)
		}
		busy[c] = p.end.Add(time.Second)
		plan = append(plan, p)
	}

	var wg sync.WaitGroup
	done := make(chan struct{})
	// The broadcasters: one goroutine plays the day in time order.
	wg.Go(func() {
		type action struct {
			at  time.Time
			p   *planned
			end bool
		}
		actions := make([]action, 0, 2*len(plan))
		for _, p := range plan {
			actions = append(actions, action{p.start, p, false}, action{p.end, p, true})
		}
		sort.SliceStable(actions, func(i, j int) bool { return actions[i].at.Before(actions[j].at) })
		for _, a := range actions {
			if d := time.Until(a.at); d > 0 {
				time.Sleep(d)
			}
			p := a.p
			switch {
			case !a.end:
				if p.lost {
					lostChannels.Store(arns[p.channel], true)
				}
				tracks := 1
				if p.refused {
					tracks = 3 // a multitrack encoder on a channel without multitrack: refused
				}
				res, err := f.ivs.Connect(ctx, ivstest.OBS(keys[p.channel], tracks))
				if err != nil {
					t.Errorf("connect: %v", err)
					continue
				}
				p.arn, p.streamID, p.connected = res.ChannelARN, res.StreamID, true
				if p.refused != (res.Code != "") {
					t.Errorf("session %s: refused %v, IVS answered %+v", res.StreamID, p.refused, res)
				}
			case p.connected && !p.refused:
				if err := f.ivs.Disconnect(ctx, arns[p.channel]); err != nil {
					t.Errorf("disconnect: %v", err)
				}
				p.gone = true
				if p.lost {
					lostChannels.Delete(arns[p.channel])
				}
			default:
				if p.lost {
					lostChannels.Delete(arns[p.channel])
				}
			}
		}
	})

	// Two enrich instances (suite.MaxConcurrency), each paced to its part of the live budget.
	cfg := Config{EventBusName: suite.BusSessions, MaxAttempts: suite.DefaultEnrichMaxAttempts, LivePhase: true,
		Correction: multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: suite.DefaultOptOutTag,
			AllowTypeChange: suite.DefaultAllowTypeChange, AllowContainerFormatChange: suite.DefaultAllowContainerFormatChange},
		ArchiveBucket: fleetBucket, CallsPerSecond: suite.InstanceRate(suite.FunctionEnrich, suite.DefaultIVSQuotaShare)}
	enrichS3 := f.s3Client("enrich")
	for range suite.MaxConcurrency {
		pacer := ivsquota.NewPacer(cfg.CallsPerSecond)
		h := &Handler{IVS: f.ivsClient("enrich", pacer), Bus: f.bus, Throttles: pacer, Archive: enrichS3, Log: f.log, Metrics: f.rec, Cfg: cfg}
		p := &batch.Processor{Function: suite.FunctionEnrich, Log: f.log, Metrics: f.rec, Do: h.Handle}
		wg.Go(func() { f.work(done, f.enrichQ, suite.Deployment[suite.FunctionEnrich].BatchSize, p) })
	}
	// The archive's merges (its deployed concurrency).
	archiveS3 := f.s3Client("archive")
	for range suite.MaxConcurrency {
		wg.Go(func() { f.archiveWork(done, archiveS3) })
	}
	// The sweep: the live sweep every 10 minutes, the window's runs every 20 (the deployed
	// schedules), one instance each, each paced to its half of the sweep's part.
	sweepRate := suite.InstanceRate(suite.FunctionSweep, suite.DefaultIVSQuotaShare)
	newSweeper := func(caller string) *sweep.Sweeper {
		return &sweep.Sweeper{IVS: f.ivsClient(caller, ivsquota.NewPacer(sweepRate)), S3: f.s3Client(caller), Bus: sweptBus{f.bus}, Bucket: fleetBucket,
			BusName: suite.BusSessions, Account: awstest.Account, Region: awstest.Region,
			Correction: cfg.Correction, Log: f.log, Metrics: f.rec}
	}
	var liveRuns, windowRuns atomic.Int64
	var windowDone atomic.Bool
	var windowHours atomic.Int64 // simulated seconds the window's runs spanned
	wg.Go(func() {
		sw := newSweeper("sweep-live")
		tick := time.NewTicker(10 * time.Minute) // rate(10 minutes): a run late past its tick is not run twice
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			rctx, cancel := context.WithTimeout(ctx, suite.SweepSettings.Timeout)
			if _, err := sw.Live(rctx); err != nil {
				t.Errorf("live sweep: %v", err)
				fmt.Printf("fleet: live sweep run: %v\n", err)
			}
			cancel()
			liveRuns.Add(1)
		}
	})
	dayEnd := f.start.Add(24 * time.Hour)
	wg.Go(func() {
		sw := newSweeper("sweep-window")
		var first time.Time
		tick := time.NewTicker(20 * time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			now := time.Now()
			if now.Before(dayEnd.Add(time.Hour)) || windowDone.Load() {
				continue // the day's window starts once the day is over
			}
			if first.IsZero() {
				first = now
			}
			rctx, cancel := context.WithTimeout(ctx, suite.SweepSettings.Timeout)
			from := time.Time{}
			if windowRuns.Load() == 0 {
				from = f.start.Add(-time.Hour)
			}
			rep, err := sw.Window(rctx, sweep.KindDaily, from, now)
			cancel()
			windowRuns.Add(1)
			if err != nil {
				t.Errorf("window: %v", err)
				fmt.Printf("fleet: window run: %v\n", err)
			}
			if rep.Done {
				windowHours.Store(int64(time.Since(first) / time.Second))
				windowDone.Store(true)
			}
		}
	})

	// Run until the window is done and every queue is drained, saying how far each simulated
	// hour; three simulated days at most.
	wallStart := time.Now().Add(0) // simulated; the wall clock is read through testing's own log
	for i := 0; !windowDone.Load() || f.enrichQ.len() > 0 || f.archiveQ.len() > 0; i++ {
		if i%60 == 0 {
			fmt.Printf("fleet: hour %2d: enrich queue %d, archive queue %d, enrich GetStreamSession %d, live sweep runs %d, window runs %d\n",
				int(time.Since(f.start).Hours()), f.enrichQ.len(), f.archiveQ.len(), f.ivsCalls.get("enrich/GetStreamSession"), liveRuns.Load(), windowRuns.Load())
		}
		if time.Since(wallStart) > 72*time.Hour {
			t.Errorf("not done after three simulated days: window done %v, enrich queue %d, archive queue %d", windowDone.Load(), f.enrichQ.len(), f.archiveQ.len())
			break
		}
		time.Sleep(time.Minute)
	}
	time.Sleep(10 * time.Minute) // a last live sweep, and its sessions through the pipeline
	for f.enrichQ.len() > 0 || f.archiveQ.len() > 0 {
		time.Sleep(time.Minute)
	}
	close(done)
	wg.Wait()

	f.report(plan, weights, isPeak, liveRuns.Load(), windowRuns.Load(), time.Duration(windowHours.Load())*time.Second)
	if logs.Len() > 0 {
		fmt.Printf("the functions' first warnings and errors:\n%s\n", logs.String())
	}
}

// capped keeps the first max bytes written to it.
type capped struct {
	mu  sync.Mutex
	max int
	bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Buffer.Len() < c.max {
		c.Buffer.Write(p[:min(len(p), c.max-c.Buffer.Len())])
	}
	return len(p), nil
}

// ebEntry is a PutEvents result entry with an event ID.
func ebEntry(n int64) ebtypes.PutEventsResultEntry {
	return ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("pub-%d", n))}
}

// work runs one instance of a queue-fed function: a batch of visible messages at a time, the
// failed ones visible again after the delay the handler asks for (enrich's retryDelay).
func (f *fleet) work(done <-chan struct{}, q *queue, size int, p *batch.Processor) {
	for {
		select {
		case <-done:
			return
		default:
		}
		msgs := q.take(size, time.Now())
		if len(msgs) == 0 {
			time.Sleep(time.Second)
			continue
		}
		recs := make([]events.SQSMessage, len(msgs))
		for i, m := range msgs {
			recs[i] = awstest.SQSMessage(suite.FunctionEnrich, m.id, m.body, m.receives, m.sent)
		}
		out, err := p.Process(withMemo(f.ctx), awstest.SQSEvent(f.t, recs...))
		if err != nil {
			f.t.Errorf("enrich batch: %v", err)
			continue
		}
		failed := map[string]bool{}
		for _, x := range out.(events.SQSEventResponse).BatchItemFailures {
			failed[x.ItemIdentifier] = true
		}
		for _, m := range msgs {
			if failed[m.id] {
				q.again(m, time.Now().Add(retryDelay(m.receives)))
			}
		}
	}
}

// archiveWork merges the enriched sessions into the archive as the archive function does: one
// record per session (session.Merge, a conditional write), the live index kept as
// session.LiveIndexChange says.
func (f *fleet) archiveWork(done <-chan struct{}, c *s3.Client) {
	b := s3doc.Bucket{S3: c, Name: fleetBucket}
	for {
		select {
		case <-done:
			return
		default:
		}
		msgs := f.archiveQ.take(suite.Deployment[suite.FunctionArchive].BatchSize, time.Now())
		if len(msgs) == 0 {
			time.Sleep(time.Second)
			continue
		}
		for _, m := range msgs {
			var env struct{ Detail session.Enriched }
			if err := json.Unmarshal(m.body, &env); err != nil {
				f.t.Errorf("archive: %v", err)
				continue
			}
			rec := env.Detail.Record
			id, key, err := rec.IdentityAndKey()
			if err != nil {
				f.t.Errorf("archive key: %v", err)
				continue
			}
			var before, merged session.Record
			var found bool
			ended := env.Detail.Trigger.Name == ivsevent.EventSessionEnded
			_, err = s3doc.Update(f.ctx, b, s3doc.SessionRecord, key, func(cur session.Record, ok bool) (session.Record, bool, error) {
				before, found = cur, ok
				next, write, err := session.MergeArchived(cur, ok, id, rec, time.Now())
				if merged = next; err != nil || !write {
					return next, write, err
				}
				if mark, _ := session.LiveIndexChange(cur, ok, merged, ended); mark {
					if err := liveindex.Mark(f.ctx, c, fleetBucket, key); err != nil {
						return cur, false, err
					}
				}
				return merged, true, nil
			})
			if err != nil {
				f.archiveQ.again(m, time.Now().Add(30*time.Second))
				continue
			}
			if _, clear := session.LiveIndexChange(before, found, merged, ended); clear {
				_ = liveindex.Clear(f.ctx, c, fleetBucket, key)
			}
			// The archive links a session that went live to the correction applied before it:
			// it reads its channel's index of applied corrections (one GET). Counted, not sent
			// (the fleet's corrections are not archived).
			if rec.WentLive() && !rec.StartTime.IsZero() {
				f.links.Add(1)
			}
		}
	}
}

// percentile returns the p-th percentile (0 to 100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(p/100*float64(len(s))))-1)]
}

// report prints the figures and fails on a lost session or an ended one without its tracks.
func (f *fleet) report(plan []*planned, weights [24]float64, isPeak func(time.Time) bool, liveRuns, windowRuns int64, windowSpan time.Duration) {
	t := f.t
	b := s3doc.Bucket{S3: f.s3Client("check"), Name: fleetBucket}
	var lost, unfinished, noTracks, notMeasurable, refused, ended, connected int
	for _, p := range plan {
		if !p.connected {
			continue
		}
		connected++
		arn, _ := ivsevent.ParseChannelARN(p.arn)
		id, _ := session.IdentityOf(arn, p.streamID)
		// The record dated by the session's start: a session that crosses midnight UTC also
		// leaves a fragment dated by its Stream End (published from the event alone, without a
		// start time), which is not its record.
		var rec session.Record
		key, _ := session.SessionKey(id, p.start)
		_, err := b.Get(f.ctx, s3doc.SessionRecord, key, &rec)
		found := err == nil
		switch {
		case !found:
			lost++
			continue
		case p.refused:
			refused++
			if rec.Outcome != session.OutcomeRefused || rec.Correction == nil {
				unfinished++
			}
			continue
		}
		ended++
		bad := false
		if rec.Outcome != session.OutcomeEnded || !rec.Enriched {
			unfinished, bad = unfinished+1, true
		}
		if rec.VideoTrackCount == 0 || rec.StartTime.IsZero() {
			noTracks, bad = noTracks+1, true
		}
		if bad && unfinished+noTracks <= 10 {
			var names []string
			for _, e := range rec.Events {
				names = append(names, e.Name)
			}
			fmt.Printf("fleet: session %s (lost whole %v): outcome %s, enriched %v, note %q, start %v, tracks %d, events %v\n",
				p.streamID, p.lost, rec.Outcome, rec.Enriched, rec.EnrichmentNote, rec.StartTime, rec.VideoTrackCount, names)
		}
		if q, ok := f.bus.ended[p.streamID]; !ok || q.StartTime.IsZero() || q.EndTime.IsZero() || q.VideoTrackCount == 0 {
			notMeasurable++
		}
	}
	calls := f.ivsCalls.snapshot()
	perSession := func(peak bool) float64 {
		var n, c int
		for _, p := range plan {
			if !p.connected || p.refused || p.lost || isPeak(p.start) != peak || (!peak && weights[int(p.start.Sub(f.start).Hours())%24] >= 0.5) {
				continue
			}
			n, c = n+1, c+f.byStream.get(p.streamID)
		}
		return float64(c) / float64(max(n, 1))
	}
	s3r := f.s3Reqs.snapshot()
	s3r["archive/GET"] += int(f.links.Load())
	fmt.Printf("\n== fleet: one region, %d channels, %d sessions in a day (%d refused), peak %.1fx the mean at 19:00-21:59, %.1f%% of events lost, %.1f%% of sessions lost whole\n",
		*fleetChannels, connected, refused, slices.Max(weights[:]), *fleetLost*100, *fleetLostAll*100)
	fmt.Printf("sessions: %d ended: %d lost (not archived), %d not finished, %d without start or tracks, %d not reaching quality with start, end and tracks; %d refused\n",
		ended, lost, unfinished, noTracks, notMeasurable, refused)
	emf := f.emf.String()
	saved := func(reason string) float64 {
		return awstest.EMFSum(t, emf, suite.MetricCallsSaved, metrics.Dim{Name: suite.DimensionReason, Value: reason})
	}
	fmt.Printf("GetStreamSession per session, by when it started: peak hours %.2f, off-peak hours %.2f; go-live calls given up under the backlog %.0f; calls saved by the archive %.0f, by the batch %.0f; throttled %.0f\n",
		perSession(true), perSession(false), saved(savedBacklog), saved("archive"), saved("batch"),
		awstest.EMFSum(t, emf, suite.MetricIVSThrottles))
	fmt.Printf("refusal's Session Ended to the corrector's rule, through enrich: all p50 %v p99 %v (%d); at the peak p50 %v p99 %v (%d); %d more decided by the sweep (events lost)\n",
		percentile(f.bus.corrections, 50).Round(time.Second), percentile(f.bus.corrections, 99).Round(time.Second), len(f.bus.corrections),
		percentile(f.bus.peakCorr, 50).Round(time.Second), percentile(f.bus.peakCorr, 99).Round(time.Second), len(f.bus.peakCorr), f.bus.swept)
	fmt.Printf("live sweep: %d runs, S3 %d LIST %d GET %d PUT %d DELETE, IVS %d ListStreams %d GetStreamSession\n", liveRuns,
		s3r["sweep-live/LIST"], s3r["sweep-live/GET"], s3r["sweep-live/PUT"], s3r["sweep-live/DELETE"], calls["sweep-live/ListStreams"], calls["sweep-live/GetStreamSession"])
	fmt.Printf("window: %d runs over %.1f h: IVS %d ListChannels %d ListStreamSessions %d GetStreamSession; S3 %d GET %d PUT %d LIST\n", windowRuns, windowSpan.Hours(),
		calls["sweep-window/ListChannels"], calls["sweep-window/ListStreamSessions"], calls["sweep-window/GetStreamSession"],
		s3r["sweep-window/GET"], s3r["sweep-window/PUT"], s3r["sweep-window/LIST"])
	fmt.Printf("live path: enrich S3 %d GET; archive S3 %d GET (with the correction link's, counted) %d PUT %d LIST %d DELETE; bus %d entries; enrich queue %d messages in %d batches; archive %d messages in %d batches; IVS enrich %d GetStreamSession\n",
		s3r["enrich/GET"], s3r["archive/GET"], s3r["archive/PUT"], s3r["archive/LIST"], s3r["archive/DELETE"], f.bus.entries.Load(), f.enrichQ.sends, f.enrichQ.batches,
		f.archiveQ.sends, f.archiveQ.batches, calls["enrich/GetStreamSession"])
	f.costs(connected, s3r, liveRuns, windowRuns)
	if lost > 0 || unfinished > 0 || noTracks > 0 || notMeasurable > 0 {
		t.Errorf("%d sessions lost, %d not finished, %d without start or tracks, %d not measurable by quality", lost, unfinished, noTracks, notMeasurable)
	}
}

// List prices, us-east-1 (2026): S3 Standard requests, EventBridge custom events, SQS standard
// requests, Lambda requests. IVS API calls cost nothing.
const (
	priceS3Put    = 0.005 / 1000  // PUT, COPY, POST, LIST
	priceS3Get    = 0.0004 / 1000 // GET, SELECT and the others
	priceEvent    = 1.00 / 1e6    // a custom event (64 KB chunk) put on a bus
	priceSQS      = 0.40 / 1e6    // a request (64 KB chunk)
	priceLambdaRq = 0.20 / 1e6    // an invocation
)

// costs prints the cost per 1,000 sessions at 1,000, 10,000 and 100,000 sessions a day, by
// service, from the run's request counters: the live path per session; the sweep per day, its
// fixed part (runs on schedule) apart from what grows with the sessions and channels.
func (f *fleet) costs(sessions int, s3r map[string]int, liveRuns, windowRuns int64) {
	n := float64(max(sessions, 1))
	// The live path, per session.
	enrichSQS := float64(f.enrichQ.sends + 2*f.enrichQ.batches) // send; receive and delete per batch
	archiveSQS := float64(f.archiveQ.sends + 2*f.archiveQ.batches)
	live := map[string]float64{
		"S3":          (float64(s3r["enrich/GET"]+s3r["archive/GET"])*priceS3Get + float64(s3r["archive/PUT"]+s3r["archive/LIST"])*priceS3Put) / n,
		"EventBridge": float64(f.bus.entries.Load()) * priceEvent / n,
		"SQS":         (enrichSQS + archiveSQS) * priceSQS / n,
		"Lambda":      float64(f.enrichQ.batches+f.archiveQ.batches) * priceLambdaRq / n,
	}
	// The sweep, per day. The live sweep's runs (144 a day) each list the index and read their
	// state whatever the volume; what else they do (records read, entries healed) grows with the
	// sessions. The window's requests grow with the sessions (a record read each) and the
	// channels (its state; the simulation keeps ten sessions a channel a day). Each of the 216
	// scheduled invocations a day is a Lambda request.
	runsPerDay := float64(24*6 + 24*3)
	fixedRun := priceS3Put + priceS3Get
	liveS3 := float64(s3r["sweep-live/LIST"]+s3r["sweep-live/PUT"])*priceS3Put + float64(s3r["sweep-live/GET"])*priceS3Get
	liveVar := max(liveS3-float64(liveRuns)*fixedRun, 0) / n
	windowS3 := (float64(s3r["sweep-window/GET"])*priceS3Get + float64(s3r["sweep-window/PUT"]+s3r["sweep-window/LIST"])*priceS3Put) / n
	lp := live["S3"] + live["EventBridge"] + live["SQS"] + live["Lambda"]
	fmt.Printf("cost per 1,000 sessions (us-east-1 list prices, from this run's counters; Lambda duration, CloudWatch and storage not counted):\n")
	fmt.Printf("  live path (any volume): S3 $%.4f, EventBridge $%.4f, SQS $%.4f, Lambda requests $%.4f: $%.4f\n",
		1000*live["S3"], 1000*live["EventBridge"], 1000*live["SQS"], 1000*live["Lambda"], 1000*lp)
	fmt.Printf("  sweep: fixed $%.5f a day (%d live runs listing the index, window ticks); per 1,000 sessions: live sweep $%.5f, window $%.5f (S3 only: IVS calls are free)\n",
		144*fixedRun+runsPerDay*priceLambdaRq, 144, 1000*liveVar, 1000*windowS3)
	_ = windowRuns
	for _, perDay := range []float64{1000, 10000, 100000} {
		sweepDay := 144*fixedRun + runsPerDay*priceLambdaRq + (liveVar+windowS3)*perDay
		fmt.Printf("  at %6.0f sessions a day: live path $%.4f + sweep $%.4f (%.1f%%) = $%.4f per 1,000 sessions\n",
			perDay, 1000*lp, sweepDay/(perDay/1000), 100*sweepDay/(sweepDay+lp*perDay), 1000*lp+sweepDay/(perDay/1000))
	}
}
