package session

import (
	"encoding/json"
	"time"
)

// TimeLayout is the one format of every time the suite writes (records, corrections, published
// events): UTC, always three fractional digits, so that a time's text sorts as the time does
// ("2024-09-09T16:17:27.000Z" < "2024-09-09T16:17:27.500Z"). Times are kept to the millisecond,
// the finest precision IVS gives. Decoding accepts any RFC 3339 time.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime returns t in TimeLayout (converted to UTC, truncated to the millisecond).
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Millisecond).Format(TimeLayout) }

// jsonTime encodes a time in TimeLayout; a zero time is omitted by omitzero.
type jsonTime time.Time

// MarshalText returns the time in TimeLayout, which encoding/json writes as a JSON string
// (a text, unlike a MarshalJSON result, is not parsed again).
func (t jsonTime) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().Truncate(time.Millisecond).AppendFormat(make([]byte, 0, len(TimeLayout)), TimeLayout), nil
}

// IsZero reports whether the time is zero (for omitzero).
func (t jsonTime) IsZero() bool { return time.Time(t).IsZero() }

// The types below encode each time in TimeLayout. encoding/json parses the output of every
// MarshalJSON method again (to compact it), so a record whose events each had one would be
// parsed once per level of nesting: the record encodes through wire types instead (wire.go),
// which have no MarshalJSON of their own, and is parsed once. The MarshalJSON methods of the
// record's parts shadow each time field of the plain encoding with its TimeLayout form
// (encoding/json prefers the shallower field), for a part encoded on its own.

// MarshalJSON encodes the record with its times in TimeLayout (wire.go).
func (r Record) MarshalJSON() ([]byte, error) { return r.EncodeJSON() }

// MarshalJSON encodes the event with its time in TimeLayout.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventWire{jsonTime(e.Time), plainEvent(e)})
}

// MarshalJSON encodes the limit breach with its time in TimeLayout.
func (l LimitBreach) MarshalJSON() ([]byte, error) {
	return json.Marshal(breachWire{jsonTime(l.Time), plainBreach(l)})
}

// MarshalJSON encodes the correction with its time in TimeLayout.
func (c Correction) MarshalJSON() ([]byte, error) {
	return json.Marshal(correctionWire{plainCorrection(c), jsonTime(c.At)})
}

// MarshalJSON encodes the trigger with its time in TimeLayout.
func (t Trigger) MarshalJSON() ([]byte, error) {
	return json.Marshal(triggerWire{plainTrigger(t), jsonTime(t.Time)})
}

// MarshalJSON encodes the link with its time in TimeLayout.
func (l SessionLink) MarshalJSON() ([]byte, error) {
	return json.Marshal(linkWire{plainLink(l), jsonTime(l.StartTime)})
}
