package ivstest

import (
	"maps"
	"time"
)

// multitrackConfig is a channel's multitrackInputConfiguration.
type multitrackConfig struct {
	Enabled           bool
	MaximumResolution string
	Policy            string
}

// channel is one IVS channel and everything the server keeps about it. Guarded by Server.mu.
type channel struct {
	arn, id                                  string
	name, latencyMode, typ, preset           string
	containerFormat                          string
	recordingARN, playbackPolicyARN, adARN   string
	authorized, insecureIngest               bool
	multitrack                               multitrackConfig
	ingestEndpoint, playbackURL, srtEndpoint string
	srtPassphrase                            string // secret: never logged, redacted in dumps
	tags                                     map[string]string
	key                                      streamKey
	live                                     *liveStream
	sessions                                 []*session      // oldest first
	history                                  []ChannelChange // every UpdateChannel applied, oldest first
}

// streamKey is the channel's one stream key.
type streamKey struct {
	arn   string
	value string // secret: never logged, redacted in dumps
	tags  map[string]string
}

// liveStream is the state of a channel that is broadcasting.
type liveStream struct {
	session *session
	health  string
}

// session is one stream session: a connection of an encoder, accepted or refused.
type session struct {
	seq      uint64 // order of connection, to order sessions that start at the same instant
	streamID string
	start    time.Time
	end      time.Time // zero while live
	channel  channelJSON
	encoder  Encoder
	events   []streamEvent // oldest first, at most maxTruncatedEvents
	hasError bool
}

// streamEvent is one entry of a session's truncatedEvents.
type streamEvent struct {
	name, typ, code string
	at              time.Time
}

func (s *session) addEvent(ev streamEvent) {
	s.events = append(s.events, ev)
	if n := len(s.events); n > maxTruncatedEvents {
		s.events = append(s.events[:0:0], s.events[n-maxTruncatedEvents:]...)
	}
}

// ended reports whether the session has an end time.
func (s *session) ended() bool { return !s.end.IsZero() }

// json returns the channel in its API form (a copy: tags are cloned).
func (c *channel) json() channelJSON {
	tags := maps.Clone(c.tags)
	if tags == nil {
		tags = map[string]string{}
	}
	out := channelJSON{
		Arn:             c.arn,
		Authorized:      c.authorized,
		ContainerFormat: c.containerFormat,
		IngestEndpoint:  c.ingestEndpoint,
		InsecureIngest:  c.insecureIngest,
		LatencyMode:     c.latencyMode,
		MultitrackInputConfiguration: multitrackJSON{
			Enabled:           c.multitrack.Enabled,
			MaximumResolution: c.multitrack.MaximumResolution,
			Policy:            c.multitrack.Policy,
		},
		Name:                         c.name,
		PlaybackRestrictionPolicyArn: c.playbackPolicyARN,
		PlaybackURL:                  c.playbackURL,
		Preset:                       c.preset,
		RecordingConfigurationArn:    c.recordingARN,
		Srt:                          srtJSON{Endpoint: c.srtEndpoint, Passphrase: c.srtPassphrase},
		Tags:                         tags,
		Type:                         c.typ,
	}
	if c.adARN != "" {
		out.AdConfigurationArn = c.adARN
	}
	return out
}

// summary returns the channel as ListChannels lists it.
func (c *channel) summary() channelSummaryJSON {
	tags := maps.Clone(c.tags)
	if tags == nil {
		tags = map[string]string{}
	}
	return channelSummaryJSON{
		AdConfigurationArn:           c.adARN,
		Arn:                          c.arn,
		Authorized:                   c.authorized,
		InsecureIngest:               c.insecureIngest,
		LatencyMode:                  c.latencyMode,
		Name:                         c.name,
		PlaybackRestrictionPolicyArn: c.playbackPolicyARN,
		Preset:                       c.preset,
		RecordingConfigurationArn:    c.recordingARN,
		Tags:                         tags,
		Type:                         c.typ,
	}
}
