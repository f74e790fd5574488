package session

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Fixed identities and times, so that golden files are stable.
const (
	testARN      = "arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"
	testStreamID = "st-1AuTyMDASvHUTSb8p5PvbsO"
	testRecARN   = "arn:aws:ivs:us-west-2:123456789012:recording-configuration/ABcdef34ghIJ"
	testAdARN    = "arn:aws:ivs:us-west-2:123456789012:ad-configuration/adCDef56ghIJ"
	passphrase   = "srt-passphrase-do-not-leak-9f8e7d"
	streamKey    = "sk_us-west-2_abcdABCDefgh_567890abcdefGHIJ"
)

var t0 = time.Date(2024, 9, 9, 16, 17, 26, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// event parses an IVS EventBridge event with the real parser: detail is the detail object.
func event(t testing.TB, when time.Time, detailType string, detail map[string]any) *ivsevent.Event {
	t.Helper()
	env := map[string]any{
		"version": "0", "id": fmt.Sprintf("id-%d-%s", when.UnixNano(), strings.ReplaceAll(detailType, " ", "-")), "detail-type": detailType, "source": "aws.ivs",
		"account": "123456789012", "time": when.Format(time.RFC3339Nano), "region": "us-west-2",
		"resources": []string{testARN}, "detail": detail,
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ivsevent.Parse(b)
	if err != nil {
		t.Fatalf("parse fixture: %v", err)
	}
	return ev
}

func stateEvent(t testing.TB, when time.Time, name, code string) *ivsevent.Event {
	t.Helper()
	d := map[string]any{"event_name": name, "channel_name": "main-stage", "stream_id": testStreamID}
	if code != "" {
		d["code"] = code
	}
	return event(t, when, ivsevent.DetailTypeStreamStateChange, d)
}

func streamEvent(when time.Time, name, code string) types.StreamEvent {
	e := types.StreamEvent{EventTime: aws.Time(when), Name: aws.String(name), Type: aws.String(ivsevent.DetailTypeStreamStateChange)}
	if code != "" {
		e.Code = aws.String(code)
	}
	return e
}

// secretChannel is a channel as GetStreamSession returns it, with an SRT passphrase and tags
// that hold stream keys.
func secretChannel(typ types.ChannelType, cf types.ContainerFormat, mt *types.MultitrackInputConfiguration) *types.Channel {
	return &types.Channel{
		Arn:                          aws.String(testARN),
		Name:                         aws.String("main-stage"),
		Type:                         typ,
		LatencyMode:                  types.ChannelLatencyModeLowLatency,
		ContainerFormat:              cf,
		MultitrackInputConfiguration: mt,
		RecordingConfigurationArn:    aws.String(testRecARN),
		IngestEndpoint:               aws.String("a1b2c3d4e5f6.global-contribute.live-video.net"),
		PlaybackUrl:                  aws.String("https://a1b2c3d4e5f6.us-west-2.playback.live-video.net/api/video/v1/us-west-2.123456789012.channel.abcdABCDefgh.m3u8"),
		Srt:                          &types.Srt{Endpoint: aws.String("a1b2c3d4e5f6.srt.live-video.net"), Passphrase: aws.String(passphrase)},
		Tags:                         map[string]string{"team": "video", "backup-key": streamKey, "ingest": "rtmps://a1b2c3d4e5f6.global-contribute.live-video.net:443/app/" + streamKey},
	}
}

func video(track, codec, profile, level string, w, h, fps, bps int64) types.VideoConfiguration {
	return types.VideoConfiguration{
		Track: aws.String(track), Codec: aws.String(codec), Profile: aws.String(profile), Level: aws.String(level),
		Encoder: aws.String("obs-output module (libobs version 30.2.3)"), VideoWidth: w, VideoHeight: h, TargetFramerate: fps, TargetBitrate: bps,
		AvcProfile: aws.String(""), AvcLevel: aws.String(""),
	}
}

func audio(track string, bps int64) types.AudioConfiguration {
	return types.AudioConfiguration{Track: aws.String(track), Codec: aws.String("mp4a.40.2"), Channels: 2, SampleRate: 48000, TargetBitrate: bps}
}

// singleTrackSession is a classic 1080p60 single-track broadcast that lasted about an hour.
func singleTrackSession() *types.StreamSession {
	return &types.StreamSession{
		StreamId:  aws.String(testStreamID),
		StartTime: aws.Time(t0),
		EndTime:   aws.Time(at(time.Hour + 2*time.Minute + 3456*time.Millisecond)),
		Channel:   secretChannel(types.ChannelTypeStandardChannelType, types.ContainerFormatTs, nil),
		IngestConfigurations: &types.IngestConfigurations{
			VideoConfigurations: []types.VideoConfiguration{video("Track0", "avc1.64002A", "High", "4.2", 1920, 1080, 60, 6000000)},
			AudioConfigurations: []types.AudioConfiguration{audio("Track0", 160000)},
		},
		TruncatedEvents: []types.StreamEvent{
			streamEvent(at(time.Hour+2*time.Minute+4*time.Second), ivsevent.EventSessionEnded, ""),
			streamEvent(at(time.Hour+2*time.Minute+3*time.Second), ivsevent.EventStreamEnd, ""),
			streamEvent(at(6*time.Second), ivsevent.EventStreamStart, ""),
			streamEvent(t0, ivsevent.EventSessionCreated, ""),
		},
	}
}

// multitrackSession is an OBS Enhanced Broadcasting session: a five-rendition AVC ladder
// (1080p60, 720p60, 480p30, 360p30, 160p30; 10.2 Mbps of video) and two audio tracks.
func multitrackSession() *types.StreamSession {
	return &types.StreamSession{
		StreamId:  aws.String(testStreamID),
		StartTime: aws.Time(t0),
		EndTime:   aws.Time(at(2*time.Hour + 15*time.Minute)),
		Channel: secretChannel(types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4,
			&types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionFullHd}),
		IngestConfigurations: &types.IngestConfigurations{
			VideoConfigurations: []types.VideoConfiguration{
				video("Track0", "avc1.64002A", "High", "4.2", 1920, 1080, 60, 6000000),
				video("Track1", "avc1.640020", "High", "3.2", 1280, 720, 60, 2500000),
				video("Track2", "avc1.64001F", "High", "3.1", 852, 480, 30, 1000000),
				video("Track3", "avc1.64001E", "High", "3.0", 640, 360, 30, 500000),
				video("Track4", "avc1.64000C", "High", "1.2", 284, 160, 30, 200000),
			},
			AudioConfigurations: []types.AudioConfiguration{audio("Track0", 160000), audio("Track1", 160000)},
		},
		TruncatedEvents: []types.StreamEvent{
			streamEvent(at(2*time.Hour+15*time.Minute+time.Second), ivsevent.EventSessionEnded, ""),
			streamEvent(at(2*time.Hour+15*time.Minute), ivsevent.EventStreamEnd, ""),
			{EventTime: aws.Time(at(40 * time.Minute)), Name: aws.String(ivsevent.EventStarvationEnd), Type: aws.String(ivsevent.DetailTypeStreamHealthChange)},
			{EventTime: aws.Time(at(39*time.Minute + 58*time.Second)), Name: aws.String(ivsevent.EventStarvationStart), Type: aws.String(ivsevent.DetailTypeStreamHealthChange)},
			streamEvent(at(4*time.Second), ivsevent.EventStreamStart, ""),
			streamEvent(t0, ivsevent.EventSessionCreated, ""),
		},
	}
}

// refusedSession is an Enhanced Broadcasting attempt on a channel without multitrack input.
func refusedSession() *types.StreamSession {
	return &types.StreamSession{
		StreamId:             aws.String(testStreamID),
		StartTime:            aws.Time(t0),
		EndTime:              aws.Time(at(1500 * time.Millisecond)),
		Channel:              secretChannel(types.ChannelTypeStandardChannelType, types.ContainerFormatTs, nil),
		IngestConfigurations: &types.IngestConfigurations{VideoConfigurations: []types.VideoConfiguration{}, AudioConfigurations: []types.AudioConfiguration{}},
		TruncatedEvents: []types.StreamEvent{
			streamEvent(at(time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed),
			streamEvent(t0, ivsevent.EventSessionCreated, ""),
		},
	}
}

// refusedAdSession is the refusal of refusedSession on a channel that has an ad configuration
// (IVS server-side ad insertion).
func refusedAdSession() *types.StreamSession {
	ss := refusedSession()
	ss.Channel.AdConfigurationArn = aws.String(testAdARN)
	return ss
}

// truncatedSession is a long session whose 500 newest events are starvation flapping: its
// Session Created and Stream Start fell out of GetStreamSession's list.
func truncatedSession() *types.StreamSession {
	ss := singleTrackSession()
	end := at(10 * time.Hour)
	ss.EndTime = aws.Time(end)
	ss.TruncatedEvents = []types.StreamEvent{
		streamEvent(end.Add(time.Second), ivsevent.EventSessionEnded, ""),
		streamEvent(end, ivsevent.EventStreamEnd, ""),
	}
	for i := range MaxTruncatedEvents - 2 {
		name := ivsevent.EventStarvationEnd
		if i%2 == 1 {
			name = ivsevent.EventStarvationStart
		}
		when := end.Add(-time.Duration(i+1) * 30 * time.Second)
		ss.TruncatedEvents = append(ss.TruncatedEvents, types.StreamEvent{EventTime: aws.Time(when), Name: aws.String(name), Type: aws.String(ivsevent.DetailTypeStreamHealthChange)})
	}
	return ss
}
