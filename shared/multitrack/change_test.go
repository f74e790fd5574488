package multitrack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

var testCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

// captured is one request the fake IVS endpoint received.
type captured struct {
	path, body    string
	contentLength int64
	signatureErr  string // "" when the SigV4 signature covers exactly the body received
}

// newFakeIVS starts an IVS endpoint that records each request and answers with a channel, and
// returns a real *ivs.Client aimed at it (signing with testCreds, no retries).
func newFakeIVS(t *testing.T) (*ivs.Client, func() []captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c := captured{path: r.URL.Path, body: string(body), contentLength: r.ContentLength, signatureErr: checkSignature(r, body)}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"channel":{"arn":"`+testARN+`","type":"STANDARD"}}`)
	}))
	t.Cleanup(srv.Close)
	client := ivs.New(ivs.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	})
	return client, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// checkSignature signs the received request again over the received body, with the headers it
// says it signed, and compares: a body rewritten after signing would not match.
func checkSignature(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return "no SignedHeaders in Authorization " + auth
	}
	signed, _, _ = strings.Cut(signed, ",")
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "bad X-Amz-Date: " + err.Error()
	}
	req, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	for _, h := range strings.Split(signed, ";") {
		if h != "host" && h != "content-length" {
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, hex.EncodeToString(sum[:]), "ivs", "us-west-2", at); err != nil {
		return err.Error()
	}
	if want := req.Header.Get("Authorization"); want != auth {
		return "signature does not cover the body: got " + auth + ", want " + want
	}
	return ""
}

// TestUpdateChannelWire sends each kind of correction with the real ivs client and checks the
// exact request body: only what must change, and "preset":"" when a preset is cleared.
func TestUpdateChannelWire(t *testing.T) {
	tests := map[string]struct {
		in       Input
		cfg      Config
		wantBody string
	}{
		"enable multitrack": {
			in:       Input{Code: ivsevent.CodeMultitrackInputNotAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)},
			cfg:      applyAll,
			wantBody: `{"arn":"` + testARN + `","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"FULL_HD","policy":"ALLOW"}}`,
		},
		"relax REQUIRE to ALLOW": {
			in:       Input{Code: ivsevent.CodeMultitrackInputRequired, Channel: channel(standard, fmp4, mtc(true, require, hd))},
			cfg:      applyAll,
			wantBody: `{"arn":"` + testARN + `","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"HD","policy":"ALLOW"}}`,
		},
		"raise maximum resolution": {
			in:       Input{Code: ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, TopVideoHeight: 720, Channel: channel(standard, fmp4, mtc(true, require, sd))},
			cfg:      applyAll,
			wantBody: `{"arn":"` + testARN + `","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"HD","policy":"REQUIRE"}}`,
		},
		"type change with preset clear": {
			in:       Input{Code: ivsevent.CodeMultitrackInputNotAllowed, TopVideoHeight: 1080, Channel: withPreset(channel(advancedHD, ts, nil), higherBW)},
			cfg:      applyAll,
			wantBody: `{"arn":"` + testARN + `","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"FULL_HD","policy":"ALLOW"},"preset":"","type":"STANDARD"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, requests := newFakeIVS(t)
			d := Decide(tc.in, tc.cfg)
			if d.Action != ActionApply {
				t.Fatalf("Decide: action %q (%s), want apply", d.Action, d.Reason)
			}
			if _, err := client.UpdateChannel(context.Background(), d.Change.UpdateChannelInput(testARN), d.Change.ClientOptions()...); err != nil {
				t.Fatalf("UpdateChannel: %v", err)
			}
			got := requests()
			if len(got) != 1 {
				t.Fatalf("got %d requests, want 1", len(got))
			}
			r := got[0]
			if r.path != "/UpdateChannel" {
				t.Errorf("path = %q, want /UpdateChannel", r.path)
			}
			if r.body != tc.wantBody {
				t.Errorf("body:\n got %s\nwant %s", r.body, tc.wantBody)
			}
			if r.contentLength != int64(len(r.body)) {
				t.Errorf("Content-Length = %d, want %d", r.contentLength, len(r.body))
			}
			if r.signatureErr != "" {
				t.Error(r.signatureErr)
			}
		})
	}
}

// TestClientOptionsOtherOperations checks that the preset middleware leaves other operations'
// bodies alone and does not stick to the client.
func TestClientOptionsOtherOperations(t *testing.T) {
	client, requests := newFakeIVS(t)
	opts := Change{ClearPreset: true}.ClientOptions()
	if len(opts) != 1 {
		t.Fatalf("ClientOptions() gave %d options, want 1", len(opts))
	}
	ctx := context.Background()
	if _, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(testARN)}, opts...); err != nil {
		t.Fatalf("GetChannel: %v", err)
	}
	if _, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(testARN), Name: aws.String("a&b")}); err != nil {
		t.Fatalf("UpdateChannel: %v", err)
	}
	if _, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(testARN), Name: aws.String("a&b")}, opts...); err != nil {
		t.Fatalf("UpdateChannel: %v", err)
	}
	want := []string{
		`{"arn":"` + testARN + `"}`,
		`{"arn":"` + testARN + `","name":"a&b"}`,
		`{"arn":"` + testARN + `","name":"a&b","preset":""}`,
	}
	got := requests()
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.body != want[i] {
			t.Errorf("request %d body = %s, want %s", i, r.body, want[i])
		}
		if r.signatureErr != "" {
			t.Errorf("request %d: %s", i, r.signatureErr)
		}
	}
	if opts := (Change{Type: standard}).ClientOptions(); opts != nil {
		t.Errorf("ClientOptions() without ClearPreset = %d options, want nil", len(opts))
	}
}

func TestWithEmptyPreset(t *testing.T) {
	tests := map[string]struct {
		in, want string
		wantErr  bool
	}{
		"adds preset":          {in: `{"arn":"x","type":"STANDARD"}`, want: `{"arn":"x","preset":"","type":"STANDARD"}`},
		"keeps a preset":       {in: `{"arn":"x","preset":"CONSTRAINED_BANDWIDTH_DELIVERY"}`, want: `{"arn":"x","preset":"CONSTRAINED_BANDWIDTH_DELIVERY"}`},
		"keeps nested objects": {in: `{"m":{"enabled":true}}`, want: `{"m":{"enabled":true},"preset":""}`},
		"no HTML escaping":     {in: `{"name":"<a&b>"}`, want: `{"name":"<a&b>","preset":""}`},
		"not an object":        {in: `[1]`, wantErr: true},
		"null":                 {in: `null`, wantErr: true},
		"malformed":            {in: `{"arn":`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := withEmptyPreset(strings.NewReader(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("withEmptyPreset(%s) = %s, want an error", tc.in, got)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("withEmptyPreset(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
	if _, err := withEmptyPreset(nil); err == nil {
		t.Error("withEmptyPreset(nil) = nil error, want one")
	}
}

func TestUpdateChannelInput(t *testing.T) {
	tests := map[string]struct {
		change Change
		want   *ivs.UpdateChannelInput
	}{
		"nothing": {Change{}, &ivs.UpdateChannelInput{Arn: aws.String(testARN)}},
		"policy only": {
			Change{Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: hd}},
			&ivs.UpdateChannelInput{Arn: aws.String(testARN), MultitrackInputConfiguration: mtc(true, allow, hd)},
		},
		"type and container": {
			Change{Type: standard, ContainerFormat: fmp4, ClearPreset: true},
			&ivs.UpdateChannelInput{Arn: aws.String(testARN), Type: standard, ContainerFormat: fmp4},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.change.UpdateChannelInput(testARN); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("UpdateChannelInput = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	before := withTags(withPreset(channel(advancedHD, ts, mtc(false, require, sd)), higherBW), map[string]string{"team": "a"})
	before.Name = aws.String("main")
	c := Change{Type: standard, ContainerFormat: fmp4, ClearPreset: true, Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: fullHD}}
	after := Apply(before, c)

	want := withTags(channel(standard, fmp4, mtc(true, allow, fullHD)), map[string]string{"team": "a"})
	want.Name = aws.String("main")
	if !reflect.DeepEqual(after, want) {
		t.Errorf("Apply = %+v, want %+v", after, want)
	}
	if *before.MultitrackInputConfiguration != *mtc(false, require, sd) || before.Type != advancedHD || before.Preset != higherBW {
		t.Errorf("Apply modified its input: %+v", before)
	}
	if got := Apply(before, Change{}); !reflect.DeepEqual(got, before) {
		t.Errorf("Apply with an empty change = %+v, want the channel unchanged", got)
	}
}

func TestSatisfied(t *testing.T) {
	enable := *enableTo(hd)
	tests := map[string]struct {
		change Change
		ch     types.Channel
		want   bool
	}{
		"empty change":                {Change{}, channel(basic, ts, nil), true},
		"enabled already":             {enable, channel(standard, fmp4, mtc(true, allow, hd)), true},
		"enabled, other resolution":   {enable, channel(standard, fmp4, mtc(true, allow, fullHD)), false},
		"enabled, other policy":       {enable, channel(standard, fmp4, mtc(true, require, hd)), false},
		"disabled":                    {enable, channel(standard, fmp4, nil), false},
		"container TS":                {enable, channel(standard, ts, mtc(true, allow, hd)), false},
		"empty container is TS":       {Change{ContainerFormat: ts}, channel(standard, "", nil), true},
		"type differs":                {Change{Type: standard}, channel(advancedSD, ts, nil), false},
		"empty type is STANDARD":      {Change{Type: standard}, channel("", ts, nil), true},
		"preset still set":            {Change{ClearPreset: true}, withPreset(channel(standard, ts, nil), higherBW), false},
		"preset cleared":              {Change{ClearPreset: true}, channel(standard, ts, nil), true},
		"a change Decide makes, done": {Change{Type: standard, ClearPreset: true, ContainerFormat: fmp4, Multitrack: enable.Multitrack}, channel(standard, fmp4, mtc(true, allow, hd)), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.change.Satisfied(tc.ch); got != tc.want {
				t.Errorf("Satisfied = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDecisionJSON pins the JSON the suite's event patterns and the archive depend on.
func TestDecisionJSON(t *testing.T) {
	tests := map[string]struct {
		d    Decision
		want string
	}{
		"apply": {
			Decision{Action: ActionApply, Reason: "r", Code: ivsevent.CodeMultitrackInputNotAllowed, DryRun: true,
				Change: &Change{Type: standard, ClearPreset: true, ContainerFormat: fmp4, Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: fullHD}}},
			`{"action":"apply","reason":"r","code":"MultitrackInputNotAllowed","dryRun":true,"change":{"type":"STANDARD","containerFormat":"FRAGMENTED_MP4",` +
				`"multitrackInputConfiguration":{"enabled":true,"policy":"ALLOW","maximumResolution":"FULL_HD"},"clearPreset":true}}`,
		},
		"none": {Decision{Action: ActionNone, Reason: "r"}, `{"action":"none","reason":"r"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("JSON:\n got %s\nwant %s", b, tc.want)
			}
			var back Decision
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tc.d) {
				t.Errorf("round trip = %+v, %v; want %+v", back, err, tc.d)
			}
		})
	}
}
