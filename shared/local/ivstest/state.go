package ivstest

import (
	"maps"
	"sort"
)

// State is a secret-free snapshot of the server, as GET /_admin/state returns it: stream key
// values and SRT passphrases are left out.
type State struct {
	Time     string         `json:"time"`
	Region   string         `json:"region"`
	Account  string         `json:"account"`
	Channels []ChannelState `json:"channels"`
	// AdConfigurations are the ad configurations' ARNs, sorted.
	AdConfigurations []string                  `json:"adConfigurations"`
	Stats            map[string]OperationStats `json:"stats"`
	Faults           []FaultJSON               `json:"faults"`
	EventsEmitted    int                       `json:"eventsEmitted"`
	SinkErrors       int                       `json:"sinkErrors"`
}

// ChannelState is one channel in a State.
type ChannelState struct {
	ARN                       string            `json:"arn"`
	Name                      string            `json:"name"`
	Type                      string            `json:"type"`
	LatencyMode               string            `json:"latencyMode"`
	ContainerFormat           string            `json:"containerFormat"`
	Preset                    string            `json:"preset"`
	MultitrackEnabled         bool              `json:"multitrackEnabled"`
	MultitrackPolicy          string            `json:"multitrackPolicy"`
	MultitrackMaxResolution   string            `json:"multitrackMaximumResolution"`
	RecordingConfigurationARN string            `json:"recordingConfigurationArn"`
	AdConfigurationARN        string            `json:"adConfigurationArn"`
	StreamKeyARN              string            `json:"streamKeyArn"`
	Tags                      map[string]string `json:"tags"`
	Live                      *LiveState        `json:"live,omitempty"`
	Sessions                  []SessionState    `json:"sessions"`
}

// LiveState is a channel's live stream in a State.
type LiveState struct {
	StreamID  string `json:"streamId"`
	StartTime string `json:"startTime"`
	Health    string `json:"health"`
}

// SessionState summarises one stream session in a State, newest first.
type SessionState struct {
	StreamID      string   `json:"streamId"`
	StartTime     string   `json:"startTime"`
	EndTime       string   `json:"endTime,omitempty"`
	VideoTracks   int      `json:"videoTracks"`
	Codes         []string `json:"codes,omitempty"`
	HasErrorEvent bool     `json:"hasErrorEvent"`
	Events        int      `json:"events"`
}

// State returns a secret-free snapshot of the server: channels by ARN with their live stream
// and sessions, call stats, faults, and event counts.
func (s *Server) State() State {
	st := State{
		Time: formatTime(s.clock.Now()), Region: s.region, Account: s.account,
		Channels: []ChannelState{}, AdConfigurations: []string{}, Stats: s.Stats(), Faults: []FaultJSON{},
	}
	for _, f := range s.Faults() {
		st.Faults = append(st.Faults, faultToJSON(f))
	}
	s.events.mu.Lock()
	st.EventsEmitted, st.SinkErrors = len(s.events.emitted), s.events.sinkErrors
	s.events.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		cs := ChannelState{
			ARN: c.arn, Name: c.name, Type: c.typ, LatencyMode: c.latencyMode,
			ContainerFormat: c.containerFormat, Preset: c.preset,
			MultitrackEnabled: c.multitrack.Enabled, MultitrackPolicy: c.multitrack.Policy,
			MultitrackMaxResolution:   c.multitrack.MaximumResolution,
			RecordingConfigurationARN: c.recordingARN, AdConfigurationARN: c.adARN, StreamKeyARN: c.key.arn,
			Tags: maps.Clone(c.tags), Sessions: []SessionState{},
		}
		if c.live != nil {
			cs.Live = &LiveState{StreamID: c.live.session.streamID, StartTime: formatTime(c.live.session.start), Health: c.live.health}
		}
		for i := len(c.sessions) - 1; i >= 0; i-- {
			sess := c.sessions[i]
			ss := SessionState{
				StreamID: sess.streamID, StartTime: formatTime(sess.start), VideoTracks: len(sess.encoder.Video),
				HasErrorEvent: sess.hasError, Events: len(sess.events),
			}
			if sess.ended() {
				ss.EndTime = formatTime(sess.end)
			}
			for _, ev := range sess.events {
				if ev.code != "" {
					ss.Codes = append(ss.Codes, ev.code)
				}
			}
			cs.Sessions = append(cs.Sessions, ss)
		}
		st.Channels = append(st.Channels, cs)
	}
	sort.Slice(st.Channels, func(i, j int) bool { return st.Channels[i].ARN < st.Channels[j].ARN })
	for arn := range s.adConfigs {
		st.AdConfigurations = append(st.AdConfigurations, arn)
	}
	sort.Strings(st.AdConfigurations)
	return st
}
