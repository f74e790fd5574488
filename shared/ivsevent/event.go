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

	// Channel is parsed from resources[0]; zero for account-level limit breaches. Region and
	// account for API calls come from here: the envelope's region may disagree.
	Channel ChannelARN `json:"-"`

	StreamState  *StreamStateChange    `json:"-"`
	StreamHealth *StreamHealthChange   `json:"-"`
	Limit        *LimitBreach          `json:"-"`
	Recording    *RecordingStateChange `json:"-"`
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
func Parse(data []byte) (*Event, error) {
	var w wireEvent
	if err := Unmarshal("", data, &w); err != nil {
		return nil, err
	}
	e := Event{
		Version: w.Version, ID: w.ID, DetailType: w.DetailType, Source: w.Source,
		Account: w.Account, Region: w.Region, Resources: w.Resources, Detail: w.Detail,
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
	if err := checkAll(CheckAccount("account", e.Account), CheckRegion("region", e.Region)); err != nil {
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
		return true, checkAll(CheckChannelName("detail.channel_name", s.ChannelName), CheckCode("detail.code", s.Code), CheckText("detail.reason", s.Reason))
	case DetailTypeStreamHealthChange:
		e.StreamHealth = new(StreamHealthChange)
		if err := decode(e.Detail, e.StreamHealth); err != nil {
			return false, err
		}
		if err := checkEventName(e.DetailType, e.StreamHealth.EventName, e.StreamHealth.StreamID); err != nil {
			return false, err
		}
		return true, CheckChannelName("detail.channel_name", e.StreamHealth.ChannelName)
	case DetailTypeLimitBreach:
		var w wireLimitBreach
		if err := decode(e.Detail, &w); err != nil {
			return false, err
		}
		e.Limit = &LimitBreach{LimitName: w.LimitName, LimitUnit: w.LimitUnit, ChannelName: w.ChannelName, StreamID: w.StreamID}
		if !slices.Contains(limitNames, e.Limit.LimitName) {
			return false, &invalid.FieldError{Field: "detail.limit_name", Want: "one of " + quoteList(limitNames), Got: e.Limit.LimitName, Err: invalid.ErrUnknown}
		}
		var errValue, errBy error
		e.Limit.LimitValue, errValue = checkNumber("detail.limit_value", w.LimitValue)
		e.Limit.ExceededBy, errBy = checkNumber("detail.exceeded_by", w.ExceededBy)
		if err := checkAll(errValue, errBy, CheckText("detail.limit_unit", w.LimitUnit)); err != nil {
			return false, err
		}
		if AccountLevel(e.Limit.LimitName) {
			return false, nil
		}
		return true, checkAll(CheckStreamID("detail.stream_id", e.Limit.StreamID), CheckChannelName("detail.channel_name", e.Limit.ChannelName))
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
		if err := checkRecording(r); err != nil {
			return false, err
		}
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

// checkRecording checks the bounds of a recording state change's fields.
func checkRecording(r *RecordingStateChange) error {
	if r.RecordingS3BucketName != "" && !bucketPattern.MatchString(r.RecordingS3BucketName) {
		return &invalid.FieldError{Field: "detail.recording_s3_bucket_name", Want: "an S3 bucket name (3 to 63 lower-case letters, digits, dots, dashes)", Got: r.RecordingS3BucketName}
	}
	if !recordingSessionIDPattern.MatchString(r.RecordingSessionID) {
		return &invalid.FieldError{Field: "detail.recording_session_id", Want: "a recording session ID (at most 128 letters, digits, - and _)", Got: r.RecordingSessionID}
	}
	if r.RecordingDurationMs < 0 {
		return &invalid.FieldError{Field: "detail.recording_duration_ms", Want: "a duration at or above 0", Got: fmt.Sprint(r.RecordingDurationMs)}
	}
	return checkAll(
		CheckChannelName("detail.channel_name", r.ChannelName),
		CheckText("detail.recording_status_reason", r.RecordingStatusReason),
		CheckText("detail.recording_s3_key_prefix", r.RecordingS3KeyPrefix),
	)
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
