package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/enrichment"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// streamSessionGetter is the one IVS call enrich makes.
type streamSessionGetter interface {
	GetStreamSession(ctx context.Context, in *ivs.GetStreamSessionInput, optFns ...func(*ivs.Options)) (*ivs.GetStreamSessionOutput, error)
}

var _ streamSessionGetter = (*ivs.Client)(nil)

// Log attribute keys.
const (
	keyEventID     = "eventId"
	keyDetailType  = "detailType"
	keyName        = "name"
	keyCode        = "code"
	keyRecord      = "record"
	keyAction      = "action"
	keyNote        = "note"
	keyDropped     = "eventsDropped"
	keyPublishedID = "publishedEventId"
	keyReplay      = "replayName"
	keyField       = "field"
	keyWant        = "want"
	keyKept        = "kept"
)

// Retry delays enrich asks for (retryable.LaterError.After) while a session is not visible
// yet: retryBase doubled per delivery, at most retryCap. batch.Processor makes it the message's
// visibility timeout, so the message comes back after that wait.
const (
	retryBase = 30 * time.Second
	retryCap  = 15 * time.Minute
)

// Notes put on records, for the record's enrichmentNote.
const noteAccountLevel = "account-level event: no stream session to enrich"

// codeNotFound is GetStreamSession's answer for a session it does not show (yet); the string
// comes from the SDK's types.
var codeNotFound = (*types.ResourceNotFoundException)(nil).ErrorCode()

// Handler enriches and publishes one IVS event per message. Its fields are set once; it is safe
// for concurrent use.
type Handler struct {
	IVS       streamSessionGetter // an IVS client paced by Throttles
	Bus       putevents.Putter    // an EventBridge client
	Throttles *ivsquota.Pacer     // reports IVS throttles; nil: not reported
	Archive   s3doc.Getter        // an S3 client reading the archive; nil: never read
	Log       *slog.Logger
	Metrics   *metrics.Recorder
	Cfg       Config
	Now       func() time.Time // the clock of a message's wait in the queue; nil: time.Now
}

// Handle processes one message: nil when the event was published, a transient error
// (retryable.Is) to have it delivered again, or a permanent error (a malformed or unknown
// event) to have it rejected.
func (h *Handler) Handle(ctx context.Context, m batch.Message) error {
	ev, err := ivsevent.Parse(m.Body)
	if err != nil {
		return fmt.Errorf("parse IVS event: %w", err)
	}
	h.Metrics.Add(suite.MetricEvents, 1, metrics.Dim{Name: suite.DimensionDetailType, Value: ev.DetailType})
	if err := h.inFleet(ev); err != nil {
		return err
	}
	for _, o := range ev.OutOfBounds {
		// Kept bounded and escaped; the record's event says so (session.Event.Note).
		h.Metrics.Add(suite.MetricOutOfBounds, 1, metrics.Dim{Name: suite.DimensionField, Value: o.Field})
		h.Log.WarnContext(ctx, "a field out of its bounds was kept bounded and escaped", keyEventID, ev.ID, keyField, o.Field, keyWant, o.Want, keyKept, o.Kept)
	}
	if ev.ReplayName != "" {
		// Published like any other, with the mark in its trigger (session.TriggerOf).
		h.Metrics.Add(suite.MetricReplayed, 1, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionEnrich})
	}
	// An error of an invocation cut short is transient whatever it says (batch.Processor).
	return h.handle(ctx, m, ev)
}

// inFleet returns, in a fleet, a *invalid.FieldError for an event of an account or region the
// fleet does not cover (an account of the organization that is not a member, a region not
// listed): it is rejected (counted, alarmed), and nothing is called or archived for it. The
// channel's account and region count, the envelope's for an account-level event.
func (h *Handler) inFleet(ev *ivsevent.Event) error {
	if !h.Cfg.Fleet.Enabled() {
		return nil
	}
	account, region := ev.Channel.Account, ev.Channel.Region
	if ev.AccountLevel() {
		account, region = ev.Account, ev.Region
	}
	if err := h.Cfg.Fleet.CheckCovers(h.Cfg.Account, account, region); err != nil {
		return fmt.Errorf("an IVS event outside the fleet: %w", err)
	}
	return nil
}

func (h *Handler) handle(ctx context.Context, m batch.Message, ev *ivsevent.Event) error {
	if ev.AccountLevel() {
		d := multitrack.Decision{Action: multitrack.ActionNone, Reason: "an account-level event concerns no channel: nothing to correct"}
		return h.publish(ctx, ev, session.FromEvent(ev, noteAccountLevel), d)
	}
	p := phaseOf(ev, h.Cfg.LivePhase)
	if p == phaseNone {
		// Published from the event alone; the archive merges it into the session's record.
		return h.publishUnenriched(ctx, ev, "", nil)
	}
	id := sessionID{ev.Channel.String(), ev.StreamID()}
	if seen, unconfirmed := memoOf(ctx).repeated(ev.ID); seen {
		// The same event twice in one batch: the first delivery enriched and decided.
		h.countSaved("repeated")
		return h.publish(ctx, ev, session.FromEvent(ev, "").Unconfirm(ev.Code(), unconfirmed), repeatedDecision(ev))
	}
	if ss := memoOf(ctx).get(id, p); ss != nil {
		// Another event of this session in this batch already fetched what this phase needs.
		h.countSaved("batch")
		return h.enriched(ctx, m, ev, ss)
	}
	// A first delivery of a Stream Start is not read from the archive: only an EventBridge
	// duplicate could find its phase there, and its call gives way under a backlog anyway.
	if p != phaseLive || m.ReceiveCount > 1 {
		if rec, ok := h.archived(ctx, ev, p); ok {
			// A redelivered or repeated event, or a late go-live call that already saw the
			// end: the archive holds this phase, enriched, and its decision was published with
			// the first delivery. An S3 read instead of a quota token. What is published is
			// what the archive knows (start, tracks, end), never less: the quality function
			// measures from it. A claim IVS did not confirm then is marked so again.
			h.countSaved("archive")
			unconfirmed := enrichment.UnconfirmedIn(rec, ev.Code())
			return h.publish(ctx, ev, session.Merge(sessionOnly(rec), session.FromEvent(ev, "").Unconfirm(ev.Code(), unconfirmed)), repeatedDecision(ev))
		}
	}
	callCtx := ctx
	if p == phaseLive {
		if h.lagging(m) {
			// Under a backlog the go-live call is the one given up: the end phase carries it all.
			h.countSaved(savedBacklog)
			return h.publishUnenriched(ctx, ev, "", nil)
		}
		callCtx = ivsquota.Deferrable(ctx, suite.LivePhaseMaxWait)
	}
	in := &ivs.GetStreamSessionInput{ChannelArn: aws.String(ev.Channel.String()), StreamId: aws.String(ev.StreamID())}
	out, err := h.IVS.GetStreamSession(callCtx, in)
	if errors.Is(err, ivsquota.ErrGaveWay) {
		h.countSaved(savedBacklog)
		return h.publishUnenriched(ctx, ev, "", nil)
	}
	h.countCall(p)
	h.Throttles.Report(h.Metrics, suite.FunctionEnrich)
	switch {
	case err == nil:
		memoOf(ctx).put(id, out.StreamSession)
		return h.enriched(ctx, m, ev, out.StreamSession)
	case retryable.Code(err) == codeNotFound:
		if m.ReceiveCount < h.Cfg.MaxAttempts {
			return retryable.Later("the stream session is not visible in GetStreamSession yet", retryDelay(m.ReceiveCount), err)
		}
		note := fmt.Sprintf("GetStreamSession: %s after %d attempts", retryable.Describe(err), m.ReceiveCount)
		return h.publishUnenriched(ctx, ev, note, nil)
	case retryable.Is(err):
		return fmt.Errorf("get stream session %s %s: %w", ev.Channel, ev.StreamID(), err)
	default:
		// ValidationException and the like: retrying cannot help, the event still counts.
		return h.publishUnenriched(ctx, ev, "GetStreamSession: "+retryable.Describe(err), nil)
	}
}

// enriched publishes the record of a GetStreamSession answer, or asks for a later attempt when
// the event says the session ended and the answer has no endTime yet.
func (h *Handler) enriched(ctx context.Context, m batch.Message, ev *ivsevent.Event, ss *types.StreamSession) error {
	rec, err := session.FromStreamSession(ss, ev)
	if err != nil {
		// An answer that does not fit the event (another stream, no start time): the event alone.
		return h.publishUnenriched(ctx, ev, "GetStreamSession: unusable answer: "+err.Error(), nil)
	}
	if endsSession(ev) && ss.EndTime == nil {
		if m.ReceiveCount < h.Cfg.MaxAttempts {
			return retryable.Later("the session ended but GetStreamSession has no endTime yet", retryDelay(m.ReceiveCount), nil)
		}
		// The tracks and events are known; only the end time is missing. Publishing this
		// enriched record loses less than one built from the event alone.
		rec.EnrichmentNote = fmt.Sprintf("GetStreamSession had no endTime after %d attempts", m.ReceiveCount)
	}
	return h.publish(ctx, ev, rec, h.decide(ev, rec, ss))
}

// publishUnenriched publishes the record of the event alone, with note saying why (empty for
// an event that needs no call).
func (h *Handler) publishUnenriched(ctx context.Context, ev *ivsevent.Event, note string, ss *types.StreamSession) error {
	rec := session.FromEvent(ev, note)
	return h.publish(ctx, ev, rec, h.decide(ev, rec, ss))
}

// decide applies the correction policy (enrichment.Decide) with enrich's configuration.
func (h *Handler) decide(ev *ivsevent.Event, rec session.Record, ss *types.StreamSession) multitrack.Decision {
	return enrichment.Decide(ev, rec, ss, h.Cfg.Correction)
}

// publish puts the record and its decision on the suite's bus as one PutEvents entry.
func (h *Handler) publish(ctx context.Context, ev *ivsevent.Event, rec session.Record, d multitrack.Decision) error {
	// The policy looked at the session: the record shows what it decided. An apply waits for
	// the corrector's report (decided); the other actions are final here: no channel change
	// follows (unchanged), and they are counted as corrections by their action, as the corrector
	// counts its own. At is the event's time, so a redelivery gives the same record.
	enrichment.Annotate(&rec, d, ev.Time)
	if d.Action == multitrack.ActionUnverified {
		memoOf(ctx).unconfirm(ev.ID, d.Reason)
	}
	entry, dropped, err := suiteevent.EnrichedEntry(h.Cfg.EventBusName, session.Enriched{Record: rec, Decision: d, Trigger: session.TriggerOf(ev)})
	if err != nil {
		return err
	}
	if dropped > 0 {
		h.Log.WarnContext(ctx, "record trimmed to fit an EventBridge entry", keyEventID, ev.ID, keyDropped, dropped)
	}
	eventID, err := putevents.Publisher{Client: h.Bus}.Publish(ctx, entry)
	if err != nil {
		return err
	}
	if !ev.AccountLevel() {
		h.Metrics.Add(suite.MetricEnrichments, 1, metrics.Dim{Name: suite.DimensionEnriched, Value: strconv.FormatBool(rec.Enriched)})
	}
	if session.IsRefusal(ev.Code()) {
		h.Metrics.Add(suite.MetricRefusals, 1, metrics.Dim{Name: suite.DimensionCode, Value: ev.Code()})
	}
	if rec.Correction != nil && rec.Correction.Outcome == session.CorrectionUnchanged {
		h.Metrics.Add(suite.MetricCorrections, 1, metrics.Dim{Name: suite.DimensionOutcome, Value: string(d.Action)})
	}
	attrs := []any{keyEventID, ev.ID, keyDetailType, ev.DetailType, keyName, ev.Name(), keyRecord, rec,
		keyAction, string(d.Action), keyPublishedID, eventID}
	if c := ev.Code(); c != "" {
		attrs = append(attrs, keyCode, c)
	}
	if rec.EnrichmentNote != "" {
		attrs = append(attrs, keyNote, rec.EnrichmentNote)
	}
	if ev.ReplayName != "" {
		attrs = append(attrs, keyReplay, ev.ReplayName)
	}
	h.Log.InfoContext(ctx, "published enriched session", attrs...)
	return nil
}

// sessionOnly returns what an archived record knows of the session itself (start, tracks, end,
// events): what other functions added (the correction, the link to the next session, the
// quality, the write time) is theirs to publish.
func sessionOnly(rec session.Record) session.Record {
	rec.Correction, rec.NextSession, rec.Quality, rec.UpdatedAt = nil, nil, nil, time.Time{}
	return rec
}

// savedBacklog is the reason (metric StreamSessionCallsSaved) of a go-live call given up under a
// backlog.
const savedBacklog = "backlog"

// lagging reports whether message m waited in the queue longer than suite.LivePhaseMaxLag.
func (h *Handler) lagging(m batch.Message) bool {
	if m.Sent.IsZero() {
		return false
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	return now().Sub(m.Sent) > suite.LivePhaseMaxLag
}

// endsSession reports whether ev says its session ended, so that GetStreamSession should show
// an endTime.
func endsSession(ev *ivsevent.Event) bool {
	return ev.Name() == ivsevent.EventSessionEnded
}

// retryDelay is the wait asked for after the n-th delivery: retryBase doubled per delivery, at
// most retryCap.
func retryDelay(n int) time.Duration {
	return min(batch.Backoff(retryBase, n), retryCap)
}
