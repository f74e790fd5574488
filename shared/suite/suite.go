package suite

import (
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Name is the suite's name: the source of the events it publishes, its CloudWatch metric
// namespace prefix and its SDK app ID.
const Name = "ivs-sessions"

// The functions of the suite; each is functions/<name> and build/<name>/bootstrap.
const (
	FunctionEnrich  = "enrich"
	FunctionCorrect = "correct"
	FunctionArchive = "archive"
	// FunctionSweep is the scheduled function that makes the archive whole (lost events,
	// lost sessions, backfill); it has no queue.
	FunctionSweep = "sweep"
)

// Functions lists every function fed by a queue, in build order.
var Functions = []string{FunctionEnrich, FunctionCorrect, FunctionArchive,
	FunctionQuality,
}

// Scheduled lists the functions started by a schedule (no queue): the sweep.
var Scheduled = []string{FunctionSweep}

// AllFunctions returns Functions then Scheduled: every function the stack deploys and the
// Makefile builds.
func AllFunctions() []string { return append(append([]string{}, Functions...), Scheduled...) }

// The event buses the suite uses. BusSessions is the logical name of the suite's own bus; the
// deployed bus name reaches the functions through EnvEventBusName.
const (
	BusDefault  = "default"
	BusSessions = "ivs-sessions"
)

// EventSource is the source of every event the suite publishes on its bus.
const EventSource = Name

// The detail-types of the events the suite publishes.
const (
	// DetailTypeSessionEnriched carries a session record and its correction decision.
	DetailTypeSessionEnriched = "IVS Session Enriched"
	// DetailTypeChannelCorrected carries a correction: the channel before and after, the reason
	// and the triggering session.
	DetailTypeChannelCorrected = "IVS Channel Multitrack Corrected"
)

// Patterns of the rules on the suite's bus.
var (
	// EnrichedSessions matches every enriched session.
	EnrichedSessions = ivsevent.Pattern{Source: []string{EventSource}, DetailType: []string{DetailTypeSessionEnriched}}
	// CorrectionsNeeded matches enriched sessions whose decision is to change the channel.
	CorrectionsNeeded = ivsevent.Pattern{
		Source:     []string{EventSource},
		DetailType: []string{DetailTypeSessionEnriched},
		Detail:     map[string]any{"decision": map[string]any{"action": []string{string(multitrack.ActionApply)}}},
	}
	// Corrections matches every correction the correct function publishes.
	Corrections = ivsevent.Pattern{Source: []string{EventSource}, DetailType: []string{DetailTypeChannelCorrected}}
)

// Patterns of the events on the suite's bus that need a person; the stack sends each to its
// alarm topic with what to do. None matches an event made from a replay (NotReplayed): a person
// was told when the event first came.
var (
	// CorrectionsFailed matches corrections that failed for good (UpdateChannel refused, the
	// channel gone, the trigger too old to apply).
	CorrectionsFailed = ivsevent.Pattern{
		Source:     []string{EventSource},
		DetailType: []string{DetailTypeChannelCorrected},
		Detail:     map[string]any{"correction": map[string]any{"outcome": []string{string(session.CorrectionFailed)}}, "trigger": NotReplayed},
	}
	// ChannelsForAPerson matches enriched sessions whose channel only a person may change.
	ChannelsForAPerson = ivsevent.Pattern{
		Source:     []string{EventSource},
		DetailType: []string{DetailTypeSessionEnriched},
		Detail:     map[string]any{"decision": map[string]any{"action": []string{string(multitrack.ActionManual)}}, "trigger": NotReplayed},
	}
	// CorrectionsForAPerson matches corrections whose decision, made again on the channel as the
	// corrector read it, is manual: the channel changed since enrich decided (an ad
	// configuration added, a permission withdrawn), and only a person may change it now.
	CorrectionsForAPerson = ivsevent.Pattern{
		Source:     []string{EventSource},
		DetailType: []string{DetailTypeChannelCorrected},
		Detail:     map[string]any{"correction": map[string]any{"decision": map[string]any{"action": []string{string(multitrack.ActionManual)}}}, "trigger": NotReplayed},
	}
	// BroadcastersToTell matches enriched sessions refused for what the encoder sent, which no
	// channel change fixes.
	BroadcastersToTell = ivsevent.Pattern{
		Source:     []string{EventSource},
		DetailType: []string{DetailTypeSessionEnriched},
		Detail:     map[string]any{"decision": map[string]any{"action": []string{string(multitrack.ActionBroadcaster)}}, "trigger": NotReplayed},
	}
)

// NotReplayed is the part of a pattern, under detail.trigger, that matches only the suite's
// events made from an event delivered when it was sent, never from an EventBridge replay
// (session.Trigger.ReplayName, which every function that republishes carries on).
var NotReplayed = map[string]any{"replayName": []any{map[string]any{"exists": false}}}

// Route is one EventBridge rule: events on Bus that match Pattern go to Function's queue (in a
// fleet, the queue of Function that carries Region's messages: Fleet.QueueName).
type Route struct {
	Name     string // stable identifier: the CDK construct ID of the rule and the local rule name
	Bus      string // BusDefault, BusSessions or (in a fleet) BusFleet
	Pattern  ivsevent.Pattern
	Function string // the function whose queue is the target
	// Region is the region whose queue of Function is the target, in a fleet; "" otherwise.
	Region string
}

// Routes lists every rule a single-region deployment has (a fleet's are Fleet.Routes). The CDK
// app creates exactly these; the local bus routes with exactly these.
var Routes = []Route{
	{Name: "IvsEvents", Bus: BusDefault, Pattern: ivsevent.IVSPattern, Function: FunctionEnrich},
	{Name: "EnrichedSessions", Bus: BusSessions, Pattern: EnrichedSessions, Function: FunctionArchive},
	{Name: "Corrections", Bus: BusSessions, Pattern: Corrections, Function: FunctionArchive},
	{Name: "CorrectionsNeeded", Bus: BusSessions, Pattern: CorrectionsNeeded, Function: FunctionCorrect},
	{Name: "EndedSessions", Bus: BusSessions, Pattern: EndedSessions, Function: FunctionQuality},
	{Name: "SessionQuality", Bus: BusSessions, Pattern: SessionQuality, Function: FunctionArchive},
}

// IVS API quotas (per account and region, not adjustable): 5 calls per second for each
// operation the suite makes. The event source mappings of the IVS-calling functions are capped
// so the suite stays under it, shared as it is with everything else in the account.
const (
	IVSCallsPerSecond = 5
	// MaxConcurrency is the SQS event source mapping's maximum concurrency for the functions that
	// call IVS (2 is the smallest value Lambda accepts).
	MaxConcurrency = 2
)
