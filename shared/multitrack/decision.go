package multitrack

import "github.com/aws/aws-sdk-go-v2/service/ivs/types"

// Action is what a Decision asks for.
type Action string

// The actions of the correction policy.
const (
	// ActionNone: the channel already fits the session; nothing to do.
	ActionNone Action = "none"
	// ActionApply: call UpdateChannel with the decision's change.
	ActionApply Action = "apply"
	// ActionManual: a change is needed that the suite is not allowed to make; a person must.
	ActionManual Action = "manual"
	// ActionBroadcaster: the broadcaster's setup is at fault; no channel change helps.
	ActionBroadcaster Action = "broadcaster"
	// ActionSkipped: the channel opted out, or correction is off.
	ActionSkipped Action = "skipped"
	// ActionUnverified: IVS does not confirm the refusal (no such stream session, or one that
	// does not carry the code), so the channel is left unchanged; the reason says what is missing.
	ActionUnverified Action = "unverified"
)

// Mode is the suite's correction mode, set at deploy time.
type Mode string

// The correction modes.
const (
	ModeApply  Mode = "apply"   // decisions are applied with UpdateChannel
	ModeDryRun Mode = "dry-run" // decisions are published and archived, never applied
	ModeOff    Mode = "off"     // no decisions are made
)

// Input is what Decide looks at: the session's code, its highest video track and the channel.
type Input struct {
	// Code is the code the session ended with (detail.code of Session Ended or Stream Takeover
	// Failure, or the record's code); "" when it ended without one.
	Code string
	// TopVideoHeight is the shorter edge in pixels of the session's highest video track (its
	// height for landscape video, as IVS classes resolutions), 0 when unknown
	// (GetStreamSession's track data is best effort and a refused session may have none).
	TopVideoHeight int32
	// Channel is the channel's configuration. The corrector passes the one GetChannel returns
	// just before it updates; enrich passes the one GetStreamSession returns. An empty Type is
	// the API default, STANDARD; an empty ContainerFormat is TS; a nil
	// MultitrackInputConfiguration is multitrack input disabled; a nil or empty
	// AdConfigurationArn is no ad configuration.
	Channel types.Channel
	// Tags are checked for the opt-out tag, together with Channel.Tags; either may be nil.
	Tags map[string]string
	// ChannelUnknown says that Channel and Tags are not known (enrich could not read the
	// session). For a code whose rule depends on the channel, Decide then answers apply with no
	// Change: the corrector reads the channel and decides on it, so a refusal still leads to a
	// correction.
	ChannelUnknown bool
	// Unconfirmed, when not empty, says why IVS does not confirm the refusal (e.g. "the stream
	// session does not exist"). UpdateChannel changes a customer's channel, so for a code whose
	// rule would change it, Decide then answers unverified with this reason, and nothing changes.
	Unconfirmed string
}

// Decision is the policy's answer for one session. Its JSON form is part of the events the
// suite publishes (the CorrectionsNeeded rule matches "action":"apply") and of the archived
// record.
type Decision struct {
	// Action is what to do.
	Action Action `json:"action"`
	// Reason says why, in a sentence meant for the channel's owner.
	Reason string `json:"reason"`
	// Code is the code the decision was made for, if any.
	Code string `json:"code,omitempty"`
	// DryRun is true when the action is apply and the mode is dry-run: the corrector publishes
	// and archives the decision but does not call UpdateChannel.
	DryRun bool `json:"dryRun,omitempty"`
	// Change is what UpdateChannel must change; set if and only if Action is apply.
	Change *Change `json:"change,omitempty"`
	// Conflict, on a manual decision, names what the channel has that rules out the change the
	// code's rule asks for (ConflictAdInsertion); "" otherwise. The reason says it in words;
	// this is for machines (a report counts the refusals left alone because of ads).
	Conflict Conflict `json:"conflict,omitempty"`
}

// Conflict names a setting of a channel that rules out a correction.
type Conflict string

// The conflicts of the correction policy.
const (
	// ConflictAdInsertion: the channel has an ad configuration (adConfigurationArn). IVS
	// server-side ad insertion needs containerFormat TS and multitrack input needs
	// FRAGMENTED_MP4, so enabling multitrack input on the channel would end its ads.
	ConflictAdInsertion Conflict = "ad-insertion"
)
