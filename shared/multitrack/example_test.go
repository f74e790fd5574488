package multitrack_test

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// An OBS "Enhanced Broadcasting" encoder sent a 1080p ladder to a STANDARD channel without
// multitrack input: the policy enables it.
func ExampleDecide() {
	arn := "arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"
	cfg := multitrack.Config{Mode: multitrack.ModeApply, AllowContainerFormatChange: true, OptOutTag: "ivs-sessions:opt-out"}
	in := multitrack.Input{
		Code:           ivsevent.CodeMultitrackInputNotAllowed,
		TopVideoHeight: 1080,
		Channel:        types.Channel{Arn: aws.String(arn), Type: types.ChannelTypeStandardChannelType, ContainerFormat: types.ContainerFormatTs},
	}
	d := multitrack.Decide(in, cfg)
	fmt.Println(d.Action)
	fmt.Println(d.Reason)
	change, _ := json.Marshal(d.Change)
	fmt.Println(string(change))

	// The corrector calls UpdateChannel with these, then checks that deciding again asks for nothing.
	_ = d.Change.UpdateChannelInput(arn)
	_ = d.Change.ClientOptions()
	in.Channel = multitrack.Apply(in.Channel, *d.Change)
	fmt.Println(multitrack.Decide(in, cfg).Action)
	// Output:
	// apply
	// the encoder sent multitrack video and the channel does not accept it: change containerFormat from TS to FRAGMENTED_MP4 (recordings change format too), enable multitrack input with policy ALLOW and maximumResolution FULL_HD (the highest video track, 1080p)
	// {"containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"policy":"ALLOW","maximumResolution":"FULL_HD"}}
	// none
}
