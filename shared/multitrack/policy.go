package multitrack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Decide applies the correction policy to one session. It never fails: every input gives a
// decision, and the reason says why. Rules, in order:
//
//   - no code, or a code with no rule: none (nothing the policy could act on, whatever the mode
//     or tags, so "skipped" always means "the policy would have looked at this session");
//   - mode off (or not apply/dry-run): skipped;
//   - IVS does not confirm the refusal (in.Unconfirmed) and the code's rule would change the
//     channel: unverified;
//   - the channel is unknown (in.ChannelUnknown) and the code's rule depends on it: apply with
//     no change, for the corrector to decide on the channel it reads;
//   - the channel carries cfg.OptOutTag (any value, in in.Tags or in.Channel.Tags): skipped;
//   - the rule of the code (see the package documentation); a rule that would set
//     containerFormat FRAGMENTED_MP4 or enable multitrack input on a channel with an ad
//     configuration gives manual instead, with Conflict ConflictAdInsertion, in every mode;
//   - mode dry-run: an apply decision is marked DryRun.
//
// A change is never proposed for a channel that already fits, so deciding again on the channel
// that Apply returns never gives apply.
func Decide(in Input, cfg Config) Decision {
	if in.Code == "" {
		return Decision{Action: ActionNone, Reason: "the session ended without a code: nothing to correct"}
	}
	rule, ok := rules[in.Code]
	if !ok {
		return Decision{Action: ActionNone, Code: in.Code, Reason: fmt.Sprintf("no rule for code %s: nothing to correct", in.Code)}
	}
	switch cfg.Mode {
	case ModeApply, ModeDryRun:
	case ModeOff:
		return Decision{Action: ActionSkipped, Code: in.Code, Reason: "correction mode is off"}
	default:
		return Decision{Action: ActionSkipped, Code: in.Code, Reason: fmt.Sprintf("correction mode %q is neither apply nor dry-run", cfg.Mode)}
	}
	if in.Unconfirmed != "" && channelRules[in.Code] {
		return Decision{Action: ActionUnverified, Code: in.Code,
			Reason: fmt.Sprintf("IVS does not confirm the refusal %s (%s): the channel is left unchanged", in.Code, in.Unconfirmed)}
	}
	if in.ChannelUnknown && channelRules[in.Code] {
		return Decision{Action: ActionApply, Code: in.Code, DryRun: cfg.Mode == ModeDryRun,
			Reason: fmt.Sprintf("the session ended with %s and the channel's configuration is not known yet: the corrector reads the channel and decides", in.Code)}
	}
	if optedOut(in, cfg.OptOutTag) {
		return Decision{Action: ActionSkipped, Code: in.Code, Reason: fmt.Sprintf("the channel has the opt-out tag %s", cfg.OptOutTag)}
	}
	d := rule(in, cfg)
	d.Code = in.Code
	d.DryRun = d.Action == ActionApply && cfg.Mode == ModeDryRun
	return d
}

// channelRules are the codes whose rule depends on the channel's configuration.
var channelRules = map[string]bool{
	ivsevent.CodeMultitrackInputNotAllowed:                       true,
	ivsevent.CodeMultitrackInputRequired:                         true,
	ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties: true,
}

// rules maps each code the policy knows to its rule.
var rules = map[string]func(Input, Config) Decision{
	ivsevent.CodeMultitrackInputNotAllowed:                       notAllowed,
	ivsevent.CodeMultitrackInputRequired:                         required,
	ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties: mediaProperties,
	ivsevent.CodeInvalidGetClientConfigurationStreamKey: broadcaster("the encoder used an invalid, expired or corrupt stream key with GetClientConfiguration; " +
		"the broadcaster must use the channel's current stream key"),
	ivsevent.CodeGetClientConfigurationStreamKeyRequired: broadcaster("the encoder sent multitrack video without a stream key authenticated by GetClientConfiguration; " +
		"the broadcaster's software must get its configuration from GetClientConfiguration (OBS: Enhanced Broadcasting)"),
	ivsevent.CodeInvalidMultitrackInputTrackCount: broadcaster("the encoder sent a number of tracks that does not match its GetClientConfiguration response; " +
		"the broadcaster must stream the configuration it was given"),
	ivsevent.CodeStreamTakeoverMediaMismatch: broadcaster("a takeover attempt used media properties (codec, resolution, video track type) that differ from the stream it tried to take over; " +
		"the broadcaster must match them"),
	ivsevent.CodeStreamTakeoverInvalidPriority: broadcaster("a takeover attempt used a priority not above the current stream's, or outside 1 to 2147483647; " +
		"the broadcaster must raise it"),
	ivsevent.CodeStreamTakeoverLimitBreached: broadcaster("the encoder reached the maximum number of takeover attempts for this stream; " +
		"the broadcaster must start a new stream"),
}

func broadcaster(reason string) func(Input, Config) Decision {
	return func(Input, Config) Decision { return Decision{Action: ActionBroadcaster, Reason: reason} }
}

// notAllowed: the encoder sent multitrack video to a channel that does not accept it.
func notAllowed(in Input, cfg Config) Decision {
	s := stateOf(in.Channel)
	if s.acceptsMultitrack() {
		return Decision{Action: ActionNone, Reason: fmt.Sprintf("the channel already accepts multitrack input (policy %s, maximumResolution %s)", s.mt.Policy, s.mt.MaximumResolution)}
	}
	res, from := targetResolution(in, cfg, s)
	target := MultitrackInput{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: res}
	step := fmt.Sprintf("enable multitrack input with policy ALLOW and maximumResolution %s (%s)", res, from)
	return enable(s, cfg, target, "the encoder sent multitrack video and the channel does not accept it", step)
}

// required: the encoder sent single-track video to a channel that requires multitrack.
func required(in Input, cfg Config) Decision {
	s := stateOf(in.Channel)
	if !s.mt.Enabled || s.mt.Policy != types.MultitrackPolicyRequire {
		return Decision{Action: ActionNone, Reason: "the channel no longer requires multitrack input"}
	}
	res := s.mt.MaximumResolution
	if resolutionRank(res) == 0 {
		res, _ = targetResolution(in, cfg, s) // not a state the API allows; repair it
	}
	target := MultitrackInput{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: res}
	step := fmt.Sprintf("change the multitrack policy from REQUIRE to ALLOW (maximumResolution %s kept)", res)
	return enable(s, cfg, target, "the encoder sent single-track video and the channel requires multitrack input", step)
}

// mediaProperties: one or more tracks had an invalid codec, resolution, bitrate or frame rate.
// The only channel setting that can cause it is a maximumResolution below the top track.
func mediaProperties(in Input, cfg Config) Decision {
	s := stateOf(in.Channel)
	if !s.mt.Enabled {
		return Decision{Action: ActionNone, Reason: "multitrack input is no longer enabled on the channel: nothing to raise"}
	}
	h := in.TopVideoHeight
	limit := resolutionHeight(s.mt.MaximumResolution)
	switch {
	case h <= 0:
		return Decision{Action: ActionBroadcaster, Reason: "the session's video tracks are unknown, so the channel's maximumResolution cannot be blamed: " +
			"the encoder's tracks (codec, resolution, bitrate, frame rate) do not match its GetClientConfiguration response"}
	case h <= limit:
		return Decision{Action: ActionBroadcaster, Reason: fmt.Sprintf("the highest video track (%dp) is within the channel's maximumResolution %s: "+
			"the encoder's tracks (codec, resolution, bitrate, frame rate) do not match its GetClientConfiguration response", h, s.mt.MaximumResolution)}
	case resolutionRank(s.mt.MaximumResolution) >= resolutionRank(types.MultitrackMaximumResolutionFullHd):
		return Decision{Action: ActionBroadcaster, Reason: fmt.Sprintf("the highest video track (%dp) is above FULL_HD (1080p), the highest multitrack resolution: "+
			"the broadcaster must send at most 1080p", h)}
	}
	res := ResolutionFor(h)
	policy := s.mt.Policy
	if policy == "" {
		policy = types.MultitrackPolicyAllow // not a state the API allows; repair it
	}
	target := MultitrackInput{Enabled: true, Policy: policy, MaximumResolution: res}
	why := fmt.Sprintf("the highest video track (%dp) is above the channel's maximumResolution %s", h, orNone(string(s.mt.MaximumResolution)))
	step := fmt.Sprintf("raise maximumResolution from %s to %s (policy %s kept)", orNone(string(s.mt.MaximumResolution)), res, policy)
	return enable(s, cfg, target, why, step)
}

// enable returns the decision that gives the channel the multitrack configuration target, with
// the type and container format that it requires, or manual when a needed change is not
// permitted. The change always carries containerFormat FRAGMENTED_MP4: the API requires
// policy, maximumResolution and containerFormat whenever enabled is true, and sending the
// value a channel already has changes nothing.
//
// It is the only place a change is made, so the ad guard lives here, before the permissions:
// a channel with an ad configuration is never given FRAGMENTED_MP4 or multitrack input
// (adsAtRisk), whatever the configuration allows and whatever the mode.
func enable(s channelState, cfg Config, target MultitrackInput, why, step string) Decision {
	c := &Change{ContainerFormat: types.ContainerFormatFragmentedMP4, Multitrack: &target}
	if adsAtRisk(s, *c) {
		return Decision{Action: ActionManual, Conflict: ConflictAdInsertion, Reason: adReason(why, s)}
	}
	var steps []string
	if s.typ != types.ChannelTypeStandardChannelType {
		if !cfg.AllowTypeChange {
			return Decision{Action: ActionManual, Reason: fmt.Sprintf("%s; multitrack input needs a STANDARD channel, the channel is %s, "+
				"and the corrector may not change a channel's type (the type sets how IVS transcodes the channel and what it costs): change it by hand, "+
				"or let the suite do it (allowTypeChange)", why, s.typ)}
		}
		c.Type = types.ChannelTypeStandardChannelType
		c.ClearPreset = s.preset != "" || isAdvanced(s.typ)
		t := fmt.Sprintf("change the type from %s to STANDARD", s.typ)
		if s.preset != "" {
			t += fmt.Sprintf(" and clear the preset %s", s.preset)
		}
		steps = append(steps, t)
	}
	if s.container != types.ContainerFormatFragmentedMP4 {
		if !cfg.AllowContainerFormatChange {
			return Decision{Action: ActionManual, Reason: fmt.Sprintf("%s; multitrack input needs containerFormat FRAGMENTED_MP4, the channel uses %s, "+
				"and the corrector may not change it (containerFormat also changes the format of the channel's recordings): change it by hand, "+
				"or let the suite do it (allowContainerFormatChange)", why, s.container)}
		}
		steps = append(steps, fmt.Sprintf("change containerFormat from %s to FRAGMENTED_MP4 (recordings change format too)", s.container))
	}
	steps = append(steps, step)
	return Decision{Action: ActionApply, Reason: why + ": " + strings.Join(steps, ", "), Change: c}
}

// adsAtRisk reports whether change c would end the ads of the channel in state s: the channel
// has an ad configuration and c sets containerFormat FRAGMENTED_MP4 on a channel that is not
// already, or enables multitrack input on one where it is off. A change that leaves both as
// they are (REQUIRE relaxed to ALLOW, a higher maximumResolution) is not.
func adsAtRisk(s channelState, c Change) bool {
	if s.adConfiguration == "" {
		return false
	}
	container := c.ContainerFormat == types.ContainerFormatFragmentedMP4 && s.container != types.ContainerFormatFragmentedMP4
	enables := c.Multitrack != nil && c.Multitrack.Enabled && !s.mt.Enabled
	return container || enables
}

// adReason is the reason of a correction left alone because of the channel's ads: the conflict
// and what a person can do.
func adReason(why string, s channelState) string {
	return fmt.Sprintf("%s; the channel has an ad configuration (%s), and IVS server-side ad insertion needs containerFormat TS "+
		"while multitrack input needs FRAGMENTED_MP4, so the suite never enables multitrack input on it: that would end the channel's ads. "+
		"What a person can do: give the broadcaster a single-track setup (OBS: turn Enhanced Broadcasting off), or choose multitrack over "+
		"ads for this channel: remove its ad configuration (aws ivs update-channel --ad-configuration-arn \"\"), then enable multitrack "+
		"input with containerFormat FRAGMENTED_MP4", why, s.adConfiguration)
}

// targetResolution is the maximumResolution to give a channel whose multitrack input is being
// enabled, and where it comes from: the configured default, else the class of the highest
// video track, else FULL_HD. It never lowers the limit of an enabled configuration.
func targetResolution(in Input, cfg Config, s channelState) (types.MultitrackMaximumResolution, string) {
	var res types.MultitrackMaximumResolution
	var from string
	switch {
	case resolutionRank(cfg.DefaultMaximumResolution) > 0:
		res, from = cfg.DefaultMaximumResolution, "the configured default"
	case in.TopVideoHeight > 0:
		res, from = ResolutionFor(in.TopVideoHeight), fmt.Sprintf("the highest video track, %dp", in.TopVideoHeight)
	default:
		res, from = types.MultitrackMaximumResolutionFullHd, "the tracks are unknown; FULL_HD lets the encoder send its full ladder"
	}
	// A limit in force is never lowered; a disabled configuration's stored value is not in
	// force (IVS may report defaults there), so the configured default still applies.
	if s.mt.Enabled && resolutionRank(s.mt.MaximumResolution) > resolutionRank(res) {
		res, from = s.mt.MaximumResolution, "kept from the channel"
	}
	return res, from
}

// channelState is a channel's configuration with the API's defaults filled in.
type channelState struct {
	typ       types.ChannelType
	container types.ContainerFormat
	preset    types.TranscodePreset
	mt        types.MultitrackInputConfiguration
	// adConfiguration is the channel's adConfigurationArn, "" for none.
	adConfiguration string
}

func stateOf(ch types.Channel) channelState {
	s := channelState{typ: ch.Type, container: ch.ContainerFormat, preset: ch.Preset}
	if ch.AdConfigurationArn != nil {
		s.adConfiguration = *ch.AdConfigurationArn
	}
	if s.typ == "" {
		s.typ = types.ChannelTypeStandardChannelType
	}
	if s.container == "" {
		s.container = types.ContainerFormatTs
	}
	if ch.MultitrackInputConfiguration != nil {
		s.mt = *ch.MultitrackInputConfiguration
	}
	return s
}

func (s channelState) acceptsMultitrack() bool {
	return s.typ == types.ChannelTypeStandardChannelType && s.mt.Enabled && s.container == types.ContainerFormatFragmentedMP4 &&
		s.mt.Policy != "" && resolutionRank(s.mt.MaximumResolution) > 0
}

func isAdvanced(t types.ChannelType) bool {
	return t == types.ChannelTypeAdvancedSDChannelType || t == types.ChannelTypeAdvancedHDChannelType
}

func optedOut(in Input, tag string) bool {
	if tag == "" {
		return false
	}
	_, inTags := in.Tags[tag]
	_, inChannel := in.Channel.Tags[tag]
	return inTags || inChannel
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ResolutionFor returns the smallest multitrack maximum resolution that covers a video track
// of the given height: SD up to 480, HD up to 720, FULL_HD above (also above 1080, FULL_HD
// being the highest). It returns "" for a height of 0 or less (unknown).
func ResolutionFor(height int32) types.MultitrackMaximumResolution {
	switch {
	case height <= 0:
		return ""
	case height <= 480:
		return types.MultitrackMaximumResolutionSd
	case height <= 720:
		return types.MultitrackMaximumResolutionHd
	}
	return types.MultitrackMaximumResolutionFullHd
}

// resolutionRank orders the maximum resolutions: 1 SD, 2 HD, 3 FULL_HD, 0 anything else.
func resolutionRank(r types.MultitrackMaximumResolution) int {
	switch r {
	case types.MultitrackMaximumResolutionSd:
		return 1
	case types.MultitrackMaximumResolutionHd:
		return 2
	case types.MultitrackMaximumResolutionFullHd:
		return 3
	}
	return 0
}

// resolutionHeight is the tallest track a maximum resolution admits, 0 for none.
func resolutionHeight(r types.MultitrackMaximumResolution) int32 {
	switch r {
	case types.MultitrackMaximumResolutionSd:
		return 480
	case types.MultitrackMaximumResolutionHd:
		return 720
	case types.MultitrackMaximumResolutionFullHd:
		return 1080
	}
	return 0
}
