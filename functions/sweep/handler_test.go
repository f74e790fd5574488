package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

func TestParseInput(t *testing.T) {
	tests := map[string]struct {
		in        string
		want      Input
		wantField string
	}{
		"scheduled event":  {in: `{"detail-type":"Scheduled Event","source":"aws.events"}`, want: Input{Mode: ModeLive}},
		"live":             {in: `{"mode":"live"}`, want: Input{Mode: ModeLive}},
		"daily":            {in: `{"mode":"daily"}`, want: Input{Mode: ModeDaily}},
		"backfill":         {in: `{"mode":"backfill","days":7}`, want: Input{Mode: ModeBackfill, Days: 7}},
		"backfill no days": {in: `{"mode":"backfill"}`, wantField: "days"},
		"too far":          {in: `{"mode":"backfill","days":61}`, wantField: "days"},
		"unknown mode":     {in: `{"mode":"hourly"}`, wantField: "mode"},
		"not an object":    {in: `[1]`, wantField: "input"},
		// Strict like every other input: exact names, no duplicate, nothing after the value.
		"Mode is not mode":         {in: `{"Mode":"backfill"}`, wantField: "Mode"},
		"MODE and days":            {in: `{"MODE":"backfill","DAYS":60}`, wantField: "DAYS"},
		"mode twice":               {in: `{"mode":"live","mode":"backfill","days":60}`, wantField: "mode"},
		"trailing data":            {in: `{"mode":"live"} {"mode":"backfill","days":60}`, wantField: "input"},
		"trailing garbage":         {in: `{"mode":"live"}x`, wantField: "input"},
		"empty object":             {in: `{}`, wantField: "mode"},
		"null":                     {in: `null`, wantField: "input"},
		"days with live":           {in: `{"mode":"live","days":3}`, wantField: "days"},
		"days fractional":          {in: `{"mode":"backfill","days":1.5}`, wantField: "days"},
		"days as text":             {in: `{"mode":"backfill","days":"7"}`, wantField: "days"},
		"mode not text":            {in: `{"mode":1}`, wantField: "mode"},
		"other member":             {in: `{"mode":"daily","force":true}`, wantField: "force"},
		"scheduled event, another": {in: `{"detail-type":"Scheduled Event","source":"aws.ivs"}`, wantField: "detail-type"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseInput(json.RawMessage(tc.in))
			if tc.wantField != "" {
				var fe *invalid.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.wantField {
					t.Fatalf("ParseInput = %v, want a FieldError for %s", err, tc.wantField)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseInput = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestBackfill: invoked with a window, the sweep archives the sessions the archive lacks, and
// counts its GetStreamSession calls as the sweep phase.
func TestBackfill(t *testing.T) {
	clock := ivstest.NewFakeClock(time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC))
	var queues []localbus.QueueConfig
	for _, fn := range suite.Functions {
		queues = append(queues, localbus.QueueConfig{Name: fn, Handler: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}})
	}
	s := awstest.New(t, awstest.Options{IVS: &ivstest.Options{Clock: clock}, Bus: &localbus.Config{Rules: localbus.SuiteRules("bus"), Queues: queues}, Bucket: "archive"})
	for range 2 {
		ch := s.CreateChannel(t, nil)
		if _, err := s.IVS.Connect(context.Background(), ivstest.OBS(ch.StreamKey, 1)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := s.IVS.Disconnect(context.Background(), ch.ARN); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	h := &Handler{Sweepers: []*sweep.Sweeper{{IVS: s.IVSClient(), S3: s.S3Client(), Bus: s.EventBridgeClient(), Bucket: "archive", BusName: "bus", Account: awstest.Account, Region: awstest.Region,
		Correction: multitrack.Config{Mode: multitrack.ModeApply}, Log: s.Log, Metrics: s.Metrics, Now: clock.Now}}, Log: s.Log, Metrics: s.Metrics}
	out, err := h.Handle(context.Background(), json.RawMessage(`{"mode":"backfill","days":1}`))
	if err != nil || !out.Window.Done || out.Window.Published != 2 {
		t.Fatalf("Handle = %+v, %v; want 2 sessions published", out, err)
	}
	if n := s.Metric(t, suite.MetricStreamSessionCalls, metrics.Dim{Name: suite.DimensionPhase, Value: "sweep"}); n != 2 {
		t.Errorf("metric %s{Phase=sweep} = %v, want 2", suite.MetricStreamSessionCalls, n)
	}
	if len(s.PublishedBodies()) != 2 {
		t.Errorf("published %d, want 2", len(s.PublishedBodies()))
	}
}
