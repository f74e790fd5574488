package ivsevent

import (
	"errors"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// A missing source or detail-type is malformed, not unknown: the distinction tells "not for us"
// from "broken".
func TestMissingIsMalformedNotUnknown(t *testing.T) {
	tests := map[string]struct {
		doc       string
		field     string
		isUnknown bool
	}{
		"no source":         {`{"id":"x","detail-type":"IVS Stream State Change","time":"2026-11-03T10:00:00Z","detail":{}}`, "source", false},
		"other source":      {`{"id":"x","source":"aws.s3","detail-type":"IVS Stream State Change","time":"2026-11-03T10:00:00Z","detail":{}}`, "source", true},
		"no detail-type":    {`{"id":"x","source":"aws.ivs","time":"2026-11-03T10:00:00Z","detail":{}}`, "detail-type", false},
		"stage detail-type": {`{"id":"x","source":"aws.ivs","detail-type":"IVS Stage Update","time":"2026-11-03T10:00:00Z","detail":{}}`, "detail-type", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var fe *invalid.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a FieldError for %s", err, tc.field)
			}
			if got := errors.Is(err, invalid.ErrUnknown); got != tc.isUnknown {
				t.Errorf("errors.Is(err, ErrUnknown) = %v, want %v", got, tc.isUnknown)
			}
		})
	}
}
