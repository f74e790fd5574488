package localaws_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

const member = "210987654321"

var twoRegions = suite.Fleet{Regions: []string{"us-west-2", "eu-west-1"}, Accounts: []string{member}}

// TestFleetIVSIsRegional: a fleet's local IVS answers each request in the region it was
// signed for and the account its key stands for, as AWS's regional endpoints do: a channel
// created in eu-west-1 by the member account is that account's there, and nowhere else.
func TestFleetIVSIsRegional(t *testing.T) {
	a, err := localaws.Start(localaws.Config{IVS: &ivstest.Options{}, CloudWatch: &cloudwatchtest.Options{}, Fleet: twoRegions})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if a.Region != "us-west-2" || len(a.Targets()) != 4 {
		t.Fatalf("region %s, targets %v", a.Region, a.Targets())
	}
	for _, c := range []struct{ account, region string }{
		{localaws.Account, "us-west-2"}, {localaws.Account, "eu-west-1"}, {member, "eu-west-1"}, {member, "us-west-2"},
	} {
		out, err := a.IVSClientAt(c.account, c.region).CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("c")})
		if err != nil {
			t.Fatalf("%s/%s: CreateChannel: %v", c.account, c.region, err)
		}
		if arn := aws.ToString(out.Channel.Arn); !strings.HasPrefix(arn, "arn:aws:ivs:"+c.region+":"+c.account+":channel/") {
			t.Errorf("%s/%s: channel %s", c.account, c.region, arn)
		}
		if n := len(a.IVSAt(c.account, c.region).State().Channels); n != 1 {
			t.Errorf("%s/%s's IVS holds %d channels, want its own one", c.account, c.region, n)
		}
	}
	// The home IVS is the home target's; an account or region the fleet lacks is not served.
	if a.IVS != a.IVSAt(localaws.Account, "us-west-2") || a.IVSAt(localaws.Account, "ap-south-1") != nil {
		t.Errorf("IVS is not the home target's, or ap-south-1 is served")
	}
	_, err = a.IVSClientAt(localaws.Account, "ap-south-1").ListChannels(ctx, &ivs.ListChannelsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnrecognizedClientException" || !strings.Contains(apiErr.ErrorMessage(), "ap-south-1") {
		t.Errorf("a region the fleet lacks: %v, want UnrecognizedClientException naming it", err)
	}
	stranger := ivs.New(ivs.Options{Region: "us-west-2", BaseEndpoint: aws.String(a.IVSURL), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDNOBODY", "x", "")})
	if _, err := stranger.ListChannels(ctx, &ivs.ListChannelsInput{}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("an unknown key: %v, want UnrecognizedClientException", err)
	}
}

// TestFleetQuotasApart: each region's (and account's) IVS enforces its own quota: a region at
// its quota throttles its own calls, never another region's.
func TestFleetQuotasApart(t *testing.T) {
	a, err := localaws.Start(localaws.Config{IVS: &ivstest.Options{Quota: 1}, Fleet: twoRegions})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	west, europe := a.IVSClientAt(localaws.Account, "us-west-2"), a.IVSClientAt(localaws.Account, "eu-west-1")
	if _, err := west.ListChannels(ctx, &ivs.ListChannelsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := europe.ListChannels(ctx, &ivs.ListChannelsInput{}); err != nil {
		t.Errorf("eu-west-1's first call of the second was throttled by us-west-2's: %v", err)
	}
	if _, err := west.ListChannels(ctx, &ivs.ListChannelsInput{}); !retryable.IsThrottle(err) {
		t.Errorf("us-west-2's second call within its second: %v, want ThrottlingException", err)
	}
	if th := a.IVSAt(localaws.Account, "eu-west-1").Stats()[ivstest.OpListChannels].Throttled; th != 0 {
		t.Errorf("eu-west-1 throttled %d calls", th)
	}
}

// TestFleetFunctionEnv: a fleet's function is given the fleet, the deployment's account and its
// own access key, which the local STS knows as its home role: the role each member trusts.
func TestFleetFunctionEnv(t *testing.T) {
	a, err := localaws.Start(localaws.Config{IVS: &ivstest.Options{}, Fleet: twoRegions})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	env := a.FunctionEnv(suite.FunctionCorrect, suite.DefaultSettings())
	f, own, err := suite.LoadFleet(func(k string) string { return env[k] })
	if err != nil || own != localaws.Account || f.Home() != "us-west-2" || len(f.Accounts) != 1 {
		t.Errorf("the function's fleet %+v, %s, %v", f, own, err)
	}
	if env["AWS_ENDPOINT_URL_STS"] != a.STSURL || env["AWS_ACCESS_KEY_ID"] != localaws.FunctionAccessKey(suite.FunctionCorrect) {
		t.Errorf("STS endpoint %q, key %q", env["AWS_ENDPOINT_URL_STS"], env["AWS_ACCESS_KEY_ID"])
	}
	id, ok := a.STS.IdentityOf(env["AWS_ACCESS_KEY_ID"])
	if !ok || id.Principal != "arn:aws:iam::"+localaws.Account+":role/"+suite.FleetRoleName(suite.FunctionCorrect, "us-west-2") {
		t.Errorf("correct's key stands for %+v", id)
	}
	if env := a.FunctionEnv(suite.FunctionArchive, suite.DefaultSettings()); env[suite.EnvFleetRegions] != "" {
		t.Errorf("archive is given the fleet: %v", env)
	}
}
