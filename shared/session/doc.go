// Package session builds, merges and keys the archived record of one IVS stream session: the
// channel's configuration at go-live, the video and audio track ladder the encoder sent, what
// happened (events, recording, limit breaches), how it ended and the correction decided for it.
// It is pure: no I/O, no clock.
//
// A record is built from GetStreamSession (FromStreamSession: enriched) or, when that is not
// possible, from one EventBridge event (FromEvent: not enriched). IVS events arrive at least
// once, unordered and sometimes hours late, and one session gives several records, so Merge
// combines any two records of a session without losing what either knew; it is commutative,
// associative and idempotent, which makes the archive's read-merge-write converge whatever the
// order of deliveries.
//
// A session's identity is (account, region, channel, stream) (Identity), and every archive key
// is built in key.go from checked identifiers alone, with account and region in it, so several
// accounts and regions can share one bucket. Every string of a record is scrubbed of stream keys
// (redact.Strings) whenever it is built or merged.
//
// The record's JSON is its contract (schema version SchemaVersion): camelCase keys, times in
// UTC RFC 3339, empty values omitted. It never holds srt.passphrase or a stream key: channel
// tags are scrubbed with package redact.
//
// # IVS fields
//
// Every field of service/ivs's types.StreamSession and types.Channel, and of the types they
// hold, is mapped into the record or ignored on purpose. The list below is read by
// TestSDKFieldsAccounted, which fails when the SDK gains a field the list does not name (so the
// next change to IVS's API is caught by go get -u, not by a customer) or names a field the SDK
// no longer has; it also fills every field with a distinct value and checks that each mapped
// one reaches the record and no ignored one does. Checked against service/ivs v1.51.1. The walk
// stops at a field ignored as a whole (Channel.Srt, StreamSession.RecordingConfiguration).
//
//   - StreamSession.StreamId: streamId
//   - StreamSession.StartTime: startTime
//   - StreamSession.EndTime: endTime (absent while live)
//   - StreamSession.Channel: channel, the configuration at go-live (ChannelOf), and channelArn
//   - StreamSession.IngestConfigurations: video and audio, the track ladder
//   - StreamSession.IngestConfiguration: video and audio when ingestConfigurations is absent (deprecated, Track0 only)
//   - StreamSession.TruncatedEvents: events (eventsTruncated when there are 500)
//   - StreamSession.RecordingConfiguration: ignored: the record keeps the channel's recordingConfigurationArn, and what the recording did comes from IVS Recording State Change events (recording); its destination, renditions and thumbnails are the configuration's, not the session's
//   - Channel.Arn: channelArn, channelId, account, region
//   - Channel.Name: channel.name (scrubbed of stream keys)
//   - Channel.Type: channel.type
//   - Channel.LatencyMode: channel.latencyMode
//   - Channel.ContainerFormat: channel.containerFormat
//   - Channel.Preset: channel.preset
//   - Channel.MultitrackInputConfiguration: channel.multitrackInputConfiguration
//   - Channel.RecordingConfigurationArn: channel.recordingConfigurationArn
//   - Channel.AdConfigurationArn: channel.adConfigurationArn (the corrector never gives such a channel FRAGMENTED_MP4 or multitrack)
//   - Channel.Authorized: channel.authorized
//   - Channel.InsecureIngest: channel.insecureIngest
//   - Channel.Tags: channel.tags (scrubbed of stream keys)
//   - Channel.Srt: ignored: its passphrase is a secret that must never reach the archive, and its endpoint says nothing about a session
//   - Channel.IngestEndpoint: ignored: where encoders connect, the same for every session of the channel
//   - Channel.PlaybackUrl: ignored: where viewers watch, the same for every session of the channel
//   - Channel.PlaybackRestrictionPolicyArn: ignored: who may watch, not what was ingested
//   - MultitrackInputConfiguration.Enabled: channel.multitrackInputConfiguration.enabled
//   - MultitrackInputConfiguration.Policy: channel.multitrackInputConfiguration.policy
//   - MultitrackInputConfiguration.MaximumResolution: channel.multitrackInputConfiguration.maximumResolution
//   - IngestConfigurations.VideoConfigurations: video, one per track
//   - IngestConfigurations.AudioConfigurations: audio, one per track
//   - IngestConfiguration.Video: video[0] when ingestConfigurations is absent
//   - IngestConfiguration.Audio: audio[0] when ingestConfigurations is absent
//   - VideoConfiguration.Track: video[].track (Track<i> when empty)
//   - VideoConfiguration.Codec: video[].codec
//   - VideoConfiguration.Profile: video[].profile
//   - VideoConfiguration.AvcProfile: video[].profile when profile is empty (deprecated)
//   - VideoConfiguration.Level: video[].level
//   - VideoConfiguration.AvcLevel: video[].level when level is empty (deprecated)
//   - VideoConfiguration.Encoder: video[].encoder
//   - VideoConfiguration.VideoWidth: video[].width
//   - VideoConfiguration.VideoHeight: video[].height
//   - VideoConfiguration.TargetFramerate: video[].frameRate
//   - VideoConfiguration.TargetBitrate: video[].targetBitrate
//   - AudioConfiguration.Track: audio[].track (Track<i> when empty)
//   - AudioConfiguration.Codec: audio[].codec
//   - AudioConfiguration.Channels: audio[].channels
//   - AudioConfiguration.SampleRate: audio[].sampleRate
//   - AudioConfiguration.TargetBitrate: audio[].targetBitrate
//   - StreamEvent.EventTime: events[].time
//   - StreamEvent.Type: events[].detailType
//   - StreamEvent.Name: events[].name
//   - StreamEvent.Code: events[].code
//
// The fields of IVS's EventBridge events are listed in package ivsevent's documentation.
//
// GetStreamSession: https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_GetStreamSession.html
// IVS events: https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/eventbridge.html
//
// Every function in this package is safe for concurrent use; none modifies its arguments.
package session
