package redact

import (
	"regexp"
	"strings"
)

// Redacted is what a secret prints as.
const Redacted = "REDACTED"

// streamKey matches an IVS stream key, sk_<region>_<channel id>_<secret>, e.g.
// sk_us-west-2_abcdABCDefgh_567890abcdef, wherever it appears in a string (alone, or at the end
// of an rtmps:// URL).
var streamKey = regexp.MustCompile(`sk_[a-z]{2}(?:-[a-z]+)+-[0-9]+_[A-Za-z0-9]+_[A-Za-z0-9]+`)

// Scrub returns s with every IVS stream key in it replaced by REDACTED.
func Scrub(s string) string {
	if !strings.Contains(s, "sk_") {
		return s // the common case, without the regular expression
	}
	return streamKey.ReplaceAllLiteralString(s, Redacted)
}

// quoteBytes is the most of an input that Quote keeps.
const quoteBytes = 200

// Quote returns at most the first 200 bytes of b (cut on a UTF-8 boundary), stream keys
// scrubbed, followed by "..." when b was longer: what an error message may quote of an input,
// enough to recognise it, never a 300 KB name in a log line. b is []byte or string. A stream
// key cut in two by the limit is scrubbed too: the limit is applied after scrubbing.
func Quote[T ~string | ~[]byte](b T) string {
	s := Scrub(string(b))
	if len(s) <= quoteBytes {
		return s
	}
	return Cut(s, quoteBytes) + "..."
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
