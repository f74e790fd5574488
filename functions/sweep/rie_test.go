package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestBootstrapInputUnderRIE builds the real bootstrap and invokes it under the Lambda Runtime
// Interface Emulator, configured as the CDK app configures it, with inputs that are not what
// the schedules send: each is refused with an error naming the field, before any call (the
// runtime hands the payload over as it arrived: a second "mode" or trailing data is seen). The
// live sweep the schedule sends runs.
func TestBootstrapInputUnderRIE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var queues []localbus.QueueConfig
	for _, fn := range suite.Functions {
		queues = append(queues, localbus.QueueConfig{Name: fn, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}})
	}
	s := awstest.New(t, awstest.Options{IVS: &ivstest.Options{}, Bus: &localbus.Config{Rules: localbus.SuiteRules("bus"), Queues: queues}, Bucket: "archive"})
	inst := awstest.StartFunction(t, lambdarie.Config{
		FunctionName: suite.FunctionSweep, Timeout: 60 * time.Second,
		Env: s.Env(suite.DefaultSettings().Environment(suite.FunctionSweep, suite.Resources{EventBus: "bus", ArchiveBucket: "archive", Account: awstest.Account})),
	})
	for payload, field := range map[string]string{
		`{"Mode":"backfill","Days":60}`:                  "Days",
		`{"mode":"live","mode":"backfill","days":60}`:    "mode",
		`{"mode":"live"} {"mode":"backfill","days":60}`:  "input",
		`{"mode":"live","days":60}`:                      "days",
		`{"mode":"backfill","days":60,"dryRun":false}`:   "dryRun",
		`{"mode":"backfill","days":60.5}`:                "days",
		`{"mode":"daily","mode":"daily"}`:                "mode",
		`{"mode":"backfill","days":6000000000000000000}`: "days",
	} {
		out, err := inst.Invoke(ctx, []byte(payload))
		var fe *lambdarie.FunctionError
		if !errors.As(err, &fe) || !strings.HasPrefix(fe.Message, field+": want ") {
			t.Errorf("invoke with %s = %s, %v; want a function error naming %s", payload, out, err, field)
		}
	}
	for op, st := range s.IVS.Stats() {
		if st.Calls != 0 {
			t.Errorf("%d %s calls for inputs refused, want none", st.Calls, op)
		}
	}
	out, err := inst.Invoke(ctx, []byte(`{"mode":"live"}`))
	var got Output
	if err != nil || json.Unmarshal(out, &got) != nil || got.Mode != ModeLive {
		t.Errorf("invoke with the schedule's input = %s, %v; want a live sweep", out, err)
	}
}
