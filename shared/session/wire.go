package session

import (
	"bytes"
	"encoding/json"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// EncodeJSON returns the record's JSON, the same as json.Marshal gives, in one pass: through
// Marshal, encoding/json parses the output of the record's MarshalJSON again to compact it,
// which this skips. The hot paths use it: the archive's writes (s3doc encodes with it), Size
// and Trim, the published events (Enriched.EncodeJSON).
func (r Record) EncodeJSON() ([]byte, error) { return json.Marshal(r.wire()) }

// EncodeJSON returns the enriched event's JSON, the same as json.Marshal gives, in one pass
// (Record.EncodeJSON).
func (e Enriched) EncodeJSON() ([]byte, error) {
	return json.Marshal(enrichedWire{e.Record.wire(), e.Decision, triggerWire{plainTrigger(e.Trigger), jsonTime(e.Trigger.Time)}})
}

// enrichedWire is an Enriched as it is encoded.
type enrichedWire struct {
	Record   recordWire          `json:"record"`
	Decision multitrack.Decision `json:"decision"`
	Trigger  triggerWire         `json:"trigger"`
}

// triggerWire is a Trigger with its time in TimeLayout.
type triggerWire struct {
	plainTrigger
	Time jsonTime `json:"time"`
}

// recordWire is a Record as it is encoded: the same fields, in the order of the JSON (the
// times and the quality report last, where the TimeLayout encoding of issue 14 put them), each
// time a jsonTime and each part a wire type without a MarshalJSON method, so that encoding/json
// writes the whole record in one pass. TestWireHasEveryField keeps its fields those of Record.
type recordWire struct {
	SchemaVersion      int             `json:"schemaVersion"`
	ChannelARN         string          `json:"channelArn"`
	ChannelID          string          `json:"channelId"`
	Region             string          `json:"region"`
	Account            string          `json:"account"`
	StreamID           string          `json:"streamId"`
	Channel            *Channel        `json:"channel,omitempty"`
	ChannelAsOf        string          `json:"channelAsOf,omitempty"`
	DurationSeconds    float64         `json:"durationSeconds"`
	Outcome            Outcome         `json:"outcome"`
	Code               string          `json:"code,omitempty"`
	Video              []VideoTrack    `json:"video,omitempty"`
	Audio              []AudioTrack    `json:"audio,omitempty"`
	Multitrack         bool            `json:"multitrack"`
	VideoTrackCount    int             `json:"videoTrackCount"`
	AudioTrackCount    int             `json:"audioTrackCount"`
	TopResolution      string          `json:"topResolution,omitempty"`
	TopHeight          int64           `json:"topHeight,omitempty"`
	TopFrameRate       int64           `json:"topFrameRate,omitempty"`
	VideoTargetBitrate int64           `json:"videoTargetBitrate"`
	TotalTargetBitrate int64           `json:"totalTargetBitrate"`
	Events             []eventWire     `json:"events,omitempty"`
	EventsTruncated    bool            `json:"eventsTruncated,omitempty"`
	EventsDropped      int             `json:"eventsDropped,omitempty"`
	Recording          *Recording      `json:"recording,omitempty"`
	LimitBreaches      []breachWire    `json:"limitBreaches,omitempty"`
	Enriched           bool            `json:"enriched"`
	EnrichmentNote     string          `json:"enrichmentNote,omitempty"`
	Correction         *correctionWire `json:"correction,omitempty"`
	NextSession        *linkWire       `json:"nextSession,omitempty"`
	StartTime          jsonTime        `json:"startTime,omitzero"`
	EndTime            jsonTime        `json:"endTime,omitzero"`
	UpdatedAt          jsonTime        `json:"updatedAt,omitzero"`
	Quality            *qualityWire    `json:"quality,omitempty"`
}

// The parts' plain types: their fields without their methods.
type (
	plainEvent      Event
	plainBreach     LimitBreach
	plainCorrection Correction
	plainLink       SessionLink
	plainQuality    quality.Report
	plainTrigger    Trigger
)

// eventWire is an Event with its time in TimeLayout (time first, as encoded so far).
type eventWire struct {
	Time jsonTime `json:"time"`
	plainEvent
}

// breachWire is a LimitBreach with its time in TimeLayout.
type breachWire struct {
	Time jsonTime `json:"time"`
	plainBreach
}

// correctionWire is a Correction with its time in TimeLayout.
type correctionWire struct {
	plainCorrection
	At jsonTime `json:"at,omitzero"`
}

// linkWire is a SessionLink with its time in TimeLayout.
type linkWire struct {
	plainLink
	StartTime jsonTime `json:"startTime"`
}

// qualityWire is a quality report with its times in TimeLayout (the report's type lives in
// shared/quality, below this package, which has no JSON format of its own).
type qualityWire struct {
	plainQuality
	WindowStart jsonTime `json:"windowStart"`
	WindowEnd   jsonTime `json:"windowEnd"`
	MeasuredAt  jsonTime `json:"measuredAt,omitzero"`
}

// wire returns the record as it is encoded. The events and limit breaches are copied into one
// slice each: two allocations, whatever the record holds.
func (r Record) wire() recordWire {
	w := recordWire{
		SchemaVersion: r.SchemaVersion, ChannelARN: r.ChannelARN, ChannelID: r.ChannelID, Region: r.Region, Account: r.Account,
		StreamID: r.StreamID, Channel: r.Channel, ChannelAsOf: r.ChannelAsOf, DurationSeconds: r.DurationSeconds,
		Outcome: r.Outcome, Code: r.Code, Video: r.Video, Audio: r.Audio, Multitrack: r.Multitrack,
		VideoTrackCount: r.VideoTrackCount, AudioTrackCount: r.AudioTrackCount, TopResolution: r.TopResolution,
		TopHeight: r.TopHeight, TopFrameRate: r.TopFrameRate, VideoTargetBitrate: r.VideoTargetBitrate,
		TotalTargetBitrate: r.TotalTargetBitrate, EventsTruncated: r.EventsTruncated, EventsDropped: r.EventsDropped,
		Recording: r.Recording, Enriched: r.Enriched, EnrichmentNote: r.EnrichmentNote,
		StartTime: jsonTime(r.StartTime), EndTime: jsonTime(r.EndTime), UpdatedAt: jsonTime(r.UpdatedAt),
	}
	if r.Events != nil {
		w.Events = make([]eventWire, len(r.Events))
		for i, e := range r.Events {
			w.Events[i] = eventWire{jsonTime(e.Time), plainEvent(e)}
		}
	}
	if r.LimitBreaches != nil {
		w.LimitBreaches = make([]breachWire, len(r.LimitBreaches))
		for i, l := range r.LimitBreaches {
			w.LimitBreaches[i] = breachWire{jsonTime(l.Time), plainBreach(l)}
		}
	}
	if c := r.Correction; c != nil {
		w.Correction = &correctionWire{plainCorrection(*c), jsonTime(c.At)}
	}
	if l := r.NextSession; l != nil {
		w.NextSession = &linkWire{plainLink(*l), jsonTime(l.StartTime)}
	}
	if q := r.Quality; q != nil {
		w.Quality = &qualityWire{plainQuality(*q), jsonTime(q.WindowStart), jsonTime(q.WindowEnd), jsonTime(q.MeasuredAt)}
	}
	return w
}

// Same reports whether a and b encode to the same JSON: the archive writes a merged record only
// when it differs from the one archived. Counts and outcomes are compared first: when one of
// them differs the encodings do, and neither record is encoded (a new event, the usual case).
func Same(a, b Record) bool {
	if len(a.Events) != len(b.Events) || len(a.LimitBreaches) != len(b.LimitBreaches) ||
		len(a.Video) != len(b.Video) || len(a.Audio) != len(b.Audio) ||
		a.Outcome != b.Outcome || a.Enriched != b.Enriched || a.Code != b.Code ||
		(a.Correction == nil) != (b.Correction == nil) || (a.Quality == nil) != (b.Quality == nil) ||
		(a.NextSession == nil) != (b.NextSession == nil) || (a.Channel == nil) != (b.Channel == nil) {
		return false
	}
	ja, errA := a.EncodeJSON()
	jb, errB := b.EncodeJSON()
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
