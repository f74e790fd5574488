package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// target is what an event is about: the channel and stream session the local IVS must show.
type target struct {
	ChannelARN  string           // "" for an account-level event or an event of unknown shape
	ChannelName string           // the channel's name, if the event gives it
	StreamID    string           // the stream session's ID
	Code        string           // the code the session ended with, if any
	Ended       bool             // the event says the session ended
	Time        time.Time        // when the event happened (zero: unknown)
	Channel     *session.Channel // the channel's configuration, when the event carries it
}

// targetOf reads what an event is about: an IVS event (it must pass ivsevent.Parse), or an
// event the suite publishes (IVS Session Enriched, IVS Channel Multitrack Corrected, IVS
// Session Quality). Any other event gives the zero target: the function decides what to make
// of it.
func targetOf(event []byte) (target, error) {
	var head events.EventBridgeEvent
	if err := json.Unmarshal(event, &head); err != nil {
		return target{}, fmt.Errorf("want an EventBridge event (JSON object): %w", err)
	}
	if head.Source == suite.EventSource {
		return suiteTarget(event)
	}
	if head.Source == ivsevent.Source {
		ev, err := ivsevent.Parse(event)
		if err != nil {
			return target{}, fmt.Errorf("IVS event: %w", err)
		}
		return target{
			ChannelARN: ev.Channel.String(), ChannelName: ev.ChannelName(), StreamID: ev.StreamID(),
			Code: ev.Code(), Ended: ends(ev.Name()), Time: ev.Time,
		}, nil
	}
	return target{}, nil
}

// suiteTarget reads what one of the suite's own events is about; an event of another
// detail-type gives the zero target.
func suiteTarget(event []byte) (target, error) {
	ev, err := suiteevent.Decode(event)
	switch {
	case errors.Is(err, invalid.ErrUnknown):
		return target{}, nil
	case err != nil:
		return target{}, err
	case ev.Enriched != nil:
		d := *ev.Enriched
		r := d.Record
		tg := target{ChannelARN: r.ChannelARN, StreamID: r.StreamID, Code: r.Code, Ended: r.Outcome != session.OutcomeLive,
			Time: firstTime(r.StartTime, d.Trigger.Time), Channel: r.Channel}
		if r.Channel != nil {
			tg.ChannelName = r.Channel.Name
		}
		return tg, nil
	case ev.Measured != nil:
		m := *ev.Measured
		return target{ChannelARN: m.ChannelARN, StreamID: m.StreamID, Ended: true,
			Time: firstTime(m.Trigger.Time, m.Quality.WindowEnd, m.Quality.MeasuredAt)}, nil
	default:
		c := *ev.Corrected
		tg := target{ChannelARN: c.ChannelARN, StreamID: c.StreamID, Code: c.Correction.Decision.Code, Ended: true,
			Time: firstTime(c.Trigger.Time, c.Correction.At), Channel: c.Before}
		if c.Before != nil {
			tg.ChannelName = c.Before.Name
		}
		return tg, nil
	}
}

// ends reports whether an IVS event of this name ends its session.
func ends(name string) bool {
	switch name {
	case ivsevent.EventSessionEnded, ivsevent.EventStreamEnd, ivsevent.EventStreamFailure, ivsevent.RecordingEnd, ivsevent.RecordingEndFailure:
		return true
	}
	return false
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Time{}
}

// local is what setup made on the local IVS for a target.
type local struct {
	ChannelARN string
	StreamID   string
	Notes      []string // what a person should know, e.g. a refusal the local IVS cannot simulate
}

// refusals are the refusals the local IVS simulates: the channel that refuses and the ladder
// it refuses.
var refusals = map[string]struct {
	channel func() *ivs.CreateChannelInput
	video   func() []ivstest.VideoTrack
}{
	ivsevent.CodeMultitrackInputNotAllowed: {
		channel: func() *ivs.CreateChannelInput { return &ivs.CreateChannelInput{} },
		video:   func() []ivstest.VideoTrack { return ivstest.Ladder(3) },
	},
	ivsevent.CodeMultitrackInputRequired: {
		channel: func() *ivs.CreateChannelInput {
			return multitrackChannel(types.MultitrackPolicyRequire, types.MultitrackMaximumResolutionHd)
		},
		video: func() []ivstest.VideoTrack { return ivstest.Ladder(1) },
	},
	ivsevent.CodeInvalidMultitrackInputTrackCount: {
		channel: func() *ivs.CreateChannelInput {
			return multitrackChannel(types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
		},
		video: func() []ivstest.VideoTrack { return append(ivstest.Ladder(5), ivstest.Rendition160p30) },
	},
	ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties: {
		channel: func() *ivs.CreateChannelInput {
			return multitrackChannel(types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionSd)
		},
		video: func() []ivstest.VideoTrack { return ivstest.Ladder(3) },
	},
}

func multitrackChannel(policy types.MultitrackPolicy, res types.MultitrackMaximumResolution) *ivs.CreateChannelInput {
	return &ivs.CreateChannelInput{
		ContainerFormat:              types.ContainerFormatFragmentedMP4,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: policy, MaximumResolution: res},
	}
}

// channelInput returns the CreateChannel request for a target: the configuration the event
// carries, else the one that refuses the target's code, else IVS's defaults.
func channelInput(tg target) *ivs.CreateChannelInput {
	in := &ivs.CreateChannelInput{}
	switch r, ok := refusals[tg.Code]; {
	case tg.Channel != nil:
		c := tg.Channel
		in = &ivs.CreateChannelInput{
			Type: types.ChannelType(c.Type), LatencyMode: types.ChannelLatencyMode(c.LatencyMode),
			ContainerFormat: types.ContainerFormat(c.ContainerFormat), Preset: types.TranscodePreset(c.Preset),
			Tags: c.Tags,
		}
		if c.RecordingConfigurationARN != "" {
			in.RecordingConfigurationArn = aws.String(c.RecordingConfigurationARN)
		}
		if m := c.MultitrackInputConfiguration; m != nil {
			in.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{Enabled: m.Enabled, Policy: m.Policy, MaximumResolution: m.MaximumResolution}
		}
	case ok:
		in = r.channel()
	}
	name := tg.ChannelName
	if name == "" {
		name = "invoke"
	}
	in.Name = aws.String(name)
	return in
}

// setup creates, on the local IVS, the channel of tg and a stream session that ends the way tg
// says, with clock set so that the session's events fall at tg's time.
func setup(ctx context.Context, srv *ivstest.Server, client *ivs.Client, clock *ivstest.FakeClock, tg target) (local, error) {
	var out local
	in := channelInput(tg)
	created, err := client.CreateChannel(ctx, in)
	if name := aws.ToString(in.Name); err != nil && name != "invoke" {
		// The local IVS checks names as IVS does; the function sees the event's ARN anyway.
		refused := ivsReason(err)
		renamed := *in
		renamed.Name = aws.String("invoke")
		if created, err = client.CreateChannel(ctx, &renamed); err == nil {
			out.Notes = append(out.Notes, fmt.Sprintf("the local IVS refused the channel name %q (%s); the local channel is named \"invoke\" "+
				"(the function sees the event's channel ARN; GetChannel answers that name)", name, refused))
		}
	}
	if err != nil && tg.Channel != nil {
		out.Notes = append(out.Notes, fmt.Sprintf("the local IVS refused the event's channel configuration (%s); using IVS's defaults", ivsReason(err)))
		if created, err = client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: in.Name}); err != nil {
			created, err = client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String("invoke")})
		}
	}
	if err != nil {
		return local{}, fmt.Errorf("create the local channel: %s", ivsReason(err))
	}
	out.ChannelARN = aws.ToString(created.Channel.Arn)
	if tg.StreamID == "" {
		return out, nil
	}

	at := tg.Time
	if at.IsZero() {
		at = time.Now().UTC().Truncate(time.Second)
	}
	video := ivstest.Ladder(1)
	r, refusal := refusals[tg.Code]
	if refusal {
		video = r.video()
		clock.Set(at)
	} else {
		clock.Set(at.Add(-10 * time.Minute)) // live for ten minutes before the event
		if session.IsRefusal(tg.Code) {
			out.Notes = append(out.Notes, fmt.Sprintf("the local IVS does not simulate the refusal %s: the session is a single-track one", tg.Code))
		}
	}
	enc := ivstest.OBS(aws.ToString(created.StreamKey.Value), 1)
	enc.Video = video
	res, err := srv.Connect(ctx, enc)
	if err != nil {
		return local{}, fmt.Errorf("connect an encoder to the local channel: %w", err)
	}
	out.StreamID = res.StreamID
	if refusal && res.Code != tg.Code {
		out.Notes = append(out.Notes, fmt.Sprintf("the local IVS answered %q, not the event's %s (the channel's configuration differs)", res.Code, tg.Code))
	}
	if res.Live && tg.Ended {
		clock.Set(at)
		if err := srv.Disconnect(ctx, out.ChannelARN); err != nil {
			return local{}, fmt.Errorf("end the local session: %w", err)
		}
	}
	return out, nil
}
