// Package enrichment turns a GetStreamSession answer and the event it is for into the record's
// correction decision (verified against the answer) and its annotation. enrich uses it for the
// events IVS sends; the sweep uses it for the sessions whose events were lost, and both encode
// the "IVS Session Enriched" event with shared/suiteevent and publish it with shared/putevents,
// so a swept session and a live one are published alike: same event, same record, same merge,
// same corrector.
package enrichment

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
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
	_, why := Confirm(code, ss)
	return why
}

// Confirm says whether ss, GetStreamSession's answer for a stream (nil: it does not show the
// session), confirms a refusal with code: the session exists and one of its events carries the
// code. It returns when IVS says that event happened (zero when its time is unknown), or why
// the refusal is not confirmed. The enricher decides on it; the corrector asks again before it
// changes a channel, whatever its message says.
func Confirm(code string, ss *types.StreamSession) (at time.Time, unconfirmed string) {
	if !session.IsRefusal(code) {
		return time.Time{}, fmt.Sprintf("%q is not a refusal code", code)
	}
	if ss == nil {
		return time.Time{}, "GetStreamSession does not show the stream session"
	}
	for _, e := range ss.TruncatedEvents {
		if aws.ToString(e.Code) == code {
			return aws.ToTime(e.EventTime).UTC(), ""
		}
	}
	return time.Time{}, fmt.Sprintf("the stream session's events carry no %s", code)
}

// Annotate puts decision d on the record: an apply waits for the corrector's report (decided);
// manual, broadcaster, skipped and unverified are final here (unchanged: no channel change
// follows). An unverified decision also marks the claim it was made for (Record.Unconfirm): the
// record keeps what IVS confirms, the claimed refusal beside it, and is not counted refused for
// it. at is the event's time, so a redelivery gives the same record.
func Annotate(rec *session.Record, d multitrack.Decision, at time.Time) {
	switch d.Action {
	case multitrack.ActionApply:
		rec.Correction = &session.Correction{Decision: d, Outcome: session.CorrectionDecided, At: at.UTC()}
	case multitrack.ActionManual, multitrack.ActionBroadcaster, multitrack.ActionSkipped, multitrack.ActionUnverified:
		rec.Correction = &session.Correction{Decision: d, Outcome: session.CorrectionUnchanged, At: at.UTC(), Detail: d.Reason}
	}
	if d.Action == multitrack.ActionUnverified {
		*rec = rec.Unconfirm(d.Code, d.Reason)
	}
}

// UnconfirmedIn returns why rec (an archived record) holds code as a claim IVS does not
// confirm (session.Event.Unconfirmed), or "": a repeated event of that claim is marked the same
// way, so that it does not make the record refused.
func UnconfirmedIn(rec session.Record, code string) string {
	for _, e := range rec.Events {
		if code != "" && e.Code == code && e.Unconfirmed != "" {
			return e.Unconfirmed
		}
	}
	return ""
}
