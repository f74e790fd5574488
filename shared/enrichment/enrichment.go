// Package enrichment turns a GetStreamSession answer and the event it is for into what the
// suite publishes: the record's correction decision (verified against the answer) and the one
// PutEvents entry of an "IVS Session Enriched" event. enrich uses it for the events IVS sends;
// the sweep uses it for the sessions whose events were lost, so a swept session and a live one
// are published alike: same event, same record, same merge, same corrector.
package enrichment

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Decide applies the correction policy to the event's code, with the channel as it was when
// the session went live (unknown without a GetStreamSession answer ss). Only the event's own
// code is decided on: every event of a refused session carries the refusal in its record, but
// only its Session Ended should lead to a correction. A refusal that ss does not confirm (no
// session, or none of its events carrying the code) is decided unverified: UpdateChannel
// changes a customer's channel, and never on an event IVS does not back.
func Decide(ev *ivsevent.Event, rec session.Record, ss *types.StreamSession, cfg multitrack.Config) multitrack.Decision {
	code := ev.Code()
	if code == "" {
		return multitrack.Decision{Action: multitrack.ActionNone, Reason: "the event carries no code: nothing to correct"}
	}
	in := multitrack.Input{Code: code, TopVideoHeight: rec.TopVideoHeight(), ChannelUnknown: ss == nil || ss.Channel == nil,
		Unconfirmed: Unconfirmed(ev, ss)}
	if !in.ChannelUnknown {
		in.Channel, in.Tags = *ss.Channel, ss.Channel.Tags
	}
	return multitrack.Decide(in, cfg)
}

// Unconfirmed says why ss (nil: GetStreamSession does not show the session) does not confirm
// the refusal ev carries, or "" when it does (or ev carries none). A refusal is confirmed when
// the stream session exists and one of its events carries the code.
func Unconfirmed(ev *ivsevent.Event, ss *types.StreamSession) string {
	code := ev.Code()
	if !session.IsRefusal(code) {
		return ""
	}
	if ss == nil {
		return "GetStreamSession does not show the stream session"
	}
	for _, e := range ss.TruncatedEvents {
		if aws.ToString(e.Code) == code {
			return ""
		}
	}
	return fmt.Sprintf("the stream session's events carry no %s", code)
}

// Annotate puts decision d on the record: an apply waits for the corrector's report (decided);
// manual, broadcaster, skipped and unverified are final here (unchanged: no channel change
// follows). at is the event's time, so a redelivery gives the same record.
func Annotate(rec *session.Record, d multitrack.Decision, at time.Time) {
	switch d.Action {
	case multitrack.ActionApply:
		rec.Correction = &session.Correction{Decision: d, Outcome: session.CorrectionDecided, At: at.UTC()}
	case multitrack.ActionManual, multitrack.ActionBroadcaster, multitrack.ActionSkipped, multitrack.ActionUnverified:
		rec.Correction = &session.Correction{Decision: d, Outcome: session.CorrectionUnchanged, At: at.UTC(), Detail: d.Reason}
	}
}

// recordBudget is the room for the record in one PutEvents entry: EventBridge's limit minus
// what the rest of the entry (decision, trigger, source, detail-type, resources) may take.
const recordBudget = session.MaxEventBytes - session.EnvelopeAllowance

// Entry returns the PutEvents entry of e on bus, with e's record trimmed (oldest events
// dropped, counted in eventsDropped) so that the entry fits EventBridge's 256 KB limit, and
// how many events were dropped.
func Entry(bus string, e session.Enriched) (ebtypes.PutEventsRequestEntry, int, error) {
	var resources []string
	if e.Record.ChannelARN != "" {
		resources = []string{e.Record.ChannelARN}
	}
	dropped := e.Record.Trim(recordBudget)
	for {
		detail, err := json.Marshal(e)
		if err != nil {
			return ebtypes.PutEventsRequestEntry{}, 0, fmt.Errorf("encode %q detail: %w", suite.DetailTypeSessionEnriched, err)
		}
		entry := ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(bus),
			Source:       aws.String(suite.EventSource),
			DetailType:   aws.String(suite.DetailTypeSessionEnriched),
			Resources:    resources,
			Detail:       aws.String(string(detail)),
		}
		over := EntrySize(entry) - session.MaxEventBytes
		if over <= 0 {
			return entry, dropped, nil
		}
		if len(e.Record.Events) == 0 {
			// Cannot happen with IVS's data: a record without events is a few kilobytes.
			return ebtypes.PutEventsRequestEntry{}, 0, fmt.Errorf("enriched event of %d bytes exceeds EventBridge's %d even without its events", EntrySize(entry), session.MaxEventBytes)
		}
		dropped += e.Record.Trim(e.Record.Size() - over)
	}
}

// EntrySize is a PutEvents entry's size as EventBridge counts it: the UTF-8 lengths of source,
// detail-type, detail and resources, plus 14 bytes for the time.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
func EntrySize(e ebtypes.PutEventsRequestEntry) int {
	n := 14 + len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}
