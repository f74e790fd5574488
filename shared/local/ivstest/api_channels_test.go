package ivstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

func TestCreateChannelDefaults(t *testing.T) {
	_, client := newServer(t, ivstest.Options{Region: "eu-west-1", Account: "111122223333"})
	out, err := client.CreateChannel(context.Background(), &ivs.CreateChannelInput{
		Name: aws.String("studio-a"), Tags: map[string]string{"team": "video"},
	})
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	ch, key := out.Channel, out.StreamKey
	checks := map[string]struct{ got, want any }{
		"type":              {ch.Type, types.ChannelTypeStandardChannelType},
		"latencyMode":       {ch.LatencyMode, types.ChannelLatencyModeLowLatency},
		"containerFormat":   {ch.ContainerFormat, types.ContainerFormatTs},
		"preset":            {ch.Preset, types.TranscodePreset("")},
		"name":              {aws.ToString(ch.Name), "studio-a"},
		"multitrack":        {mustJSON(t, ch.MultitrackInputConfiguration), mustJSON(t, &types.MultitrackInputConfiguration{Enabled: false, MaximumResolution: "FULL_HD", Policy: "ALLOW"})},
		"recording":         {aws.ToString(ch.RecordingConfigurationArn), ""},
		"tags":              {ch.Tags["team"], "video"},
		"key channel":       {aws.ToString(key.ChannelArn), aws.ToString(ch.Arn)},
		"authorized":        {ch.Authorized, false},
		"key tags are none": {len(key.Tags), 0},
	}
	for name, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", name, c.got, c.want)
		}
	}
	patterns := map[string]struct {
		got string
		re  string
	}{
		"arn":            {aws.ToString(ch.Arn), `^arn:aws:ivs:eu-west-1:111122223333:channel/[a-zA-Z0-9]{12}$`},
		"key arn":        {aws.ToString(key.Arn), `^arn:aws:ivs:eu-west-1:111122223333:stream-key/[a-zA-Z0-9]{12}$`},
		"key value":      {aws.ToString(key.Value), `^sk_eu-west-1_[a-zA-Z0-9]+_[a-zA-Z0-9]+$`},
		"ingestEndpoint": {aws.ToString(ch.IngestEndpoint), `^[0-9a-f]{12}\.global-contribute\.live-video\.net$`},
		"playbackUrl":    {aws.ToString(ch.PlaybackUrl), `^https://[0-9a-f]{12}\.eu-west-1\.playback\.live-video\.net/api/video/v1/eu-west-1\.111122223333\.channel\.[a-zA-Z0-9]{12}\.m3u8$`},
		"srt endpoint":   {aws.ToString(ch.Srt.Endpoint), `^[0-9a-f]{12}\.srt\.live-video\.net$`},
		"srt passphrase": {aws.ToString(ch.Srt.Passphrase), `^[a-zA-Z0-9]{64}$`},
	}
	for name, p := range patterns {
		if !regexp.MustCompile(p.re).MatchString(p.got) {
			t.Errorf("%s: got %q, want a match for %s", name, p.got, p.re)
		}
	}
}

func TestCreateChannelAdvancedGetsDefaultPreset(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	out, err := client.CreateChannel(context.Background(), &ivs.CreateChannelInput{Type: types.ChannelTypeAdvancedHDChannelType})
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	if out.Channel.Preset != types.TranscodePresetHigherBandwidthTranscodePreset {
		t.Errorf("preset: got %q, want HIGHER_BANDWIDTH_DELIVERY", out.Channel.Preset)
	}
}

func TestCreateChannelValidation(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	enabled := &types.MultitrackInputConfiguration{Enabled: true, MaximumResolution: types.MultitrackMaximumResolutionFullHd, Policy: types.MultitrackPolicyAllow}
	tooMany := map[string]string{}
	for i := range 51 {
		tooMany[strings.Repeat("k", i+1)] = "v"
	}
	tests := map[string]struct {
		in   ivs.CreateChannelInput
		want string // part of the exceptionMessage
	}{
		"name pattern":     {ivs.CreateChannelInput{Name: aws.String("bad name!")}, "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		"name length":      {ivs.CreateChannelInput{Name: aws.String(strings.Repeat("a", 129))}, "Member must have length less than or equal to 128"},
		"type enum":        {ivs.CreateChannelInput{Type: "PREMIUM"}, "Value 'PREMIUM' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [BASIC, STANDARD, ADVANCED_SD, ADVANCED_HD]"},
		"latency enum":     {ivs.CreateChannelInput{LatencyMode: "ULTRA"}, "at 'latencyMode'"},
		"container enum":   {ivs.CreateChannelInput{ContainerFormat: "MKV"}, "at 'containerFormat'"},
		"policy enum":      {ivs.CreateChannelInput{MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Policy: "SOMETIMES"}}, "at 'multitrackInputConfiguration.policy'"},
		"resolution enum":  {ivs.CreateChannelInput{MultitrackInputConfiguration: &types.MultitrackInputConfiguration{MaximumResolution: "4K"}}, "at 'multitrackInputConfiguration.maximumResolution'"},
		"recording arn":    {ivs.CreateChannelInput{RecordingConfigurationArn: aws.String("arn:aws:s3:::bucket")}, "at 'recordingConfigurationArn'"},
		"playback arn":     {ivs.CreateChannelInput{PlaybackRestrictionPolicyArn: aws.String("nope")}, "at 'playbackRestrictionPolicyArn'"},
		"too many tags":    {ivs.CreateChannelInput{Tags: tooMany}, "Member must have length less than or equal to 50"},
		"reserved tag":     {ivs.CreateChannelInput{Tags: map[string]string{"aws:owner": "x"}}, "reserved prefix aws:"},
		"two errors":       {ivs.CreateChannelInput{Name: aws.String("a b"), Type: "X"}, "2 validation errors detected"},
		"preset standard":  {ivs.CreateChannelInput{Preset: types.TranscodePresetConstrainedBandwidthTranscodePreset}, "preset: CONSTRAINED_BANDWIDTH_DELIVERY not match channel type: STANDARD"},
		"multitrack basic": {ivs.CreateChannelInput{Type: types.ChannelTypeBasicChannelType, ContainerFormat: types.ContainerFormatFragmentedMP4, MultitrackInputConfiguration: enabled}, "only on channel type STANDARD, not BASIC"},
		"multitrack ts":    {ivs.CreateChannelInput{MultitrackInputConfiguration: enabled}, "containerFormat: must be FRAGMENTED_MP4 when multitrack input is enabled, not TS"},
		"no policy": {ivs.CreateChannelInput{ContainerFormat: types.ContainerFormatFragmentedMP4, MultitrackInputConfiguration: &types.MultitrackInputConfiguration{
			Enabled: true, MaximumResolution: types.MultitrackMaximumResolutionHd}}, "multitrackInputConfiguration.policy: required"},
		"no resolution": {ivs.CreateChannelInput{ContainerFormat: types.ContainerFormatFragmentedMP4, MultitrackInputConfiguration: &types.MultitrackInputConfiguration{
			Enabled: true, Policy: types.MultitrackPolicyRequire}}, "multitrackInputConfiguration.maximumResolution: required"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := client.CreateChannel(context.Background(), &tc.in)
			ve := wantAPIError[*types.ValidationException](t, err, "ValidationException")
			if got := aws.ToString(ve.ExceptionMessage); !strings.Contains(got, tc.want) {
				t.Errorf("exceptionMessage: got %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

func TestCreateChannelWithMultitrack(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	out, err := client.CreateChannel(context.Background(), &ivs.CreateChannelInput{
		ContainerFormat: types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{
			Enabled: true, MaximumResolution: types.MultitrackMaximumResolutionHd, Policy: types.MultitrackPolicyRequire,
		},
	})
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	got := out.Channel.MultitrackInputConfiguration
	if !got.Enabled || got.MaximumResolution != "HD" || got.Policy != "REQUIRE" || out.Channel.ContainerFormat != "FRAGMENTED_MP4" {
		t.Errorf("got multitrack %+v container %s, want enabled HD REQUIRE on FRAGMENTED_MP4", *got, out.Channel.ContainerFormat)
	}
}

func TestGetChannel(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, _ := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("a")})
	out, err := client.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetChannel: %v", err)
	}
	if aws.ToString(out.Channel.Name) != "a" || aws.ToString(out.Channel.Arn) != arn {
		t.Errorf("got channel %s named %q, want %s named a", aws.ToString(out.Channel.Arn), aws.ToString(out.Channel.Name), arn)
	}

	missing := "arn:aws:ivs:us-west-2:123456789012:channel/doesNotExist"
	_, err = client.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(missing)})
	nf := wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	if !strings.Contains(aws.ToString(nf.ExceptionMessage), missing) || aws.ToString(nf.XAmznErrorType) != "ResourceNotFoundException" {
		t.Errorf("got message %q, header %q; want the ARN and the x-amzn-ErrorType header", aws.ToString(nf.ExceptionMessage), aws.ToString(nf.XAmznErrorType))
	}

	for _, bad := range []string{"arn:aws:ivs:us-west-2:123456789012:stream-key/abc", "channel/abc", strings.Repeat("x", 129)} {
		_, err = client.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(bad)})
		wantAPIError[*types.ValidationException](t, err, "ValidationException")
	}
	if got := srv.Stats()[ivstest.OpGetChannel]; got.Calls != 5 || got.Errors != 4 {
		t.Errorf("stats: got %+v, want 5 calls, 4 errors", got)
	}
}

func TestBatchGetChannel(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	a, _ := createChannel(t, client, nil)
	b, _ := createChannel(t, client, nil)
	missing := "arn:aws:ivs:us-west-2:123456789012:channel/gone"
	out, err := client.BatchGetChannel(context.Background(), &ivs.BatchGetChannelInput{Arns: []string{a, missing, b, a}})
	if err != nil {
		t.Fatalf("BatchGetChannel: %v", err)
	}
	var got []string
	for _, c := range out.Channels {
		got = append(got, aws.ToString(c.Arn))
	}
	if !slices.Equal(got, []string{a, b}) {
		t.Errorf("channels: got %v, want %v", got, []string{a, b})
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Arn) != missing || aws.ToString(out.Errors[0].Code) != "ResourceNotFoundException" || aws.ToString(out.Errors[0].Message) == "" {
		t.Errorf("errors: got %s, want one ResourceNotFoundException for %s", mustJSON(t, out.Errors), missing)
	}

	tests := map[string][]string{
		"empty":       {},
		"51 arns":     slices.Repeat([]string{a}, 51),
		"invalid arn": {a, "not-an-arn"},
	}
	for name, arns := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := client.BatchGetChannel(context.Background(), &ivs.BatchGetChannelInput{Arns: arns})
			wantAPIError[*types.ValidationException](t, err, "ValidationException")
		})
	}
}

func TestUpdateChannelPartial(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	arn, _ := createChannel(t, client, &ivs.CreateChannelInput{
		Name: aws.String("keep-me"), LatencyMode: types.ChannelLatencyModeNormalLatency,
		RecordingConfigurationArn: aws.String("arn:aws:ivs:us-west-2:123456789012:recording-configuration/ABCD12cdEFgh"),
	})
	ctx := context.Background()

	// Enable multitrack: only the multitrack fields and the container change.
	out, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{
		Arn: aws.String(arn), ContainerFormat: types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, MaximumResolution: types.MultitrackMaximumResolutionHd, Policy: types.MultitrackPolicyAllow},
	})
	if err != nil {
		t.Fatalf("UpdateChannel enable: %v", err)
	}
	ch := out.Channel
	if aws.ToString(ch.Name) != "keep-me" || ch.LatencyMode != "NORMAL" || aws.ToString(ch.RecordingConfigurationArn) == "" {
		t.Errorf("partial update lost fields: name %q latency %s recording %q", aws.ToString(ch.Name), ch.LatencyMode, aws.ToString(ch.RecordingConfigurationArn))
	}
	if !ch.MultitrackInputConfiguration.Enabled || ch.MultitrackInputConfiguration.MaximumResolution != "HD" {
		t.Errorf("multitrack: got %+v, want enabled HD", *ch.MultitrackInputConfiguration)
	}

	// Rename only: multitrack is kept.
	out, err = client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), Name: aws.String("renamed")})
	if err != nil {
		t.Fatalf("UpdateChannel rename: %v", err)
	}
	if !out.Channel.MultitrackInputConfiguration.Enabled || aws.ToString(out.Channel.Name) != "renamed" {
		t.Errorf("rename: got name %q multitrack %+v", aws.ToString(out.Channel.Name), *out.Channel.MultitrackInputConfiguration)
	}

	// Enabled:false is sent as {} by the SDK: it disables multitrack and keeps policy and resolution.
	out, err = client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: false}})
	if err != nil {
		t.Fatalf("UpdateChannel disable: %v", err)
	}
	if got := *out.Channel.MultitrackInputConfiguration; got.Enabled || got.MaximumResolution != "HD" || got.Policy != "ALLOW" {
		t.Errorf("disable: got %+v, want disabled, HD, ALLOW", got)
	}

	// With multitrack disabled, TS is allowed again; while enabled it is not.
	if _, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), ContainerFormat: types.ContainerFormatTs}); err != nil {
		t.Fatalf("UpdateChannel TS: %v", err)
	}
	_, err = client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, MaximumResolution: "SD", Policy: "ALLOW"}})
	if msg := exceptionMessage(err); !strings.Contains(msg, "containerFormat: must be FRAGMENTED_MP4") {
		t.Errorf("enable on TS: got %v, want a ValidationException about containerFormat", err)
	}
	// A failed update changes nothing.
	got, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Channel.MultitrackInputConfiguration.Enabled || got.Channel.MultitrackInputConfiguration.MaximumResolution != "HD" {
		t.Errorf("after a failed update: got %+v, want it unchanged", *got.Channel.MultitrackInputConfiguration)
	}

	_, err = client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/gone")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

// TestUpdateChannelTypeToStandard mirrors aws/aws-sdk-go-v2#2262: the SDK cannot send
// "preset":"", so moving an ADVANCED_HD channel to STANDARD fails unless the body carries it.
func TestUpdateChannelTypeToStandard(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, _ := createChannel(t, client, &ivs.CreateChannelInput{Type: types.ChannelTypeAdvancedHDChannelType})
	_, err := client.UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), Type: types.ChannelTypeStandardChannelType, Preset: ""})
	ve := wantAPIError[*types.ValidationException](t, err, "ValidationException")
	if got, want := aws.ToString(ve.ExceptionMessage), "preset: HIGHER_BANDWIDTH_DELIVERY not match channel type: STANDARD"; got != want {
		t.Errorf("exceptionMessage: got %q, want %q", got, want)
	}

	body := `{"arn":"` + arn + `","type":"STANDARD","preset":""}`
	status, resp := post(t, srv.URL+"/UpdateChannel", body)
	if status != http.StatusOK {
		t.Fatalf("UpdateChannel with \"preset\":\"\": got %d %s, want 200", status, resp)
	}
	var out struct {
		Channel struct{ Type, Preset string }
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatal(err)
	}
	if out.Channel.Type != "STANDARD" || out.Channel.Preset != "" {
		t.Errorf("got type %q preset %q, want STANDARD and no preset", out.Channel.Type, out.Channel.Preset)
	}

	// Back to ADVANCED_SD: the default preset comes back.
	up, err := client.UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), Type: types.ChannelTypeAdvancedSDChannelType})
	if err != nil {
		t.Fatal(err)
	}
	if up.Channel.Preset != types.TranscodePresetHigherBandwidthTranscodePreset {
		t.Errorf("preset: got %q, want HIGHER_BANDWIDTH_DELIVERY", up.Channel.Preset)
	}
	// Multitrack on an ADVANCED channel is refused.
	_, err = client.UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), ContainerFormat: types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, MaximumResolution: "HD", Policy: "ALLOW"}})
	if msg := exceptionMessage(err); !strings.Contains(msg, "only on channel type STANDARD, not ADVANCED_SD") {
		t.Errorf("got %v (%q), want a ValidationException about the channel type", err, msg)
	}
}

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestLiveChannelCannotBeUpdatedOrDeleted(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, key := createChannel(t, client, nil)
	ctx := context.Background()
	if res, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil || !res.Live {
		t.Fatalf("Connect: %+v, %v; want live", res, err)
	}
	_, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), Name: aws.String("x")})
	wantAPIError[*types.ConflictException](t, err, "ConflictException")
	_, err = client.DeleteChannel(ctx, &ivs.DeleteChannelInput{Arn: aws.String(arn)})
	wantAPIError[*types.ConflictException](t, err, "ConflictException")

	if err := srv.Disconnect(ctx, arn); err != nil {
		t.Fatal(err)
	}
	if _, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn), Name: aws.String("x")}); err != nil {
		t.Errorf("UpdateChannel offline: %v", err)
	}
	if _, err := client.DeleteChannel(ctx, &ivs.DeleteChannelInput{Arn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteChannel: %v", err)
	}
	_, err = client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = client.DeleteChannel(ctx, &ivs.DeleteChannelInput{Arn: aws.String(arn)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err == nil {
		t.Error("Connect with a deleted channel's key: got no error")
	}
}

func TestDeleteChannelAnswers204(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, _ := createChannel(t, client, nil)
	status, body := post(t, srv.URL+"/DeleteChannel", `{"arn":"`+arn+`"}`)
	if status != http.StatusNoContent || len(body) != 0 {
		t.Errorf("got %d %q, want 204 and no body", status, body)
	}
}

func TestListChannels(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	rec := "arn:aws:ivs:us-west-2:123456789012:recording-configuration/Rec1"
	var all []string
	for i := range 5 {
		in := &ivs.CreateChannelInput{Name: aws.String([]string{"a", "b", "a", "c", "d"}[i])}
		if i >= 3 {
			in.RecordingConfigurationArn = aws.String(rec)
		}
		arn, _ := createChannel(t, client, in)
		all = append(all, arn)
	}
	slices.Sort(all)
	ctx := context.Background()

	var got []string
	pages := 0
	p := ivs.NewListChannelsPaginator(client, &ivs.ListChannelsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListChannels page %d: %v", pages, err)
		}
		pages++
		for _, c := range out.Channels {
			got = append(got, aws.ToString(c.Arn))
		}
	}
	if !slices.Equal(got, all) || pages != 3 {
		t.Errorf("paginated: got %d pages %v, want 3 pages %v", pages, got, all)
	}

	filters := map[string]struct {
		in   ivs.ListChannelsInput
		want int
	}{
		"by name":      {ivs.ListChannelsInput{FilterByName: aws.String("a")}, 2},
		"by recording": {ivs.ListChannelsInput{FilterByRecordingConfigurationArn: aws.String(rec)}, 2},
		"no match":     {ivs.ListChannelsInput{FilterByName: aws.String("zzz")}, 0},
	}
	for name, tc := range filters {
		t.Run(name, func(t *testing.T) {
			out, err := client.ListChannels(ctx, &tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Channels) != tc.want || out.NextToken != nil {
				t.Errorf("got %d channels (next %v), want %d", len(out.Channels), out.NextToken, tc.want)
			}
		})
	}

	_, err := client.ListChannels(ctx, &ivs.ListChannelsInput{FilterByName: aws.String("a"), FilterByRecordingConfigurationArn: aws.String(rec)})
	wantAPIError[*types.ConflictException](t, err, "ConflictException")
	for name, in := range map[string]*ivs.ListChannelsInput{
		"maxResults 0":   {MaxResults: aws.Int32(0)},
		"maxResults 101": {MaxResults: aws.Int32(101)},
		"bad token":      {NextToken: aws.String("bm90LWEtdG9rZW4")},
		"token pattern":  {NextToken: aws.String("!!")},
	} {
		_, err := client.ListChannels(ctx, in)
		if msg := exceptionMessage(err); msg == "" {
			t.Errorf("%s: got %v, want a ValidationException", name, err)
		}
	}
}
