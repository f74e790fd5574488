package ivstest_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

const testPlaybackConfiguration = "arn:aws:mediatailor:us-west-2:123456789012:playbackConfiguration/ivs-ads"

// adConfigurationARN is the ad configuration ARN pattern of the IVS API.
var adConfigurationARN = regexp.MustCompile(`^arn:aws:ivs:us-west-2:123456789012:ad-configuration/[a-zA-Z0-9-]+$`)

func createAdConfiguration(t *testing.T, client *ivs.Client, name string) string {
	t.Helper()
	out, err := client.CreateAdConfiguration(context.Background(), &ivs.CreateAdConfigurationInput{
		Name:                              aws.String(name),
		MediaTailorPlaybackConfigurations: []types.MediaTailorPlaybackConfiguration{{PlaybackConfigurationArn: aws.String(testPlaybackConfiguration)}},
		Tags:                              map[string]string{"team": "ads"},
	})
	if err != nil {
		t.Fatalf("CreateAdConfiguration: %v", err)
	}
	return aws.ToString(out.AdConfiguration.Arn)
}

// TestAdConfigurations creates, reads, lists, tags and deletes ad configurations with the real
// SDK client, as IVS's API reference describes them.
func TestAdConfigurations(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	arn := createAdConfiguration(t, client, "midrolls")
	if !adConfigurationARN.MatchString(arn) {
		t.Fatalf("ad configuration ARN %q, want %s", arn, adConfigurationARN)
	}

	got, err := client.GetAdConfiguration(ctx, &ivs.GetAdConfigurationInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetAdConfiguration: %v", err)
	}
	a := got.AdConfiguration
	if aws.ToString(a.Arn) != arn || aws.ToString(a.Name) != "midrolls" || len(a.MediaTailorPlaybackConfigurations) != 1 ||
		aws.ToString(a.MediaTailorPlaybackConfigurations[0].PlaybackConfigurationArn) != testPlaybackConfiguration || a.Tags["team"] != "ads" {
		t.Errorf("GetAdConfiguration = %+v, want what was created", a)
	}

	// Listed in pages by ARN.
	second := createAdConfiguration(t, client, "")
	p := ivs.NewListAdConfigurationsPaginator(client, &ivs.ListAdConfigurationsInput{MaxResults: aws.Int32(1)})
	var listed []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAdConfigurations: %v", err)
		}
		if len(page.AdConfigurations) > 1 {
			t.Fatalf("page of %d, want at most 1", len(page.AdConfigurations))
		}
		for _, s := range page.AdConfigurations {
			listed = append(listed, aws.ToString(s.Arn))
		}
	}
	if len(listed) != 2 || !strings.Contains(strings.Join(listed, " "), arn) || !strings.Contains(strings.Join(listed, " "), second) {
		t.Errorf("listed %v, want %s and %s", listed, arn, second)
	}

	// Tags, on /tags/{resourceArn} like every IVS resource.
	if _, err := client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"cost-center": "42"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	tags, err := client.ListTagsForResource(ctx, &ivs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || tags.Tags["cost-center"] != "42" || tags.Tags["team"] != "ads" {
		t.Errorf("ListTagsForResource = %+v, %v; want both tags", tags, err)
	}

	if _, err := client.DeleteAdConfiguration(ctx, &ivs.DeleteAdConfigurationInput{Arn: aws.String(second)}); err != nil {
		t.Fatalf("DeleteAdConfiguration: %v", err)
	}
	_, err = client.GetAdConfiguration(ctx, &ivs.GetAdConfigurationInput{Arn: aws.String(second)})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)
	_, err = client.DeleteAdConfiguration(ctx, &ivs.DeleteAdConfigurationInput{Arn: aws.String(second)})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)
	if st := srv.State(); len(st.AdConfigurations) != 1 || st.AdConfigurations[0] != arn {
		t.Errorf("state ad configurations %v, want [%s]", st.AdConfigurations, arn)
	}
}

// TestAdConfigurationValidation sends what the API reference refuses, with the real SDK client.
func TestAdConfigurationValidation(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	pc := func(arns ...string) []types.MediaTailorPlaybackConfiguration {
		out := []types.MediaTailorPlaybackConfiguration{} // not nil: the SDK refuses a nil required member itself
		for _, a := range arns {
			out = append(out, types.MediaTailorPlaybackConfiguration{PlaybackConfigurationArn: aws.String(a)})
		}
		return out
	}
	bad := map[string]struct {
		in   ivs.CreateAdConfigurationInput
		want string // the member the message names
	}{
		"no playback configuration": {ivs.CreateAdConfigurationInput{MediaTailorPlaybackConfigurations: pc()}, "mediaTailorPlaybackConfigurations"},
		"two playback configurations": {ivs.CreateAdConfigurationInput{MediaTailorPlaybackConfigurations: pc(testPlaybackConfiguration, testPlaybackConfiguration)},
			"mediaTailorPlaybackConfigurations"},
		"not a MediaTailor ARN": {ivs.CreateAdConfigurationInput{MediaTailorPlaybackConfigurations: pc("arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh")},
			"playbackConfigurationArn"},
		"name with a space": {ivs.CreateAdConfigurationInput{Name: aws.String("mid rolls"), MediaTailorPlaybackConfigurations: pc(testPlaybackConfiguration)}, "name"},
		"name too long":     {ivs.CreateAdConfigurationInput{Name: aws.String(strings.Repeat("a", 129)), MediaTailorPlaybackConfigurations: pc(testPlaybackConfiguration)}, "name"},
		"reserved tag":      {ivs.CreateAdConfigurationInput{MediaTailorPlaybackConfigurations: pc(testPlaybackConfiguration), Tags: map[string]string{"aws:x": "y"}}, "tags"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := client.CreateAdConfiguration(ctx, &tc.in)
			wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
			if msg := exceptionMessage(err); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not name %s", msg, tc.want)
			}
		})
	}
	for _, arn := range []string{"arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh", "adcfg"} {
		_, err := client.GetAdConfiguration(ctx, &ivs.GetAdConfigurationInput{Arn: aws.String(arn)})
		wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
	}
	_, err := client.ListAdConfigurations(ctx, &ivs.ListAdConfigurationsInput{MaxResults: aws.Int32(101)})
	wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
}

// TestChannelAdConfiguration gives channels an ad configuration with CreateChannel and
// UpdateChannel: one that does not exist is refused with ResourceNotFoundException, "" removes
// it, a referenced one cannot be deleted, and ListChannels filters by it.
func TestChannelAdConfiguration(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	ad := createAdConfiguration(t, client, "midrolls")
	missing := "arn:aws:ivs:us-west-2:123456789012:ad-configuration/Nope12345678"

	_, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("ads-missing"), AdConfigurationArn: aws.String(missing)})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)
	if msg := exceptionMessage(err); !strings.Contains(msg, missing) {
		t.Errorf("message %q does not name %s", msg, missing)
	}
	_, err = client.CreateChannel(ctx, &ivs.CreateChannelInput{AdConfigurationArn: aws.String("arn:aws:ivs:us-west-2:123456789012:recording-configuration/ABcdef34ghIJ")})
	wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
	list, err := client.ListChannels(ctx, &ivs.ListChannelsInput{})
	if err != nil || len(list.Channels) != 0 {
		t.Fatalf("ListChannels = %+v, %v: a refused CreateChannel left a channel", list, err)
	}

	arn, _ := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("ads"), AdConfigurationArn: aws.String(ad)})
	plain, _ := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("plain")})
	ch, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil || aws.ToString(ch.Channel.AdConfigurationArn) != ad || ch.Channel.ContainerFormat != types.ContainerFormatTs {
		t.Fatalf("GetChannel = %+v, %v; want the ad configuration, TS", ch, err)
	}
	filtered, err := client.ListChannels(ctx, &ivs.ListChannelsInput{FilterByAdConfigurationArn: aws.String(ad)})
	if err != nil || len(filtered.Channels) != 1 || aws.ToString(filtered.Channels[0].Arn) != arn || aws.ToString(filtered.Channels[0].AdConfigurationArn) != ad {
		t.Errorf("ListChannels by ad configuration = %+v, %v; want the one channel, with its ad configuration", filtered, err)
	}

	_, err = client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(plain), AdConfigurationArn: aws.String(missing)})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)
	if _, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(plain), AdConfigurationArn: aws.String(ad)}); err != nil {
		t.Fatalf("UpdateChannel with an ad configuration: %v", err)
	}

	_, err = client.DeleteAdConfiguration(ctx, &ivs.DeleteAdConfigurationInput{Arn: aws.String(ad)})
	wantAPIError[*types.ConflictException](t, err, ivstest.CodeConflict)

	// IVS does not document that it refuses FRAGMENTED_MP4 with an ad configuration: the
	// local IVS accepts it, the case the corrector must never create.
	up, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(plain), ContainerFormat: types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd}})
	if err != nil || aws.ToString(up.Channel.AdConfigurationArn) != ad {
		t.Fatalf("UpdateChannel to multitrack on a channel with ads = %+v, %v; want accepted silently", up, err)
	}

	// "" removes the ad configuration; then it can be deleted.
	for _, c := range []string{arn, plain} {
		out, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(c), AdConfigurationArn: aws.String("")})
		if err != nil || aws.ToString(out.Channel.AdConfigurationArn) != "" {
			t.Fatalf("UpdateChannel adConfigurationArn \"\" = %+v, %v; want it removed", out, err)
		}
	}
	if _, err := client.DeleteAdConfiguration(ctx, &ivs.DeleteAdConfigurationInput{Arn: aws.String(ad)}); err != nil {
		t.Fatalf("DeleteAdConfiguration once no channel references it: %v", err)
	}
}
