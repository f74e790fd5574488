package fleet_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const member = "210987654321"

// TestIVSCallsEachChannelWhereItIs: configured from the environment the local AWS gives the
// function (awsenv, as in Lambda), fleet.IVS calls each channel's own region and account: the
// deployment's with the function's own credentials, a member's through the role the member
// template creates (STS), and refuses a channel outside the fleet without calling anything.
func TestIVSCallsEachChannelWhereItIs(t *testing.T) {
	f := suite.Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{member}}
	a, err := localaws.Start(localaws.Config{IVS: &ivstest.Options{}, Fleet: f})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	env := a.FunctionEnv(suite.FunctionCorrect, suite.DefaultSettings())
	base, err := awsenv.Load(func(k string) string { return env[k] }, suite.Name)
	if err != nil {
		t.Fatal(err)
	}
	fleetCfg, own, err := suite.LoadFleet(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	regional := fleet.NewIVS(fleetCfg, own, suite.FunctionCorrect, base, ivsquota.NewPacer(0))

	for _, c := range []struct{ account, region string }{{own, "us-west-2"}, {own, "eu-west-1"}, {member, "eu-west-1"}} {
		created, err := a.IVSClientAt(c.account, c.region).CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("c")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := regional.GetChannel(ctx, &ivs.GetChannelInput{Arn: created.Channel.Arn})
		if err != nil {
			t.Fatalf("%s/%s: GetChannel through the fleet: %v", c.account, c.region, err)
		}
		if aws.ToString(got.Channel.Arn) != aws.ToString(created.Channel.Arn) {
			t.Errorf("%s/%s: got channel %s", c.account, c.region, aws.ToString(got.Channel.Arn))
		}
		if n := a.IVSAt(c.account, c.region).Stats()[ivstest.OpGetChannel].Calls; n != 1 {
			t.Errorf("%s/%s's IVS answered %d GetChannel, want 1", c.account, c.region, n)
		}
	}
	calls := a.STS.Calls()
	if len(calls) != 1 || !calls[0].Allowed || calls[0].RoleARN != fleet.RoleARN(member, suite.FunctionCorrect, "eu-west-1") {
		t.Errorf("STS calls %+v, want correct's one AssumeRole of its role in the member's eu-west-1 (then cached)", calls)
	}

	for field, arn := range map[string]string{
		"region":  "arn:aws:ivs:ap-south-1:" + own + ":channel/AbCdef1G2hij",
		"account": "arn:aws:ivs:eu-west-1:999999999999:channel/AbCdef1G2hij",
	} {
		_, err := regional.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn)})
		var fe *invalid.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("UpdateChannel of %s: %v, want a FieldError on %s", arn, err, field)
		}
	}
	if _, err := regional.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String("not an ARN")}); err == nil {
		t.Errorf("GetStream of a malformed ARN succeeded")
	}
	for _, tg := range a.Targets() {
		if n := a.IVSAt(tg.Account, tg.Region).Stats()[ivstest.OpUpdateChannel].Calls; n != 0 {
			t.Errorf("%s's IVS was asked UpdateChannel %d times for channels outside the fleet", tg, n)
		}
	}
}

// TestTargets: a fleet's targets are its own account, then each member, in each region.
func TestTargets(t *testing.T) {
	f := suite.Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{member}}
	c := fleet.New(f, "123456789012", suite.FunctionSweep, aws.Config{}, nil, func(fleet.Target, aws.Config) int { return 0 })
	got := c.Targets()
	want := []fleet.Target{{"123456789012", "us-west-2"}, {"123456789012", "eu-west-1"}, {member, "us-west-2"}, {member, "eu-west-1"}}
	if len(got) != len(want) {
		t.Fatalf("targets %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("targets %v, want %v", got, want)
		}
	}
	ctx := fleet.WithTarget(context.Background(), member, "eu-west-1")
	if tg, ok := fleet.TargetOf(ctx); !ok || tg != (fleet.Target{Account: member, Region: "eu-west-1"}) {
		t.Errorf("TargetOf = %v, %v", tg, ok)
	}
	if _, ok := fleet.TargetOf(context.Background()); ok {
		t.Errorf("a context without a target has one")
	}
}
