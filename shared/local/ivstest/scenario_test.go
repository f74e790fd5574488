package ivstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// TestScenarioMultitrackRefusedThenCorrected is the acceptance scenario: a 5-track
// encoder is refused by a channel without multitrack (MultitrackInputNotAllowed), the channel
// is updated through the SDK, and the encoder reconnects and goes live with every track
// visible in GetStreamSession.
func TestScenarioMultitrackRefusedThenCorrected(t *testing.T) {
	var mu sync.Mutex
	var received []ivstest.Event
	sink := ivstest.SinkFunc(func(_ context.Context, ev ivstest.Event) error {
		mu.Lock()
		defer mu.Unlock()
		received = append(received, ev)
		return nil
	})
	srv, client := newServer(t, ivstest.Options{Clock: ivstest.NewFakeClock(t0), Sink: sink})
	ctx := context.Background()
	arn, key := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("studio-a")})
	encoder := ivstest.OBS(key, 5)

	// 1. Refused.
	refused, err := srv.Connect(ctx, encoder)
	if err != nil {
		t.Fatal(err)
	}
	if refused.Live || refused.Code != ivsevent.CodeMultitrackInputNotAllowed {
		t.Fatalf("first connection: got %+v, want refused with MultitrackInputNotAllowed", refused)
	}
	mu.Lock()
	if len(received) != 2 {
		t.Fatalf("sink: got %d events, want Session Created and Session Ended", len(received))
	}
	ended, err := ivsevent.Parse(received[1].JSON)
	mu.Unlock()
	if err != nil {
		t.Fatalf("Session Ended does not parse: %v", err)
	}
	if ended.Name() != ivsevent.EventSessionEnded || ended.Code() != ivsevent.CodeMultitrackInputNotAllowed ||
		ended.Channel.String() != arn || ended.StreamID() != refused.StreamID || ended.ChannelName() != "studio-a" {
		t.Errorf("Session Ended: got %s", received[1].JSON)
	}
	sameShape(t, received[1].JSON, awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed"))

	// The refused session is visible with the tracks the encoder offered.
	sess, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String(refused.StreamID)})
	if err != nil {
		t.Fatal(err)
	}
	checkTracks(t, sess.StreamSession, encoder)
	if sess.StreamSession.EndTime == nil || aws.ToString(sess.StreamSession.TruncatedEvents[0].Code) != ivsevent.CodeMultitrackInputNotAllowed {
		t.Errorf("refused session: got endTime %v, events %s", sess.StreamSession.EndTime, mustJSON(t, sess.StreamSession.TruncatedEvents))
	}

	// 2. The channel is offline, so it can be corrected.
	_, err = client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	wantAPIError[*types.ChannelNotBroadcasting](t, err, "ChannelNotBroadcasting")
	if _, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{
		Arn:             aws.String(arn),
		ContainerFormat: types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{
			Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd,
		},
	}); err != nil {
		t.Fatalf("UpdateChannel: %v", err)
	}

	// 3. The encoder reconnects and goes live with all five tracks.
	live, err := srv.Connect(ctx, encoder)
	if err != nil {
		t.Fatal(err)
	}
	if !live.Live || live.Code != "" || live.StreamID == refused.StreamID {
		t.Fatalf("second connection: got %+v, want live with a new stream ID", live)
	}
	st, err := client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	if err != nil || st.Stream.State != types.StreamStateStreamLive || aws.ToString(st.Stream.StreamId) != live.StreamID {
		t.Fatalf("GetStream: got %v, %v; want LIVE %s", st, err, live.StreamID)
	}
	latest, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	checkTracks(t, latest.StreamSession, encoder)
	if mt := latest.StreamSession.Channel.MultitrackInputConfiguration; !mt.Enabled || latest.StreamSession.Channel.ContainerFormat != types.ContainerFormatFragmentedMP4 {
		t.Errorf("channel at go-live: got %s", mustJSON(t, latest.StreamSession.Channel))
	}
	if latest.StreamSession.EndTime != nil || aws.ToString(latest.StreamSession.StreamId) != live.StreamID {
		t.Errorf("live session: got %s %v, want %s without endTime", aws.ToString(latest.StreamSession.StreamId), latest.StreamSession.EndTime, live.StreamID)
	}

	if err := srv.Disconnect(ctx, arn); err != nil {
		t.Fatal(err)
	}
	want := []string{"Session Created", "Session Ended/MultitrackInputNotAllowed", "Session Created", "Stream Start", "Session Ended", "Stream End"}
	if got := eventNames(parseEvents(t, srv)); !slices.Equal(got, want) {
		t.Errorf("events: got %v, want %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(received) != len(want) {
		t.Errorf("sink: got %d events, want %d", len(received), len(want))
	}
}

// checkTracks checks that the session shows every track of enc, Track0 first.
func checkTracks(t *testing.T, sess *types.StreamSession, enc ivstest.Encoder) {
	t.Helper()
	got := sess.IngestConfigurations.VideoConfigurations
	if len(got) != len(enc.Video) {
		t.Fatalf("videoConfigurations: got %d, want %d", len(got), len(enc.Video))
	}
	for i, v := range enc.Video {
		g := got[i]
		if aws.ToString(g.Track) != fmt.Sprintf("Track%d", i) || g.VideoWidth != int64(v.Width) || g.VideoHeight != int64(v.Height) ||
			g.TargetFramerate != int64(v.Framerate) || g.TargetBitrate != int64(v.Bitrate) || aws.ToString(g.Codec) != v.Codec ||
			aws.ToString(g.Encoder) != enc.Software {
			t.Errorf("track %d: got %s, want %+v", i, mustJSON(t, g), v)
		}
	}
	if n := len(sess.IngestConfigurations.AudioConfigurations); n != len(enc.Audio) {
		t.Errorf("audioConfigurations: got %d, want %d", n, len(enc.Audio))
	}
}

// sameShape checks that two events have the same envelope keys and detail keys.
func sameShape(t *testing.T, got, want []byte) {
	t.Helper()
	keys := func(b []byte) (env, detail []string) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("event: %v", err)
		}
		var d map[string]json.RawMessage
		if err := json.Unmarshal(m["detail"], &d); err != nil {
			t.Fatalf("detail: %v", err)
		}
		return slices.Sorted(maps.Keys(m)), slices.Sorted(maps.Keys(d))
	}
	ge, gd := keys(got)
	we, wd := keys(want)
	if !slices.Equal(ge, we) || !slices.Equal(gd, wd) {
		t.Errorf("event shape: got %v %v, want %v %v as the sample", ge, gd, we, wd)
	}
}
