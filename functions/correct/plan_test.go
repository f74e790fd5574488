package main

import (
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

func TestNextStep(t *testing.T) {
	const (
		apply  = multitrack.ActionApply
		none   = multitrack.ActionNone
		manual = multitrack.ActionManual
		skip   = multitrack.ActionSkipped
	)
	tests := []struct {
		state  intentState
		action multitrack.Action
		want   step
	}{
		{intentNone, apply, stepApply},
		{intentNone, none, stepUnchanged},
		{intentNone, manual, stepUnchanged},
		{intentNone, skip, stepUnchanged},
		{intentPending, apply, stepApply},       // the call never landed
		{intentPending, none, stepRecover},      // it landed, its answer was lost
		{intentPending, skip, stepUnchanged},    // an opt-out tag added since
		{intentApplied, none, stepRecover},      // applied, never published
		{intentApplied, apply, stepRecover},     // applied, never published, changed back since
		{intentPublished, none, stepDone},       // a duplicate
		{intentPublished, apply, stepLeave},     // a person changed it back: never again
		{intentPublished, manual, stepLeave},    // changed by hand since
		{intentFailing, manual, stepDeadLetter}, // failed, its send to the DLQ failed, then BASIC: finish the failure
		{intentFailing, apply, stepDeadLetter},  // the same, however the channel looks now
		{intentFailing, none, stepDeadLetter},
		{intentFailed, manual, stepDone}, // failed, then a person made it BASIC: on record
		{intentFailed, none, stepDone},   // failed, then fixed by hand: on record
		{intentFailed, apply, stepApply}, // a redrive once the cause is fixed
	}
	for _, tc := range tests {
		if got := nextStep(tc.state, tc.action); got != tc.want {
			t.Errorf("nextStep(%q, %q) = %d, want %d", tc.state, tc.action, got, tc.want)
		}
	}
}

func TestFreshness(t *testing.T) {
	trigger := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	event, sent, now := trigger.Add(2*time.Second), trigger.Add(5*time.Second), trigger.Add(time.Hour)
	tests := map[string]struct {
		trigger, event, sent time.Time
		at                   time.Time
		wantStart            time.Time
		wantExpired          bool
	}{
		"the trigger's own time, not the queue's":      {trigger: trigger, event: event, sent: sent, at: now, wantStart: trigger},
		"a redrive two days later: expired":            {trigger: trigger, event: event, sent: trigger.Add(47 * time.Hour), at: trigger.Add(48 * time.Hour), wantStart: trigger, wantExpired: true},
		"exactly at the maximum age: expired":          {trigger: trigger, at: trigger.Add(24 * time.Hour), wantStart: trigger, wantExpired: true},
		"no trigger time: the enriched event's":        {event: event, sent: sent, at: now, wantStart: event},
		"neither: when the message was sent":           {sent: sent, at: now, wantStart: sent},
		"nothing known: now, so the correction is new": {at: now, wantStart: now},
		// A trigger that claims the future never keeps a correction fresh past the maximum age
		// from when the suite saw it.
		"a trigger in 2099: the enriched event's time": {trigger: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), event: event, sent: sent, at: now, wantStart: event},
		"a trigger in 2099 alone: now":                 {trigger: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), at: now, wantStart: now},
		"a trigger in 2099, a day later: expired": {trigger: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), event: event, sent: sent,
			at: event.Add(25 * time.Hour), wantStart: event, wantExpired: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := freshnessOf(tc.trigger, tc.event, tc.sent, tc.at, 24*time.Hour)
			if !f.start.Equal(tc.wantStart) || !f.deadline.Equal(tc.wantStart.Add(24*time.Hour)) {
				t.Errorf("freshness %+v, want start %s", f, tc.wantStart)
			}
			if got := f.expired(tc.at); got != tc.wantExpired {
				t.Errorf("expired = %v, want %v", got, tc.wantExpired)
			}
		})
	}
	f := freshnessOf(trigger, time.Time{}, time.Time{}, now, 24*time.Hour)
	if got := f.wait(trigger.Add(7*time.Minute), time.Minute); got != 7*time.Minute {
		t.Errorf("wait 7 min after the trigger = %s, want 7m0s", got)
	}
	if got := f.wait(trigger.Add(24*time.Hour-90*time.Second), time.Minute); got != 90*time.Second {
		t.Errorf("wait 90 s before the maximum age = %s, want 1m30s", got)
	}
	want := "not applied: its trigger (the IVS event of 2026-11-03T10:00:00Z) is more than 24h0m0s (CORRECTION_MAX_AGE) old"
	if got := f.expiredDetail(24 * time.Hour); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("expiredDetail = %q, want it to start %q", got, want)
	}
}

func TestMetricOutcome(t *testing.T) {
	tests := []struct {
		outcome session.CorrectionOutcome
		action  multitrack.Action
		want    string
	}{
		{session.CorrectionApplied, multitrack.ActionApply, "applied"},
		{session.CorrectionFailed, multitrack.ActionApply, "failed"},
		{session.CorrectionDryRun, multitrack.ActionApply, "dry-run"},
		{session.CorrectionUnchanged, multitrack.ActionNone, "none"},
		{session.CorrectionUnchanged, multitrack.ActionManual, "manual"},
		{session.CorrectionUnchanged, multitrack.ActionBroadcaster, "broadcaster"},
		{session.CorrectionUnchanged, "", "unchanged"},
	}
	for _, tc := range tests {
		if got := metricOutcome(tc.outcome, multitrack.Decision{Action: tc.action}); got != tc.want {
			t.Errorf("metricOutcome(%s, %s) = %q, want %q", tc.outcome, tc.action, got, tc.want)
		}
	}
}
