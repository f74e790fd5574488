package ivstest

import (
	"context"
	"time"
)

// ChannelChange is one UpdateChannel the server applied to a channel: the channel's history,
// the ground truth of who changed it, when and how (a soak compares the suite's archive with
// it). An update that changed nothing (the same values sent again, as an SDK retry of a call
// whose answer was lost sends them) is a change with no Changed fields.
type ChannelChange struct {
	Time string `json:"time"`
	// Caller is who called, as the request's context said (WithCaller); "" when unknown.
	Caller string `json:"caller,omitempty"`
	// Changed names the fields whose value the update changed, in ChannelConfig's order.
	Changed []string      `json:"changed"`
	Before  ChannelConfig `json:"before"`
	After   ChannelConfig `json:"after"`
}

// ChannelConfig is what an UpdateChannel can change on a channel, without its secrets.
type ChannelConfig struct {
	Name                      string `json:"name"`
	Type                      string `json:"type"`
	LatencyMode               string `json:"latencyMode"`
	Preset                    string `json:"preset"`
	ContainerFormat           string `json:"containerFormat"`
	MultitrackEnabled         bool   `json:"multitrackEnabled"`
	MultitrackPolicy          string `json:"multitrackPolicy"`
	MultitrackMaxResolution   string `json:"multitrackMaximumResolution"`
	RecordingConfigurationARN string `json:"recordingConfigurationArn"`
	AdConfigurationARN        string `json:"adConfigurationArn"`
	Authorized                bool   `json:"authorized"`
	InsecureIngest            bool   `json:"insecureIngest"`
}

// config returns c's ChannelConfig.
func (c *channel) config() ChannelConfig {
	return ChannelConfig{
		Name: c.name, Type: c.typ, LatencyMode: c.latencyMode, Preset: c.preset, ContainerFormat: c.containerFormat,
		MultitrackEnabled: c.multitrack.Enabled, MultitrackPolicy: c.multitrack.Policy,
		MultitrackMaxResolution: c.multitrack.MaximumResolution, RecordingConfigurationARN: c.recordingARN, AdConfigurationARN: c.adARN,
		Authorized: c.authorized, InsecureIngest: c.insecureIngest,
	}
}

// changedFields names the fields of a and b that differ, in ChannelConfig's order.
func changedFields(a, b ChannelConfig) []string {
	changed := []string{}
	for _, f := range []struct {
		name string
		same bool
	}{
		{"name", a.Name == b.Name},
		{"type", a.Type == b.Type},
		{"latencyMode", a.LatencyMode == b.LatencyMode},
		{"preset", a.Preset == b.Preset},
		{"containerFormat", a.ContainerFormat == b.ContainerFormat},
		{"multitrackInputConfiguration.enabled", a.MultitrackEnabled == b.MultitrackEnabled},
		{"multitrackInputConfiguration.policy", a.MultitrackPolicy == b.MultitrackPolicy},
		{"multitrackInputConfiguration.maximumResolution", a.MultitrackMaxResolution == b.MultitrackMaxResolution},
		{"recordingConfigurationArn", a.RecordingConfigurationARN == b.RecordingConfigurationARN},
		{"adConfigurationArn", a.AdConfigurationARN == b.AdConfigurationARN},
		{"authorized", a.Authorized == b.Authorized},
		{"insecureIngest", a.InsecureIngest == b.InsecureIngest},
	} {
		if !f.same {
			changed = append(changed, f.name)
		}
	}
	return changed
}

// record appends an applied update to c's history; callers hold s.mu.
func (c *channel) record(ctx context.Context, at time.Time, before ChannelConfig) {
	after := c.config()
	c.history = append(c.history, ChannelChange{
		Time: formatTime(at), Caller: CallerOf(ctx), Changed: changedFields(before, after), Before: before, After: after,
	})
}

type callerKey struct{}

// WithCaller returns ctx carrying the name of who makes the request (a function, a person):
// the channel history (ChannelChange.Caller) records it. A local stack that tells its callers
// apart (by their endpoint) sets it on each request before the server handles it.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// CallerOf returns the caller WithCaller put in ctx, or "".
func CallerOf(ctx context.Context) string {
	c, _ := ctx.Value(callerKey{}).(string)
	return c
}
