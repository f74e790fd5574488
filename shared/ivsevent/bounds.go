package ivsevent

import (
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// Bounds on what an IVS event may carry, checked at the border (Parse) with an error naming the
// field. Where the IVS API bounds a value (Smithy model ivs-2020-07-14), the bound is the API's;
// where it does not (free text, codes), the bound is far above anything IVS sends and far below
// what would hurt (an EventBridge entry is 256 KB; an S3 key 1,024 bytes).
const (
	// MaxChannelNameLength is the IVS API's bound on a channel name (ChannelName: 0 to 128
	// characters of ^[a-zA-Z0-9-_]*$).
	MaxChannelNameLength = 128
	// MaxCodeLength bounds detail.code. The API models a code as a free string; every documented
	// code is a CamelCase word of letters and digits, and so must an unknown one be.
	MaxCodeLength = 128
	// MaxTextLength bounds the free text of an event: reason, recording_status_reason,
	// recording_s3_key_prefix (an S3 key prefix, itself at most 1,024 bytes), limit_unit.
	MaxTextLength = 1024
	// MaxEventIDLength bounds the envelope's id (EventBridge writes a UUID, 36 characters).
	MaxEventIDLength = 64
	// MaxResources bounds the envelope's resources (IVS sends one channel ARN, or none).
	MaxResources = 10
	// MaxRecordingStreamIDs bounds detail.recording_session_stream_ids: the streams merged
	// into one recording within its reconnect window (at most 300 seconds).
	MaxRecordingStreamIDs = 100
	// MaxReplayNameLength is EventBridge's bound on a replay's name (StartReplay's ReplayName:
	// 1 to 64 characters of letters, digits, '.', '-' and '_').
	MaxReplayNameLength = 64
)

// FirstYear and LastYear bound the times the suite accepts, both inclusive (UTC): the archive's
// partitions (year=FirstYear to year=LastYear, the Glue tables' partition projection) cover
// exactly these years. The rule: an IVS event, a GetStreamSession time or a correction time
// outside them is rejected, never clamped, because a clamped time would file a session under a
// day it did not happen. IVS cannot send such a time: multitrack input launched in 2024, IVS
// keeps sessions 60 days, and 2099 is the far end of the projection.
const (
	FirstYear = 2024
	LastYear  = 2099
)

// The patterns of the identifiers and names an event carries.
var (
	// channelNamePattern is the IVS API's ChannelName pattern.
	channelNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-_]*$`)
	codePattern        = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	eventIDPattern     = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	accountPattern     = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// bucketPattern is S3's rule for bucket names (3 to 63 characters).
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// recordingSessionIDPattern: IVS writes 16 letters and digits; allow any word characters.
	recordingSessionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,128}$`)
	// replayNamePattern is EventBridge's pattern for a replay's name.
	replayNamePattern = regexp.MustCompile(`^[.\-_A-Za-z0-9]+$`)
)

// CheckTime returns a *invalid.FieldError for field when t is zero or outside the years FirstYear to
// LastYear (UTC).
func CheckTime(field string, t time.Time) error {
	if t.IsZero() {
		return &invalid.FieldError{Field: field, Want: "a time", Got: ""}
	}
	if y := t.UTC().Year(); y < FirstYear || y > LastYear {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("a time in the years %d to %d (the archive's partitions)", FirstYear, LastYear),
			Got: t.UTC().Format(time.RFC3339Nano)}
	}
	return nil
}

// CheckAccount returns a *invalid.FieldError for field when s is not a 12-digit AWS account ID.
func CheckAccount(field, s string) error {
	if !accountPattern.MatchString(s) {
		return &invalid.FieldError{Field: field, Want: "a 12-digit AWS account ID", Got: s}
	}
	return nil
}

// CheckRegion returns a *invalid.FieldError for field when s is not shaped like an AWS region
// (us-west-2, us-gov-east-1).
func CheckRegion(field, s string) error {
	if !regionPattern.MatchString(s) {
		return &invalid.FieldError{Field: field, Want: "an AWS region (e.g. us-west-2)", Got: s}
	}
	return nil
}

// CheckEventID returns a *invalid.FieldError for field when s is not an EventBridge event ID: 1 to
// MaxEventIDLength letters, digits and dashes.
func CheckEventID(field, s string) error {
	if len(s) == 0 || len(s) > MaxEventIDLength || !eventIDPattern.MatchString(s) {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("an event ID (1 to %d letters, digits, dashes)", MaxEventIDLength), Got: s}
	}
	return nil
}

// CheckReplayName returns a *invalid.FieldError for field when s is neither empty (no replay)
// nor an EventBridge replay name: 1 to MaxReplayNameLength letters, digits, '.', '-' and '_'.
func CheckReplayName(field, s string) error {
	if s != "" && (len(s) > MaxReplayNameLength || !replayNamePattern.MatchString(s)) {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("an EventBridge replay name (1 to %d letters, digits, '.', '-' and '_')", MaxReplayNameLength), Got: s}
	}
	return nil
}

// CheckChannelName returns a *invalid.FieldError for field when s breaks the IVS API's rule for a
// channel name: at most 128 characters of letters, digits, - and _.
func CheckChannelName(field, s string) error {
	if len(s) > MaxChannelNameLength || !channelNamePattern.MatchString(s) {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("an IVS channel name (at most %d letters, digits, - and _)", MaxChannelNameLength), Got: s}
	}
	return nil
}

// CheckCode returns a *invalid.FieldError for field when s is neither empty nor a code: at most
// MaxCodeLength letters and digits.
func CheckCode(field, s string) error {
	if s != "" && (len(s) > MaxCodeLength || !codePattern.MatchString(s)) {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("an IVS code (at most %d letters and digits)", MaxCodeLength), Got: s}
	}
	return nil
}

// CheckText returns a *invalid.FieldError for field when s is longer than MaxTextLength bytes or holds
// a control character (a line break could forge a log line wherever text is printed raw).
func CheckText(field, s string) error {
	if len(s) > MaxTextLength {
		return &invalid.FieldError{Field: field, Want: fmt.Sprintf("at most %d bytes of text", MaxTextLength), Got: s}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return &invalid.FieldError{Field: field, Want: "text without control characters", Got: s}
		}
	}
	return nil
}
