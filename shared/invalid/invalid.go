// Package invalid holds the error every decoder and configuration loader of the suite returns
// for bad input: a *FieldError names the field, what was expected and what was found. It lives
// on its own, apart from any one input's model, because every kind of input uses it: IVS events
// (ivsevent), the suite's events (suiteevent), records and keys (session), the functions'
// environment (suite, awsenv), the sweep's invocations. A FieldError is permanent: retrying the
// same input cannot fix it (shared/retryable).
package invalid

import (
	"errors"
	"fmt"

	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// ErrUnknown is wrapped by a *FieldError when a well-formed input names something the suite does
// not know: a detail-type, an event name, a limit name or a recording status. Match it with
// errors.Is to tell "not for us" from "malformed"; both are permanent (retrying cannot help).
var ErrUnknown = errors.New("unknown value")

// FieldError reports which field of an input failed validation, what was expected and what was
// found. Field is a JSON path such as "detail.stream_id" or "resources[0]", or the name of an
// environment variable; it is empty for the document as a whole.
type FieldError struct {
	Field string // JSON path, e.g. "detail.stream_id"
	Want  string // what was expected, e.g. "an IVS stream ID (st-...)"
	Got   string // what was found, quoted in the message
	Err   error  // an underlying cause (ErrUnknown, a JSON syntax error), or nil
}

// Error returns "<field>: want <want>, got <got>". What it quotes is scrubbed of stream keys and
// cut to 200 bytes (redact.Quote): a rejected value may be a secret or huge, and the message
// goes to logs. Got itself keeps the value.
func (e *FieldError) Error() string {
	field := e.Field
	if field == "" {
		field = "event"
	}
	msg := fmt.Sprintf("%s: want %s, got %q", field, e.Want, redact.Quote(e.Got))
	if e.Err != nil && !errors.Is(e.Err, ErrUnknown) {
		msg += ": " + redact.Quote(e.Err.Error())
	}
	return msg
}

// Unwrap returns the underlying cause, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// First returns the first error of errs that is not nil, or nil: the first field that failed
// when a value's checks are listed in its fields' order.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
