package multitrack

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
)

// Mode is the suite's correction mode, set at deploy time.
type Mode string

// The correction modes.
const (
	ModeApply  Mode = "apply"   // decisions are applied with UpdateChannel
	ModeDryRun Mode = "dry-run" // decisions are published and archived, never applied
	ModeOff    Mode = "off"     // no decisions are made
)
