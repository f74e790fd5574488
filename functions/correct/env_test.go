package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/lease"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// The test deployment's names.
const (
	testBus     = "ivs-sessions-test"
	testBucket  = "ivs-sessions-test-archive"
	testRegion  = ivstest.DefaultRegion
	testAccount = ivstest.DefaultAccount
	// testDLQ is the correct queue's dead-letter queue.
	testDLQ = "https://sqs." + testRegion + ".amazonaws.com/" + testAccount + "/" + suite.FunctionCorrect + localbus.DeadLetterSuffix
	// testLeaseTTL is the deployment's: twice the function's timeout.
	testLeaseTTL = time.Minute
)

// applyCfg is the policy's configuration in mode apply with the suite's defaults.
var applyCfg = multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: suite.DefaultOptOutTag, AllowContainerFormatChange: true}

// env is one test's deployment: a local IVS and a local bus (EventBridge and SQS), each behind
// a wire recorder, a local S3 with the bucket of the leases, and the handler wired to them with
// real SDK clients.
type env struct {
	*awstest.Stack
	t testing.TB
	h *Handler
	p *batch.Processor

	mu         sync.Mutex
	activities []localbus.Activity
	channels   int // channels created, for their names
}

// envOptions adjust newEnv.
type envOptions struct {
	cfg             multitrack.Config               // the corrector's policy; zero means applyCfg
	maxReceiveCount int                             // the correct queue's; 0 means 1000 (testDLQ always exists)
	pacer           bool                            // give the IVS client ivsquota's retryer (3 attempts, 1 ms backoff)
	fleet           suite.Fleet                     // a fleet's local AWS, and the handler's IVS as main builds it for a fleet
	wrapBus         func(http.Handler) http.Handler // stands before the local bus and SQS (awstest.Options.WrapBus)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t}
	if o.maxReceiveCount == 0 {
		o.maxReceiveCount = 1000
	}
	e.Stack = awstest.New(t, awstest.Options{
		IVS: &ivstest.Options{Region: testRegion, Account: testAccount},
		Bus: &localbus.Config{
			Rules: localbus.SuiteRules(testBus),
			// The bus runs on a manual clock that waitIdle and waitFor move from one due
			// moment to the next once nothing runs: a 60 s visibility timeout ends when the
			// invocation that set it is over, however slow the machine, never during it. It
			// starts at the wall clock's now, as the local IVS and the handler do: a message is
			// never sent before the event it carries (the corrector's freshness starts at the
			// earliest of the trigger's time, the event's, when the message was sent and now).
			Clock: localbus.NewManualClock(time.Now().UTC().Truncate(time.Second)),
			Queues: []localbus.QueueConfig{
				{Name: suite.FunctionEnrich},
				{Name: suite.FunctionQuality},
				{Name: suite.FunctionArchive, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
					return events.SQSEventResponse{}, nil
				}},
				{Name: suite.FunctionCorrect, ReportBatchItemFailures: true, MaxReceiveCount: o.maxReceiveCount,
					VisibilityTimeout: suite.Deployment[suite.FunctionCorrect].VisibilityTimeout(), BatchSize: 10},
			},
			OnActivity: func(a localbus.Activity) {
				e.mu.Lock()
				e.activities = append(e.activities, a)
				e.mu.Unlock()
			},
		},
		Bucket:  testBucket,
		Fleet:   o.fleet,
		WrapBus: o.wrapBus,
	})

	cfg := o.cfg
	if cfg.Mode == "" {
		cfg = applyCfg
	}
	var ivsOpts []func(*ivs.Options)
	var pacer *ivsquota.Pacer
	if o.pacer {
		pacer = ivsquota.NewPacer(0) // no pacing, only the retryer and the throttle count
		ivsOpts = append(ivsOpts, pacer.ClientOptions(3), func(o *ivs.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
		})
	}
	ivsClient := e.IVSClient(ivsOpts...)
	e.h = &Handler{
		Sessions: ivsClient, Channels: ivsClient, Streams: ivsClient, Updater: ivsClient, Events: e.EventBridgeClient(),
		Locks:       &lease.Locker{S3: e.S3Client(), Bucket: testBucket, TTL: testLeaseTTL},
		Intents:     e.S3Client(),
		DeadLetters: e.SQSClient(),
		Cfg: Config{EventBusName: testBus, Correction: cfg, MaxAge: 24 * time.Hour, RetryDelay: 60 * time.Second, LeaseRetryDelay: 5 * time.Second,
			LockBucket: testBucket, LeaseTTL: testLeaseTTL, DeadLetterQueueURL: testDLQ},
		Log:     e.Log,
		Metrics: e.Metrics,
	}
	if pacer != nil {
		e.h.Throttles = pacer
	}
	if o.fleet.Enabled() {
		// As main builds it in a fleet, from the environment the deployment gives the function.
		base, fl, account, err := e.FleetConfig(suite.FunctionCorrect)
		if err != nil {
			t.Fatal(err)
		}
		e.h.Cfg.Fleet, e.h.Cfg.Account = fl, account
		regional := fleet.NewIVS(e.h.Cfg.Fleet, e.h.Cfg.Account, suite.FunctionCorrect, base, ivsquota.NewPacer(0))
		e.h.Sessions, e.h.Channels, e.h.Streams, e.h.Updater = regional, regional, regional, regional
	}
	e.p = &batch.Processor{Function: suite.FunctionCorrect, Log: e.Log, Metrics: e.Metrics, Do: e.h.Handle, Queue: e.SQSClient()}
	return e
}

// serveQueue makes the processor the correct queue's function.
func (e *env) serveQueue() {
	e.t.Helper()
	err := e.Bus.SetHandler(suite.FunctionCorrect, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		payload, err := json.Marshal(ev)
		if err != nil {
			return events.SQSEventResponse{}, err
		}
		out, err := e.p.Process(ctx, payload)
		resp, _ := out.(events.SQSEventResponse)
		return resp, err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// channelSpec is how a test channel is created.
type channelSpec struct {
	typ        types.ChannelType
	container  types.ContainerFormat
	multitrack *types.MultitrackInputConfiguration
	tags       map[string]string
	ads        bool // give the channel an ad configuration
}

// createChannel creates a channel; the stack checks that its secrets never leave the function.
func (e *env) createChannel(spec channelSpec) (arn, streamKey string) {
	e.t.Helper()
	e.mu.Lock()
	name := "studio-" + strconv.Itoa(e.channels)
	e.channels++
	e.mu.Unlock()
	in := &ivs.CreateChannelInput{
		Name: aws.String(name), Type: spec.typ, ContainerFormat: spec.container,
		MultitrackInputConfiguration: spec.multitrack, Tags: spec.tags,
	}
	if spec.ads {
		in.AdConfigurationArn = aws.String(e.CreateAdConfiguration(e.t, name+"-ads"))
	}
	ch := e.CreateChannel(e.t, in)
	return ch.ARN, ch.StreamKey
}

// refuse connects enc and wants the session refused with code.
func (e *env) refuse(enc ivstest.Encoder, code string) ivstest.Result {
	e.t.Helper()
	res, err := e.IVS.Connect(context.Background(), enc)
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	if res.Code != code {
		e.t.Fatalf("connect: got code %q (live %v), want %q", res.Code, res.Live, code)
	}
	return res
}

// goLive connects a single-track encoder and wants it live.
func (e *env) goLive(streamKey string) {
	e.t.Helper()
	res, err := e.IVS.Connect(context.Background(), ivstest.Encoder{StreamKey: streamKey, Video: ivstest.Ladder(1), Audio: []ivstest.AudioTrack{ivstest.AudioAAC}})
	if err != nil || !res.Live {
		e.t.Fatalf("go live: %+v, %v", res, err)
	}
}

// enrich does what the enrich function does for the Session Ended event of res: the record
// from GetStreamSession and the event, and the policy's decision on the channel the session
// saw, with cfg.
func (e *env) enrich(res ivstest.Result, cfg multitrack.Config) session.Enriched {
	e.t.Helper()
	return e.enrichAt(e.IVS, e.Admin, res, cfg)
}

// enrichAt is enrich for a session of the local IVS srv, read with client.
func (e *env) enrichAt(srv *ivstest.Server, client *ivs.Client, res ivstest.Result, cfg multitrack.Config) session.Enriched {
	e.t.Helper()
	var ev *ivsevent.Event
	for _, x := range srv.Events() {
		parsed, err := ivsevent.Parse(x.JSON)
		if err == nil && parsed.StreamID() == res.StreamID && parsed.Name() == ivsevent.EventSessionEnded {
			ev = parsed
		}
	}
	if ev == nil {
		e.t.Fatalf("no Session Ended event for %s", res.StreamID)
	}
	out, err := client.GetStreamSession(context.Background(), &ivs.GetStreamSessionInput{ChannelArn: aws.String(res.ChannelARN), StreamId: aws.String(res.StreamID)})
	if err != nil {
		e.t.Fatalf("get stream session: %v", err)
	}
	rec, err := session.FromStreamSession(out.StreamSession, ev)
	if err != nil {
		e.t.Fatalf("record: %v", err)
	}
	d := multitrack.Decide(multitrack.Input{Code: ev.Code(), TopVideoHeight: rec.TopVideoHeight(), Channel: *out.StreamSession.Channel}, cfg)
	return session.Enriched{Record: rec, Decision: d, Trigger: session.TriggerOf(ev)}
}

// envelope returns en as EventBridge delivers it from the suite's bus.
func envelope(t testing.TB, en session.Enriched) []byte {
	t.Helper()
	entry, _, err := suiteevent.EnrichedEntry(testBus, en)
	if err != nil {
		t.Fatal(err)
	}
	return awstest.Delivered(t, "5b3f8a57-1c2d-4e5f-8a9b-0c1d2e3f4a5b", en.Trigger.Time.Add(2*time.Second), entry)
}

// sqsRecord returns body as the correct queue delivers it for the receiveCount-th time.
func sqsRecord(id string, body []byte, receiveCount int, sent time.Time) events.SQSMessage {
	return awstest.SQSMessage(suite.FunctionCorrect, id, body, receiveCount, sent)
}

// process invokes the function with an SQS batch and returns the IDs it reported as failed.
func (e *env) process(records ...events.SQSMessage) []string {
	e.t.Helper()
	return awstest.ProcessSQS(e.t, e.p.Process, records...)
}

// put publishes en on the suite's bus, as enrich does; the rules route it.
func (e *env) put(en session.Enriched) {
	e.t.Helper()
	detail, err := json.Marshal(en)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.Bus.Put(localbus.Entry{Bus: testBus, Source: suite.EventSource, DetailType: suite.DetailTypeSessionEnriched,
		Detail: string(detail), Resources: []string{en.Record.ChannelARN}}); err != nil {
		e.t.Fatal(err)
	}
}

// waitFor runs the bus until cond holds for the activities so far: each time nothing runs and
// nothing is due, it looks, then moves the bus's clock to the next due moment. It fails when
// nothing more is due, or after 10 s.
func (e *env) waitFor(what string, cond func([]localbus.Activity) bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		next, err := e.Bus.WaitSettled(ctx)
		if err != nil {
			e.t.Fatalf("waiting for %s: %v", what, err)
		}
		e.mu.Lock()
		ok := cond(e.activities)
		e.mu.Unlock()
		if ok {
			return
		}
		if next.IsZero() {
			e.t.Fatalf("waiting for %s: nothing more is due", what)
		}
		e.Bus.Clock().(*localbus.ManualClock).AdvanceTo(next)
	}
}

// waitIdle runs the bus until every queue is empty (localbus.Bus.RunUntilIdle).
func (e *env) waitIdle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Bus.RunUntilIdle(ctx); err != nil {
		e.t.Fatalf("wait idle: %v", err)
	}
}

// count returns the activities of kind on queue.
func count(acts []localbus.Activity, kind localbus.ActivityKind, queue string) int {
	n := 0
	for _, a := range acts {
		if a.Kind == kind && a.Queue == queue {
			n++
		}
	}
	return n
}

// published returns the corrections the handler put on the suite's bus, in order.
func (e *env) published() []session.Corrected {
	e.t.Helper()
	var out []session.Corrected
	for _, body := range e.PublishedBodies() {
		var req struct {
			Entries []struct {
				Source, DetailType, Detail, EventBusName string
				Resources                                []string
			}
		}
		if err := json.Unmarshal(body, &req); err != nil {
			e.t.Fatalf("PutEvents body: %v", err)
		}
		for _, en := range req.Entries {
			if en.EventBusName != testBus {
				continue // refused by the bus (a test of a failing publication)
			}
			if en.Source != suite.EventSource || en.DetailType != suite.DetailTypeChannelCorrected {
				e.t.Fatalf("published %s / %s, want %s / %s", en.Source, en.DetailType, suite.EventSource, suite.DetailTypeChannelCorrected)
			}
			var c session.Corrected
			if err := json.Unmarshal([]byte(en.Detail), &c); err != nil {
				e.t.Fatalf("published detail: %v", err)
			}
			if len(en.Resources) != 1 || en.Resources[0] != c.ChannelARN {
				e.t.Errorf("published resources %v, want [%s]", en.Resources, c.ChannelARN)
			}
			out = append(out, c)
		}
	}
	return out
}

// successes returns how many calls of op the IVS server answered without an error.
func (e *env) successes(op string) int {
	st := e.IVS.Stats()[op]
	return st.Calls - st.Errors
}

// channel returns the channel as the server has it now.
func (e *env) channel(arn string) types.Channel {
	e.t.Helper()
	out, err := e.Admin.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil {
		e.t.Fatalf("get channel: %v", err)
	}
	return *out.Channel
}

// leaseOf returns the lease of the channel as S3 holds it, or nil when there is none.
func (e *env) leaseOf(arn string) map[string]any {
	e.t.Helper()
	a, err := ivsevent.ParseChannelARN(arn)
	if err != nil {
		e.t.Fatal(err)
	}
	key, err := session.LockKey(a)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.S3Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if errors.As(err, new(*s3types.NoSuchKey)) {
		return nil
	}
	if err != nil {
		e.t.Fatalf("get the lease of %s: %v", arn, err)
	}
	defer out.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(out.Body).Decode(&m); err != nil {
		e.t.Fatalf("lease of %s: %v", arn, err)
	}
	return m
}

// wantReleased fails the test unless the channel's lease exists and was released.
func (e *env) wantReleased(arn string) {
	e.t.Helper()
	if l := e.leaseOf(arn); l == nil || l["released"] != true {
		e.t.Errorf("lease of %s: %v, want one released", arn, l)
	}
}
