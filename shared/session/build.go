package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// FromStreamSession builds the enriched record of a GetStreamSession answer, merged with ev,
// the event that led to the call (nil if none). The channel's srt.passphrase is never read;
// its tags are scrubbed of stream keys.
//
// It returns a *invalid.FieldError naming the field (e.g. "streamSession.channel.arn") when
// ss lacks a valid stream ID, channel ARN or start time, when its end time is before its start
// time, or when ev is for another channel ("resources[0]") or stream ("detail.stream_id").
func FromStreamSession(ss *types.StreamSession, ev *ivsevent.Event) (Record, error) {
	if ss == nil {
		return Record{}, &invalid.FieldError{Field: "streamSession", Want: "a stream session", Got: "nil"}
	}
	streamID := deref(ss.StreamId)
	if err := ivsevent.CheckStreamID("streamSession.streamId", streamID); err != nil {
		return Record{}, err
	}
	if ss.Channel == nil {
		return Record{}, &invalid.FieldError{Field: "streamSession.channel", Want: "the channel", Got: "nil"}
	}
	arn, err := ivsevent.ParseChannelARN(deref(ss.Channel.Arn))
	if err != nil {
		var fe *invalid.FieldError
		errors.As(err, &fe)
		fe.Field = "streamSession.channel.arn"
		return Record{}, fe
	}
	if ss.StartTime == nil || ss.StartTime.IsZero() {
		return Record{}, &invalid.FieldError{Field: "streamSession.startTime", Want: "the session's start time", Got: ""}
	}
	if err := ivsevent.CheckTime("streamSession.startTime", *ss.StartTime); err != nil {
		return Record{}, err // outside the archive's years: no partition would hold it
	}
	if ss.EndTime != nil && ss.EndTime.Before(*ss.StartTime) {
		return Record{}, &invalid.FieldError{Field: "streamSession.endTime", Want: "a time at or after startTime " + ss.StartTime.UTC().Format(time.RFC3339Nano), Got: ss.EndTime.UTC().Format(time.RFC3339Nano)}
	}
	if ev != nil {
		if ev.Channel != arn {
			return Record{}, &invalid.FieldError{Field: "resources[0]", Want: "the stream session's channel " + arn.String(), Got: ev.Channel.String()}
		}
		if ev.StreamID() != streamID {
			return Record{}, &invalid.FieldError{Field: "detail.stream_id", Want: "the stream session's stream " + streamID, Got: ev.StreamID()}
		}
	}

	r := Record{
		SchemaVersion: SchemaVersion,
		ChannelARN:    arn.String(),
		ChannelID:     arn.ID,
		Region:        arn.Region,
		Account:       arn.Account,
		StreamID:      streamID,
		Channel:       ChannelOf(ss.Channel),
		ChannelAsOf:   ChannelAtGoLive,
		StartTime:     ss.StartTime.UTC(),
		Enriched:      true,
	}
	if ss.EndTime != nil {
		r.EndTime = ss.EndTime.UTC()
	}
	r.Video, r.Audio = tracksOf(ss)
	for _, e := range ss.TruncatedEvents {
		ev := Event{DetailType: deref(e.Type), Name: deref(e.Name), Code: deref(e.Code)}
		if e.EventTime != nil {
			ev.Time = e.EventTime.UTC()
		}
		r.Events = append(r.Events, ev)
	}
	r.EventsTruncated = len(ss.TruncatedEvents) >= MaxTruncatedEvents
	r.derive()
	if ev != nil {
		r = Merge(r, FromEvent(ev, ""))
	}
	return r, nil
}

// FromEvent builds the record of a session known only from one IVS event (parsed, not nil):
// not enriched, with note saying why (e.g. "GetStreamSession: ResourceNotFoundException"). An
// account-level event (no channel, no stream) gives a record with the envelope's account and
// region, which Validate rejects (it is archived under AccountEventKey instead).
func FromEvent(ev *ivsevent.Event, note string) Record {
	r := Record{
		SchemaVersion:  SchemaVersion,
		ChannelARN:     ev.Channel.String(),
		ChannelID:      ev.Channel.ID,
		Region:         ev.Channel.Region,
		Account:        ev.Channel.Account,
		StreamID:       ev.StreamID(),
		EnrichmentNote: note,
	}
	if ev.AccountLevel() {
		// No channel to take them from: the IVS envelope's (ivsevent.Parse checked them).
		r.Account, r.Region = ev.Account, ev.Region
	}
	if name := ev.ChannelName(); name != "" {
		r.Channel = &Channel{Name: name}
	}
	e := Event{Time: ev.Time.UTC(), DetailType: ev.DetailType, Name: ev.Name(), Code: ev.Code(), Note: ev.Note()}
	switch {
	case ev.StreamState != nil:
		e.Reason = ev.StreamState.Reason
	case ev.Limit != nil:
		l := ev.Limit
		r.LimitBreaches = []LimitBreach{{Time: e.Time, LimitName: l.LimitName, LimitValue: l.LimitValue, ExceededBy: l.ExceededBy, LimitUnit: l.LimitUnit}}
	case ev.Recording != nil:
		rec := ev.Recording
		e.Reason = rec.RecordingStatusReason
		r.Recording = &Recording{
			Status:           rec.RecordingStatus,
			StatusReason:     rec.RecordingStatusReason,
			S3BucketName:     rec.RecordingS3BucketName,
			S3KeyPrefix:      rec.RecordingS3KeyPrefix,
			DurationMs:       rec.RecordingDurationMs,
			SessionID:        rec.RecordingSessionID,
			SessionStreamIDs: append([]string(nil), rec.RecordingSessionStreamIDs...),
		}
	}
	r.Events = []Event{e}
	r.derive()
	return r
}

// ChannelOf copies the configuration of ch, leaving out srt (its passphrase) and scrubbing
// stream keys from tags. It is how a GetChannel or UpdateChannel output reaches a log, an
// event or the archive.
func ChannelOf(ch *types.Channel) *Channel {
	c := &Channel{
		Name:                      redact.Scrub(deref(ch.Name)), // IVS's name pattern fits a stream key
		Type:                      string(ch.Type),
		LatencyMode:               string(ch.LatencyMode),
		ContainerFormat:           string(ch.ContainerFormat),
		Preset:                    string(ch.Preset),
		RecordingConfigurationARN: deref(ch.RecordingConfigurationArn),
		AdConfigurationARN:        deref(ch.AdConfigurationArn),
		Authorized:                ptr(ch.Authorized),
		InsecureIngest:            ptr(ch.InsecureIngest),
		Tags:                      redact.Tags(ch.Tags),
	}
	if m := ch.MultitrackInputConfiguration; m != nil {
		c.MultitrackInputConfiguration = &multitrack.MultitrackInput{Enabled: m.Enabled, Policy: m.Policy, MaximumResolution: m.MaximumResolution}
	}
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	return c
}

// tracksOf reads the track ladder from ingestConfigurations, or from the deprecated
// ingestConfiguration (one track) when the former is absent. A track without a name is named
// by its position, Track<i>.
func tracksOf(ss *types.StreamSession) ([]VideoTrack, []AudioTrack) {
	var video []types.VideoConfiguration
	var audio []types.AudioConfiguration
	switch {
	case ss.IngestConfigurations != nil:
		video, audio = ss.IngestConfigurations.VideoConfigurations, ss.IngestConfigurations.AudioConfigurations
	case ss.IngestConfiguration != nil:
		if v := ss.IngestConfiguration.Video; v != nil {
			video = []types.VideoConfiguration{*v}
		}
		if a := ss.IngestConfiguration.Audio; a != nil {
			audio = []types.AudioConfiguration{*a}
		}
	}
	var vs []VideoTrack
	for i, v := range video {
		vs = append(vs, VideoTrack{
			Track:         trackName(v.Track, i),
			Codec:         deref(v.Codec),
			Profile:       first(deref(v.Profile), deref(v.AvcProfile)),
			Level:         first(deref(v.Level), deref(v.AvcLevel)),
			Encoder:       deref(v.Encoder),
			Width:         v.VideoWidth,
			Height:        v.VideoHeight,
			FrameRate:     v.TargetFramerate,
			TargetBitrate: v.TargetBitrate,
		})
	}
	var as []AudioTrack
	for i, a := range audio {
		as = append(as, AudioTrack{
			Track:         trackName(a.Track, i),
			Codec:         deref(a.Codec),
			Channels:      a.Channels,
			SampleRate:    a.SampleRate,
			TargetBitrate: a.TargetBitrate,
		})
	}
	return vs, as
}

func trackName(name *string, i int) string {
	if n := deref(name); n != "" {
		return n
	}
	return fmt.Sprintf("Track%d", i)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func ptr[T any](v T) *T { return &v }
