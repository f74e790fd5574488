package main

import (
	"fmt"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// This file holds the corrector's pure logic: when a correction is still fresh, how long a
// live channel's wait is, what a delivery does given what the suite already did for the same
// session (its intent record), and the Corrections metric's outcome. handler.go adapts AWS to
// it; plan_test.go tables it.

// freshness bounds a correction by its trigger's own time (the IVS event's), never the
// queue's: a redrive or a late delivery does not make an old correction new again.
type freshness struct {
	start    time.Time // the trigger's time
	deadline time.Time // start + the maximum age: no UpdateChannel from then on
}

// freshnessOf returns the bounds of a correction: from the trigger's time, else the enriched
// event's time, else when the message was sent, else now; plus maxAge. No time after an
// earlier one counts: a trigger claiming a time in the future (which IVS never sends, but a
// message may say) starts at the enriched event's time, when the message was sent or now,
// whichever is earliest, so that no correction stays fresh for longer than maxAge from when the
// suite first saw it.
func freshnessOf(trigger, event, sent, now time.Time, maxAge time.Duration) freshness {
	start := firstNonZero(trigger, event, sent, now)
	for _, t := range []time.Time{event, sent, now} {
		if !t.IsZero() && t.Before(start) {
			start = t
		}
	}
	return freshness{start: start, deadline: start.Add(maxAge)}
}

// expired reports whether the correction may no longer be applied at now.
func (f freshness) expired(now time.Time) bool { return !now.Before(f.deadline) }

// wait returns the next wait of a correction whose channel is live, at now: liveWait of the
// time since the trigger and the time left.
func (f freshness) wait(now time.Time, retryDelay time.Duration) time.Duration {
	return liveWait(retryDelay, now.Sub(f.start), f.deadline.Sub(now))
}

// expiredDetail is the detail of the failed correction published when a correction is given up
// on: what happened and what a person does about it.
func (f freshness) expiredDetail(maxAge time.Duration) string {
	return fmt.Sprintf("not applied: its trigger (the IVS event of %s) is more than %s (%s) old, and a correction applies only while "+
		"its trigger is fresh so that it never overrides a later change; if the channel still refuses the broadcaster, change it by hand",
		f.start.UTC().Format(time.RFC3339), maxAge, suite.EnvCorrectionMaxAge)
}

// liveWait returns the next wait of a correction whose channel is live, given how long it has
// waited since its trigger (elapsed) and the time left before its maximum age (left): elapsed,
// at least retryDelay, at most batch.MaxWait, and at most left. Without contention the waits
// grow geometrically (retryDelay, retryDelay, 2×, 4×...: each about the time already waited).
//
// The wait is based on time, not on the receive count: receives also grow for reasons that are
// not waits for the channel (a lease held by another delivery, throttling, 5xx), and a
// count-based backoff would turn a dozen such receives into a first wait of hours.
func liveWait(retryDelay, elapsed, left time.Duration) time.Duration {
	return min(max(elapsed, retryDelay), batch.MaxWait, left)
}

// intentState is how far the suite got with a session's correction, as its intent record says.
type intentState string

// The states of an intent record, in order. intentNone: there is no record.
const (
	intentNone      intentState = ""
	intentPending   intentState = "pending"   // written before UpdateChannel
	intentApplied   intentState = "applied"   // UpdateChannel succeeded
	intentPublished intentState = "published" // "applied" is on the bus
	// intentFailing: "failed" is on the bus (IVS refused the change, the channel is gone, or the
	// trigger was too old); the message is not in the dead-letter queue yet.
	intentFailing intentState = "failing"
	// intentFailed: "failed" is on the bus and the message in the dead-letter queue.
	intentFailed intentState = "failed"
)

// step is what a delivery does about its correction.
type step int

const (
	// stepApply: call UpdateChannel (after writing the intent).
	stepApply step = iota
	// stepUnchanged: publish "unchanged" with the decision made on the channel as it is.
	stepUnchanged
	// stepRecover: the suite made the change and may not have said so: publish "applied" from
	// the intent record.
	stepRecover
	// stepDone: the change and its publication are on record; nothing to do (a duplicate).
	stepDone
	// stepLeave: the suite applied this session's correction and the channel was changed back
	// since (by a person, most likely): never applied again for this trigger.
	stepLeave
	// stepDeadLetter: "failed" is published; send the message to the dead-letter queue with the
	// intent record's reason (the send failed before).
	stepDeadLetter
)

// nextStep decides what a delivery does, from the intent record of its session and the action
// decided on the channel as it is now.
//
//	intent      apply        none (the channel fits)   manual, skipped, broadcaster
//	none        apply        unchanged                 unchanged
//	pending     apply        recover (ours landed)     unchanged
//	applied     recover      recover                   recover
//	published   leave        done                      leave
//	failing     dead-letter  dead-letter               dead-letter
//	failed      apply        done                      done
//
// A failed correction is on record, with a person told: a duplicate of its trigger, or a
// redelivery, that finds the channel as a person left it (made BASIC, say: manual) adds
// nothing, and must not turn the record's "failed" into "unchanged". One that still decides
// apply calls again (a redrive once a person fixed the cause). A failure whose message did not
// reach the dead-letter queue is finished the same way, whatever the channel says now.
func nextStep(state intentState, action multitrack.Action) step {
	switch state {
	case intentApplied:
		return stepRecover
	case intentPublished:
		if action == multitrack.ActionNone {
			return stepDone
		}
		return stepLeave
	case intentFailing:
		return stepDeadLetter
	case intentFailed:
		if action == multitrack.ActionApply {
			return stepApply
		}
		return stepDone
	case intentPending:
		switch action {
		case multitrack.ActionApply:
			return stepApply // the call never landed, or failed: try it
		case multitrack.ActionNone:
			return stepRecover // the call landed; its answer was lost with the invocation
		}
		return stepUnchanged
	}
	if action == multitrack.ActionApply {
		return stepApply
	}
	return stepUnchanged
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

// Outcomes of Corrections that are not a published correction.
const (
	// outcomeReplay counts deliveries of a replayed event (an EventBridge archive replay): the
	// archive is rebuilt from the replay, no channel is touched.
	outcomeReplay = "replay"
	// outcomeReverted counts deliveries whose correction the suite had applied and someone
	// changed back since: not applied again.
	outcomeReverted = "reverted"
)

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
