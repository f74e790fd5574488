package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const memberAccount = "210987654321"

var twoRegions = suite.Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{memberAccount}}

// TestEnrichesWhereTheChannelIs: in a fleet, a session of eu-west-1 (of the deployment's
// account, and of a member account) is enriched by that region's and account's IVS, the
// member's through the role its template creates; the home region's IVS is not asked. An event
// of a region or account outside the fleet is rejected, nothing called, nothing published.
func TestEnrichesWhereTheChannelIs(t *testing.T) {
	s := newStack(t, withFleet(twoRegions))
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 11, 3, 17, 30, 0, 0, time.UTC))
	var bodies [][]byte
	for _, account := range []string{s.Account, memberAccount} {
		srv := s.IVSAt(account, "eu-west-1")
		out, err := s.IVSClientAt(account, "eu-west-1").CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("dublin"),
			ContainerFormat: types.ContainerFormatFragmentedMP4, MultitrackInputConfiguration: &types.MultitrackInputConfiguration{
				Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := srv.Connect(ctx, ivstest.OBS(aws.ToString(out.StreamKey.Value), 3))
		if err != nil || !res.Live {
			t.Fatalf("Connect: %+v, %v", res, err)
		}
		bodies = append(bodies, retarget(t, awstest.LoadEvent(t, "stream-start"), aws.ToString(out.Channel.Arn), res.StreamID))
	}
	outside := retarget(t, awstest.LoadEvent(t, "stream-start"), "arn:aws:ivs:ap-south-1:"+s.Account+":channel/AbCdef1G2hij", "")
	stranger := retarget(t, awstest.LoadEvent(t, "stream-start"), "arn:aws:ivs:eu-west-1:999999999999:channel/AbCdef1G2hij", "")
	if failed := s.processSQS(t, 1, append(bodies, outside, stranger)...); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	pub := s.publishedEvents(t)
	if len(pub) != 2 {
		t.Fatalf("published %d, want the 2 sessions of the fleet", len(pub))
	}
	type record struct {
		Region, Account string
		Enriched        bool
		VideoTrackCount int
	}
	byAccount := map[string]record{}
	for _, body := range pub {
		var detail struct{ Record record }
		if err := json.Unmarshal(decodeEnvelope(t, body).Detail, &detail); err != nil {
			t.Fatal(err)
		}
		byAccount[detail.Record.Account] = detail.Record
	}
	for _, account := range []string{s.Account, memberAccount} {
		if r := byAccount[account]; r.Region != "eu-west-1" || !r.Enriched || r.VideoTrackCount != 3 {
			t.Errorf("published record of %s: %+v, want its eu-west-1 session, enriched with its 3 tracks", account, r)
		}
		if n := s.IVSAt(account, "eu-west-1").Stats()[ivstest.OpGetStreamSession].Calls; n != 1 {
			t.Errorf("%s/eu-west-1's IVS answered %d GetStreamSession, want 1", account, n)
		}
	}
	for _, tg := range []struct{ account, region string }{{s.Account, "us-west-2"}, {memberAccount, "us-west-2"}} {
		if n := s.IVSAt(tg.account, tg.region).Stats()[ivstest.OpGetStreamSession].Calls; n != 0 {
			t.Errorf("%s/%s's IVS was asked %d times for eu-west-1's sessions", tg.account, tg.region, n)
		}
	}
	if n := s.Metric(t, suite.MetricRejected); n != 2 {
		t.Errorf("RejectedEvents = %v, want the 2 events outside the fleet", n)
	}
}
