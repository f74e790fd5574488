package ivsevent

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// maxQuoted is how much of a bad value an error message quotes: enough to recognise it, never
// a 300 KB name in a log line.
const maxQuoted = 200

// ErrUnknown is wrapped by a *FieldError when a well-formed event names something this package
// does not know: a detail-type, an event name, a limit name or a recording status. Match it with
// errors.Is to tell "not for us" from "malformed"; both are permanent (retrying cannot help).
var ErrUnknown = errors.New("unknown value")

// FieldError reports which field of an input failed validation, what was expected and what was
// found. Field is a JSON path such as "detail.stream_id" or "resources[0]"; it is empty for the
// document as a whole.
type FieldError struct {
	Field string // JSON path, e.g. "detail.stream_id"
	Want  string // what was expected, e.g. "an IVS stream ID (st-...)"
	Got   string // what was found, quoted in the message
	Err   error  // an underlying cause (ErrUnknown, a JSON syntax error), or nil
}

// Error returns "<field>: want <want>, got <got>". What it quotes is scrubbed of stream keys
// (redact.Scrub) and cut to 200 bytes: a rejected value may be a secret or huge, and the
// message goes to logs. Got itself keeps the value.
func (e *FieldError) Error() string {
	field := e.Field
	if field == "" {
		field = "event"
	}
	msg := fmt.Sprintf("%s: want %s, got %q", field, e.Want, Quotable(e.Got))
	if e.Err != nil && !errors.Is(e.Err, ErrUnknown) {
		msg += ": " + Quotable(e.Err.Error())
	}
	return msg
}

// Quotable returns s as an error message may quote it: stream keys scrubbed, at most 200 bytes
// (cut on a UTF-8 boundary, "..." added).
func Quotable(s string) string {
	s = redact.Scrub(s)
	if len(s) <= maxQuoted {
		return s
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Unwrap returns the underlying cause, if any.
func (e *FieldError) Unwrap() error { return e.Err }
