package ivsevent

import (
	"errors"
	"fmt"
)

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

// Error returns "<field>: want <want>, got <got>".
func (e *FieldError) Error() string {
	field := e.Field
	if field == "" {
		field = "event"
	}
	msg := fmt.Sprintf("%s: want %s, got %q", field, e.Want, e.Got)
	if e.Err != nil && !errors.Is(e.Err, ErrUnknown) {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause, if any.
func (e *FieldError) Unwrap() error { return e.Err }
