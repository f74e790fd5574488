package ivsevent_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestFieldErrorMessage(t *testing.T) {
	cause := errors.New("unexpected end of JSON input")
	tests := map[string]struct {
		err  *ivsevent.FieldError
		want string
	}{
		"field": {
			err:  &ivsevent.FieldError{Field: "detail.stream_id", Want: "an IVS stream ID (st-...)", Got: "st-1"},
			want: `detail.stream_id: want an IVS stream ID (st-...), got "st-1"`,
		},
		"no field names the event": {
			err:  &ivsevent.FieldError{Want: "a JSON object", Got: "malformed JSON", Err: cause},
			want: `event: want a JSON object, got "malformed JSON": unexpected end of JSON input`,
		},
		"empty got is quoted": {
			err:  &ivsevent.FieldError{Field: "id", Want: "the event ID"},
			want: `id: want the event ID, got ""`,
		},
		"got is quoted with escapes": {
			err:  &ivsevent.FieldError{Field: "time", Want: "an RFC 3339 timestamp", Got: "2026-11-03\n"},
			want: `time: want an RFC 3339 timestamp, got "2026-11-03\n"`,
		},
		"ErrUnknown is not repeated": {
			err:  &ivsevent.FieldError{Field: "detail-type", Want: `one of "IVS Limit Breach"`, Got: "IVS Stage Update", Err: ivsevent.ErrUnknown},
			want: `detail-type: want one of "IVS Limit Breach", got "IVS Stage Update"`,
		},
		"wrapped ErrUnknown is not repeated": {
			err:  &ivsevent.FieldError{Field: "source", Want: `"aws.ivs"`, Got: "aws.s3", Err: fmt.Errorf("source: %w", ivsevent.ErrUnknown)},
			want: `source: want "aws.ivs", got "aws.s3"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %s\nwant      %s", got, tc.want)
			}
		})
	}
}

func TestFieldErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	var err error = fmt.Errorf("parse event: %w", &ivsevent.FieldError{Field: "detail", Err: cause})
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not reach the FieldError's cause")
	}
	if errors.Is(err, ivsevent.ErrUnknown) {
		t.Error("errors.Is(err, ErrUnknown) = true for a FieldError without ErrUnknown")
	}
	var fe *ivsevent.FieldError
	if !errors.As(err, &fe) || fe.Field != "detail" {
		t.Errorf("errors.As through a wrap: got %+v", fe)
	}
	if (&ivsevent.FieldError{}).Unwrap() != nil {
		t.Error("Unwrap of a FieldError without cause is not nil")
	}
}
