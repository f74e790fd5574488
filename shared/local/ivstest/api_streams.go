package ivstest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// SessionRetention is how long IVS keeps a stream session after it ends: ListStreamSessions
// "can access a list of streams that a channel has had for up to 60 days". Live sessions are
// always kept.
const SessionRetention = 60 * 24 * time.Hour

// purge drops c's sessions that ended more than SessionRetention before now; callers hold s.mu.
func (s *Server) purge(c *channel, now time.Time) {
	c.sessions = slices.DeleteFunc(c.sessions, func(sess *session) bool {
		return sess.ended() && now.Sub(sess.end) > SessionRetention
	})
}

type channelARNInput struct {
	ChannelArn *string `json:"channelArn"`
}

type getStreamOutput struct {
	Stream streamJSON `json:"stream"`
}

func (s *Server) getStream(r *request) (any, error) {
	var in channelARNInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("channelArn", in.ChannelArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupChannel(*in.ChannelArn)
	if err != nil {
		return nil, err
	}
	if c.live == nil {
		return nil, notBroadcasting(c.arn)
	}
	sess := c.live.session
	return getStreamOutput{Stream: streamJSON{
		ChannelArn: c.arn, Health: c.live.health, PlaybackURL: c.playbackURL,
		StartTime: formatTime(sess.start), State: StateLive, StreamID: sess.streamID,
	}}, nil
}

type listStreamsInput struct {
	FilterBy *struct {
		Health *string `json:"health"`
	} `json:"filterBy"`
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

type listStreamsOutput struct {
	Streams   []streamSummaryJSON `json:"streams"`
	NextToken *string             `json:"nextToken,omitempty"`
}

// listStreams lists the live streams by channel ARN, optionally only those of one health.
func (s *Server) listStreams(r *request) (any, error) {
	var in listStreamsInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	var health *string
	if in.FilterBy != nil {
		health = in.FilterBy.Health
		v.enum("filterBy.health", health, healths, false)
	}
	v.pageSize("maxResults", in.MaxResults)
	v.token("nextToken", in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var all []streamSummaryJSON
	for _, c := range s.channels {
		if c.live == nil || (health != nil && *health != c.live.health) {
			continue
		}
		all = append(all, streamSummaryJSON{
			ChannelArn: c.arn, Health: c.live.health, StartTime: formatTime(c.live.session.start),
			State: StateLive, StreamID: c.live.session.streamID,
		})
	}
	s.mu.Unlock()
	items, next, err := page(all, func(st streamSummaryJSON) string { return st.ChannelArn }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []streamSummaryJSON{}
	}
	return listStreamsOutput{Streams: items, NextToken: next}, nil
}

// stopStream disconnects the channel's encoder (Session Ended, Stream End).
func (s *Server) stopStream(r *request) (any, error) {
	var in channelARNInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("channelArn", in.ChannelArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, err := s.lookupChannel(*in.ChannelArn)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if c.live == nil {
		s.mu.Unlock()
		return nil, notBroadcasting(c.arn)
	}
	s.events.push(s.endLive(c)...)
	s.mu.Unlock()
	s.events.deliver(r.ctx)
	return struct{}{}, nil
}

type getStreamSessionInput struct {
	ChannelArn *string `json:"channelArn"`
	StreamID   *string `json:"streamId"`
}

type getStreamSessionOutput struct {
	StreamSession streamSessionJSON `json:"streamSession"`
}

// getStreamSession returns one session, or without streamId the channel's latest; a session
// that does not exist (or aged out) is ResourceNotFoundException.
func (s *Server) getStreamSession(r *request) (any, error) {
	var in getStreamSessionInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("channelArn", in.ChannelArn)
	v.streamID("streamId", in.StreamID)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupChannel(*in.ChannelArn)
	if err != nil {
		return nil, err
	}
	s.purge(c, s.clock.Now())
	if len(c.sessions) == 0 {
		return nil, newError(CodeResourceNotFound, "No stream session found for channel %s", c.arn)
	}
	sess := c.sessions[len(c.sessions)-1]
	if in.StreamID != nil {
		i := slices.IndexFunc(c.sessions, func(x *session) bool { return x.streamID == *in.StreamID })
		if i < 0 {
			return nil, newError(CodeResourceNotFound, "Stream session not found: %s on channel %s", *in.StreamID, c.arn)
		}
		sess = c.sessions[i]
	}
	return getStreamSessionOutput{StreamSession: sess.json()}, nil
}

type listStreamSessionsInput struct {
	ChannelArn *string `json:"channelArn"`
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

type listStreamSessionsOutput struct {
	StreamSessions []streamSessionSummaryJSON `json:"streamSessions"`
	NextToken      *string                    `json:"nextToken,omitempty"`
}

// listStreamSessions lists a channel's sessions of the last 60 days, newest first.
func (s *Server) listStreamSessions(r *request) (any, error) {
	var in listStreamSessionsInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("channelArn", in.ChannelArn)
	v.pageSize("maxResults", in.MaxResults)
	v.token("nextToken", in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, err := s.lookupChannel(*in.ChannelArn)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.purge(c, s.clock.Now())
	type keyed struct {
		key     string
		summary streamSessionSummaryJSON
	}
	all := make([]keyed, 0, len(c.sessions))
	for _, sess := range c.sessions {
		sum := streamSessionSummaryJSON{HasErrorEvent: sess.hasError, StartTime: formatTime(sess.start), StreamID: sess.streamID}
		if sess.ended() {
			end := formatTime(sess.end)
			sum.EndTime = &end
		}
		// newest first: descending start time, then descending order of connection
		key := fmt.Sprintf("%020d|%020d", uint64(math.MaxInt64-sess.start.UnixNano()), math.MaxUint64-sess.seq)
		all = append(all, keyed{key: key, summary: sum})
	}
	s.mu.Unlock()
	items, next, err := page(all, func(k keyed) string { return k.key }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := listStreamSessionsOutput{StreamSessions: make([]streamSessionSummaryJSON, len(items)), NextToken: next}
	for i, k := range items {
		out.StreamSessions[i] = k.summary
	}
	return out, nil
}

// json returns the session as GetStreamSession answers it: the channel as it was when the
// session started, the tracks the encoder offered (Track0 to TrackN; the deprecated
// ingestConfiguration holds Track0 only), and truncatedEvents newest first.
func (sess *session) json() streamSessionJSON {
	out := streamSessionJSON{
		Channel:   sess.channel,
		StartTime: formatTime(sess.start),
		StreamID:  sess.streamID,
		IngestConfigurations: ingestConfigurationsJSON{
			AudioConfigurations: []audioConfigurationJSON{},
			VideoConfigurations: []videoConfigurationJSON{},
		},
		TruncatedEvents: make([]streamEventJSON, 0, len(sess.events)),
	}
	if sess.ended() {
		end := formatTime(sess.end)
		out.EndTime = &end
	}
	for i, t := range sess.encoder.Video {
		out.IngestConfigurations.VideoConfigurations = append(out.IngestConfigurations.VideoConfigurations, videoConfigurationJSON{
			Codec: t.Codec, Encoder: sess.encoder.Software, Level: t.Level, Profile: t.Profile,
			TargetBitrate: int64(t.Bitrate), TargetFramerate: int64(t.Framerate), Track: fmt.Sprintf("Track%d", i),
			VideoHeight: int64(t.Height), VideoWidth: int64(t.Width),
		})
	}
	for i, a := range sess.encoder.Audio {
		out.IngestConfigurations.AudioConfigurations = append(out.IngestConfigurations.AudioConfigurations, audioConfigurationJSON{
			Channels: int64(a.Channels), Codec: a.Codec, SampleRate: int64(a.SampleRate),
			TargetBitrate: int64(a.Bitrate), Track: fmt.Sprintf("Track%d", i),
		})
	}
	legacy := &ingestConfigurationJSON{}
	if v := out.IngestConfigurations.VideoConfigurations; len(v) > 0 {
		track0 := v[0]
		if strings.HasPrefix(track0.Codec, "avc") {
			track0.AvcProfile, track0.AvcLevel = track0.Profile, track0.Level
		}
		legacy.Video = &track0
	}
	if a := out.IngestConfigurations.AudioConfigurations; len(a) > 0 {
		legacy.Audio = &a[0]
	}
	out.IngestConfiguration = legacy
	for i := len(sess.events) - 1; i >= 0; i-- {
		ev := sess.events[i]
		out.TruncatedEvents = append(out.TruncatedEvents, streamEventJSON{Code: ev.code, EventTime: formatTime(ev.at), Name: ev.name, Type: ev.typ})
	}
	return out
}
