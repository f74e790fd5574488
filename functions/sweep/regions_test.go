package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

// TestSweepsEveryRegionApart: in a fleet, the sweep sweeps each account and region with that
// region's IVS (a member's through its role), all at once: while the home region's IVS does
// not answer, eu-west-1's lost sessions, of both accounts, are archived; the run then says
// which region failed. An input naming a region sweeps that region only.
func TestSweepsEveryRegionApart(t *testing.T) {
	const member = "210987654321"
	clock := ivstest.NewFakeClock(time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC))
	var queues []localbus.QueueConfig
	for _, fn := range suite.Functions {
		queues = append(queues, localbus.QueueConfig{Name: fn, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}})
	}
	s := awstest.New(t, awstest.Options{IVS: &ivstest.Options{Clock: clock}, Bus: &localbus.Config{Rules: localbus.SuiteRules("bus"), Queues: queues},
		Bucket: "archive", Fleet: suite.Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{member}}})
	ctx := context.Background()
	for _, account := range []string{s.Account, member} {
		out, err := s.IVSClientAt(account, "eu-west-1").CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("dublin")})
		if err != nil {
			t.Fatal(err)
		}
		srv := s.IVSAt(account, "eu-west-1")
		if _, err := srv.Connect(ctx, ivstest.OBS(aws.ToString(out.StreamKey.Value), 1)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := srv.Disconnect(ctx, aws.ToString(out.Channel.Arn)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)

	env := s.FunctionEnv(suite.FunctionSweep, suite.DefaultSettings())
	env[suite.EnvEventBusName], env[suite.EnvArchiveBucket] = "bus", "archive"
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	base, err := awsenv.Load(func(k string) string { return env[k] }, suite.Name)
	if err != nil {
		t.Fatal(err)
	}
	// A session counts as published once its sweeper has PutEvents' answer (its progress says
	// so), not when the bus has the event: the run is cancelled next, and a call cancelled
	// before its answer is read has failed for the sweeper.
	var published atomic.Int32
	progress := func(p sweep.Progress) {
		if p.Stage == "fetching" && p.Published > 0 {
			published.Add(1) // each region sweeps one session: one such report each
		}
	}
	sws, err := sweepers(sweep.Sweeper{S3: s.S3Client(), Bus: s.EventBridgeClient(), Bucket: "archive", BusName: "bus",
		Correction: cfg.Correction, Log: s.Log, Metrics: s.Metrics, Now: clock.Now, Progress: progress}, cfg, base, ivsquota.NewPacer(0))
	if err != nil || len(sws) != 4 {
		t.Fatalf("sweepers %d, %v; want one per account and region", len(sws), err)
	}
	h := &Handler{Sweepers: sws, Log: s.Log, Metrics: s.Metrics}

	// The home region's IVS does not answer ListChannels until the run is given up.
	if err := s.IVSAt(s.Account, "us-west-2").SetFault(ivstest.Fault{Operation: ivstest.OpListChannels, Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	type result struct {
		out Output
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := h.Handle(runCtx, json.RawMessage(`{"mode":"backfill","days":1}`))
		done <- result{out, err}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for published.Load() < 2 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("eu-west-1's sessions not published while us-west-2 hangs: %d published", published.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("the run ended before the hanging region: %+v, %v", r.out, r.err)
	default:
	}
	cancel()
	r := <-done
	if r.err == nil || !strings.Contains(r.err.Error(), s.Account+"/us-west-2") {
		t.Errorf("Handle error %v, want one naming %s/us-west-2", r.err, s.Account)
	}
	if r.out.Window.Published != 2 || len(r.out.Targets) != 4 {
		t.Errorf("output %+v, want 2 sessions published and each target's report", r.out)
	}
	for _, tg := range r.out.Targets {
		if failed := tg.Err != ""; failed != (tg.Account == s.Account && tg.Region == "us-west-2") {
			t.Errorf("target %s/%s error %q", tg.Account, tg.Region, tg.Err)
		}
	}

	// Only eu-west-1, both accounts: its windows are done, nothing left to publish.
	s.IVSAt(s.Account, "us-west-2").ClearFaults()
	out, err := h.Handle(ctx, json.RawMessage(`{"mode":"daily","region":"eu-west-1"}`))
	if err != nil || len(out.Targets) != 2 {
		t.Fatalf("a run of eu-west-1: %+v, %v; want its 2 targets", out, err)
	}
	for _, tg := range out.Targets {
		if tg.Region != "eu-west-1" {
			t.Errorf("a run of eu-west-1 swept %s/%s", tg.Account, tg.Region)
		}
	}
	if _, err := h.Handle(ctx, json.RawMessage(`{"mode":"daily","region":"ap-south-1"}`)); err == nil {
		t.Errorf("a run of a region the deployment does not sweep succeeded")
	}
}
