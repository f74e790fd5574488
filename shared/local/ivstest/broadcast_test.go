package ivstest_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

var t0 = time.Date(2026, 11, 3, 17, 40, 3, 0, time.UTC)

func TestConnectOutcomes(t *testing.T) {
	enabled := func(policy types.MultitrackPolicy, res types.MultitrackMaximumResolution) *ivs.CreateChannelInput {
		return &ivs.CreateChannelInput{ContainerFormat: types.ContainerFormatFragmentedMP4,
			MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: policy, MaximumResolution: res}}
	}
	tests := map[string]struct {
		channel    *ivs.CreateChannelInput
		tracks     int
		wantLive   bool
		wantCode   string
		wantBreach string
		wantEvents []string
	}{
		"single track goes live": {nil, 1, true, "", "", []string{"Session Created", "Stream Start"}},
		"multitrack not allowed": {nil, 5, false, ivsevent.CodeMultitrackInputNotAllowed, "",
			[]string{"Session Created", "Session Ended/MultitrackInputNotAllowed"}},
		"multitrack required": {enabled(types.MultitrackPolicyRequire, "FULL_HD"), 1, false, ivsevent.CodeMultitrackInputRequired, "",
			[]string{"Session Created", "Session Ended/MultitrackInputRequired"}},
		"resolution over maximum": {enabled(types.MultitrackPolicyAllow, "SD"), 3, false, ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, "",
			[]string{"Session Created", "Session Ended/InvalidMultitrackInputVideoTrackMediaProperties"}},
		"multitrack live": {enabled(types.MultitrackPolicyAllow, "FULL_HD"), 5, true, "", "", []string{"Session Created", "Stream Start"}},
		"bitrate over basic": {&ivs.CreateChannelInput{Type: types.ChannelTypeBasicChannelType}, 1, false, "", ivsevent.LimitIngestBitrate,
			[]string{"Session Created", "Ingest Bitrate", "Session Ended"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv, client := newServer(t, ivstest.Options{Clock: ivstest.NewFakeClock(t0)})
			arn, key := createChannel(t, client, tc.channel)
			res, err := srv.Connect(context.Background(), ivstest.OBS(key, tc.tracks))
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if res.Live != tc.wantLive || res.Code != tc.wantCode || res.LimitBreach != tc.wantBreach || res.ChannelARN != arn || !ivsevent.ValidStreamID(res.StreamID) {
				t.Errorf("got %+v, want live %v code %q breach %q on %s", res, tc.wantLive, tc.wantCode, tc.wantBreach, arn)
			}
			evs := parseEvents(t, srv)
			if got := eventNames(evs); !slices.Equal(got, tc.wantEvents) {
				t.Errorf("events: got %v, want %v", got, tc.wantEvents)
			}
			for _, e := range evs {
				if e.Channel.String() != arn || e.StreamID() != res.StreamID || e.Account != "123456789012" || e.Region != "us-west-2" || !e.Time.Equal(t0) {
					t.Errorf("event %s: got channel %s stream %s account %s region %s time %s", e.Name(), e.Channel, e.StreamID(), e.Account, e.Region, e.Time)
				}
			}

			// The session is recorded, refused or not, with the tracks the encoder offered.
			out, err := client.GetStreamSession(context.Background(), &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String(res.StreamID)})
			if err != nil {
				t.Fatalf("GetStreamSession: %v", err)
			}
			sess := out.StreamSession
			if n := len(sess.IngestConfigurations.VideoConfigurations); n != tc.tracks {
				t.Errorf("video configurations: got %d, want %d", n, tc.tracks)
			}
			if (sess.EndTime == nil) != tc.wantLive {
				t.Errorf("endTime: got %v, want set only when refused", sess.EndTime)
			}
			if tc.wantCode != "" && aws.ToString(sess.TruncatedEvents[0].Code) != tc.wantCode {
				t.Errorf("newest event: got %s, want the code %s", mustJSON(t, sess.TruncatedEvents[0]), tc.wantCode)
			}
			_, err = client.GetStream(context.Background(), &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
			if tc.wantLive != (err == nil) {
				t.Errorf("GetStream: got %v, want live %v", err, tc.wantLive)
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, key := createChannel(t, client, nil)
	ctx := context.Background()
	if _, err := srv.Connect(ctx, ivstest.OBS("sk_us-west-2_wrong", 1)); !errors.Is(err, ivstest.ErrUnknownStreamKey) {
		t.Errorf("unknown key: got %v, want ErrUnknownStreamKey", err)
	}
	if _, err := srv.Connect(ctx, ivstest.Encoder{StreamKey: key}); !errors.Is(err, ivstest.ErrNoVideo) {
		t.Errorf("no video: got %v, want ErrNoVideo", err)
	}
	if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); !errors.Is(err, ivstest.ErrChannelLive) {
		t.Errorf("second encoder: got %v, want ErrChannelLive", err)
	}
	if len(srv.Events()) != 2 {
		t.Errorf("events: got %d, want 2 (the turned-away attempts emit nothing)", len(srv.Events()))
	}
	if err := srv.Disconnect(ctx, arn); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"disconnect offline": srv.Disconnect(ctx, arn),
		"starve offline":     srv.Starve(ctx, arn),
		"recover offline":    srv.Recover(ctx, arn),
		"fail offline":       srv.FailStream(ctx, arn, ""),
	} {
		if !errors.Is(err, ivstest.ErrNotLive) {
			t.Errorf("%s: got %v, want ErrNotLive", name, err)
		}
	}
	if err := srv.Disconnect(ctx, "arn:aws:ivs:us-west-2:123456789012:channel/none"); !errors.Is(err, ivstest.ErrUnknownChannel) {
		t.Errorf("unknown channel: got %v, want ErrUnknownChannel", err)
	}
	if _, err := srv.StreamKey(arn); err != nil {
		t.Errorf("StreamKey: %v", err)
	}
}

func TestLiveStreamLifecycle(t *testing.T) {
	clock := ivstest.NewFakeClock(t0)
	srv, client := newServer(t, ivstest.Options{Clock: clock})
	arn, key := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("studio-a")})
	ctx := context.Background()
	res, err := srv.Connect(ctx, ivstest.OBS(key, 1))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := srv.Starve(ctx, arn); err != nil {
		t.Fatal(err)
	}
	if err := srv.Starve(ctx, arn); err != nil { // already starving: no second event
		t.Fatal(err)
	}
	st, err := client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stream.Health != types.StreamHealthStarving || st.Stream.State != types.StreamStateStreamLive || aws.ToString(st.Stream.StreamId) != res.StreamID || !aws.ToTime(st.Stream.StartTime).Equal(t0) {
		t.Errorf("GetStream: got %s, want LIVE STARVING %s started %s", mustJSON(t, st.Stream), res.StreamID, t0)
	}
	starving, err := client.ListStreams(ctx, &ivs.ListStreamsInput{FilterBy: &types.StreamFilters{Health: types.StreamHealthStarving}})
	if err != nil || len(starving.Streams) != 1 {
		t.Errorf("ListStreams STARVING: got %v, %v; want one stream", starving, err)
	}
	if err := srv.Recover(ctx, arn); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := client.StopStream(ctx, &ivs.StopStreamInput{ChannelArn: aws.String(arn)}); err != nil {
		t.Fatalf("StopStream: %v", err)
	}
	_, err = client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	wantAPIError[*types.ChannelNotBroadcasting](t, err, "ChannelNotBroadcasting")
	_, err = client.StopStream(ctx, &ivs.StopStreamInput{ChannelArn: aws.String(arn)})
	wantAPIError[*types.ChannelNotBroadcasting](t, err, "ChannelNotBroadcasting")
	_, err = client.StopStream(ctx, &ivs.StopStreamInput{ChannelArn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/none")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")

	evs := parseEvents(t, srv)
	want := []string{"Session Created", "Stream Start", "Starvation Start", "Starvation End", "Session Ended", "Stream End"}
	if got := eventNames(evs); !slices.Equal(got, want) {
		t.Errorf("events: got %v, want %v", got, want)
	}
	if evs[0].ChannelName() != "studio-a" || evs[2].DetailType != ivsevent.DetailTypeStreamHealthChange {
		t.Errorf("got channel_name %q and detail-type %q", evs[0].ChannelName(), evs[2].DetailType)
	}

	// Without streamId, GetStreamSession answers the latest session.
	out, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	sess := out.StreamSession
	var names []string
	for _, e := range sess.TruncatedEvents {
		names = append(names, aws.ToString(e.Name))
	}
	slices.Reverse(want)
	if !slices.Equal(names, want) {
		t.Errorf("truncatedEvents: got %v, want newest first %v", names, want)
	}
	if !aws.ToTime(sess.EndTime).Equal(t0.Add(2*time.Minute)) || aws.ToString(sess.StreamId) != res.StreamID {
		t.Errorf("got endTime %v stream %s, want %v %s", sess.EndTime, aws.ToString(sess.StreamId), t0.Add(2*time.Minute), res.StreamID)
	}
	if aws.ToString(sess.Channel.Name) != "studio-a" || aws.ToString(sess.Channel.Srt.Passphrase) == "" {
		t.Errorf("channel at go-live: got %s", mustJSON(t, sess.Channel))
	}
	v0 := sess.IngestConfiguration.Video
	if aws.ToString(v0.AvcProfile) != "High" || aws.ToString(v0.Track) != "Track0" || v0.VideoHeight != 1080 || aws.ToString(sess.IngestConfigurations.AudioConfigurations[0].Codec) != "mp4a.40.2" {
		t.Errorf("ingest: got %s and %s", mustJSON(t, sess.IngestConfiguration), mustJSON(t, sess.IngestConfigurations))
	}
}

func TestFailStream(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, key := createChannel(t, client, nil)
	ctx := context.Background()
	if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil {
		t.Fatal(err)
	}
	if err := srv.FailStream(ctx, arn, ""); err != nil {
		t.Fatal(err)
	}
	evs := parseEvents(t, srv)
	if got, want := eventNames(evs), []string{"Session Created", "Stream Start", "Stream Failure", "Session Ended", "Stream End"}; !slices.Equal(got, want) {
		t.Fatalf("events: got %v, want %v", got, want)
	}
	if evs[2].StreamState.Reason != "Transcode capacity exceeded. Please try again." {
		t.Errorf("reason: got %q", evs[2].StreamState.Reason)
	}
	list, err := client.ListStreamSessions(ctx, &ivs.ListStreamSessionsInput{ChannelArn: aws.String(arn)})
	if err != nil || len(list.StreamSessions) != 1 || !list.StreamSessions[0].HasErrorEvent {
		t.Errorf("ListStreamSessions: got %s, %v; want one session with hasErrorEvent", mustJSON(t, list), err)
	}
}
