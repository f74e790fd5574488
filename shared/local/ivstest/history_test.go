package ivstest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// TestChannelHistory: every UpdateChannel the server applies is in the channel's history, with
// who called (WithCaller, set by whatever serves the server's handler), what changed, before and
// after; the same update sent again is a change that changed nothing; a refused update is not
// in it.
func TestChannelHistory(t *testing.T) {
	srv := ivstest.NewUnstartedServer(ivstest.Options{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.Handler().ServeHTTP(w, r.WithContext(ivstest.WithCaller(r.Context(), r.Header.Get("X-Test-Caller"))))
	}))
	t.Cleanup(ts.Close)
	as := func(caller string) *ivs.Client {
		return ivs.New(ivs.Options{Region: "us-west-2", BaseEndpoint: aws.String(ts.URL), Credentials: aws.AnonymousCredentials{},
			HTTPClient: &http.Client{Transport: callerTransport(caller)}})
	}
	ctx := context.Background()
	arn, _ := createChannel(t, as("you"), &ivs.CreateChannelInput{})
	enable := &ivs.UpdateChannelInput{Arn: aws.String(arn), ContainerFormat: types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionHd}}
	for range 2 {
		if _, err := as("correct").UpdateChannel(ctx, enable); err != nil {
			t.Fatalf("UpdateChannel: %v", err)
		}
	}
	if _, err := as("you").UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), Type: types.ChannelTypeBasicChannelType}); err == nil {
		t.Fatal("BASIC with multitrack input: want a ValidationException")
	}
	var history []ivstest.ChannelChange
	for _, c := range srv.State().Channels {
		if c.ARN == arn {
			history = c.History
		}
	}
	if len(history) != 2 {
		t.Fatalf("history has %d changes, want the 2 applied: %+v", len(history), history)
	}
	first, again := history[0], history[1]
	wantChanged := []string{"containerFormat", "multitrackInputConfiguration.enabled", "multitrackInputConfiguration.maximumResolution"}
	if first.Caller != "correct" || !slices.Equal(first.Changed, wantChanged) {
		t.Errorf("first change by %q changed %v, want correct and %v", first.Caller, first.Changed, wantChanged)
	}
	if first.Before.MultitrackEnabled || !first.After.MultitrackEnabled || first.After.ContainerFormat != ivstest.ContainerFragmentedMP4 ||
		first.After.MultitrackMaxResolution != ivstest.ResolutionHD {
		t.Errorf("first change %+v -> %+v, want multitrack off on TS -> on, HD, FRAGMENTED_MP4", first.Before, first.After)
	}
	if len(again.Changed) != 0 || again.Before != again.After {
		t.Errorf("the same update again changed %v (%+v -> %+v), want nothing", again.Changed, again.Before, again.After)
	}
	if first.Time == "" {
		t.Error("a change without a time")
	}
}

// callerTransport names the caller of each request in a header the test's server reads.
type callerTransport string

func (c callerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Test-Caller", string(c))
	return http.DefaultTransport.RoundTrip(r)
}
