package multitrack

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

const (
	testARN    = "arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"
	testOptOut = "ivs-sessions:opt-out"
)

// Short names for the SDK's enum values, to keep the tables readable.
const (
	standard   = types.ChannelTypeStandardChannelType
	basic      = types.ChannelTypeBasicChannelType
	advancedSD = types.ChannelTypeAdvancedSDChannelType
	advancedHD = types.ChannelTypeAdvancedHDChannelType
	ts         = types.ContainerFormatTs
	fmp4       = types.ContainerFormatFragmentedMP4
	allow      = types.MultitrackPolicyAllow
	require    = types.MultitrackPolicyRequire
	sd         = types.MultitrackMaximumResolutionSd
	hd         = types.MultitrackMaximumResolutionHd
	fullHD     = types.MultitrackMaximumResolutionFullHd
	higherBW   = types.TranscodePresetHigherBandwidthTranscodePreset
)

// applyAll may change everything; applyNone may change neither type nor container format.
var (
	applyAll  = Config{Mode: ModeApply, AllowTypeChange: true, AllowContainerFormatChange: true, OptOutTag: testOptOut}
	applyNone = Config{Mode: ModeApply, OptOutTag: testOptOut}
)

func channel(typ types.ChannelType, cf types.ContainerFormat, mt *types.MultitrackInputConfiguration) types.Channel {
	return types.Channel{Arn: ptr(testARN), Type: typ, ContainerFormat: cf, MultitrackInputConfiguration: mt}
}

func mtc(enabled bool, p types.MultitrackPolicy, r types.MultitrackMaximumResolution) *types.MultitrackInputConfiguration {
	return &types.MultitrackInputConfiguration{Enabled: enabled, Policy: p, MaximumResolution: r}
}

func ptr[T any](v T) *T { return &v }

func enableTo(r types.MultitrackMaximumResolution) *Change {
	return &Change{ContainerFormat: fmp4, Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: r}}
}

func with(cfg Config, edit func(*Config)) Config {
	edit(&cfg)
	return cfg
}

func withPreset(ch types.Channel, p types.TranscodePreset) types.Channel {
	ch.Preset = p
	return ch
}

func withTags(ch types.Channel, tags map[string]string) types.Channel {
	ch.Tags = tags
	return ch
}

// TestDecide has one case per row of the correction policy (README.md) and per API rule.
func TestDecide(t *testing.T) {
	notAllowed := ivsevent.CodeMultitrackInputNotAllowed
	requiredCode := ivsevent.CodeMultitrackInputRequired
	media := ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties
	tests := map[string]struct {
		in         Input
		cfg        Config
		wantAction Action
		wantChange *Change
		wantDryRun bool
		reasonHas  []string
	}{
		// MultitrackInputNotAllowed on STANDARD, multitrack off.
		"not allowed, standard TS, top 1080p": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(fullHD),
			reasonHas: []string{"multitrack video", "containerFormat from TS to FRAGMENTED_MP4", "FULL_HD", "1080p"},
		},
		"not allowed, top 720p gives HD": {
			in:         Input{Code: notAllowed, TopVideoHeight: 720, Channel: channel(standard, fmp4, nil)},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(hd), reasonHas: []string{"HD", "720p"},
		},
		"not allowed, top 480p gives SD": {
			in:         Input{Code: notAllowed, TopVideoHeight: 480, Channel: channel(standard, fmp4, nil)},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(sd),
		},
		"not allowed, tracks unknown gives FULL_HD": {
			in:         Input{Code: notAllowed, Channel: channel(standard, fmp4, nil)},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(fullHD), reasonHas: []string{"tracks are unknown"},
		},
		"not allowed, configured default wins over the tracks": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, nil)},
			cfg:        with(applyAll, func(c *Config) { c.DefaultMaximumResolution = hd }),
			wantAction: ActionApply, wantChange: enableTo(hd), reasonHas: []string{"configured default"},
		},
		"not allowed, a disabled configuration's stored resolution is not in force": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(false, allow, fullHD))},
			cfg:        with(applyAll, func(c *Config) { c.DefaultMaximumResolution = hd }),
			wantAction: ActionApply, wantChange: enableTo(hd), reasonHas: []string{"configured default"},
		},
		"not allowed, an enabled limit is never lowered": {
			in:         Input{Code: notAllowed, TopVideoHeight: 360, Channel: channel(standard, ts, mtc(true, require, fullHD))},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(fullHD), reasonHas: []string{"kept from the channel"},
		},
		"not allowed, empty type and container are the API defaults STANDARD and TS": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: types.Channel{}},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(fullHD), reasonHas: []string{"from TS"},
		},
		"not allowed, FRAGMENTED_MP4 already: no container permission needed": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(false, "", ""))},
			cfg:        applyNone,
			wantAction: ActionApply, wantChange: enableTo(fullHD),
		},
		"not allowed, TS and container change not allowed: manual": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)},
			cfg:        applyNone,
			wantAction: ActionManual, reasonHas: []string{"FRAGMENTED_MP4", "TS", "recordings"},
		},
		"not allowed, channel already accepts multitrack: none": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, require, hd))},
			cfg:        applyAll,
			wantAction: ActionNone, reasonHas: []string{"already accepts"},
		},
		// MultitrackInputNotAllowed on another type.
		"not allowed, ADVANCED_HD, type change allowed: STANDARD and preset cleared": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: withPreset(channel(advancedHD, ts, nil), higherBW)},
			cfg:        applyAll,
			wantAction: ActionApply,
			wantChange: &Change{Type: standard, ClearPreset: true, ContainerFormat: fmp4, Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: fullHD}},
			reasonHas:  []string{"from ADVANCED_HD to STANDARD", "clear the preset HIGHER_BANDWIDTH_DELIVERY"},
		},
		"not allowed, ADVANCED_SD without a preset still clears it": {
			in:         Input{Code: notAllowed, TopVideoHeight: 480, Channel: channel(advancedSD, fmp4, nil)},
			cfg:        applyAll,
			wantAction: ActionApply,
			wantChange: &Change{Type: standard, ClearPreset: true, ContainerFormat: fmp4, Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: sd}},
		},
		"not allowed, BASIC, type change allowed: no preset to clear": {
			in:         Input{Code: notAllowed, TopVideoHeight: 720, Channel: channel(basic, ts, nil)},
			cfg:        applyAll,
			wantAction: ActionApply,
			wantChange: &Change{Type: standard, ContainerFormat: fmp4, Multitrack: &MultitrackInput{Enabled: true, Policy: allow, MaximumResolution: hd}},
		},
		"not allowed, ADVANCED_SD, type change not allowed: manual": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: withPreset(channel(advancedSD, fmp4, nil), higherBW)},
			cfg:        with(applyAll, func(c *Config) { c.AllowTypeChange = false }),
			wantAction: ActionManual, reasonHas: []string{"STANDARD", "ADVANCED_SD", "may not change a channel's type"},
		},
		"not allowed, BASIC, type allowed but container not: manual": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(basic, ts, nil)},
			cfg:        with(applyAll, func(c *Config) { c.AllowContainerFormatChange = false }),
			wantAction: ActionManual, reasonHas: []string{"containerFormat"},
		},
		// MultitrackInputRequired.
		"required, policy REQUIRE: ALLOW, the rest kept": {
			in:         Input{Code: requiredCode, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, require, hd))},
			cfg:        applyNone,
			wantAction: ActionApply, wantChange: enableTo(hd), reasonHas: []string{"REQUIRE to ALLOW", "HD kept"},
		},
		"required, policy already ALLOW: none": {
			in:         Input{Code: requiredCode, Channel: channel(standard, fmp4, mtc(true, allow, hd))},
			cfg:        applyAll,
			wantAction: ActionNone,
		},
		"required, multitrack off: none": {
			in:         Input{Code: requiredCode, Channel: channel(standard, ts, nil)},
			cfg:        applyAll,
			wantAction: ActionNone,
		},
		// InvalidMultitrackInputVideoTrackMediaProperties.
		"media properties, top track above maximumResolution: raised, policy kept": {
			in:         Input{Code: media, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, require, hd))},
			cfg:        applyNone,
			wantAction: ActionApply,
			wantChange: &Change{ContainerFormat: fmp4, Multitrack: &MultitrackInput{Enabled: true, Policy: require, MaximumResolution: fullHD}},
			reasonHas:  []string{"1080p", "from HD to FULL_HD", "REQUIRE kept"},
		},
		"media properties, SD channel with a 720p top: HD": {
			in:         Input{Code: media, TopVideoHeight: 720, Channel: channel(standard, fmp4, mtc(true, allow, sd))},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(hd),
		},
		"media properties, 1440p top: never above FULL_HD": {
			in:         Input{Code: media, TopVideoHeight: 1440, Channel: channel(standard, fmp4, mtc(true, allow, sd))},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(fullHD),
		},
		"media properties, 1440p top on FULL_HD: broadcaster": {
			in:         Input{Code: media, TopVideoHeight: 1440, Channel: channel(standard, fmp4, mtc(true, allow, fullHD))},
			cfg:        applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"above FULL_HD"},
		},
		"media properties, top track within the limit: broadcaster": {
			in:         Input{Code: media, TopVideoHeight: 720, Channel: channel(standard, fmp4, mtc(true, allow, hd))},
			cfg:        applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"720p", "within", "GetClientConfiguration"},
		},
		"media properties, tracks unknown: broadcaster": {
			in:         Input{Code: media, Channel: channel(standard, fmp4, mtc(true, allow, hd))},
			cfg:        applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"unknown", "GetClientConfiguration"},
		},
		"media properties, multitrack off now: none": {
			in:         Input{Code: media, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)},
			cfg:        applyAll,
			wantAction: ActionNone,
		},
		// Stream-key, track-count and takeover codes.
		"invalid GetClientConfiguration stream key": {
			in: Input{Code: ivsevent.CodeInvalidGetClientConfigurationStreamKey, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"stream key"},
		},
		"GetClientConfiguration stream key required": {
			in: Input{Code: ivsevent.CodeGetClientConfigurationStreamKeyRequired, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"GetClientConfiguration"},
		},
		"invalid track count": {
			in: Input{Code: ivsevent.CodeInvalidMultitrackInputTrackCount, Channel: channel(standard, fmp4, mtc(true, allow, hd))}, cfg: applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"number of tracks"},
		},
		"takeover media mismatch": {
			in: Input{Code: ivsevent.CodeStreamTakeoverMediaMismatch}, cfg: applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"takeover", "media properties"},
		},
		"takeover invalid priority": {
			in: Input{Code: ivsevent.CodeStreamTakeoverInvalidPriority}, cfg: applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"priority"},
		},
		"takeover limit breached": {
			in: Input{Code: ivsevent.CodeStreamTakeoverLimitBreached}, cfg: applyAll,
			wantAction: ActionBroadcaster, reasonHas: []string{"takeover attempts"},
		},
		// No code, unknown code.
		"no code: none": {
			in: Input{TopVideoHeight: 1080, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			wantAction: ActionNone, reasonHas: []string{"without a code"},
		},
		"unknown code: none": {
			in: Input{Code: "SomethingNew", Channel: channel(standard, ts, nil)}, cfg: applyAll,
			wantAction: ActionNone, reasonHas: []string{"SomethingNew"},
		},
		"no code on an opted-out channel: none, not skipped": {
			in: Input{Channel: withTags(channel(standard, ts, nil), map[string]string{testOptOut: "yes"})}, cfg: applyAll,
			wantAction: ActionNone,
		},
		// Opt-out tag and modes.
		"opt-out tag on the channel: skipped": {
			in:  Input{Code: notAllowed, Channel: withTags(channel(standard, ts, nil), map[string]string{testOptOut: ""})},
			cfg: applyAll, wantAction: ActionSkipped, reasonHas: []string{testOptOut},
		},
		"opt-out tag in the input's tags: skipped": {
			in:  Input{Code: requiredCode, Channel: channel(standard, fmp4, mtc(true, require, hd)), Tags: map[string]string{testOptOut: "false"}},
			cfg: applyAll, wantAction: ActionSkipped,
		},
		"opt-out tag on a broadcaster code: skipped": {
			in:  Input{Code: ivsevent.CodeStreamTakeoverLimitBreached, Tags: map[string]string{testOptOut: "1"}},
			cfg: applyAll, wantAction: ActionSkipped,
		},
		"other tags, no opt-out: applied": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: withTags(channel(standard, fmp4, nil), map[string]string{"team": "video"})},
			cfg:        applyAll,
			wantAction: ActionApply, wantChange: enableTo(fullHD),
		},
		"empty opt-out tag in the config disables opting out": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: withTags(channel(standard, fmp4, nil), map[string]string{"": "x"})},
			cfg:        with(applyAll, func(c *Config) { c.OptOutTag = "" }),
			wantAction: ActionApply, wantChange: enableTo(fullHD),
		},
		"mode off: skipped": {
			in:  Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, nil)},
			cfg: with(applyAll, func(c *Config) { c.Mode = ModeOff }), wantAction: ActionSkipped, reasonHas: []string{"off"},
		},
		"zero config: skipped, never applied": {
			in:  Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, nil)},
			cfg: Config{}, wantAction: ActionSkipped,
		},
		"dry-run: the apply decision, marked": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, nil)},
			cfg:        with(applyAll, func(c *Config) { c.Mode = ModeDryRun }),
			wantAction: ActionApply, wantChange: enableTo(fullHD), wantDryRun: true,
		},
		"dry-run: a manual decision is not marked": {
			in:         Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)},
			cfg:        with(applyNone, func(c *Config) { c.Mode = ModeDryRun }),
			wantAction: ActionManual,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Decide(tc.in, tc.cfg)
			if got.Action != tc.wantAction {
				t.Fatalf("action = %q, want %q (reason %q)", got.Action, tc.wantAction, got.Reason)
			}
			if got.Reason == "" {
				t.Error("reason is empty")
			}
			if got.Code != tc.in.Code {
				t.Errorf("code = %q, want %q", got.Code, tc.in.Code)
			}
			if got.DryRun != tc.wantDryRun {
				t.Errorf("dryRun = %v, want %v", got.DryRun, tc.wantDryRun)
			}
			if (got.Change != nil) != (got.Action == ActionApply) {
				t.Errorf("change = %+v with action %q: want a change if and only if apply", got.Change, got.Action)
			}
			if tc.wantChange != nil && (got.Change == nil || !equalChange(*got.Change, *tc.wantChange)) {
				t.Errorf("change = %s, want %s", fmtChange(got.Change), fmtChange(tc.wantChange))
			}
			for _, s := range tc.reasonHas {
				if !strings.Contains(got.Reason, s) {
					t.Errorf("reason %q does not mention %q", got.Reason, s)
				}
			}
		})
	}
}

func equalChange(a, b Change) bool {
	if a.Type != b.Type || a.ContainerFormat != b.ContainerFormat || a.ClearPreset != b.ClearPreset || (a.Multitrack == nil) != (b.Multitrack == nil) {
		return false
	}
	return a.Multitrack == nil || *a.Multitrack == *b.Multitrack
}

func fmtChange(c *Change) string {
	if c == nil {
		return "<nil>"
	}
	s := "{type:" + string(c.Type) + " containerFormat:" + string(c.ContainerFormat)
	if c.ClearPreset {
		s += " clearPreset"
	}
	if c.Multitrack != nil {
		m := c.Multitrack
		s += " multitrack:{enabled:" + map[bool]string{true: "true", false: "false"}[m.Enabled] + " policy:" + string(m.Policy) + " max:" + string(m.MaximumResolution) + "}"
	}
	return s + "}"
}

func TestResolutionFor(t *testing.T) {
	tests := map[int32]types.MultitrackMaximumResolution{
		-1: "", 0: "", 1: sd, 160: sd, 360: sd, 480: sd, 481: hd, 720: hd, 721: fullHD, 1080: fullHD, 1440: fullHD, 2160: fullHD,
	}
	for h, want := range tests {
		if got := ResolutionFor(h); got != want {
			t.Errorf("ResolutionFor(%d) = %q, want %q", h, got, want)
		}
	}
}

// A refusal whose channel enrich could not read still routes to the corrector (apply, no
// change); codes that do not depend on the channel are decided as usual.
func TestDecideChannelUnknown(t *testing.T) {
	tests := map[string]struct {
		code       string
		mode       Mode
		wantAction Action
		wantDryRun bool
	}{
		"not allowed":      {ivsevent.CodeMultitrackInputNotAllowed, ModeApply, ActionApply, false},
		"required":         {ivsevent.CodeMultitrackInputRequired, ModeApply, ActionApply, false},
		"media properties": {ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, ModeApply, ActionApply, false},
		"dry-run":          {ivsevent.CodeMultitrackInputNotAllowed, ModeDryRun, ActionApply, true},
		"off":              {ivsevent.CodeMultitrackInputNotAllowed, ModeOff, ActionSkipped, false},
		"stream key":       {ivsevent.CodeInvalidGetClientConfigurationStreamKey, ModeApply, ActionBroadcaster, false},
		"no code":          {"", ModeApply, ActionNone, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := Decide(Input{Code: tc.code, ChannelUnknown: true}, Config{Mode: tc.mode})
			if d.Action != tc.wantAction || d.DryRun != tc.wantDryRun {
				t.Fatalf("Decide = %+v, want action %s dryRun %v", d, tc.wantAction, tc.wantDryRun)
			}
			if d.Action == ActionApply && (d.Change != nil || d.Reason == "") {
				t.Errorf("apply on an unknown channel = %+v, want no change and a reason", d)
			}
		})
	}
}
