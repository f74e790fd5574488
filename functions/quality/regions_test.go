package main

import (
	"context"
	"errors"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestMeasuresWhereTheSessionIs: in a fleet, a member account's session of eu-west-1 is read
// from that account's CloudWatch in eu-west-1, where IVS publishes its metrics (through the
// member role for quality); the home region's CloudWatch, which has none of them, is not asked.
// A session outside the fleet is rejected unread.
func TestMeasuresWhereTheSessionIs(t *testing.T) {
	const member = "210987654321"
	s := newFleetStack(t, suite.Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{member}})
	s.cw = s.CloudWatchAt(member, "eu-west-1") // simulate publishes there
	s.simulate(121, nil)
	rec := record()
	rec.ChannelARN, rec.Region, rec.Account = "arn:aws:ivs:eu-west-1:"+member+":channel/"+testChannelID, "eu-west-1", member
	if err := s.h.Handle(context.Background(), message(t, rec, 1)); err != nil {
		t.Fatal(err)
	}
	if q := s.one(t).Quality; q.Verdict != quality.VerdictHealthy || len(q.Tracks) != 3 {
		t.Fatalf("quality %+v, want healthy from the member's eu-west-1 series", q)
	}
	if n := s.cw.Calls(cloudwatchtest.OpGetMetricData); n != 1 {
		t.Errorf("the member's eu-west-1 CloudWatch saw %d GetMetricData, want 1", n)
	}
	if n := s.CloudWatch.Calls(cloudwatchtest.OpGetMetricData); n != 0 {
		t.Errorf("the home CloudWatch saw %d GetMetricData, want none", n)
	}
	if calls := s.STS.Calls(); len(calls) != 1 || !calls[0].Allowed {
		t.Errorf("STS calls %+v, want quality's AssumeRole of its member role, allowed", calls)
	}

	outside := record()
	outside.ChannelARN, outside.Region = "arn:aws:ivs:ap-south-1:123456789012:channel/"+testChannelID, "ap-south-1"
	err := s.h.Handle(context.Background(), message(t, outside, 1))
	var fe *invalid.FieldError
	if !errors.As(err, &fe) || fe.Field != "region" {
		t.Errorf("a session of ap-south-1: %v, want a FieldError on region", err)
	}
	if n := s.cw.Calls(cloudwatchtest.OpGetMetricData) + s.CloudWatch.Calls(cloudwatchtest.OpGetMetricData); n != 1 {
		t.Errorf("%d GetMetricData in all, want the first session's only", n)
	}
}
