package ivsevent

// Source is the EventBridge source of every event Amazon IVS emits.
const Source = "aws.ivs"

// The EventBridge detail-types of IVS low-latency streaming events. Real-time (stage) events share
// Source but use other detail-types, which the suite does not subscribe to.
const (
	DetailTypeStreamStateChange    = "IVS Stream State Change"
	DetailTypeStreamHealthChange   = "IVS Stream Health Change"
	DetailTypeLimitBreach          = "IVS Limit Breach"
	DetailTypeRecordingStateChange = "IVS Recording State Change"
)

// DetailTypes lists the IVS detail-types the suite subscribes to, in a stable order.
var DetailTypes = []string{
	DetailTypeStreamStateChange,
	DetailTypeStreamHealthChange,
	DetailTypeLimitBreach,
	DetailTypeRecordingStateChange,
}

// Event names (detail.event_name) of IVS Stream State Change events.
const (
	EventSessionCreated        = "Session Created"
	EventSessionEnded          = "Session Ended"
	EventStreamStart           = "Stream Start"
	EventStreamEnd             = "Stream End"
	EventStreamFailure         = "Stream Failure"
	EventStreamTakeover        = "Stream Takeover"
	EventStreamTakeoverFailure = "Stream Takeover Failure"
)

// Event names (detail.event_name) of IVS Stream Health Change events.
const (
	EventStarvationStart = "Starvation Start"
	EventStarvationEnd   = "Starvation End"
)

// Limit names (detail.limit_name) of IVS Limit Breach events. The concurrent limits are
// account-level: their events have an empty resources list and no channel or stream.
const (
	LimitIngestBitrate        = "Ingest Bitrate"
	LimitIngestResolution     = "Ingest Resolution"
	LimitConcurrentBroadcasts = "Concurrent Broadcasts"
	LimitConcurrentViewers    = "Concurrent Viewers"
)

// Recording statuses (detail.recording_status) of IVS Recording State Change events.
const (
	RecordingStart        = "Recording Start"
	RecordingEnd          = "Recording End"
	RecordingStartFailure = "Recording Start Failure"
	RecordingEndFailure   = "Recording End Failure"
)

// Codes (detail.code) that IVS puts on some Session Ended events (multitrack) and on Stream
// Takeover Failure events; GetStreamSession repeats them in truncatedEvents[].code. The API
// models code as a free string, so a code missing from this list is data, not an error.
const (
	CodeMultitrackInputNotAllowed                       = "MultitrackInputNotAllowed"
	CodeMultitrackInputRequired                         = "MultitrackInputRequired"
	CodeInvalidGetClientConfigurationStreamKey          = "InvalidGetClientConfigurationStreamKey"
	CodeGetClientConfigurationStreamKeyRequired         = "GetClientConfigurationStreamKeyRequired"
	CodeInvalidMultitrackInputTrackCount                = "InvalidMultitrackInputTrackCount"
	CodeInvalidMultitrackInputVideoTrackMediaProperties = "InvalidMultitrackInputVideoTrackMediaProperties"
	CodeStreamTakeoverMediaMismatch                     = "StreamTakeoverMediaMismatch"
	CodeStreamTakeoverInvalidPriority                   = "StreamTakeoverInvalidPriority"
	CodeStreamTakeoverLimitBreached                     = "StreamTakeoverLimitBreached"
)

// Codes lists every documented code, in the order of the IVS API reference (StreamEvent).
var Codes = []string{
	CodeMultitrackInputNotAllowed,
	CodeMultitrackInputRequired,
	CodeInvalidGetClientConfigurationStreamKey,
	CodeGetClientConfigurationStreamKeyRequired,
	CodeInvalidMultitrackInputTrackCount,
	CodeInvalidMultitrackInputVideoTrackMediaProperties,
	CodeStreamTakeoverMediaMismatch,
	CodeStreamTakeoverInvalidPriority,
	CodeStreamTakeoverLimitBreached,
}

// eventNames maps each channel-scoped detail-type with an event_name to its known names.
var eventNames = map[string][]string{
	DetailTypeStreamStateChange: {
		EventSessionCreated, EventSessionEnded, EventStreamStart, EventStreamEnd,
		EventStreamFailure, EventStreamTakeover, EventStreamTakeoverFailure,
	},
	DetailTypeStreamHealthChange: {EventStarvationStart, EventStarvationEnd},
}

var limitNames = []string{LimitIngestBitrate, LimitIngestResolution, LimitConcurrentBroadcasts, LimitConcurrentViewers}

var recordingStatuses = []string{RecordingStart, RecordingEnd, RecordingStartFailure, RecordingEndFailure}

// AccountLevel reports whether a limit name is an account-level limit, whose events carry no
// channel and no stream.
func AccountLevel(limitName string) bool {
	return limitName == LimitConcurrentBroadcasts || limitName == LimitConcurrentViewers
}
