package invalid_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestFieldErrorMessage(t *testing.T) {
	cause := errors.New("unexpected end of JSON input")
	tests := map[string]struct {
		err  *invalid.FieldError
		want string
	}{
		"field": {
			err:  &invalid.FieldError{Field: "detail.stream_id", Want: "an IVS stream ID (st-...)", Got: "st-1"},
			want: `detail.stream_id: want an IVS stream ID (st-...), got "st-1"`,
		},
		"no field names the event": {
			err:  &invalid.FieldError{Want: "a JSON object", Got: "malformed JSON", Err: cause},
			want: `event: want a JSON object, got "malformed JSON": unexpected end of JSON input`,
		},
		"empty got is quoted": {
			err:  &invalid.FieldError{Field: "id", Want: "the event ID"},
			want: `id: want the event ID, got ""`,
		},
		"got is quoted with escapes": {
			err:  &invalid.FieldError{Field: "time", Want: "an RFC 3339 timestamp", Got: "2026-11-03\n"},
			want: `time: want an RFC 3339 timestamp, got "2026-11-03\n"`,
		},
		"ErrUnknown is not repeated": {
			err:  &invalid.FieldError{Field: "detail-type", Want: `one of "IVS Limit Breach"`, Got: "IVS Stage Update", Err: invalid.ErrUnknown},
			want: `detail-type: want one of "IVS Limit Breach", got "IVS Stage Update"`,
		},
		"wrapped ErrUnknown is not repeated": {
			err:  &invalid.FieldError{Field: "source", Want: `"aws.ivs"`, Got: "aws.s3", Err: fmt.Errorf("source: %w", invalid.ErrUnknown)},
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
	var err error = fmt.Errorf("parse event: %w", &invalid.FieldError{Field: "detail", Err: cause})
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not reach the FieldError's cause")
	}
	if errors.Is(err, invalid.ErrUnknown) {
		t.Error("errors.Is(err, ErrUnknown) = true for a FieldError without ErrUnknown")
	}
	var fe *invalid.FieldError
	if !errors.As(err, &fe) || fe.Field != "detail" {
		t.Errorf("errors.As through a wrap: got %+v", fe)
	}
	if (&invalid.FieldError{}).Unwrap() != nil {
		t.Error("Unwrap of a FieldError without cause is not nil")
	}
}

// TestFieldErrorQuotesScrubbed: a rejected event's log line quotes the bad value without the
// stream key it may hold, and never a whole 300 KB value (issue 10).
func TestFieldErrorQuotesScrubbed(t *testing.T) {
	key := "sk_us-west-2_abcdABCDefgh_567890abcdef"
	body := `{"version":"0","id":"e1","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"123456789012",` +
		`"time":"2026-11-03T18:00:05Z","region":"us-west-2","resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],` +
		`"detail":{"event_name":"Stream Start","channel_name":"studio","stream_id":"` + key + `"}}`
	// The stream ID feeds the record's key: a bad one costs the event (a bad channel name, a
	// display field, no longer does: issue 22, item 7).
	_, err := ivsevent.Parse([]byte(body))
	if err == nil {
		t.Fatal("Parse accepted a stream key as the stream ID")
	}
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "detail.stream_id") {
		t.Errorf("error = %v; want it to name detail.stream_id without the stream key", err)
	}
	long := &invalid.FieldError{Field: "detail.channel_name", Want: "a name", Got: strings.Repeat("é", 300*1024)}
	if n := len(long.Error()); n > 400 {
		t.Errorf("error message of %d bytes quotes a 300 KB value whole", n)
	}
	if !utf8.ValidString(long.Error()) {
		t.Error("the cut message is not valid UTF-8")
	}
}

// TestFirst: the first error that is not nil, in the order given; nil when there is none.
func TestFirst(t *testing.T) {
	a, b := &invalid.FieldError{Field: "a"}, &invalid.FieldError{Field: "b"}
	if got := invalid.First(nil, a, b); got != a {
		t.Errorf("First(nil, a, b) = %v, want a", got)
	}
	if got := invalid.First(nil, nil); got != nil {
		t.Errorf("First(nil, nil) = %v, want nil", got)
	}
}
