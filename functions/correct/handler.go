package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/lease"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
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

// eventPutter publishes the corrections on the suite's bus.
type eventPutter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
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
	_ eventPutter    = (*eventbridge.Client)(nil)
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
	keyMessageID    = batch.KeyMessageID
	keyErr          = batch.KeyErr
)

// reasonAttribute is the message attribute that says why a message was sent to the dead-letter
// queue.
const reasonAttribute = "reason"

// leaseRetryDelay is the wait of a message whose channel another delivery is correcting: that
// correction takes a few calls, never a wait for the channel (which goes through the queue).
const leaseRetryDelay = 5 * time.Second

// releaseTimeout bounds the release of a lease, which runs even when the invocation's context
// has ended (batch.Reserve leaves the time for it).
const releaseTimeout = time.Second

// Codes of the IVS errors the corrector acts on, from the SDK's typed errors.
var (
	codeNotFound        = (*types.ResourceNotFoundException)(nil).ErrorCode()
	codeNotBroadcasting = (*types.ChannelNotBroadcasting)(nil).ErrorCode()
	codeConflict        = (*types.ConflictException)(nil).ErrorCode()
)

// publishAttempts is how many times a PutEvents entry that EventBridge refuses (FailedEntryCount)
// is sent before the message is left for redelivery; the SDK retries failed calls itself.
const publishAttempts = 3

// publishBackoff is the wait before the second attempt; it doubles for each later one.
var publishBackoff = 100 * time.Millisecond

// Handler corrects the channel of one enriched session per message. Its fields are set once in
// main (or a test) and only read afterwards; Handle is safe for concurrent use.
type Handler struct {
	Channels channelGetter  // GetChannel
	Streams  streamGetter   // GetStream
	Updater  channelUpdater // UpdateChannel
	Events   eventPutter    // PutEvents on Cfg.EventBusName
	// Locks holds each channel's lease (a lease.Locker on Cfg.LockBucket) while it is corrected.
	Locks channelLocker
	// DeadLetters sends a correction given up on to Cfg.DeadLetterQueueURL (SendMessage).
	DeadLetters messageSender

	Cfg     Config
	Log     *slog.Logger
	Metrics *metrics.Recorder

	// Throttles returns how many IVS attempts were throttled so far (ivsquota.Pacer.Throttles);
	// the increase is reported as IVSThrottles{Function=correct}. Nil: not reported.
	Throttles func() int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	reported int64 // throttles already reported
}

// job is a validated "IVS Session Enriched" event.
type job struct {
	eventTime time.Time
	enriched  session.Enriched
	code      string // the code the decision is made for
}

// Handle corrects the channel of the enriched session in m.Body. It returns nil when the
// message is done (a correction was published; one given up on was also sent to the dead-letter
// queue), a transient error (retryable.Is) when the message must come back (a live channel,
// another delivery correcting the channel, throttling, 5xx, a publication that failed), and a
// permanent error for a message that is not an enriched session with an apply decision.
//
// The steps: take the channel's lease (held by another delivery: try again in a few seconds);
// GetChannel; the policy decides again on the channel as it is now (not apply: publish
// "unchanged"); dry-run: publish "dry-run"; GetStream (live: wait); UpdateChannel
// (ConflictException: wait; ValidationException and other permanent errors: publish "failed");
// publish "applied"; release the lease, whatever the outcome.
func (h *Handler) Handle(ctx context.Context, m batch.Message) error {
	defer h.reportThrottles()
	j, err := parse(m.Body)
	if err != nil {
		return err
	}
	return h.correct(ctx, m, j)
}

// parse validates the envelope and the detail. Errors are *ivsevent.FieldError (permanent).
func parse(body []byte) (job, error) {
	var env struct {
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Time       time.Time       `json:"time"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return job{}, &ivsevent.FieldError{Want: "an EventBridge event as JSON", Got: abbreviate(body), Err: err}
	}
	if env.Source != suite.EventSource {
		return job{}, &ivsevent.FieldError{Field: "source", Want: suite.EventSource, Got: env.Source, Err: ivsevent.ErrUnknown}
	}
	if env.DetailType != suite.DetailTypeSessionEnriched {
		return job{}, &ivsevent.FieldError{Field: "detail-type", Want: suite.DetailTypeSessionEnriched, Got: env.DetailType, Err: ivsevent.ErrUnknown}
	}
	j := job{eventTime: env.Time}
	if err := json.Unmarshal(env.Detail, &j.enriched); err != nil {
		return job{}, &ivsevent.FieldError{Field: "detail", Want: "an enriched session (record, decision, trigger)", Got: abbreviate(env.Detail), Err: err}
	}
	d, r := j.enriched.Decision, j.enriched.Record
	if d.Action != multitrack.ActionApply {
		return job{}, &ivsevent.FieldError{Field: "detail.decision.action", Want: `"apply" (the CorrectionsNeeded rule routes only those)`, Got: string(d.Action)}
	}
	if _, err := ivsevent.ParseChannelARN(r.ChannelARN); err != nil {
		return job{}, &ivsevent.FieldError{Field: "detail.record.channelArn", Want: "an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)", Got: r.ChannelARN}
	}
	if err := ivsevent.CheckStreamID("detail.record.streamId", r.StreamID); err != nil {
		return job{}, err
	}
	j.code = d.Code
	if j.code == "" {
		j.code = r.Code
	}
	return j, nil
}

func (h *Handler) correct(ctx context.Context, m batch.Message, j job) error {
	rec := &j.enriched.Record
	arn := rec.ChannelARN
	c := session.Corrected{ChannelARN: arn, StreamID: rec.StreamID, SessionKey: rec.Key(), Trigger: j.enriched.Trigger}
	cfg := h.Cfg.Correction
	in := multitrack.Input{Code: j.code, TopVideoHeight: rec.TopVideoHeight()}

	if cfg.Mode == multitrack.ModeOff {
		// The policy skips every session without looking at the channel: spare the IVS quota.
		d := multitrack.Decide(in, cfg)
		return h.publish(ctx, c, session.CorrectionUnchanged, d, d.Reason, h.now())
	}

	release, err := h.lock(ctx, m, arn)
	if err != nil {
		return err
	}
	defer release()

	out, err := h.Channels.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
	switch {
	case isCode(err, codeNotFound):
		return h.publish(ctx, c, session.CorrectionFailed, j.enriched.Decision, "the channel no longer exists (GetChannel: ResourceNotFoundException)", h.now())
	case err != nil:
		return fmt.Errorf("get channel %s: %w", arn, err)
	case out.Channel == nil:
		return retryable.Later("get channel "+arn+": the response has no channel", 0, nil)
	}
	ch := *out.Channel
	in.Channel, in.Tags = ch, ch.Tags
	d := multitrack.Decide(in, cfg)
	c.Before = session.ChannelOf(&ch)

	if d.Action != multitrack.ActionApply {
		// A duplicate or a redelivery after the change, another writer, an opt-out tag added
		// since, or a permission withdrawn: nothing to call.
		c.After = c.Before
		return h.publish(ctx, c, session.CorrectionUnchanged, d, d.Reason, h.now())
	}
	change := *d.Change
	if d.DryRun {
		after := multitrack.Apply(ch, change)
		c.After = session.ChannelOf(&after)
		return h.publish(ctx, c, session.CorrectionDryRun, d, "correction mode dry-run: UpdateChannel was not called", h.now())
	}

	live, err := h.live(ctx, arn)
	switch {
	case isCode(err, codeNotFound):
		return h.publish(ctx, c, session.CorrectionFailed, d, "the channel no longer exists (GetStream: ResourceNotFoundException)", h.now())
	case err != nil:
		return err
	case live:
		return h.wait(ctx, m, j, c, d, "the channel is live")
	}

	upd, err := h.Updater.UpdateChannel(ctx, change.UpdateChannelInput(arn), change.ClientOptions()...)
	switch {
	case isCode(err, codeConflict):
		return h.wait(ctx, m, j, c, d, "the channel went live again (UpdateChannel: ConflictException)")
	case err != nil && retryable.Is(err):
		return fmt.Errorf("update channel %s: %w", arn, err)
	case err != nil:
		// ValidationException, PendingVerification, ResourceNotFoundException: a retry cannot
		// fix it. Published and counted as failed, then acknowledged.
		return h.publish(ctx, c, session.CorrectionFailed, d, "UpdateChannel: "+exceptionMessage(err), h.now())
	}
	after := multitrack.Apply(ch, change)
	if upd != nil && upd.Channel != nil {
		after = *upd.Channel
	}
	c.After = session.ChannelOf(&after)
	return h.publish(ctx, c, session.CorrectionApplied, d, "UpdateChannel made the change", h.now())
}

// lock takes the channel's lease for the message, or returns a transient error: a
// retryable.Later of leaseRetryDelay when another delivery holds it (two refused sessions of one
// channel, as an encoder's reconnects produce, corrected by concurrent invocations), the
// queue's default wait when S3 cannot tell. The function it returns releases the lease; a
// release that fails is logged, and the lease lapses after Cfg.LeaseTTL.
//
// Without the lease, two deliveries could both read the channel before either changed it, and
// both call UpdateChannel; with it, the second reads the channel the first corrected.
func (h *Handler) lock(ctx context.Context, m batch.Message, arn string) (func(), error) {
	key, err := lockKey(arn)
	if err != nil {
		return nil, err
	}
	le, err := h.Locks.Acquire(ctx, key, m.ID)
	var held *lease.HeldError
	switch {
	case errors.As(err, &held):
		h.Log.InfoContext(ctx, "another correction of this channel is in progress", keyChannelARN, arn, keyLease, key,
			keyHolder, held.Owner, keyExpires, held.Expires)
		return nil, retryable.Later("another correction of this channel is in progress", leaseRetryDelay, err)
	case err != nil:
		return nil, retryable.Later("take the lease of "+arn, 0, err)
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

// lockKey returns the key of the channel's lease: locks/channel=<channel id>.json.
func lockKey(channelARN string) (string, error) {
	a, err := ivsevent.ParseChannelARN(channelARN)
	if err != nil {
		return "", fmt.Errorf("lease of %s: %w", channelARN, err)
	}
	return session.LockKeyPrefix + "channel=" + a.ID + ".json", nil
}

// live reports whether the channel has a live stream: GetStream answers ChannelNotBroadcasting
// when it has none (the API advises not to rely on state OFFLINE, but honours it).
func (h *Handler) live(ctx context.Context, arn string) (bool, error) {
	out, err := h.Streams.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	switch {
	case isCode(err, codeNotBroadcasting):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get stream %s: %w", arn, err)
	case out.Stream != nil && out.Stream.State == types.StreamStateStreamOffline:
		return false, nil
	}
	return true, nil
}

// wait returns the message to its queue until the channel is offline.
//
// Before CORRECTION_MAX_AGE has passed since the message was sent (a bare event: since its
// trigger), the message's visibility timeout is set to liveWait: the time waited so far, at
// least RetryDelay, at most batch.MaxWait and never past the maximum age. A retryable.Later
// error makes it a batch item failure: SQS delivers it again after that time. (batch.Processor
// sets the visibility timeout from the error's wait.)
//
// After that, the correction is given up on, once: a "failed" outcome is published, the message
// is sent to the function's dead-letter queue with the reason (reasonAttribute), whose alarm
// tells a person, and it is acknowledged; Corrections{Outcome=failed} is counted then, once
// the send succeeded. If the publication or the send fails, the error is transient and the
// message comes back to try both again: nothing is lost, nothing is counted twice, and the
// failed outcome published again is identical (its time, Correction.At, is the moment of
// expiry, and its detail does not depend on the receive), so the archive keeps one object
// (session.Corrected.Key). It is published before the send so that the archive has it even
// while the send keeps failing.
func (h *Handler) wait(ctx context.Context, m batch.Message, j job, c session.Corrected, d multitrack.Decision, why string) error {
	now := h.now()
	start := firstNonZero(m.Sent, j.enriched.Trigger.Time, j.eventTime, now)
	deadline := start.Add(h.Cfg.MaxAge)
	if !now.Before(deadline) {
		c.After = c.Before
		detail := fmt.Sprintf("channel stayed live for more than %s (%s) after the correction was queued at %s: given up, the message goes to the dead-letter queue",
			h.Cfg.MaxAge, suite.EnvCorrectionMaxAge, start.UTC().Format(time.RFC3339))
		posted, err := h.post(ctx, c, session.CorrectionFailed, d, detail, deadline)
		if err != nil {
			return err
		}
		reason := "correction expired: " + why + ": " + detail
		if err := h.deadLetter(ctx, m, reason); err != nil {
			return retryable.Later("send the expired correction of "+c.ChannelARN+" to the dead-letter queue", 0, err)
		}
		h.count(ctx, posted)
		h.Log.WarnContext(ctx, "correction given up on, sent to the dead-letter queue", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID,
			keyMessageID, m.ID, keyReceiveCount, m.ReceiveCount, keyDetail, reason)
		return nil
	}
	delay := liveWait(h.Cfg.RetryDelay, now.Sub(start), deadline.Sub(now))
	h.Log.InfoContext(ctx, "waiting for the channel to go offline", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID,
		keyReceiveCount, m.ReceiveCount, keyVisibility, batch.VisibilitySeconds(delay), keyDetail, why)
	return retryable.Later(why, delay, nil)
}

// liveWait returns the next wait of a correction whose channel is live, given how long it has
// waited since it was queued (elapsed) and the time left before its maximum age (left): elapsed,
// at least retryDelay, at most batch.MaxWait, and at most left. Without contention the waits
// grow geometrically (retryDelay, retryDelay, 2×, 4×...: each about the time already waited).
//
// The wait is based on time, not on the receive count: receives also grow for reasons that are
// not waits for the channel (a lease held by another delivery, throttling, 5xx), and a
// count-based backoff would turn a dozen such receives into a first wait of hours.
func liveWait(retryDelay, elapsed, left time.Duration) time.Duration {
	return min(max(elapsed, retryDelay), batch.MaxWait, left)
}

// deadLetter sends the message's body, unchanged (so that a redrive to the source queue works),
// to the function's dead-letter queue with the reason as reasonAttribute.
func (h *Handler) deadLetter(ctx context.Context, m batch.Message, reason string) error {
	_, err := h.DeadLetters.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(h.Cfg.DeadLetterQueueURL),
		MessageBody: aws.String(string(m.Body)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			reasonAttribute: {DataType: aws.String("String"), StringValue: aws.String(redact.Scrub(reason))},
		},
	})
	if err != nil {
		return fmt.Errorf("send message %s to %s: %w", m.ID, h.Cfg.DeadLetterQueueURL, err)
	}
	return nil
}

// publish puts the correction on the suite's bus, counts it and logs it (post, then count). It
// returns a transient error when the event could not be published, so the message comes back
// (and, if it never can be, ends in the dead-letter queue) instead of the correction going
// unreported.
//
// A residual case: when UpdateChannel succeeded and every publication of "applied" failed, the
// redelivery finds the channel already corrected and publishes "unchanged".
func (h *Handler) publish(ctx context.Context, c session.Corrected, outcome session.CorrectionOutcome, d multitrack.Decision, detail string, at time.Time) error {
	posted, err := h.post(ctx, c, outcome, d, detail, at)
	if err != nil {
		return err
	}
	h.count(ctx, posted)
	return nil
}

// post puts the correction on the suite's bus, without counting it, and returns it as
// published. Its errors are transient (see publish).
func (h *Handler) post(ctx context.Context, c session.Corrected, outcome session.CorrectionOutcome, d multitrack.Decision, detail string, at time.Time) (session.Corrected, error) {
	c.Correction = session.Correction{Decision: d, Outcome: outcome, At: at.UTC(), Detail: redact.Scrub(detail)}
	body, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("encode correction of %s: %w", c.ChannelARN, err)
	}
	in := &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(h.Cfg.EventBusName),
		Source:       aws.String(suite.EventSource),
		DetailType:   aws.String(suite.DetailTypeChannelCorrected),
		Detail:       aws.String(string(body)),
		Resources:    []string{c.ChannelARN},
	}}}
	if err := h.put(ctx, in); err != nil {
		return c, retryable.Later("publish the correction of "+c.ChannelARN, 0, err)
	}
	return c, nil
}

// count adds a published correction to Corrections and logs it; it runs once per message done.
func (h *Handler) count(ctx context.Context, c session.Corrected) {
	d, outcome := c.Correction.Decision, c.Correction.Outcome
	h.Metrics.Add(suite.MetricCorrections, 1, metrics.Dim{Name: suite.DimensionOutcome, Value: metricOutcome(outcome, d)})
	level := slog.LevelInfo
	if outcome == session.CorrectionFailed {
		level = slog.LevelError
	}
	h.Log.Log(ctx, level, "correction", keyChannelARN, c.ChannelARN, keyStreamID, c.StreamID, keyCode, d.Code,
		keyAction, string(d.Action), keyOutcome, string(outcome), keyDetail, c.Correction.Detail)
}

// put sends one PutEvents request, again when EventBridge refuses its entry.
func (h *Handler) put(ctx context.Context, in *eventbridge.PutEventsInput) error {
	wait := publishBackoff
	for attempt := 1; ; attempt++ {
		out, err := h.Events.PutEvents(ctx, in)
		if err != nil {
			return fmt.Errorf("put events on %s: %w", h.Cfg.EventBusName, err)
		}
		if out.FailedEntryCount == 0 {
			return nil
		}
		var entryErr error = errors.New("entry refused")
		if len(out.Entries) > 0 {
			e := out.Entries[0]
			entryErr = fmt.Errorf("entry refused: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
		}
		if attempt == publishAttempts {
			return fmt.Errorf("put events on %s, %d attempts: %w", h.Cfg.EventBusName, attempt, entryErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("put events on %s: %w (last: %v)", h.Cfg.EventBusName, ctx.Err(), entryErr)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// metricOutcome is the Outcome dimension of Corrections: the outcome, except that a correction
// left unchanged is counted by what the policy decided instead (none, manual, skipped,
// broadcaster), so the dashboard tells a channel that already fits from one a person must fix.
func metricOutcome(o session.CorrectionOutcome, d multitrack.Decision) string {
	if o == session.CorrectionUnchanged && d.Action != "" {
		return string(d.Action)
	}
	return string(o)
}

// reportThrottles adds the throttles met since the last report to IVSThrottles.
func (h *Handler) reportThrottles() {
	if h.Throttles == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.Throttles()
	if n > h.reported {
		h.Metrics.Add(suite.MetricIVSThrottles, float64(n-h.reported), metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionCorrect})
		h.reported = n
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// isCode reports whether err is an AWS API error with the code code.
func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// exceptionMessage returns "<code>: <message>" for an IVS error. IVS puts its message in
// exceptionMessage, which the SDK's typed errors keep in ExceptionMessage (their ErrorMessage
// is empty).
func exceptionMessage(err error) string {
	var (
		validation *types.ValidationException
		pending    *types.PendingVerification
		notFound   *types.ResourceNotFoundException
		denied     *types.AccessDeniedException
		quota      *types.ServiceQuotaExceededException
		apiErr     smithy.APIError
		msg        *string
	)
	switch {
	case errors.As(err, &validation):
		msg = validation.ExceptionMessage
	case errors.As(err, &pending):
		msg = pending.ExceptionMessage
	case errors.As(err, &notFound):
		msg = notFound.ExceptionMessage
	case errors.As(err, &denied):
		msg = denied.ExceptionMessage
	case errors.As(err, &quota):
		msg = quota.ExceptionMessage
	}
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	text := aws.ToString(msg)
	if text == "" {
		text = apiErr.ErrorMessage()
	}
	return apiErr.ErrorCode() + ": " + text
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// abbreviate returns at most 200 bytes of b, stream keys scrubbed, for an error message.
func abbreviate(b []byte) string {
	const n = 200
	if len(b) > n {
		return redact.Scrub(string(b[:n])) + "..."
	}
	return redact.Scrub(string(b))
}
