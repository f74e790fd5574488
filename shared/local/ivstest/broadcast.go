package ivstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// VideoTrack is one video rendition an encoder sends. Multitrack encoders (OBS "Enhanced
// Broadcasting") send 2 to 5; classic encoders send one.
type VideoTrack struct {
	Codec     string `json:"codec"`     // RFC 6381 codec string, e.g. "avc1.64002A" (H.264) or "hvc1.1.6.L120.90" (H.265)
	Profile   string `json:"profile"`   // e.g. "High"
	Level     string `json:"level"`     // e.g. "4.2"
	Width     int    `json:"width"`     // pixels
	Height    int    `json:"height"`    // pixels
	Framerate int    `json:"framerate"` // frames per second
	Bitrate   int    `json:"bitrate"`   // target bitrate, bits per second
}

// AudioTrack is one audio track an encoder sends.
type AudioTrack struct {
	Codec      string `json:"codec"`      // e.g. "mp4a.40.2" (AAC-LC)
	Channels   int    `json:"channels"`   // e.g. 2
	SampleRate int    `json:"sampleRate"` // Hz, e.g. 48000
	Bitrate    int    `json:"bitrate"`    // bits per second
}

// Encoder is a simulated broadcaster: the stream key it authenticates with and the tracks it
// sends. An encoder with two or more video tracks is a multitrack encoder.
type Encoder struct {
	// StreamKey is the stream key value (sk_...) from CreateChannel: a secret.
	StreamKey string `json:"-"`
	// Software names the encoder, reported as videoConfigurations[].encoder.
	Software string       `json:"software,omitempty"`
	Video    []VideoTrack `json:"video"`
	Audio    []AudioTrack `json:"audio,omitempty"`
	// Degradations are how the stream falls short of its targets, in the metrics IVS
	// publishes for it (SessionMetrics); none: every track at its target.
	Degradations []Degradation `json:"degradations,omitempty"`
}

// Renditions of an OBS-like multitrack ladder (the IVS multitrack setup guide's envelope:
// 1080p60 at 6 Mbps down to 160p at 200 kbps, 10.2 Mbps in all for five).
var (
	Rendition1080p60 = VideoTrack{Codec: "avc1.64002A", Profile: "High", Level: "4.2", Width: 1920, Height: 1080, Framerate: 60, Bitrate: 6_000_000}
	Rendition720p60  = VideoTrack{Codec: "avc1.640020", Profile: "High", Level: "3.2", Width: 1280, Height: 720, Framerate: 60, Bitrate: 2_500_000}
	Rendition480p30  = VideoTrack{Codec: "avc1.64001F", Profile: "High", Level: "3.1", Width: 852, Height: 480, Framerate: 30, Bitrate: 1_000_000}
	Rendition360p30  = VideoTrack{Codec: "avc1.64001E", Profile: "High", Level: "3.0", Width: 640, Height: 360, Framerate: 30, Bitrate: 500_000}
	Rendition160p30  = VideoTrack{Codec: "avc1.64000C", Profile: "High", Level: "1.2", Width: 284, Height: 160, Framerate: 30, Bitrate: 200_000}
	// AudioAAC is a stereo 48 kHz AAC-LC track at 160 kbps.
	AudioAAC = AudioTrack{Codec: "mp4a.40.2", Channels: 2, SampleRate: 48000, Bitrate: 160_000}
)

// Ladder returns an n-track video ladder, highest first: 1 is a single 1080p60 track; 2 is
// 480p and 360p; 3 adds 720p; 4 adds 1080p; 5 adds 160p. It returns nil for other n.
func Ladder(n int) []VideoTrack {
	switch n {
	case 1:
		return []VideoTrack{Rendition1080p60}
	case 2:
		return []VideoTrack{Rendition480p30, Rendition360p30}
	case 3:
		return []VideoTrack{Rendition720p60, Rendition480p30, Rendition360p30}
	case 4:
		return []VideoTrack{Rendition1080p60, Rendition720p60, Rendition480p30, Rendition360p30}
	case 5:
		return []VideoTrack{Rendition1080p60, Rendition720p60, Rendition480p30, Rendition360p30, Rendition160p30}
	}
	return nil
}

// OBS returns an encoder like OBS Studio 30.2: Ladder(tracks) of video and one AAC track.
func OBS(streamKey string, tracks int) Encoder {
	return Encoder{
		StreamKey: streamKey,
		Software:  "obs-output module (libobs version 30.2.3)",
		Video:     Ladder(tracks),
		Audio:     []AudioTrack{AudioAAC},
	}
}

// Errors of the broadcast methods; match them with errors.Is.
var (
	ErrUnknownStreamKey = errors.New("unknown stream key")
	ErrUnknownChannel   = errors.New("unknown channel")
	ErrChannelLive      = errors.New("channel is already live")
	ErrNotLive          = errors.New("channel is not live")
	ErrNoVideo          = errors.New("encoder: video: want at least one track")
)

// Result is the outcome of Connect.
type Result struct {
	ChannelARN string `json:"channelArn"`
	StreamID   string `json:"streamId"`
	// Live is true when the stream was accepted and is live until Disconnect.
	Live bool `json:"live"`
	// Code is the Session Ended code of a refused multitrack connection, e.g.
	// MultitrackInputNotAllowed.
	Code string `json:"code,omitempty"`
	// LimitBreach is the IVS Limit Breach (ivsevent.LimitIngestBitrate or
	// LimitIngestResolution) that disconnected a single-track encoder.
	LimitBreach string `json:"limitBreach,omitempty"`
}

// Limits of single-track input by channel type (IVS "Channel Types"): up to 1080p at 8.5 Mbps;
// BASIC 3.5 Mbps above 480p and 1.5 Mbps up to 480p.
const (
	maxLongEdge          = 1920
	maxShortEdge         = 1080
	maxBitrate           = 8_500_000
	maxBasicBitrate      = 3_500_000
	maxBasicSDBitrate    = 1_500_000
	basicSDLines         = 480
	maxTrackBitrate      = 6_000_000 // multitrack: the top rendition of the IVS envelope (1080p60 AVC)
	maxTrackFramerate    = 60
	maxMultitrackTracks  = 5
	defaultFailureReason = "Transcode capacity exceeded. Please try again."
)

var multitrackCodecs = []string{"avc1", "avc3", "hvc1", "hev1"}

// admission is the server's decision on an encoder: a refusal code, a limit breach, or neither
// (the stream goes live).
type admission struct {
	code   string
	breach *ivsevent.LimitBreach // LimitName, LimitValue, ExceededBy, LimitUnit
}

// admit applies IVS's admission rules to an encoder connecting to a channel of type typ with
// multitrack configuration mt, in this order:
//  1. multitrack (2+ video tracks) needs multitrack enabled: MultitrackInputNotAllowed;
//  2. single-track needs policy ALLOW when enabled: MultitrackInputRequired on REQUIRE;
//  3. multitrack sends at most 5 tracks: InvalidMultitrackInputTrackCount;
//  4. each multitrack track is H.264 or H.265, at most maximumResolution's lines (shorter
//     edge: SD 480, HD 720, FULL_HD 1080), 60 fps and 6 Mbps:
//     InvalidMultitrackInputVideoTrackMediaProperties;
//  5. a single track within the channel type's input limits, else an IVS Limit Breach
//     (Ingest Resolution, pixels per edge; then Ingest Bitrate, bits per second).
func admit(typ string, mt multitrackConfig, enc Encoder) admission {
	n := len(enc.Video)
	multi := n > 1
	switch {
	case multi && !mt.Enabled:
		return admission{code: ivsevent.CodeMultitrackInputNotAllowed}
	case !multi && mt.Enabled && mt.Policy == PolicyRequire:
		return admission{code: ivsevent.CodeMultitrackInputRequired}
	case multi && n > maxMultitrackTracks:
		return admission{code: ivsevent.CodeInvalidMultitrackInputTrackCount}
	case multi:
		lines := resolutionLines[mt.MaximumResolution]
		for _, t := range enc.Video {
			codec, _, _ := strings.Cut(t.Codec, ".")
			if !slices.Contains(multitrackCodecs, codec) || heightLines(t.Width, t.Height) > lines ||
				t.Framerate > maxTrackFramerate || t.Bitrate > maxTrackBitrate {
				return admission{code: ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties}
			}
		}
		return admission{}
	}
	t := enc.Video[0]
	long, short := max(t.Width, t.Height), min(t.Width, t.Height)
	if long > maxLongEdge {
		return admission{breach: &ivsevent.LimitBreach{LimitName: ivsevent.LimitIngestResolution, LimitValue: maxLongEdge, ExceededBy: float64(long - maxLongEdge), LimitUnit: "pixels per edge"}}
	}
	if short > maxShortEdge {
		return admission{breach: &ivsevent.LimitBreach{LimitName: ivsevent.LimitIngestResolution, LimitValue: maxShortEdge, ExceededBy: float64(short - maxShortEdge), LimitUnit: "pixels per edge"}}
	}
	limit := maxBitrate
	if typ == TypeBasic {
		limit = maxBasicBitrate
		if short <= basicSDLines {
			limit = maxBasicSDBitrate
		}
	}
	if t.Bitrate > limit {
		return admission{breach: &ivsevent.LimitBreach{LimitName: ivsevent.LimitIngestBitrate, LimitValue: float64(limit), ExceededBy: float64(t.Bitrate - limit), LimitUnit: "bits per second"}}
	}
	return admission{}
}

// Connect connects enc to the channel of its stream key and applies the admission rules (see
// the package documentation). Every connection with a valid key becomes a stream session with
// a new stream ID, recorded for GetStreamSession, and emits Session Created; an accepted one
// emits Stream Start and stays live until Disconnect, StopStream or FailStream; a refused one
// emits Session Ended (with its code) or a Limit Breach and Session Ended. Events are
// delivered to the sink before Connect returns, unless another goroutine is delivering.
//
// It returns ErrNoVideo for an encoder without video, ErrUnknownStreamKey (no session, as an
// RTMP authentication failure) and ErrChannelLive when the channel already has a live stream
// (a second encoder is turned away; stream takeover is not simulated).
func (s *Server) Connect(ctx context.Context, enc Encoder) (Result, error) {
	if len(enc.Video) == 0 {
		return Result{}, ErrNoVideo
	}
	enc.Video = slices.Clone(enc.Video)
	enc.Audio = slices.Clone(enc.Audio)
	enc.Degradations = slices.Clone(enc.Degradations)
	for _, d := range enc.Degradations {
		if err := d.Validate(len(enc.Video)); err != nil {
			return Result{}, fmt.Errorf("connect: encoder: %w", err)
		}
	}
	s.mu.Lock()
	c, ok := s.keys[enc.StreamKey]
	if !ok {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("connect: %w", ErrUnknownStreamKey)
	}
	if c.live != nil {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("connect to %s: %w", c.arn, ErrChannelLive)
	}
	now := s.clock.Now()
	s.purge(c, now)
	s.seq++
	sess := &session{seq: s.seq, streamID: newStreamID(), start: now, channel: c.json(), encoder: enc}
	c.sessions = append(c.sessions, sess)
	res := Result{ChannelARN: c.arn, StreamID: sess.streamID}
	evs := []Event{s.stateEvent(c, sess, ivsevent.EventSessionCreated, "", "")}
	adm := admit(c.typ, c.multitrack, enc)
	switch {
	case adm.code != "":
		res.Code = adm.code
		evs = append(evs, s.stateEvent(c, sess, ivsevent.EventSessionEnded, adm.code, ""))
		sess.end = now
	case adm.breach != nil:
		res.LimitBreach = adm.breach.LimitName
		evs = append(evs, s.limitEvent(c, sess, *adm.breach), s.stateEvent(c, sess, ivsevent.EventSessionEnded, "", ""))
		sess.end = now
	default:
		res.Live = true
		evs = append(evs, s.stateEvent(c, sess, ivsevent.EventStreamStart, "", ""))
		c.live = &liveStream{session: sess, health: HealthHealthy}
	}
	s.events.push(evs...)
	s.mu.Unlock()
	s.events.deliver(ctx)
	return res, nil
}

// liveChannel returns the channel of arn and checks that it is live; callers hold s.mu.
func (s *Server) liveChannel(arn string) (*channel, error) {
	c, ok := s.channels[arn]
	if !ok {
		return nil, fmt.Errorf("%s: %w", arn, ErrUnknownChannel)
	}
	if c.live == nil {
		return nil, fmt.Errorf("%s: %w", arn, ErrNotLive)
	}
	return c, nil
}

// endLive ends the live stream of c: Session Ended, then Stream End (IVS may send them in
// either order; the server sends Session Ended first). Callers hold s.mu.
func (s *Server) endLive(c *channel) []Event {
	sess := c.live.session
	evs := []Event{
		s.stateEvent(c, sess, ivsevent.EventSessionEnded, "", ""),
		s.stateEvent(c, sess, ivsevent.EventStreamEnd, "", ""),
	}
	sess.end = s.clock.Now()
	c.live = nil
	s.publishMetrics(c, sess)
	return evs
}

// withLive runs fn on the live channel arn under the lock, then delivers its events.
func (s *Server) withLive(ctx context.Context, arn string, fn func(c *channel) []Event) error {
	s.mu.Lock()
	c, err := s.liveChannel(arn)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.events.push(fn(c)...)
	s.mu.Unlock()
	s.events.deliver(ctx)
	return nil
}

// Disconnect disconnects the encoder of a live channel: Session Ended, then Stream End. It
// returns ErrUnknownChannel or ErrNotLive.
func (s *Server) Disconnect(ctx context.Context, channelARN string) error {
	if err := s.withLive(ctx, channelARN, s.endLive); err != nil {
		return fmt.Errorf("disconnect: %w", err)
	}
	return nil
}

// Starve makes a live stream stop receiving data: Starvation Start, health STARVING. It does
// nothing on a stream already starving. It returns ErrUnknownChannel or ErrNotLive.
func (s *Server) Starve(ctx context.Context, channelARN string) error {
	return s.setHealth(ctx, channelARN, HealthStarving, ivsevent.EventStarvationStart)
}

// Recover ends a live stream's starvation: Starvation End, health HEALTHY. It does nothing on
// a healthy stream. It returns ErrUnknownChannel or ErrNotLive.
func (s *Server) Recover(ctx context.Context, channelARN string) error {
	return s.setHealth(ctx, channelARN, HealthHealthy, ivsevent.EventStarvationEnd)
}

func (s *Server) setHealth(ctx context.Context, arn, health, event string) error {
	err := s.withLive(ctx, arn, func(c *channel) []Event {
		if c.live.health == health {
			return nil
		}
		c.live.health = health
		return []Event{s.healthEvent(c, c.live.session, event)}
	})
	if err != nil {
		return fmt.Errorf("%s: %w", strings.ToLower(event), err)
	}
	return nil
}

// FailStream makes IVS fail a live stream: Stream Failure with reason (empty: "Transcode
// capacity exceeded. Please try again."), then the stream ends (Session Ended, Stream End). It
// returns ErrUnknownChannel or ErrNotLive.
func (s *Server) FailStream(ctx context.Context, channelARN, reason string) error {
	if reason == "" {
		reason = defaultFailureReason
	}
	err := s.withLive(ctx, channelARN, func(c *channel) []Event {
		ev := s.stateEvent(c, c.live.session, ivsevent.EventStreamFailure, "", reason)
		return append([]Event{ev}, s.endLive(c)...)
	})
	if err != nil {
		return fmt.Errorf("fail stream: %w", err)
	}
	return nil
}

// StreamKey returns the stream key value of a channel (a secret: for tests and the local
// pipeline's simulated encoders). It returns ErrUnknownChannel.
func (s *Server) StreamKey(channelARN string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelARN]
	if !ok {
		return "", fmt.Errorf("stream key of %s: %w", channelARN, ErrUnknownChannel)
	}
	return c.key.value, nil
}

// stateEvent records an IVS Stream State Change event on sess and returns it; callers hold
// s.mu.
func (s *Server) stateEvent(c *channel, sess *session, name, code, reason string) Event {
	now := s.clock.Now()
	sess.addEvent(streamEvent{name: name, typ: ivsevent.DetailTypeStreamStateChange, code: code, at: now})
	if code != "" || name == ivsevent.EventStreamFailure || name == ivsevent.EventStreamTakeoverFailure {
		sess.hasError = true
	}
	return s.newEvent(now, ivsevent.DetailTypeStreamStateChange, c.arn, ivsevent.StreamStateChange{
		EventName: name, ChannelName: c.name, StreamID: sess.streamID, Code: code, Reason: reason,
	})
}

func (s *Server) healthEvent(c *channel, sess *session, name string) Event {
	now := s.clock.Now()
	sess.addEvent(streamEvent{name: name, typ: ivsevent.DetailTypeStreamHealthChange, at: now})
	return s.newEvent(now, ivsevent.DetailTypeStreamHealthChange, c.arn, ivsevent.StreamHealthChange{
		EventName: name, ChannelName: c.name, StreamID: sess.streamID,
	})
}

func (s *Server) limitEvent(c *channel, sess *session, breach ivsevent.LimitBreach) Event {
	now := s.clock.Now()
	sess.addEvent(streamEvent{name: breach.LimitName, typ: ivsevent.DetailTypeLimitBreach, at: now})
	sess.hasError = true
	breach.ChannelName, breach.StreamID = c.name, sess.streamID
	return s.newEvent(now, ivsevent.DetailTypeLimitBreach, c.arn, breach)
}
