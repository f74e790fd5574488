package multitrack

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// channelStates lists every combination of the fields the policy reads, including states the
// API would not allow (multitrack enabled on a TS or BASIC channel, a preset on STANDARD), so
// that convergence holds whatever a channel looks like.
func channelStates() []types.Channel {
	mts := []*types.MultitrackInputConfiguration{nil, mtc(false, "", ""), mtc(false, require, hd), mtc(false, allow, fullHD), mtc(true, "", "")}
	for _, p := range []types.MultitrackPolicy{allow, require} {
		for _, r := range []types.MultitrackMaximumResolution{sd, hd, fullHD} {
			mts = append(mts, mtc(true, p, r))
		}
	}
	var out []types.Channel
	for _, typ := range []types.ChannelType{"", basic, standard, advancedSD, advancedHD} {
		for _, cf := range []types.ContainerFormat{"", ts, fmp4} {
			for _, mt := range mts {
				for _, preset := range []types.TranscodePreset{"", higherBW} {
					ch := withPreset(channel(typ, cf, mt), preset)
					ch.Tags = map[string]string{"team": "video"}
					out = append(out, ch)
				}
			}
		}
	}
	return out
}

// apiValid reports whether a channel is in a state the IVS API allows.
func apiValid(ch types.Channel) bool {
	s := stateOf(ch)
	if ch.Preset != "" && !isAdvanced(s.typ) {
		return false
	}
	if s.mt.Enabled {
		return s.typ == standard && s.container == fmp4 && s.mt.Policy != "" && resolutionRank(s.mt.MaximumResolution) > 0
	}
	return true
}

// TestConvergence decides for every channel state, code, top track and configuration; applies
// every apply decision; and checks that deciding again asks for nothing more, that the change
// only moves toward ALLOW, higher resolutions, enabled, FRAGMENTED_MP4 and STANDARD, and that
// the request obeys the API's rules.
func TestConvergence(t *testing.T) {
	configs := map[string]Config{
		"apply, all permitted": applyAll,
		"apply, none":          applyNone,
		"apply, default SD":    with(applyAll, func(c *Config) { c.DefaultMaximumResolution = sd }),
		"apply, default HD":    with(applyAll, func(c *Config) { c.DefaultMaximumResolution = hd }),
		"apply, type only":     with(applyNone, func(c *Config) { c.AllowTypeChange = true }),
		"apply, container":     with(applyNone, func(c *Config) { c.AllowContainerFormatChange = true }),
		"dry-run":              with(applyAll, func(c *Config) { c.Mode = ModeDryRun }),
	}
	codes := append([]string{"", "Unknown"}, ivsevent.Codes...)
	heights := []int32{0, 160, 360, 480, 720, 1080, 1440}
	applied := map[string]int{}
	for cfgName, cfg := range configs {
		for _, ch := range channelStates() {
			for _, code := range codes {
				for _, h := range heights {
					in := Input{Code: code, TopVideoHeight: h, Channel: ch}
					d := Decide(in, cfg)
					if d.Action != ActionApply {
						continue
					}
					applied[code]++
					name := fmt.Sprintf("%s/%s/%dp/%s", cfgName, code, h, describe(ch))
					checkCorrection(t, name, in, cfg, d)
				}
			}
		}
	}
	for _, code := range []string{ivsevent.CodeMultitrackInputNotAllowed, ivsevent.CodeMultitrackInputRequired, ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties} {
		if applied[code] == 0 {
			t.Errorf("no apply decision for %s: the table does not exercise it", code)
		}
	}
	for code, n := range applied {
		switch code {
		case ivsevent.CodeMultitrackInputNotAllowed, ivsevent.CodeMultitrackInputRequired, ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties:
		default:
			t.Errorf("%d apply decisions for %q, want none", n, code)
		}
	}
}

func checkCorrection(t *testing.T, name string, in Input, cfg Config, d Decision) {
	t.Helper()
	before, c := in.Channel, *d.Change
	after := Apply(before, c)

	again := in
	again.Channel = after
	d2 := Decide(again, cfg)
	switch in.Code {
	case ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties:
		// Once the limit covers the top track, only the broadcaster's tracks can be at fault.
		if d2.Action != ActionNone && d2.Action != ActionBroadcaster {
			t.Errorf("%s: decided again: %s (%s), want none or broadcaster", name, d2.Action, d2.Reason)
		}
	default:
		if d2.Action != ActionNone {
			t.Errorf("%s: decided again: %s (%s), want none", name, d2.Action, d2.Reason)
		}
	}
	if c.Satisfied(before) {
		t.Errorf("%s: change %s is already satisfied by the channel: an update for nothing", name, fmtChange(&c))
	}
	if !c.Satisfied(after) {
		t.Errorf("%s: change %s not satisfied by the channel it produced", name, fmtChange(&c))
	}
	if twice := Apply(after, c); !reflect.DeepEqual(twice, after) {
		t.Errorf("%s: applying twice differs from once", name)
	}

	b, a := stateOf(before), stateOf(after)
	if !a.mt.Enabled {
		t.Errorf("%s: multitrack not enabled after a correction", name)
	}
	if b.mt.Enabled && a.mt.Policy == require && b.mt.Policy != require {
		t.Errorf("%s: policy moved from %q to REQUIRE", name, b.mt.Policy)
	}
	if !b.mt.Enabled && a.mt.Policy != allow {
		t.Errorf("%s: enabled with policy %q, want ALLOW", name, a.mt.Policy)
	}
	if b.mt.Enabled && resolutionRank(a.mt.MaximumResolution) < resolutionRank(b.mt.MaximumResolution) {
		t.Errorf("%s: maximumResolution lowered from %s to %s", name, b.mt.MaximumResolution, a.mt.MaximumResolution)
	}
	if b.container == fmp4 && a.container != fmp4 {
		t.Errorf("%s: containerFormat moved away from FRAGMENTED_MP4", name)
	}
	if a.typ != b.typ && a.typ != standard {
		t.Errorf("%s: type changed to %s, want only ever STANDARD", name, a.typ)
	}
	if a.typ != b.typ && !cfg.AllowTypeChange {
		t.Errorf("%s: type changed without permission", name)
	}
	if a.container != b.container && !cfg.AllowContainerFormatChange {
		t.Errorf("%s: containerFormat changed without permission", name)
	}
	if !reflect.DeepEqual(after.Tags, before.Tags) || after.Arn != before.Arn || after.Name != before.Name {
		t.Errorf("%s: a field outside the change moved", name)
	}
	if apiValid(before) && !apiValid(after) {
		t.Errorf("%s: a valid channel became one the API rejects: %s", name, describe(after))
	}

	// The request itself: enabled needs policy, maximumResolution and FRAGMENTED_MP4; a type
	// change away from ADVANCED_* clears the preset.
	req := c.UpdateChannelInput(testARN)
	if m := req.MultitrackInputConfiguration; m != nil && m.Enabled {
		if m.Policy == "" || resolutionRank(m.MaximumResolution) == 0 || req.ContainerFormat != fmp4 {
			t.Errorf("%s: request enables multitrack with policy %q, maximumResolution %q, containerFormat %q", name, m.Policy, m.MaximumResolution, req.ContainerFormat)
		}
	}
	if isAdvanced(b.typ) && req.Type == standard && !c.ClearPreset {
		t.Errorf("%s: type change from %s to STANDARD without clearing the preset", name, b.typ)
	}
	if d.DryRun != (cfg.Mode == ModeDryRun) {
		t.Errorf("%s: dryRun = %v in mode %s", name, d.DryRun, cfg.Mode)
	}
}

func describe(ch types.Channel) string {
	s := fmt.Sprintf("type=%q container=%q preset=%q", ch.Type, ch.ContainerFormat, ch.Preset)
	if m := ch.MultitrackInputConfiguration; m != nil {
		s += fmt.Sprintf(" mt={%v %q %q}", m.Enabled, m.Policy, m.MaximumResolution)
	}
	return s
}
