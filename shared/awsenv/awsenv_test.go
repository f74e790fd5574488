package awsenv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

const secret = "wJalrXUtnFEMI-not-a-real-secret"

func lambdaEnv() map[string]string {
	return map[string]string{
		EnvRegion: "eu-west-1", EnvAccessKeyID: "ASIAEXAMPLEKEY", EnvSecretAccessKey: secret, EnvSessionToken: "token-1",
	}
}

func TestLoad(t *testing.T) {
	env := lambdaEnv()
	env[EnvMaxAttempts] = "7"
	cfg, err := Load(func(k string) string { return env[k] }, "ivs-sessions")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || cfg.AppID != "ivs-sessions" || cfg.RetryMaxAttempts != 7 || cfg.BaseEndpoint != nil {
		t.Errorf("config: region %q app %q attempts %d endpoint %v", cfg.Region, cfg.AppID, cfg.RetryMaxAttempts, cfg.BaseEndpoint)
	}
	if _, ok := cfg.HTTPClient.(*sdkhttp.Client); !ok {
		t.Errorf("HTTP client %T, want sdkhttp's", cfg.HTTPClient)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ASIAEXAMPLEKEY" || creds.SecretAccessKey != secret || creds.SessionToken != "token-1" {
		t.Errorf("credentials: %+v", creds)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tt := range []struct{ unset, set, value, field string }{
		{unset: EnvRegion, field: EnvRegion},
		{unset: EnvAccessKeyID, field: EnvAccessKeyID},
		{unset: EnvSecretAccessKey, field: EnvSecretAccessKey},
		{set: EnvMaxAttempts, value: "zero", field: EnvMaxAttempts},
		{set: EnvMaxAttempts, value: "0", field: EnvMaxAttempts},
	} {
		env := lambdaEnv()
		delete(env, tt.unset)
		if tt.set != "" {
			env[tt.set] = tt.value
		}
		_, err := Load(func(k string) string { return env[k] }, "app")
		var fe *invalid.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("without %s / with %s=%q: error %v, want a FieldError on %s", tt.unset, tt.set, tt.value, err, tt.field)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// TestEndpoints: real SDK clients built from Load reach the endpoint their service's variable
// names, or the shared one, and sign with the environment's key.
func TestEndpoints(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]string{} // server -> Authorization
	server := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[name] = r.Header.Get("Authorization")
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	ivsSrv, shared := server("ivs"), server("shared")
	for k, v := range lambdaEnv() {
		t.Setenv(k, v)
	}
	// The clients themselves look at the process environment too (which variable is set).
	t.Setenv("AWS_ENDPOINT_URL_IVS", ivsSrv.URL)
	t.Setenv(EnvEndpointURL, shared.URL)
	cfg, err := Load(os.Getenv, "app")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, _ = ivs.NewFromConfig(cfg).GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String("arn:aws:ivs:eu-west-1:123456789012:channel/abcdABCDefgh")})
	_, _ = eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}}})
	for _, name := range []string{"ivs", "shared"} {
		if auth := hits[name]; !strings.Contains(auth, "Credential=ASIAEXAMPLEKEY/") {
			t.Errorf("%s endpoint: Authorization %q, want a signature with the environment's key", name, auth)
		}
	}

	t.Setenv(EnvIgnoreEndpoints, "true")
	if cfg, err = Load(os.Getenv, "app"); err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Errorf("with %s=true: BaseEndpoint %q, want none", EnvIgnoreEndpoints, *cfg.BaseEndpoint)
	}
	if _, found, _ := cfg.ConfigSources[0].(endpointSource).GetServiceBaseEndpoint(ctx, "ivs"); !found {
		t.Error("the service endpoint source lost AWS_ENDPOINT_URL_IVS")
	}
}

func TestS3PathStyle(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want bool
	}{
		"the real S3":           {env: map[string]string{}, want: false},
		"another service local": {env: map[string]string{"AWS_ENDPOINT_URL_IVS": "http://127.0.0.1:9000"}, want: false},
		"a local S3":            {env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}, want: true},
		"every service local":   {env: map[string]string{EnvEndpointURL: "http://127.0.0.1:4566"}, want: true},
		"endpoints ignored":     {env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", EnvIgnoreEndpoints: "true"}, want: false},
		"endpoints not ignored": {env: map[string]string{EnvEndpointURL: "http://127.0.0.1:4566", EnvIgnoreEndpoints: "false"}, want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := S3PathStyle(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("S3PathStyle = %v, want %v", got, tc.want)
			}
		})
	}
}
