package session

import (
	"encoding/json"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
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

// MarshalJSON encodes the time in TimeLayout.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatTime(time.Time(t)) + `"`), nil
}

// IsZero reports whether the time is zero (for omitzero).
func (t jsonTime) IsZero() bool { return time.Time(t).IsZero() }

// The MarshalJSON methods below shadow each time field of the plain encoding with its
// TimeLayout form (encoding/json prefers the shallower field), so that a field added to one of
// these types is encoded without a change here.

// MarshalJSON encodes the record with its times in TimeLayout.
func (r Record) MarshalJSON() ([]byte, error) {
	type plain Record
	return json.Marshal(struct {
		plain
		StartTime jsonTime      `json:"startTime,omitzero"`
		EndTime   jsonTime      `json:"endTime,omitzero"`
		UpdatedAt jsonTime      `json:"updatedAt,omitzero"`
		Quality   *qualityTimes `json:"quality,omitempty"`
	}{plain(r), jsonTime(r.StartTime), jsonTime(r.EndTime), jsonTime(r.UpdatedAt), (*qualityTimes)(r.Quality)})
}

// MarshalJSON encodes the event with its time in TimeLayout.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		Time jsonTime `json:"time"`
		plain
	}{jsonTime(e.Time), plain(e)})
}

// MarshalJSON encodes the limit breach with its time in TimeLayout.
func (l LimitBreach) MarshalJSON() ([]byte, error) {
	type plain LimitBreach
	return json.Marshal(struct {
		Time jsonTime `json:"time"`
		plain
	}{jsonTime(l.Time), plain(l)})
}

// MarshalJSON encodes the correction with its time in TimeLayout.
func (c Correction) MarshalJSON() ([]byte, error) {
	type plain Correction
	return json.Marshal(struct {
		plain
		At jsonTime `json:"at,omitzero"`
	}{plain(c), jsonTime(c.At)})
}

// MarshalJSON encodes the trigger with its time in TimeLayout.
func (t Trigger) MarshalJSON() ([]byte, error) {
	type plain Trigger
	return json.Marshal(struct {
		plain
		Time jsonTime `json:"time"`
	}{plain(t), jsonTime(t.Time)})
}

// MarshalJSON encodes the link with its time in TimeLayout.
func (l SessionLink) MarshalJSON() ([]byte, error) {
	type plain SessionLink
	return json.Marshal(struct {
		plain
		StartTime jsonTime `json:"startTime"`
	}{plain(l), jsonTime(l.StartTime)})
}

// qualityTimes encodes a record's quality report with its times in TimeLayout (the report's
// type lives in shared/quality, below this package, which has no JSON format of its own).
type qualityTimes quality.Report

// MarshalJSON encodes the quality report with its times in TimeLayout.
func (q qualityTimes) MarshalJSON() ([]byte, error) {
	type plain quality.Report
	return json.Marshal(struct {
		plain
		WindowStart jsonTime `json:"windowStart"`
		WindowEnd   jsonTime `json:"windowEnd"`
		MeasuredAt  jsonTime `json:"measuredAt,omitzero"`
	}{plain(q), jsonTime(q.WindowStart), jsonTime(q.WindowEnd), jsonTime(q.MeasuredAt)})
}
