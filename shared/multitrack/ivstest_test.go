package multitrack_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// TestCorrectAgainstLocalIVS runs each kind of correction against the local IVS server, which
// enforces the API's validation rules: create the channel, decide, UpdateChannel, read the
// channel back, decide again.
func TestCorrectAgainstLocalIVS(t *testing.T) {
	srv := ivstest.NewServer(ivstest.Options{})
	t.Cleanup(srv.Close)
	client := ivstest.Client(srv)
	ctx := context.Background()
	cfg := multitrack.Config{Mode: multitrack.ModeApply, AllowTypeChange: true, AllowContainerFormatChange: true}
	tests := map[string]struct {
		create *ivs.CreateChannelInput
		code   string
		top    int32
	}{
		"enable on STANDARD TS": {
			create: &ivs.CreateChannelInput{Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatTs},
			code:   ivsevent.CodeMultitrackInputNotAllowed, top: 720,
		},
		"relax REQUIRE": {
			create: &ivs.CreateChannelInput{Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatFragmentedMP4,
				MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyRequire, MaximumResolution: types.MultitrackMaximumResolutionHd}},
			code: ivsevent.CodeMultitrackInputRequired,
		},
		"raise SD to FULL_HD": {
			create: &ivs.CreateChannelInput{Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatFragmentedMP4,
				MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionSd}},
			code: ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, top: 1080,
		},
		"ADVANCED_HD to STANDARD": {
			create: &ivs.CreateChannelInput{Type: types.ChannelTypeAdvancedHDChannelType, Preset: types.TranscodePresetHigherBandwidthTranscodePreset},
			code:   ivsevent.CodeMultitrackInputNotAllowed, top: 1080,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			created, err := client.CreateChannel(ctx, tc.create)
			if err != nil {
				t.Fatalf("CreateChannel: %v", err)
			}
			arn := aws.ToString(created.Channel.Arn)
			before := getChannel(t, client, arn)
			d := multitrack.Decide(multitrack.Input{Code: tc.code, TopVideoHeight: tc.top, Channel: before}, cfg)
			if d.Action != multitrack.ActionApply {
				t.Fatalf("Decide: %s (%s), want apply", d.Action, d.Reason)
			}
			if _, err := client.UpdateChannel(ctx, d.Change.UpdateChannelInput(arn), d.Change.ClientOptions()...); err != nil {
				t.Fatalf("UpdateChannel: %v", err)
			}
			after := getChannel(t, client, arn)
			if !d.Change.Satisfied(after) {
				t.Errorf("channel after UpdateChannel does not have the change %+v", *d.Change)
			}
			want := multitrack.Apply(before, *d.Change)
			if after.Type != want.Type || after.Preset != want.Preset || after.ContainerFormat != want.ContainerFormat ||
				*after.MultitrackInputConfiguration != *want.MultitrackInputConfiguration || aws.ToString(after.Name) != aws.ToString(before.Name) {
				t.Errorf("after UpdateChannel: %+v, Apply predicted %+v", after, want)
			}
			again := multitrack.Decide(multitrack.Input{Code: tc.code, TopVideoHeight: tc.top, Channel: after}, cfg)
			if again.Action == multitrack.ActionApply {
				t.Errorf("decided again: %s (%s)", again.Action, again.Reason)
			}
		})
	}
}

// TestPresetClearNeeded shows why ClientOptions exists: without it, the type change that
// multitrack needs on an ADVANCED_* channel is refused (aws/aws-sdk-go-v2#2262).
func TestPresetClearNeeded(t *testing.T) {
	srv := ivstest.NewServer(ivstest.Options{})
	t.Cleanup(srv.Close)
	client := ivstest.Client(srv)
	ctx := context.Background()
	created, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Type: types.ChannelTypeAdvancedSDChannelType})
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	arn := aws.ToString(created.Channel.Arn)
	cfg := multitrack.Config{Mode: multitrack.ModeApply, AllowTypeChange: true, AllowContainerFormatChange: true}
	d := multitrack.Decide(multitrack.Input{Code: ivsevent.CodeMultitrackInputNotAllowed, Channel: getChannel(t, client, arn)}, cfg)
	if d.Action != multitrack.ActionApply || !d.Change.ClearPreset {
		t.Fatalf("Decide: %+v, want apply with ClearPreset", d)
	}
	_, err = client.UpdateChannel(ctx, d.Change.UpdateChannelInput(arn))
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != (*types.ValidationException)(nil).ErrorCode() {
		t.Errorf("UpdateChannel without ClientOptions: %v, want a ValidationException", err)
	}
}

func getChannel(t *testing.T, client *ivs.Client, arn string) types.Channel {
	t.Helper()
	out, err := client.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetChannel: %v", err)
	}
	return *out.Channel
}
