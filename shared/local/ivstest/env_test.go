package ivstest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

// TestSDKFromEnvironment configures the client the way the functions do: config.LoadDefaultConfig
// with AWS_ENDPOINT_URL_IVS pointing at the server.
func TestSDKFromEnvironment(t *testing.T) {
	srv := ivstest.NewServer(ivstest.Options{Region: "eu-central-1"})
	defer srv.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_IVS":                srv.URL,
		"AWS_REGION":                          "eu-central-1",
		"AWS_ACCESS_KEY_ID":                   "AKIDENV",
		"AWS_SECRET_ACCESS_KEY":               "env-secret",
		"AWS_SESSION_TOKEN":                   "",
		"AWS_PROFILE":                         "",
		"AWS_CONFIG_FILE":                     none,
		"AWS_SHARED_CREDENTIALS_FILE":         none,
		"AWS_EC2_METADATA_DISABLED":           "true",
		"AWS_ENDPOINT_URL":                    "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithAppID("ivs-sessions"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = sdkhttp.Wrap(cfg.HTTPClient)
	client := ivs.NewFromConfig(cfg)
	out, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("from-env")})
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	got, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: out.Channel.Arn})
	if err != nil || aws.ToString(got.Channel.Name) != "from-env" {
		t.Fatalf("GetChannel: got %v, %v", got, err)
	}
	if s := srv.Stats(); s[ivstest.OpCreateChannel].Calls != 1 || s[ivstest.OpGetChannel].Calls != 1 {
		t.Errorf("stats: got %+v, want one call each", s)
	}
}
