package redact

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
)

// Redacted is what a secret prints as.
const Redacted = "REDACTED"

// Secret is a string that never prints: log/slog (LogValue), fmt (every verb), encoding/json
// (MarshalJSON) and encoding.TextMarshaler users all see REDACTED. Reveal returns the value.
// Never use a Secret as a map key: encoding/json writes string-kind keys as they are.
type Secret string

// LogValue returns REDACTED for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON returns "REDACTED" (a JSON string).
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns REDACTED.
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// String returns REDACTED.
func (Secret) String() string { return Redacted }

// GoString returns REDACTED, for %#v.
func (Secret) GoString() string { return Redacted }

// Format writes REDACTED whatever the verb, so %x or %q cannot leak the value either.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, Redacted) }

// Reveal returns the secret's value, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

// streamKey matches an IVS stream key, sk_<region>_<channel id>_<secret>, e.g.
// sk_us-west-2_abcdABCDefgh_567890abcdef, wherever it appears in a string (alone, or at the end
// of an rtmps:// URL).
var streamKey = regexp.MustCompile(`sk_[a-z]{2}(?:-[a-z]+)+-[0-9]+_[A-Za-z0-9]+_[A-Za-z0-9]+`)

// ContainsStreamKey reports whether s contains something shaped like an IVS stream key.
func ContainsStreamKey(s string) bool { return streamKey.MatchString(s) }

// Scrub returns s with every IVS stream key in it replaced by REDACTED.
func Scrub(s string) string {
	if !strings.Contains(s, "sk_") {
		return s // the common case, without the regular expression
	}
	return streamKey.ReplaceAllLiteralString(s, Redacted)
}

// Tags returns a copy of tags with stream keys scrubbed from keys and values; nil for nil.
// Where two keys scrub to the same key, the greater value is kept (whatever the map's order).
func Tags(tags map[string]string) map[string]string {
	if tags == nil {
		return nil
	}
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		k, v = Scrub(k), Scrub(v)
		if old, ok := out[k]; !ok || v > old {
			out[k] = v
		}
	}
	return out
}

// Channel returns a copy of ch that is safe to log: srt.passphrase is REDACTED (when set) and
// tags are scrubbed. It returns nil for nil.
func Channel(ch *types.Channel) *types.Channel {
	if ch == nil {
		return nil
	}
	c := *ch
	if ch.Srt != nil {
		srt := *ch.Srt
		if srt.Passphrase != nil {
			srt.Passphrase = ptr(Redacted)
		}
		c.Srt = &srt
	}
	c.Tags = Tags(ch.Tags)
	return &c
}

// Channels returns safe copies of chs (BatchGetChannel's output), nil for nil.
func Channels(chs []types.Channel) []types.Channel {
	if chs == nil {
		return nil
	}
	out := make([]types.Channel, len(chs))
	for i := range chs {
		out[i] = *Channel(&chs[i])
	}
	return out
}

// StreamSession returns a copy of ss whose channel is safe to log (see Channel); nil for nil.
func StreamSession(ss *types.StreamSession) *types.StreamSession {
	if ss == nil {
		return nil
	}
	s := *ss
	s.Channel = Channel(ss.Channel)
	if ss.RecordingConfiguration != nil {
		rc := *ss.RecordingConfiguration
		rc.Tags = Tags(rc.Tags)
		s.RecordingConfiguration = &rc
	}
	return &s
}

func ptr[T any](v T) *T { return &v }
