package session

import (
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// SchemaVersion is the version of the record's JSON schema. It changes only when a field
// changes meaning or type, or when a field's absence starts to mean something; adding a field
// otherwise keeps it. 2: quality (a record of version 2 without it was not measured yet).
// 3: channel.adConfigurationArn and correction.decision.conflict (a record of version 3 whose
// channel lacks adConfigurationArn had no ad configuration; one of version 2 did not say).
const SchemaVersion = 3

// MaxTruncatedEvents is how many events GetStreamSession returns at most (the newest).
const MaxTruncatedEvents = 500

// Record is the archived record of one stream session. Build it with FromStreamSession or
// FromEvent and combine records of the same session with Merge; the derived fields (counts,
// top track, totals, duration, outcome) are recomputed by both, never set by hand.
type Record struct {
	SchemaVersion int `json:"schemaVersion"`

	ChannelARN string `json:"channelArn"`
	ChannelID  string `json:"channelId"`
	Region     string `json:"region"`  // from the channel ARN
	Account    string `json:"account"` // from the channel ARN
	StreamID   string `json:"streamId"`

	// Channel is the channel's configuration when the session went live (GetStreamSession's
	// channel); only its name when the record was built from an event.
	Channel *Channel `json:"channel,omitempty"`
	// ChannelAsOf says when Channel was read: ChannelAtGoLive ("go-live") when it is the
	// configuration GetStreamSession gave, as it was when the session went live (a correction
	// made later is in Correction, not here); "" when Channel holds only the name an event gave.
	ChannelAsOf string `json:"channelAsOf,omitempty"`

	StartTime time.Time `json:"startTime,omitzero"` // from GetStreamSession
	EndTime   time.Time `json:"endTime,omitzero"`   // from GetStreamSession; zero while live
	// DurationSeconds is how long the session lasted, to the millisecond, for every session
	// that ended (a refused one too): EndTime - StartTime, where a time GetStreamSession did
	// not give is read from the events (the earliest event; the latest Session Ended, Stream
	// End or Recording End). 0 while live, or when no time is known.
	DurationSeconds float64 `json:"durationSeconds"`

	// Outcome is live, ended or refused; see the Outcome constants. A record that holds a
	// correction or a next session is at least ended (a correction is decided only once a
	// session ended), and refused when the correction's code is a refusal.
	Outcome Outcome `json:"outcome"`
	// Code explains the outcome: a refusal code (Session Ended) first, else any other code a
	// Session Ended or Stream Takeover Failure carried. "" when none.
	Code string `json:"code,omitempty"`

	Video []VideoTrack `json:"video,omitempty"` // in track order (Track0 first)
	Audio []AudioTrack `json:"audio,omitempty"` // in track order

	// Derived from Video and Audio.
	Multitrack         bool   `json:"multitrack"` // more than one video track
	VideoTrackCount    int    `json:"videoTrackCount"`
	AudioTrackCount    int    `json:"audioTrackCount"`
	TopResolution      string `json:"topResolution,omitempty"` // "1920x1080": the video track with the most pixels
	TopHeight          int64  `json:"topHeight,omitempty"`
	TopFrameRate       int64  `json:"topFrameRate,omitempty"`
	VideoTargetBitrate int64  `json:"videoTargetBitrate"` // bps, sum over video tracks
	TotalTargetBitrate int64  `json:"totalTargetBitrate"` // bps, sum over video and audio tracks

	// Events are the session's events, oldest first, one per (second, detail-type, name, code).
	Events []Event `json:"events,omitempty"`
	// EventsTruncated is true when GetStreamSession returned its maximum (500) events: older
	// ones may be missing.
	EventsTruncated bool `json:"eventsTruncated,omitempty"`
	// EventsDropped is the largest number of oldest events a copy of this record dropped to fit
	// an EventBridge entry (Trim).
	EventsDropped int `json:"eventsDropped,omitempty"`

	// Recording is what the IVS Recording State Change events said, if any arrived.
	Recording *Recording `json:"recording,omitempty"`
	// LimitBreaches are the session's IVS Limit Breach events, oldest first.
	LimitBreaches []LimitBreach `json:"limitBreaches,omitempty"`

	// Enriched is true when GetStreamSession contributed; EnrichmentNote says why not, if not.
	Enriched       bool   `json:"enriched"`
	EnrichmentNote string `json:"enrichmentNote,omitempty"`

	// Correction is the correction decided for the session and what became of it.
	Correction *Correction `json:"correction,omitempty"`
	// NextSession, on a refused session, is the session that went live on the channel after
	// this session's correction was applied (the first one, if several were linked).
	NextSession *SessionLink `json:"nextSession,omitempty"`

	// Quality is how each track really streamed (CloudWatch's series against the targets) and
	// the session's verdict; nil until measured (ended sessions, a few minutes after the end).
	Quality *quality.Report `json:"quality,omitempty"`

	// UpdatedAt is when the record was last written; set by the writer (this package has no
	// clock).
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// ChannelAtGoLive is Record.ChannelAsOf when Record.Channel is the channel's configuration at
// go-live (GetStreamSession's channel).
const ChannelAtGoLive = "go-live"

// Outcome is how a session ended.
type Outcome string

// The outcomes, in Merge's order of precedence (a later one wins).
const (
	// OutcomeLive: nothing seen so far says the session ended.
	OutcomeLive Outcome = "live"
	// OutcomeEnded: GetStreamSession gave an end time, or a Session Ended, Stream End or
	// Recording End event arrived.
	OutcomeEnded Outcome = "ended"
	// OutcomeRefused: the session ended with a refusal code (IsRefusal): IVS refused what the
	// encoder sent. A Stream Takeover Failure is not a refusal of the session: the stream it
	// tried to take over goes on.
	OutcomeRefused Outcome = "refused"
)

// Channel is a channel's configuration, without its secrets (no srt.passphrase, no stream key;
// tags scrubbed).
type Channel struct {
	Name                         string                      `json:"name,omitempty"`
	Type                         string                      `json:"type,omitempty"`
	LatencyMode                  string                      `json:"latencyMode,omitempty"`
	ContainerFormat              string                      `json:"containerFormat,omitempty"`
	Preset                       string                      `json:"preset,omitempty"`
	MultitrackInputConfiguration *multitrack.MultitrackInput `json:"multitrackInputConfiguration,omitempty"`
	RecordingConfigurationARN    string                      `json:"recordingConfigurationArn,omitempty"`
	// AdConfigurationARN is the channel's ad configuration (IVS server-side ad insertion), ""
	// for none: the corrector never gives such a channel FRAGMENTED_MP4 or multitrack input.
	AdConfigurationARN string            `json:"adConfigurationArn,omitempty"`
	Authorized         *bool             `json:"authorized,omitempty"`     // nil: unknown
	InsecureIngest     *bool             `json:"insecureIngest,omitempty"` // nil: unknown
	Tags               map[string]string `json:"tags,omitempty"`
}

// VideoTrack is one video track the encoder sent (GetStreamSession's VideoConfiguration).
type VideoTrack struct {
	Track         string `json:"track"` // Track0, Track1, ...
	Codec         string `json:"codec,omitempty"`
	Profile       string `json:"profile,omitempty"`
	Level         string `json:"level,omitempty"`
	Encoder       string `json:"encoder,omitempty"`
	Width         int64  `json:"width"`
	Height        int64  `json:"height"`
	FrameRate     int64  `json:"frameRate"`
	TargetBitrate int64  `json:"targetBitrate"` // bps
}

// AudioTrack is one audio track the encoder sent (GetStreamSession's AudioConfiguration).
type AudioTrack struct {
	Track         string `json:"track"`
	Codec         string `json:"codec,omitempty"`
	Channels      int64  `json:"channels"`
	SampleRate    int64  `json:"sampleRate"`
	TargetBitrate int64  `json:"targetBitrate"` // bps
}

// Event is one event of the session, from EventBridge or GetStreamSession's truncatedEvents.
type Event struct {
	Time       time.Time `json:"time"`
	DetailType string    `json:"detailType"` // e.g. "IVS Stream State Change"
	Name       string    `json:"name"`       // event name, limit name or recording status
	Code       string    `json:"code,omitempty"`
	Reason     string    `json:"reason,omitempty"` // Stream Failure reason, recording status reason
	// Note says which fields of the IVS event broke their bounds and what was kept of them
	// (ivsevent.Event.Note): such a field never costs the event.
	Note string `json:"note,omitempty"`
	// Unconfirmed, when set, says why IVS does not confirm the code this event claims (no such
	// stream session, or none of its events carries the code): the claim is kept, as such, but
	// its code never becomes the record's code or outcome (Record.Unconfirm).
	Unconfirmed string `json:"unconfirmed,omitempty"`
}

// Recording is what the session's IVS Recording State Change events said.
type Recording struct {
	// Status is the furthest status seen: Recording Start, Recording Start Failure,
	// Recording End, Recording End Failure (in that order).
	Status           string   `json:"status"`
	StatusReason     string   `json:"statusReason,omitempty"`
	S3BucketName     string   `json:"s3BucketName,omitempty"`
	S3KeyPrefix      string   `json:"s3KeyPrefix,omitempty"`
	DurationMs       int64    `json:"durationMs,omitempty"`
	SessionID        string   `json:"sessionId,omitempty"`
	SessionStreamIDs []string `json:"sessionStreamIds,omitempty"`
}

// LimitBreach is one IVS Limit Breach event of the session.
type LimitBreach struct {
	Time       time.Time `json:"time"`
	LimitName  string    `json:"limitName"`
	LimitValue float64   `json:"limitValue"`
	ExceededBy float64   `json:"exceededBy"`
	LimitUnit  string    `json:"limitUnit"`
}

// Correction is the correction decided for the session and what became of it.
type Correction struct {
	Decision multitrack.Decision `json:"decision"`
	Outcome  CorrectionOutcome   `json:"outcome"`
	At       time.Time           `json:"at,omitzero"`      // when the outcome was reached
	Detail   string              `json:"detail,omitempty"` // e.g. the error that made it fail
}

// SessionLink points at another session of the same channel.
type SessionLink struct {
	StreamID  string    `json:"streamId"`
	Key       string    `json:"key"` // its record's archive key
	StartTime time.Time `json:"startTime"`
}

// CorrectionOutcome is what became of a correction decision.
type CorrectionOutcome string

// The correction outcomes, in Merge's order of precedence (a later one wins).
const (
	// CorrectionDecided: enrich decided; the corrector has not reported yet.
	CorrectionDecided CorrectionOutcome = "decided"
	// CorrectionFailed: the corrector gave up (a permanent error, or the maximum wait passed).
	CorrectionFailed CorrectionOutcome = "failed"
	// CorrectionDryRun: the decision was published and archived; UpdateChannel was not called.
	CorrectionDryRun CorrectionOutcome = "dry-run"
	// CorrectionUnchanged: the channel already matched when the corrector read it again.
	CorrectionUnchanged CorrectionOutcome = "unchanged"
	// CorrectionApplied: UpdateChannel made the change.
	CorrectionApplied CorrectionOutcome = "applied"
)

// refusalCodes are the codes with which IVS refuses a session (Session Ended).
var refusalCodes = map[string]bool{
	ivsevent.CodeMultitrackInputNotAllowed:                       true,
	ivsevent.CodeMultitrackInputRequired:                         true,
	ivsevent.CodeInvalidGetClientConfigurationStreamKey:          true,
	ivsevent.CodeGetClientConfigurationStreamKeyRequired:         true,
	ivsevent.CodeInvalidMultitrackInputTrackCount:                true,
	ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties: true,
}

// takeoverCodes are the codes of Stream Takeover Failure events.
var takeoverCodes = map[string]bool{
	ivsevent.CodeStreamTakeoverMediaMismatch:   true,
	ivsevent.CodeStreamTakeoverInvalidPriority: true,
	ivsevent.CodeStreamTakeoverLimitBreached:   true,
}

// IsRefusal reports whether code is one with which IVS refuses a session: the multitrack and
// GetClientConfiguration stream-key codes of Session Ended. Takeover codes and unknown codes
// are not refusals.
func IsRefusal(code string) bool { return refusalCodes[code] }
