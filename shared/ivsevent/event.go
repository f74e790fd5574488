package ivsevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// Event is one IVS EventBridge event: the standard envelope, the channel parsed from
// resources[0], and the decoded detail. Exactly one of StreamState, StreamHealth, Limit and
// Recording is set, chosen by DetailType. Marshalling an Event gives back the envelope with its
// detail as received.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	// ReplayName is the EventBridge replay that delivered the event ("replay-name", which
	// EventBridge adds to every event it replays from an archive); "" for an event delivered
	// when IVS sent it. A replayed event rebuilds the archive; it never changes a channel.
	ReplayName string `json:"replay-name,omitempty"`

	// Channel is parsed from resources[0]; zero for account-level limit breaches. Region and
	// account for API calls come from here: the envelope's region may disagree.
	Channel ChannelARN `json:"-"`

	StreamState  *StreamStateChange    `json:"-"`
	StreamHealth *StreamHealthChange   `json:"-"`
	Limit        *LimitBreach          `json:"-"`
	Recording    *RecordingStateChange `json:"-"`

	// OutOfBounds lists the display fields that broke their bound, and what Parse kept of each
	// (see OutOfBounds). Empty for an event within every bound.
	OutOfBounds []OutOfBounds `json:"-"`
}

// OutOfBounds is a field of an event that broke its bound but feeds no key, no identity and no
// decision (a channel name, a reason, a limit's unit or value, a recording's bucket or prefix,
// a resource after the channel's): it never costs the event. Parse keeps it bounded and escaped
// (redact.Escape: control characters written as escapes, cut to the field's bound), or a zero
// for a missing number, and says so here; the record notes it and enrich counts it.
type OutOfBounds struct {
	Field string // the JSON path, e.g. "detail.channel_name"
	Want  string // the bound it broke
	Kept  string // what Parse kept, e.g. "escaped, at most 128 bytes"
}

// Note describes the event's out-of-bounds fields in one line, for the record; "" when there
// are none.
func (e *Event) Note() string {
	if len(e.OutOfBounds) == 0 {
		return ""
	}
	parts := make([]string, len(e.OutOfBounds))
	for i, o := range e.OutOfBounds {
		parts[i] = fmt.Sprintf("%s out of bounds (want %s): %s", o.Field, o.Want, o.Kept)
	}
	return strings.Join(parts, "; ")
}

// displayText keeps the display text *s of field within max bytes and without control
// characters when ok(*s) is false: escaped (redact.Escape) and cut, noted in OutOfBounds.
func (e *Event) displayText(field string, s *string, max int, want string, ok func(string) bool) {
	if ok(*s) {
		return
	}
	*s = redact.Cut(redact.Escape(*s), max)
	e.OutOfBounds = append(e.OutOfBounds, OutOfBounds{Field: field, Want: want, Kept: fmt.Sprintf("kept escaped, at most %d bytes", max)})
}

// displayNumber returns the display number v of field: a missing one (null or absent) is 0, a
// negative one is kept; either is noted in OutOfBounds.
func (e *Event) displayNumber(field string, v *float64) float64 {
	const want = "a number at or above 0"
	switch {
	case v == nil:
		e.OutOfBounds = append(e.OutOfBounds, OutOfBounds{Field: field, Want: want, Kept: "missing: kept as 0"})
		return 0
	case *v < 0:
		e.OutOfBounds = append(e.OutOfBounds, OutOfBounds{Field: field, Want: want, Kept: "kept as sent"})
	}
	return *v
}

// channelName keeps a display channel name within the IVS API's rule.
func (e *Event) channelName(field string, s *string) {
	e.displayText(field, s, MaxChannelNameLength, fmt.Sprintf("an IVS channel name (at most %d letters, digits, - and _)", MaxChannelNameLength),
		func(s string) bool { return CheckChannelName("", s) == nil })
}

// text keeps a display text within MaxTextLength bytes, without control characters.
func (e *Event) text(field string, s *string) {
	e.displayText(field, s, MaxTextLength, fmt.Sprintf("at most %d bytes of text without control characters", MaxTextLength),
		func(s string) bool { return CheckText("", s) == nil })
}

// StreamStateChange is the detail of an IVS Stream State Change event.
type StreamStateChange struct {
	EventName   string `json:"event_name"`
	ChannelName string `json:"channel_name"`
	StreamID    string `json:"stream_id"`
	// Code is set on some Session Ended events (multitrack refusals) and on Stream Takeover
	// Failure events; see the Code* constants. Unknown codes are kept as they are.
	Code string `json:"code,omitempty"`
	// Reason is set on Stream Failure events, e.g. "Transcode capacity exceeded. Please try again."
	Reason string `json:"reason,omitempty"`
}

// StreamHealthChange is the detail of an IVS Stream Health Change event.
type StreamHealthChange struct {
	EventName   string `json:"event_name"`
	ChannelName string `json:"channel_name"`
	StreamID    string `json:"stream_id"`
}

// LimitBreach is the detail of an IVS Limit Breach event. Account-level limits (Concurrent
// Broadcasts, Concurrent Viewers) carry no channel name and no stream ID.
type LimitBreach struct {
	LimitName   string  `json:"limit_name"`
	LimitValue  float64 `json:"limit_value"`
	ExceededBy  float64 `json:"exceeded_by"`
	LimitUnit   string  `json:"limit_unit"`
	ChannelName string  `json:"channel_name,omitempty"`
	StreamID    string  `json:"stream_id,omitempty"`
}

// RecordingStateChange is the detail of an IVS Recording State Change event.
type RecordingStateChange struct {
	ChannelName           string `json:"channel_name"`
	StreamID              string `json:"stream_id"`
	RecordingStatus       string `json:"recording_status"`
	RecordingStatusReason string `json:"recording_status_reason"`
	RecordingS3BucketName string `json:"recording_s3_bucket_name"`
	RecordingS3KeyPrefix  string `json:"recording_s3_key_prefix"`
	RecordingDurationMs   int64  `json:"recording_duration_ms"`
	RecordingSessionID    string `json:"recording_session_id"`
	// RecordingSessionStreamIDs is set on Recording End: the streams merged into one recording
	// when the recording configuration has a reconnect window.
	RecordingSessionStreamIDs []string `json:"recording_session_stream_ids,omitempty"`
}

// Name returns what happened: the event name, the limit name or the recording status.
func (e *Event) Name() string {
	switch {
	case e.StreamState != nil:
		return e.StreamState.EventName
	case e.StreamHealth != nil:
		return e.StreamHealth.EventName
	case e.Limit != nil:
		return e.Limit.LimitName
	case e.Recording != nil:
		return e.Recording.RecordingStatus
	}
	return ""
}

// StreamID returns the event's stream ID, or "" for account-level events.
func (e *Event) StreamID() string {
	switch {
	case e.StreamState != nil:
		return e.StreamState.StreamID
	case e.StreamHealth != nil:
		return e.StreamHealth.StreamID
	case e.Limit != nil:
		return e.Limit.StreamID
	case e.Recording != nil:
		return e.Recording.StreamID
	}
	return ""
}

// ChannelName returns the channel name the event carries (often empty).
func (e *Event) ChannelName() string {
	switch {
	case e.StreamState != nil:
		return e.StreamState.ChannelName
	case e.StreamHealth != nil:
		return e.StreamHealth.ChannelName
	case e.Limit != nil:
		return e.Limit.ChannelName
	case e.Recording != nil:
		return e.Recording.ChannelName
	}
	return ""
}

// Code returns the code of a Stream State Change event, or "".
func (e *Event) Code() string {
	if e.StreamState != nil {
		return e.StreamState.Code
	}
	return ""
}

// AccountLevel reports whether the event concerns the account rather than one channel.
func (e *Event) AccountLevel() bool { return e.Channel.IsZero() }

// Parse decodes and validates one IVS EventBridge event. It returns a *invalid.FieldError naming the
// JSON path of the first problem: malformed JSON, a member name given twice, data after the
// event, a wrong type, a missing or invalid field, a value outside what the IVS API allows
// (Check* and the Max* bounds), a time outside the years FirstYear to LastYear, a
// channel-scoped event without a channel ARN in resources[0]. A source, detail-type, event name,
// limit name or recording status it does not know gives a *invalid.FieldError wrapping invalid.ErrUnknown.
//
// Decoding is strict (see Unmarshal): names match exactly ("Code" is not "code"); members it
// does not name are ignored, and unknown codes are kept.
//
// A field that feeds no key, no identity and no decision never costs the event: a channel name,
// reason, limit unit or value, recording bucket, prefix, session ID or duration out of its
// bounds, and resources after the channel's, are kept bounded and escaped and listed in
// OutOfBounds (see Event.Note). What identifies the session or decides a correction (the
// envelope, the channel ARN, the stream IDs, the event name, the code) is checked strictly.
func Parse(data []byte) (*Event, error) {
	var w wireEvent
	if err := Unmarshal("", data, &w); err != nil {
		return nil, err
	}
	e := Event{
		Version: w.Version, ID: w.ID, DetailType: w.DetailType, Source: w.Source,
		Account: w.Account, Region: w.Region, Resources: w.Resources, Detail: w.Detail, ReplayName: w.ReplayName,
	}
	if e.ID == "" {
		return nil, &invalid.FieldError{Field: "id", Want: "the event ID", Got: ""}
	}
	if err := CheckEventID("id", e.ID); err != nil {
		return nil, err
	}
	switch e.Source {
	case Source:
	case "":
		return nil, &invalid.FieldError{Field: "source", Want: fmt.Sprintf("%q", Source), Got: ""}
	default:
		return nil, &invalid.FieldError{Field: "source", Want: fmt.Sprintf("%q", Source), Got: e.Source, Err: invalid.ErrUnknown}
	}
	if e.DetailType == "" {
		return nil, &invalid.FieldError{Field: "detail-type", Want: "one of " + quoteList(DetailTypes), Got: ""}
	}
	if !slices.Contains(DetailTypes, e.DetailType) {
		return nil, &invalid.FieldError{Field: "detail-type", Want: "one of " + quoteList(DetailTypes), Got: e.DetailType, Err: invalid.ErrUnknown}
	}
	if err := invalid.First(CheckAccount("account", e.Account), CheckRegion("region", e.Region), CheckReplayName("replay-name", e.ReplayName)); err != nil {
		return nil, err
	}
	if len(e.Resources) > MaxResources {
		return nil, &invalid.FieldError{Field: "resources", Want: fmt.Sprintf("at most %d resources", MaxResources), Got: fmt.Sprintf("%d", len(e.Resources))}
	}
	if err := e.decodeTime(w.Time); err != nil {
		return nil, err
	}
	if d := bytes.TrimSpace(e.Detail); len(d) == 0 || d[0] != '{' {
		return nil, &invalid.FieldError{Field: "detail", Want: "a JSON object", Got: string(d)}
	}
	channelScoped, err := e.decodeDetail()
	if err != nil {
		return nil, err
	}
	if !channelScoped {
		return &e, nil
	}
	if len(e.Resources) == 0 {
		return nil, &invalid.FieldError{Field: "resources", Want: "the channel ARN of a channel-scoped event", Got: "[]"}
	}
	ch, err := ParseChannelARN(e.Resources[0])
	if err != nil {
		var fe *invalid.FieldError
		errors.As(err, &fe)
		fe.Field = "resources[0]"
		return nil, fe
	}
	e.Channel = ch
	if n := len(e.Resources); n > 1 {
		// IVS names one channel; what follows it names nothing the suite acts on.
		e.OutOfBounds = append(e.OutOfBounds, OutOfBounds{Field: "resources[1]", Want: "one resource, the channel's ARN",
			Kept: fmt.Sprintf("%d resources after resources[0] ignored", n-1)})
	}
	return &e, nil
}

// wireEvent is the envelope of an Event as it arrives. The time is kept raw and decoded after
// the envelope, so that a time of the wrong JSON type is reported as field "time" like any other
// bad time (encoding/json reports a time.Time decoding error without its field). The fields are
// spelled out, not embedded, because encoding/json names embedded structs in error paths.
type wireEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       json.RawMessage `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	ReplayName string          `json:"replay-name"`
}

// decodeTime sets e.Time from the raw JSON value of "time": an RFC 3339 timestamp in a JSON
// string, as time.Time decodes it. Missing, null and the zero time are errors.
func (e *Event) decodeTime(raw json.RawMessage) error {
	const want = "an RFC 3339 timestamp"
	if len(raw) == 0 || string(raw) == "null" {
		return &invalid.FieldError{Field: "time", Want: want, Got: ""}
	}
	got := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		got = s // quote the timestamp once, not twice
	}
	if err := e.Time.UnmarshalJSON(raw); err != nil {
		return &invalid.FieldError{Field: "time", Want: want, Got: got, Err: err}
	}
	if e.Time.IsZero() {
		return &invalid.FieldError{Field: "time", Want: "a non-zero RFC 3339 timestamp", Got: got}
	}
	return CheckTime("time", e.Time)
}

// decodeDetail decodes e.Detail into the struct of e.DetailType and validates it. It reports
// whether the event is channel-scoped (all but the account-level limit breaches).
func (e *Event) decodeDetail() (channelScoped bool, err error) {
	switch e.DetailType {
	case DetailTypeStreamStateChange:
		e.StreamState = new(StreamStateChange)
		if err := decode(e.Detail, e.StreamState); err != nil {
			return false, err
		}
		s := e.StreamState
		if err := checkEventName(e.DetailType, s.EventName, s.StreamID); err != nil {
			return false, err
		}
		e.channelName("detail.channel_name", &s.ChannelName)
		e.text("detail.reason", &s.Reason)
		return true, CheckCode("detail.code", s.Code)
	case DetailTypeStreamHealthChange:
		e.StreamHealth = new(StreamHealthChange)
		if err := decode(e.Detail, e.StreamHealth); err != nil {
			return false, err
		}
		if err := checkEventName(e.DetailType, e.StreamHealth.EventName, e.StreamHealth.StreamID); err != nil {
			return false, err
		}
		e.channelName("detail.channel_name", &e.StreamHealth.ChannelName)
		return true, nil
	case DetailTypeLimitBreach:
		var w wireLimitBreach
		if err := decode(e.Detail, &w); err != nil {
			return false, err
		}
		e.Limit = &LimitBreach{LimitName: w.LimitName, LimitUnit: w.LimitUnit, ChannelName: w.ChannelName, StreamID: w.StreamID}
		if !slices.Contains(limitNames, e.Limit.LimitName) {
			return false, &invalid.FieldError{Field: "detail.limit_name", Want: "one of " + quoteList(limitNames), Got: e.Limit.LimitName, Err: invalid.ErrUnknown}
		}
		e.Limit.LimitValue = e.displayNumber("detail.limit_value", w.LimitValue)
		e.Limit.ExceededBy = e.displayNumber("detail.exceeded_by", w.ExceededBy)
		e.text("detail.limit_unit", &e.Limit.LimitUnit)
		if AccountLevel(e.Limit.LimitName) {
			return false, nil
		}
		e.channelName("detail.channel_name", &e.Limit.ChannelName)
		return true, CheckStreamID("detail.stream_id", e.Limit.StreamID)
	case DetailTypeRecordingStateChange:
		e.Recording = new(RecordingStateChange)
		if err := decode(e.Detail, e.Recording); err != nil {
			return false, err
		}
		r := e.Recording
		if !slices.Contains(recordingStatuses, r.RecordingStatus) {
			return false, &invalid.FieldError{Field: "detail.recording_status", Want: "one of " + quoteList(recordingStatuses), Got: r.RecordingStatus, Err: invalid.ErrUnknown}
		}
		if len(r.RecordingSessionStreamIDs) > MaxRecordingStreamIDs {
			return false, &invalid.FieldError{Field: "detail.recording_session_stream_ids", Want: fmt.Sprintf("at most %d stream IDs", MaxRecordingStreamIDs), Got: fmt.Sprint(len(r.RecordingSessionStreamIDs))}
		}
		for i, id := range r.RecordingSessionStreamIDs {
			if err := CheckStreamID(fmt.Sprintf("detail.recording_session_stream_ids[%d]", i), id); err != nil {
				return false, err
			}
		}
		e.checkRecording(r)
		return true, CheckStreamID("detail.stream_id", r.StreamID)
	}
	return false, nil // unreachable: Parse checked the detail-type
}

func checkEventName(detailType, name, streamID string) error {
	names := eventNames[detailType]
	if !slices.Contains(names, name) {
		return &invalid.FieldError{Field: "detail.event_name", Want: "one of " + quoteList(names), Got: name, Err: invalid.ErrUnknown}
	}
	return CheckStreamID("detail.stream_id", streamID)
}

func decode(detail json.RawMessage, v any) error {
	return Unmarshal("detail", detail, v)
}

// wireLimitBreach is the detail of a limit breach as it arrives: its numbers are pointers so
// that null or a missing number is an error, not a zero.
type wireLimitBreach struct {
	LimitName   string   `json:"limit_name"`
	LimitValue  *float64 `json:"limit_value"`
	ExceededBy  *float64 `json:"exceeded_by"`
	LimitUnit   string   `json:"limit_unit"`
	ChannelName string   `json:"channel_name"`
	StreamID    string   `json:"stream_id"`
}

// checkRecording keeps the display fields of a recording state change within their bounds.
func (e *Event) checkRecording(r *RecordingStateChange) {
	e.displayText("detail.recording_s3_bucket_name", &r.RecordingS3BucketName, 63, "an S3 bucket name (3 to 63 lower-case letters, digits, dots, dashes)",
		func(s string) bool { return s == "" || bucketPattern.MatchString(s) })
	e.displayText("detail.recording_session_id", &r.RecordingSessionID, 128, "a recording session ID (at most 128 letters, digits, - and _)",
		recordingSessionIDPattern.MatchString)
	if r.RecordingDurationMs < 0 {
		e.OutOfBounds = append(e.OutOfBounds, OutOfBounds{Field: "detail.recording_duration_ms", Want: "a duration at or above 0", Kept: "kept as sent"})
	}
	e.channelName("detail.channel_name", &r.ChannelName)
	e.text("detail.recording_status_reason", &r.RecordingStatusReason)
	e.text("detail.recording_s3_key_prefix", &r.RecordingS3KeyPrefix)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
