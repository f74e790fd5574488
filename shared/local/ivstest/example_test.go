package ivstest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

// ExampleServer_Connect: an OBS multitrack encoder is refused by a channel without multitrack;
// the session and its code are visible through the real SDK.
func ExampleServer_Connect() {
	srv := ivstest.NewServer(ivstest.Options{})
	defer srv.Close()
	client := ivs.New(ivs.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{},
		HTTPClient: sdkhttp.New()})
	ctx := context.Background()

	out, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("studio-a")})
	if err != nil {
		panic(err)
	}
	res, err := srv.Connect(ctx, ivstest.OBS(aws.ToString(out.StreamKey.Value), 5))
	if err != nil {
		panic(err)
	}
	fmt.Println("live:", res.Live, "code:", res.Code)

	sess, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: out.Channel.Arn, StreamId: aws.String(res.StreamID)})
	if err != nil {
		panic(err)
	}
	fmt.Println("tracks offered:", len(sess.StreamSession.IngestConfigurations.VideoConfigurations))
	for _, ev := range srv.Events() {
		e, err := ivsevent.Parse(ev.JSON)
		if err != nil {
			panic(err)
		}
		fmt.Println(strings.TrimSpace(e.DetailType + " / " + e.Name() + " " + e.Code()))
	}
	// Output:
	// live: false code: MultitrackInputNotAllowed
	// tracks offered: 5
	// IVS Stream State Change / Session Created
	// IVS Stream State Change / Session Ended MultitrackInputNotAllowed
}
