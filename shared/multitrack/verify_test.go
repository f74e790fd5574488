package multitrack

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// TestDecideUnconfirmed: a refusal IVS does not confirm never leads to a channel change,
// whatever the channel; the codes whose rules change nothing keep their decision.
func TestDecideUnconfirmed(t *testing.T) {
	standardTS := types.Channel{Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatTs}
	tests := map[string]struct {
		in         Input
		mode       Mode
		wantAction Action
	}{
		"not allowed, channel known":   {Input{Code: ivsevent.CodeMultitrackInputNotAllowed, Channel: standardTS}, ModeApply, ActionUnverified},
		"not allowed, channel unknown": {Input{Code: ivsevent.CodeMultitrackInputNotAllowed, ChannelUnknown: true}, ModeApply, ActionUnverified},
		"required":                     {Input{Code: ivsevent.CodeMultitrackInputRequired, ChannelUnknown: true}, ModeApply, ActionUnverified},
		"media properties":             {Input{Code: ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, ChannelUnknown: true}, ModeDryRun, ActionUnverified},
		"mode off wins":                {Input{Code: ivsevent.CodeMultitrackInputNotAllowed, ChannelUnknown: true}, ModeOff, ActionSkipped},
		"stream key: broadcaster":      {Input{Code: ivsevent.CodeInvalidGetClientConfigurationStreamKey, ChannelUnknown: true}, ModeApply, ActionBroadcaster},
		"no code":                      {Input{}, ModeApply, ActionNone},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.in.Unconfirmed = "the stream session does not exist"
			d := Decide(tc.in, Config{Mode: tc.mode, AllowContainerFormatChange: true})
			if d.Action != tc.wantAction {
				t.Fatalf("Decide = %+v, want action %s", d, tc.wantAction)
			}
			if d.Change != nil || d.DryRun {
				t.Errorf("Decide = %+v, want no change", d)
			}
			if d.Action == ActionUnverified && !strings.Contains(d.Reason, "does not exist") {
				t.Errorf("reason %q does not say why", d.Reason)
			}
		})
	}
	// The same channel with the refusal confirmed is corrected.
	in := Input{Code: ivsevent.CodeMultitrackInputNotAllowed, Channel: standardTS}
	if d := Decide(in, Config{Mode: ModeApply, AllowContainerFormatChange: true}); d.Action != ActionApply {
		t.Errorf("confirmed refusal: Decide = %+v, want apply", d)
	}
}
