package ivsevent

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// The IVS API's own validation rules (Smithy model ivs-2020-07-14: ChannelArn, StreamId).
var (
	channelARNPattern = regexp.MustCompile(`^arn:aws:ivs:[a-z0-9-]+:[0-9]+:channel/[a-zA-Z0-9-]+$`)
	streamIDPattern   = regexp.MustCompile(`^st-[a-zA-Z0-9]+$`)
)

// Limits of the IVS API on identifiers.
const (
	MaxChannelARNLength = 128 // ChannelArn: 1 to 128 characters
	StreamIDLength      = 26  // StreamId: exactly 26 characters
)

// ChannelARN is a parsed IVS channel ARN, arn:aws:ivs:<region>:<account>:channel/<id>.
// Its zero value means "no channel" (account-level events).
type ChannelARN struct {
	Region  string // e.g. us-west-2; take the region for API calls from here, not the envelope
	Account string // the 12-digit AWS account ID
	ID      string // the channel ID, e.g. abcdABCDefgh
}

// ParseChannelARN parses s against the IVS API's ChannelArn rules (length 1 to 128, pattern
// ^arn:aws:ivs:[a-z0-9-]+:[0-9]+:channel/[a-zA-Z0-9-]+$), with a 12-digit account and a
// region shaped like an AWS region (CheckAccount, CheckRegion). It returns a *invalid.FieldError with an
// empty Field when s does not match; callers set the field's path.
func ParseChannelARN(s string) (ChannelARN, error) {
	if len(s) == 0 || len(s) > MaxChannelARNLength || !channelARNPattern.MatchString(s) {
		return ChannelARN{}, &invalid.FieldError{Want: "an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)", Got: s}
	}
	parts := strings.SplitN(s, ":", 6)
	// Stricter than the API's pattern, which allows any digits and any dashes: an account is
	// 12 digits and a region looks like one, since both end up in archive keys.
	if !accountPattern.MatchString(parts[4]) || !regionPattern.MatchString(parts[3]) {
		return ChannelARN{}, &invalid.FieldError{Want: "an IVS channel ARN (arn:aws:ivs:<region>:<12-digit account>:channel/<id>)", Got: s}
	}
	return ChannelARN{Region: parts[3], Account: parts[4], ID: strings.TrimPrefix(parts[5], "channel/")}, nil
}

// String returns the ARN in its canonical form, or "" for the zero value.
func (a ChannelARN) String() string {
	if a.IsZero() {
		return ""
	}
	return fmt.Sprintf("arn:aws:ivs:%s:%s:channel/%s", a.Region, a.Account, a.ID)
}

// IsZero reports whether a is the zero ChannelARN (no channel).
func (a ChannelARN) IsZero() bool { return a == ChannelARN{} }

// ValidStreamID reports whether s is a valid IVS stream ID: exactly 26 characters matching
// ^st-[a-zA-Z0-9]+$.
func ValidStreamID(s string) bool {
	return len(s) == StreamIDLength && streamIDPattern.MatchString(s)
}

// CheckStreamID returns a *invalid.FieldError for field when s is not a valid IVS stream ID.
func CheckStreamID(field, s string) error {
	if !ValidStreamID(s) {
		return &invalid.FieldError{Field: field, Want: "an IVS stream ID (st- and 23 letters or digits)", Got: s}
	}
	return nil
}
