package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const memberAccount = "210987654321"

// TestCorrectsWhereTheChannelIs: in a fleet, the refusal of a member account's channel in
// eu-west-1 is corrected by that account's IVS in eu-west-1, through the role the member
// template creates (which only correct's home role may assume); no other region's or account's
// IVS is asked. A record of a channel outside the fleet is rejected before any call.
func TestCorrectsWhereTheChannelIs(t *testing.T) {
	f := suite.Fleet{Regions: []string{testRegion, "eu-west-1"}, Accounts: []string{memberAccount}}
	e := newEnv(t, envOptions{fleet: f})
	ctx := context.Background()
	srv, client := e.IVSAt(memberAccount, "eu-west-1"), e.IVSClientAt(memberAccount, "eu-west-1")
	out, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("dublin"), Type: types.ChannelTypeStandardChannelType,
		ContainerFormat: types.ContainerFormatFragmentedMP4, MultitrackInputConfiguration: &types.MultitrackInputConfiguration{
			Enabled: true, Policy: types.MultitrackPolicyRequire, MaximumResolution: types.MultitrackMaximumResolutionHd}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Connect(ctx, ivstest.OBS(aws.ToString(out.StreamKey.Value), 1))
	if err != nil || res.Code != ivsevent.CodeMultitrackInputRequired {
		t.Fatalf("connect: %+v, %v; want refused %s", res, err, ivsevent.CodeMultitrackInputRequired)
	}
	en := e.enrichAt(srv, client, res, applyCfg)
	if en.Decision.Action != multitrack.ActionApply || en.Record.Region != "eu-west-1" || en.Record.Account != memberAccount {
		t.Fatalf("enriched %+v / %+v", en.Decision, en.Record)
	}
	if failed := e.process(sqsRecord("m1", envelope(t, en), 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	got, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: out.Channel.Arn})
	if err != nil {
		t.Fatal(err)
	}
	if m := got.Channel.MultitrackInputConfiguration; m == nil || m.Policy != types.MultitrackPolicyAllow {
		t.Errorf("the member's channel: multitrack %+v, want ALLOW", m)
	}
	if n := srv.Stats()[ivstest.OpUpdateChannel].Calls; n != 1 {
		t.Errorf("the member's eu-west-1 IVS answered %d UpdateChannel, want 1", n)
	}
	for _, tg := range e.Targets() {
		if (tg.Account != memberAccount || tg.Region != "eu-west-1") && e.IVSAt(tg.Account, tg.Region).Stats()[ivstest.OpGetChannel].Calls != 0 {
			t.Errorf("%s's IVS was asked for the member's eu-west-1 channel", tg)
		}
	}
	calls := e.STS.Calls()
	if len(calls) != 1 || !calls[0].Allowed {
		t.Errorf("STS calls %+v, want correct's one AssumeRole, allowed", calls)
	}
	if c := e.published(); len(c) != 1 || c[0].Correction.Outcome != "applied" {
		t.Errorf("published %+v, want one applied correction", c)
	}

	// A record of ap-south-1: rejected, nothing called.
	outside := en
	outside.Record.ChannelARN = "arn:aws:ivs:ap-south-1:" + memberAccount + ":channel/AbCdef1G2hij"
	outside.Record.Region, outside.Record.ChannelID = "ap-south-1", "AbCdef1G2hij"
	calledSoFar := func() int {
		n := 0
		for _, tg := range e.Targets() {
			for _, st := range e.IVSAt(tg.Account, tg.Region).Stats() {
				n += st.Calls
			}
		}
		return n
	}
	before := calledSoFar()
	if failed := e.process(sqsRecord("m2", envelope(t, outside), 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failed %v: a record outside the fleet is rejected, not retried", failed)
	}
	if n := calledSoFar() - before; n != 0 {
		t.Errorf("%d IVS calls for a channel outside the fleet", n)
	}
	if n := e.Metric(t, suite.MetricRejected); n != 1 {
		t.Errorf("RejectedEvents = %v, want 1", n)
	}
}
