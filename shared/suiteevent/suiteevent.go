package suiteevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// recordBudget is the room for the record in an enriched entry: EventBridge's limit minus what
// the rest of the entry (decision, trigger, source, detail-type, resources) may take.
const recordBudget = session.MaxEventBytes - session.EnvelopeAllowance

// Event is one of the suite's events as a target receives it: the EventBridge envelope and its
// detail, decoded. Exactly one of Enriched, Corrected and Measured is set, as DetailType says.
type Event struct {
	events.EventBridgeEvent
	// ReplayName is the EventBridge replay that delivered the event ("replay-name"), "" for an
	// event delivered when it was published.
	ReplayName string             `json:"replay-name,omitempty"`
	Enriched   *session.Enriched  `json:"-"`
	Corrected  *session.Corrected `json:"-"`
	Measured   *session.Measured  `json:"-"`
}

// Decode reads one of the suite's events, strictly (ivsevent.Unmarshal: exact member names, no
// member twice, nothing after the value). Its errors are *invalid.FieldError: the body is not
// an EventBridge event, its source is not suite.EventSource or its detail-type not one of the
// suite's (both wrapping invalid.ErrUnknown), its detail is not a JSON object of the
// detail-type's shape, a replay name is not EventBridge's, or the envelope's id, account or
// region is not one EventBridge writes. Retrying cannot fix any of them.
func Decode(body []byte) (*Event, error) {
	var ev Event
	if err := ivsevent.Unmarshal("", body, &ev); err != nil {
		return nil, err
	}
	if err := ivsevent.CheckReplayName("replay-name", ev.ReplayName); err != nil {
		return nil, err
	}
	if ev.Source != suite.EventSource {
		return nil, &invalid.FieldError{Field: "source", Want: fmt.Sprintf("%q", suite.EventSource), Got: ev.Source, Err: invalid.ErrUnknown}
	}
	var detail any
	switch ev.DetailType {
	case suite.DetailTypeSessionEnriched:
		ev.Enriched = &session.Enriched{}
		detail = ev.Enriched
	case suite.DetailTypeChannelCorrected:
		ev.Corrected = &session.Corrected{}
		detail = ev.Corrected
	case suite.DetailTypeSessionQuality:
		ev.Measured = &session.Measured{}
		detail = ev.Measured
	default:
		return nil, &invalid.FieldError{Field: "detail-type",
			Want: fmt.Sprintf("%q, %q or %q", suite.DetailTypeSessionEnriched, suite.DetailTypeChannelCorrected, suite.DetailTypeSessionQuality),
			Got:  ev.DetailType, Err: invalid.ErrUnknown}
	}
	if d := bytes.TrimSpace(ev.Detail); len(d) == 0 || d[0] != '{' {
		return nil, &invalid.FieldError{Field: "detail", Want: "a JSON object", Got: string(d)}
	}
	if err := ivsevent.Unmarshal("detail", ev.Detail, detail); err != nil {
		return nil, err
	}
	if err := ivsevent.CheckReplayName("detail.trigger.replayName", ev.trigger().ReplayName); err != nil {
		return nil, err
	}
	// The envelope EventBridge wrote: its id, account and region are logged and compared.
	if err := errors.Join(ivsevent.CheckEventID("id", ev.ID), ivsevent.CheckAccount("account", ev.AccountID), ivsevent.CheckRegion("region", ev.Region)); err != nil {
		var fe *invalid.FieldError
		errors.As(err, &fe)
		return nil, fe
	}
	return &ev, nil
}

// trigger returns the trigger of the event's detail.
func (e *Event) trigger() session.Trigger {
	switch {
	case e.Enriched != nil:
		return e.Enriched.Trigger
	case e.Corrected != nil:
		return e.Corrected.Trigger
	case e.Measured != nil:
		return e.Measured.Trigger
	}
	return session.Trigger{}
}

// Replay returns the name of the EventBridge replay the event comes from: the replay that
// delivered it (the envelope's replay-name), else the replay that delivered the event it was
// published for (its trigger's replayName, which every function that republishes carries on);
// "" for an event of no replay.
func (e *Event) Replay() string {
	if e.ReplayName != "" {
		return e.ReplayName
	}
	return e.trigger().ReplayName
}

// EnrichedEntry returns the PutEvents entry of e on bus, with e's record trimmed (oldest events
// dropped, counted in the record's eventsDropped) so that the entry fits EventBridge's limit,
// and how many events were dropped. It returns an error only when the entry cannot fit even
// without events, which IVS's data cannot cause.
func EnrichedEntry(bus string, e session.Enriched) (Entry, int, error) {
	dropped := e.Record.Trim(recordBudget)
	for {
		entry, err := entryOf(bus, suite.DetailTypeSessionEnriched, e.Record.ChannelARN, e.EncodeJSON)
		if err != nil {
			return Entry{}, 0, err
		}
		over := entry.Size() - session.MaxEventBytes
		if over <= 0 {
			return entry, dropped, nil
		}
		if len(e.Record.Events) == 0 {
			return Entry{}, 0, fmt.Errorf("%q entry of %d bytes exceeds EventBridge's %d even without its events",
				suite.DetailTypeSessionEnriched, entry.Size(), session.MaxEventBytes)
		}
		dropped += e.Record.Trim(e.Record.Size() - over)
	}
}

// CorrectedEntry returns the PutEvents entry of c on bus.
func CorrectedEntry(bus string, c session.Corrected) (Entry, error) {
	return entry(bus, suite.DetailTypeChannelCorrected, c.ChannelARN, c)
}

// QualityEntry returns the PutEvents entry of m on bus. A measurement holds a few numbers per
// track, far below EventBridge's limit: it is never trimmed.
func QualityEntry(bus string, m session.Measured) (Entry, error) {
	return entry(bus, suite.DetailTypeSessionQuality, m.ChannelARN, m)
}

// Entry is one PutEvents entry of the suite's, as shared/putevents sends it. It is not the SDK's
// type, so that a function that only decodes does not link the EventBridge SDK.
type Entry struct {
	EventBus   string   // the bus's name
	Source     string   // suite.EventSource
	DetailType string   // one of the suite's detail-types
	Detail     string   // JSON
	Resources  []string // the channel's ARN; none for an account-level event
}

func entry(bus, detailType, channelARN string, detail any) (Entry, error) {
	return entryOf(bus, detailType, channelARN, func() ([]byte, error) { return json.Marshal(detail) })
}

// entryOf is the entry whose detail encode returns.
func entryOf(bus, detailType, channelARN string, encode func() ([]byte, error)) (Entry, error) {
	body, err := encode()
	if err != nil {
		return Entry{}, fmt.Errorf("encode %q detail: %w", detailType, err)
	}
	e := Entry{EventBus: bus, Source: suite.EventSource, DetailType: detailType, Detail: string(body)}
	if channelARN != "" {
		e.Resources = []string{channelARN}
	}
	return e, nil
}

// Size is the entry's size as EventBridge counts it: the UTF-8 lengths of source, detail-type,
// detail and resources, plus 14 bytes for the time (counted whether or not it is set: the limit
// must hold either way).
func (e Entry) Size() int {
	n := 14 + len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}
