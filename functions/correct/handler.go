package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/lease"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// channelGetter reads a channel, with its tags (GetChannel returns them; no
// ListTagsForResource call is needed).
type channelGetter interface {
	GetChannel(ctx context.Context, in *ivs.GetChannelInput, optFns ...func(*ivs.Options)) (*ivs.GetChannelOutput, error)
}

// streamGetter tells a live channel from an offline one (ChannelNotBroadcasting).
type streamGetter interface {
	GetStream(ctx context.Context, in *ivs.GetStreamInput, optFns ...func(*ivs.Options)) (*ivs.GetStreamOutput, error)
}

// channelUpdater is the one IVS write the corrector makes.
type channelUpdater interface {
	UpdateChannel(ctx context.Context, in *ivs.UpdateChannelInput, optFns ...func(*ivs.Options)) (*ivs.UpdateChannelOutput, error)
}

// channelLocker takes a channel's lease, so that one delivery at a time corrects it.
type channelLocker interface {
	Acquire(ctx context.Context, key, owner string) (*lease.Lease, error)
}

// messageSender sends a correction given up on to the function's dead-letter queue.
type messageSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var (
	_ channelGetter  = (*ivs.Client)(nil)
	_ streamGetter   = (*ivs.Client)(nil)
	_ channelUpdater = (*ivs.Client)(nil)
	_ channelLocker  = (*lease.Locker)(nil)
	_ messageSender  = (*sqs.Client)(nil)
)

// Log attribute keys.
const (
	keyChannelARN   = "channelArn"
	keyStreamID     = "streamId"
	keyCode         = "code"
	keyAction       = "action"
	keyOutcome      = "outcome"
	keyDetail       = "detail"
	keyReceiveCount = "receiveCount"
	keyVisibility   = "visibilitySeconds"
	keyLease        = "lease"
	keyHolder       = "holder"
	keyExpires      = "expires"
	keyReplay       = "replayName"
	keyMessageID    = suite.LogKeyMessageID
	keyErr          = suite.LogKeyErr
)

// releaseTimeout bounds the release of a lease, which runs even when the invocation's context
// has ended (batch.Reserve leaves the time for it).
const releaseTimeout = time.Second

// Codes of the IVS errors the corrector acts on, from the SDK's typed errors.
var (
	codeNotFound        = (*types.ResourceNotFoundException)(nil).ErrorCode()
	codeNotBroadcasting = (*types.ChannelNotBroadcasting)(nil).ErrorCode()
	codeConflict        = (*types.ConflictException)(nil).ErrorCode()
)

// Handler corrects the channel of one enriched session per message. Its fields are set once in
// main (or a test) and only read afterwards; Handle is safe for concurrent use.
type Handler struct {
	Sessions streamSessionGetter // GetStreamSession: IVS confirms the refusal (verify.go)
	Channels channelGetter       // GetChannel
	Streams  streamGetter        // GetStream
	Updater  channelUpdater      // UpdateChannel
	Events   putevents.Putter    // PutEvents on Cfg.EventBusName
	// Locks holds each channel's lease (a lease.Locker on Cfg.LockBucket) while it is corrected.
	Locks channelLocker
	// Intents reads and writes the sessions' intent records in Cfg.LockBucket (intentRecord).
	Intents s3doc.API
	// DeadLetters sends a correction given up on to Cfg.DeadLetterQueueURL (SendMessage).
	DeadLetters messageSender

	Cfg     Config
	Log     *slog.Logger
	Metrics *metrics.Recorder

	// Throttles paces the IVS client and reports its throttles as IVSThrottles{Function=correct}.
	// Nil: not reported.
	Throttles *ivsquota.Pacer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// job is a validated "IVS Session Enriched" event.
type job struct {
	eventTime time.Time
	queueARN  string // the queue the message came from; "" for a bare event
	replay    string // the replay the event comes from (suiteevent.Event.Replay): its own or its trigger's
	enriched  session.Enriched
	id        session.Identity // the session's, parsed once from the record's channel ARN and stream ID
	arn       string           // its channel ARN
	code      string           // the code the decision is made for
}

// Handle corrects the channel of the enriched session in m.Body. It returns nil when the
// message is done (a correction was published; one given up on was also sent to the dead-letter
// queue), a transient error (retryable.Is) when the message must come back (a live channel,
// another delivery correcting the channel, throttling, 5xx, a publication that failed), and a
// permanent error for a message that is not an enriched session with an apply decision, whose
// envelope does not fit its record, or whose refusal IVS does not confirm (*UnverifiedError).
//
// The steps: the envelope is checked against the record and the queue (checkEnvelope); an
// event of a replay (its replay-name, or the replay mark enrich carried over from the IVS event
// it was made from) is acknowledged without touching the channel; take the channel's lease
// (held by another delivery: try again in a few seconds); IVS confirms the refusal (confirm:
// GetStreamSession; not confirmed: rejected, the channel neither read nor changed); GetChannel; the
// policy decides again on the channel as it is now; dry-run: publish "dry-run"; read the
// session's intent record and follow nextStep (a change already made is published "applied"
// from the record; one made and changed back since is never made again); past the trigger's
// maximum age: give up (giveUp); GetStream (live: wait); write the intent; UpdateChannel
// (ConflictException: wait; ValidationException and other permanent errors: publish "failed"
// and dead-letter); record and publish "applied"; release the lease, whatever the outcome.
func (h *Handler) Handle(ctx context.Context, m batch.Message) error {
	defer h.Throttles.Report(h.Metrics, suite.FunctionCorrect)
	j, err := parse(m.Body, m.QueueARN)
	if err != nil {
		return err
	}
	if h.Cfg.Fleet.Enabled() {
		// A fleet's corrector changes channels of the fleet's accounts and regions only, each
		// in its own region (fleet.IVS): another's is rejected before any call.
		arn, _ := ivsevent.ParseChannelARN(j.enriched.Record.ChannelARN) // parse checked it
		if err := h.Cfg.Fleet.CheckCovers(h.Cfg.Account, arn.Account, arn.Region); err != nil {
			return fmt.Errorf("detail.record.channelArn: a channel outside the fleet: %w", err)
		}
	}
	return h.correct(ctx, m, j)
}

// parse validates the envelope and the detail, and the envelope against the record and the
// queue it came from (checkEnvelope). Errors are *invalid.FieldError (permanent).
func parse(body []byte, queueARN string) (job, error) {
	ev, err := suiteevent.Decode(body)
	if err != nil {
		return job{}, err
	}
	if ev.Enriched == nil {
		return job{}, &invalid.FieldError{Field: "detail-type", Want: fmt.Sprintf("%q", suite.DetailTypeSessionEnriched), Got: ev.DetailType, Err: invalid.ErrUnknown}
	}
	j := job{eventTime: ev.Time, replay: ev.Replay(), enriched: *ev.Enriched}
	d, r := j.enriched.Decision, j.enriched.Record
	if d.Action != multitrack.ActionApply {
		return job{}, &invalid.FieldError{Field: "detail.decision.action", Want: `"apply" (the CorrectionsNeeded rule routes only those)`, Got: string(d.Action)}
	}
	arn, err := ivsevent.ParseChannelARN(r.ChannelARN)
	if err != nil {
		return job{}, &invalid.FieldError{Field: "detail.record.channelArn", Want: "an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)", Got: r.ChannelARN}
	}
	if err := ivsevent.CheckStreamID("detail.record.streamId", r.StreamID); err != nil {
		return job{}, err
	}
	if err := r.Validate(); err != nil {
		return job{}, fmt.Errorf("detail.record: %w", err)
	}
	if err := checkEnvelope(ev, r.ChannelARN, queueARN); err != nil {
		return job{}, err
	}
	j.queueARN = queueARN
	if j.id, err = session.IdentityOf(arn, r.StreamID); err != nil {
		return job{}, &invalid.FieldError{Field: "detail.record.channelArn", Want: "an IVS channel ARN whose identity makes keys", Got: r.ChannelARN, Err: err}
	}
	j.arn = arn.String()
	j.code = d.Code
	if j.code == "" {
		j.code = r.Code
	}
	return j, nil
}

// correct corrects the channel of job j, phase by phase: an event the channel is not touched
// for (skip), the channel's lease (lock), IVS's confirmation of the refusal (confirm), the
// channel read and the policy's decision on it (decide), a dry run, then the session's intent
// record (resume), and the change itself (apply).
func (h *Handler) correct(ctx context.Context, m batch.Message, j job) error {
	rec := &j.enriched.Record
	c := session.Corrected{ChannelARN: j.arn, StreamID: rec.StreamID, SessionKey: rec.Key(), Trigger: j.enriched.Trigger}
	in := multitrack.Input{Code: j.code, TopVideoHeight: rec.TopVideoHeight()}
	if done, err := h.skip(ctx, j, c, in); done {
		return err
	}
	// The lease first: a delivery that finds it held comes back without spending a call.
	release, err := h.lock(ctx, m, j)
	if err != nil {
		return err
	}
	defer release()
	// Nothing is acted on that IVS does not confirm: the message may not be the suite's.
	refusedAt, err := h.confirm(ctx, j)
	if err != nil {
		return err
	}

	ch, d, err := h.decide(ctx, m, j, &c, in)
	if err != nil || d.Action == "" {
		return err
	}
	if d.Action == multitrack.ActionApply && d.DryRun {
		after := multitrack.Apply(ch, *d.Change)
		c.After = session.ChannelOf(&after)
		return h.publish(ctx, c, session.CorrectionDryRun, d, "correction mode dry-run: UpdateChannel was not called", h.now())
	}
	ikey, err := session.IntentKey(j.id)
	if err != nil {
		return err
	}
	if done, err := h.resume(ctx, m, c, ch, d, ikey); done {
		return err
	}
	return h.apply(ctx, m, j, c, ch, d, ikey, refusedAt)
}

// skip handles the events that never touch the channel: a replay of the suite's archive, and
// every event when the policy is off. done reports that the message is handled (err says how).
func (h *Handler) skip(ctx context.Context, j job, c session.Corrected, in multitrack.Input) (done bool, err error) {
	cfg := h.Cfg.Correction
	switch {
	case j.replay != "":
		// A replay rebuilds the archive (of the suite's bus: the archive function receives the
		// replayed corrections too; of IVS's events: enrich publishes them marked as replayed);
		// it never changes a channel, which a person may have changed since, and never gives up
		// on an old trigger (a "failed" correction would page a person once per replayed refusal).
		h.Metrics.Add(suite.MetricCorrections, 1, metrics.Dim{Name: suite.DimensionOutcome, Value: outcomeReplay})
		h.Log.InfoContext(ctx, "replayed event: no channel is touched", keyChannelARN, j.arn, keyStreamID, j.id.StreamID, keyReplay, j.replay)
		return true, nil
	case cfg.Mode == multitrack.ModeOff:
		// The policy skips every session without looking at the channel: spare the IVS quota.
		// Even "unchanged" is published only for a refusal IVS confirms.
		if _, err := h.confirm(ctx, j); err != nil {
			return true, err
		}
		d := multitrack.Decide(in, cfg)
		return true, h.publish(ctx, c, session.CorrectionUnchanged, d, d.Reason, h.now())
	}
	return false, nil
}

// decide reads the channel (GetChannel) and has the policy decide again on it as it is now;
// c.Before is the channel read. A channel gone fails the correction for good: the returned
// decision is then empty and err is the failure's outcome.
func (h *Handler) decide(ctx context.Context, m batch.Message, j job, c *session.Corrected, in multitrack.Input) (types.Channel, multitrack.Decision, error) {
	out, err := h.Channels.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(j.arn)})
	switch {
	case retryable.Code(err) == codeNotFound:
		return types.Channel{}, multitrack.Decision{}, h.fail(ctx, m, *c, j.enriched.Decision, "the channel no longer exists (GetChannel: ResourceNotFoundException)")
	case err != nil:
		return types.Channel{}, multitrack.Decision{}, fmt.Errorf("get channel %s: %w", j.arn, err)
	case out.Channel == nil:
		return types.Channel{}, multitrack.Decision{}, retryable.Later("get channel "+j.arn+": the response has no channel", 0, nil)
	}
	ch := *out.Channel
	in.Channel, in.Tags = ch, ch.Tags
	c.Before = session.ChannelOf(&ch)
	return ch, multitrack.Decide(in, h.Cfg.Correction), nil
}

// resume follows the session's intent record (nextStep): a change already made is published
// "applied" from the record; one made and changed back since is never made again; a decision
// with nothing to change is published "unchanged". done is false when the change is to be
// made (apply).
func (h *Handler) resume(ctx context.Context, m batch.Message, c session.Corrected, ch types.Channel, d multitrack.Decision, ikey string) (done bool, err error) {
	intent, err := h.readIntent(ctx, ikey)
	if err != nil {
		return true, retryable.Own(fmt.Errorf("read the intent of %s: %w", c.ChannelARN, err))
	}
	switch nextStep(intent.State, d.Action) {
	case stepDone:
		h.Log.InfoContext(ctx, "correction already applied and published", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID, keyMessageID, m.ID)
		return true, nil
	case stepLeave:
		h.Metrics.Add(suite.MetricCorrections, 1, metrics.Dim{Name: suite.DimensionOutcome, Value: outcomeReverted})
		h.Log.WarnContext(ctx, "the suite applied this correction and the channel was changed since: not applied again",
			keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID, keyMessageID, m.ID, keyDetail, d.Reason)
		return true, nil
	case stepRecover:
		return true, h.recover(ctx, c, ch, intent, ikey)
	case stepDeadLetter:
		// Published failed already; its send to the dead-letter queue failed.
		return true, h.deadLettered(ctx, m, c, intent.Decision, cmp.Or(intent.Reason, "correction failed"))
	case stepUnchanged:
		// A duplicate or a redelivery after the change, another writer, an opt-out tag added
		// since, or a permission withdrawn: nothing to call.
		c.After = c.Before
		return true, h.publish(ctx, c, session.CorrectionUnchanged, d, d.Reason, h.now())
	}
	return false, nil
}

// apply makes the change: past the trigger's maximum age, counted from when IVS says the
// refusal happened (refusedAt, else the trigger's time), it gives up (giveUp); a live channel
// waits (GetStream); else it writes the intent, calls UpdateChannel (ConflictException: wait;
// ValidationException and other permanent errors: publish "failed" and dead-letter), records
// the change and publishes "applied".
func (h *Handler) apply(ctx context.Context, m batch.Message, j job, c session.Corrected, ch types.Channel, d multitrack.Decision, ikey string, refusedAt time.Time) error {
	// Fresh from when IVS says the refusal happened, not from a time the message claims.
	f := freshnessOf(firstNonZero(refusedAt, j.enriched.Trigger.Time), j.eventTime, m.Sent, h.now(), h.Cfg.MaxAge)
	if f.expired(h.now()) {
		if intent, err := h.readIntent(ctx, ikey); err == nil && intent.State == intentFailed {
			// Given up on already (a duplicate of its trigger): on record and dead-lettered.
			h.Log.InfoContext(ctx, "correction already given up on", keyChannelARN, j.arn, keyStreamID, j.id.StreamID, keyMessageID, m.ID)
			return nil
		}
		return h.giveUp(ctx, m, c, d, f)
	}
	live, err := h.live(ctx, j.arn)
	switch {
	case retryable.Code(err) == codeNotFound:
		return h.fail(ctx, m, c, d, "the channel no longer exists (GetStream: ResourceNotFoundException)")
	case err != nil:
		return err
	case live:
		return h.wait(ctx, m, c, f, "the channel is live")
	}

	change := *d.Change
	if err := h.writeIntent(ctx, ikey, intentRecord{State: intentPending, Owner: m.ID, Decision: d, Before: c.Before, At: h.now().UTC()}); err != nil {
		return retryable.Own(fmt.Errorf("write the intent of %s: %w", j.arn, err))
	}
	upd, err := h.Updater.UpdateChannel(ctx, change.UpdateChannelInput(j.arn), change.ClientOptions()...)
	switch {
	case retryable.Code(err) == codeConflict:
		return h.wait(ctx, m, c, f, "the channel went live again (UpdateChannel: ConflictException)")
	case err != nil && retryable.Is(err):
		return fmt.Errorf("update channel %s: %w", j.arn, err)
	case err != nil:
		// ValidationException, PendingVerification, ResourceNotFoundException: a retry cannot
		// fix it; a person can, then redrive the message.
		return h.fail(ctx, m, c, d, "UpdateChannel: "+retryable.Describe(err))
	}
	after := multitrack.Apply(ch, change)
	if upd != nil && upd.Channel != nil {
		after = *upd.Channel
	}
	c.After = session.ChannelOf(&after)
	applied := intentRecord{State: intentApplied, Owner: m.ID, Decision: d, Before: c.Before, After: c.After, At: h.now().UTC()}
	if err := h.writeIntent(ctx, ikey, applied); err != nil {
		// The pending record stands: a redelivery finds the channel changed and recovers.
		h.Log.WarnContext(ctx, "the applied correction was not recorded; a redelivery recovers it", keyChannelARN, j.arn, keyErr, err)
	}
	return h.recover(ctx, c, after, applied, ikey)
}

// detailApplied is the detail of an applied correction, the same for its first publication and
// any recovery from its intent record, so the archive keeps one object.
const detailApplied = "UpdateChannel made the change"

// recover publishes "applied" from the session's intent record (an applied one: exactly the
// correction published when the call succeeded; a pending one whose change is on the channel,
// ch: that channel as after) and marks the record published.
func (h *Handler) recover(ctx context.Context, c session.Corrected, ch types.Channel, rec intentRecord, key string) error {
	if rec.Before != nil {
		c.Before = rec.Before
	}
	c.After = rec.After
	if c.After == nil {
		c.After = session.ChannelOf(&ch)
	}
	at := rec.At
	if at.IsZero() {
		at = h.now()
	}
	if err := h.publish(ctx, c, session.CorrectionApplied, rec.Decision, detailApplied, at); err != nil {
		return err
	}
	rec.State, rec.After, rec.At = intentPublished, c.After, at
	if err := h.writeIntent(ctx, key, rec); err != nil {
		h.Log.WarnContext(ctx, "the published correction was not recorded; a duplicate publishes it again", keyChannelARN, c.ChannelARN, keyErr, err)
	}
	return nil
}

// fail ends a correction that failed for good (failed): a person fixes the cause and redrives
// the message.
func (h *Handler) fail(ctx context.Context, m batch.Message, c session.Corrected, d multitrack.Decision, detail string) error {
	return h.failed(ctx, m, c, d, detail, "correction failed: "+detail, h.now())
}

// recordIntent writes rec, a failed correction's state, as the session's intent record (owned
// by the message, dated now, with the channel before). A write that fails is logged: a later
// delivery then decides on the channel as it finds it, as before the record.
func (h *Handler) recordIntent(ctx context.Context, m batch.Message, c session.Corrected, rec intentRecord) {
	var key string
	arn, err := ivsevent.ParseChannelARN(c.ChannelARN)
	if err == nil {
		var id session.Identity
		if id, err = session.IdentityOf(arn, c.StreamID); err == nil {
			key, err = session.IntentKey(id)
		}
	}
	if err == nil {
		rec.Owner, rec.Before, rec.At = m.ID, c.Before, h.now().UTC()
		err = h.writeIntent(ctx, key, rec)
	}
	if err != nil {
		h.Log.WarnContext(ctx, "the failed correction was not recorded in its intent record", keyChannelARN, c.ChannelARN, keyOutcome, string(rec.State), keyErr, err)
	}
}

// lock takes the channel's lease for the message, or returns a transient error: a
// retryable.Later of Cfg.LeaseRetryDelay when another delivery holds it (two refused sessions of one
// channel, as an encoder's reconnects produce, corrected by concurrent invocations), the
// queue's default wait when S3 cannot tell. The function it returns releases the lease; a
// release that fails is logged, and the lease lapses after Cfg.LeaseTTL.
//
// Without the lease, two deliveries could both read the channel before either changed it, and
// both call UpdateChannel; with it, the second reads the channel the first corrected.
func (h *Handler) lock(ctx context.Context, m batch.Message, j job) (func(), error) {
	arn := j.arn
	key, err := session.LockKey(j.id.ChannelARN())
	if err != nil {
		return nil, err
	}
	le, err := h.Locks.Acquire(ctx, key, m.ID)
	var held *lease.HeldError
	switch {
	case errors.As(err, &held):
		h.Log.InfoContext(ctx, "another correction of this channel is in progress", keyChannelARN, arn, keyLease, key,
			keyHolder, held.Owner, keyExpires, held.Expires)
		return nil, retryable.Later("another correction of this channel is in progress", h.Cfg.LeaseRetryDelay, err)
	case err != nil:
		return nil, retryable.Own(fmt.Errorf("take the lease of %s: %w", arn, err))
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := le.Release(rctx); err != nil {
			h.Log.WarnContext(ctx, "the channel's lease was not released; it lapses on its own", keyChannelARN, arn, keyLease, key,
				keyExpires, le.Expires, keyErr, err)
		}
	}, nil
}

// live reports whether the channel has a live stream: GetStream answers ChannelNotBroadcasting
// when it has none (the API advises not to rely on state OFFLINE, but honours it).
func (h *Handler) live(ctx context.Context, arn string) (bool, error) {
	out, err := h.Streams.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	switch {
	case retryable.Code(err) == codeNotBroadcasting:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get stream %s: %w", arn, err)
	case out.Stream != nil && out.Stream.State == types.StreamStateStreamOffline:
		return false, nil
	}
	return true, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
