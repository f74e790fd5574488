package suite

import (
	"strconv"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// The IVS quota budget. IVS allows IVSCallsPerSecond calls per second for each operation, per
// account and region, shared with everything else in the account. The suite takes a share of it
// (Settings.IVSQuotaShare), splits that share between the live path (enrich, correct) and the
// sweep (the scheduled sweep and backfill), and gives each function a per-instance rate: its
// part of the share divided by the most instances that can run at once (the event source
// mapping's maximum concurrency, or the sweep's reserved concurrency), so the suite's calls
// stay within the share however many instances run.
const (
	// DefaultIVSQuotaShare leaves 40% of each operation's quota to the team's own applications.
	DefaultIVSQuotaShare = 0.6
	// SweepQuotaPart is the part of the suite's share kept for the sweep and backfill; the live
	// path has the rest. Neither can starve the other: each paces itself to its own part.
	SweepQuotaPart = 0.2
	// SweepConcurrency is the sweep's reserved concurrency: one live run and one window run
	// (daily or backfill) at a time, each on its own schedule, each paced to half the sweep's
	// part (InstanceRate), so neither waits for the other.
	SweepConcurrency = 2
)

// EnvIVSCallsPerSecond is the per-instance rate, in calls per second per IVS operation, at
// which a function paces its IVS calls (ivsquota.Pacer). Settings.Environment sets it from
// Settings.IVSQuotaShare; a function without it uses LiveRate of the default share.
const EnvIVSCallsPerSecond = "IVS_CALLS_PER_SECOND"

// LiveBudget is the calls per second per IVS operation the live path (enrich, correct) may
// make in all: IVSCallsPerSecond × share × (1 − SweepQuotaPart).
func LiveBudget(share float64) float64 {
	return IVSCallsPerSecond * share * (1 - SweepQuotaPart)
}

// SweepBudget is the calls per second per IVS operation the sweep or backfill may make:
// IVSCallsPerSecond × share × SweepQuotaPart.
func SweepBudget(share float64) float64 {
	return IVSCallsPerSecond * share * SweepQuotaPart
}

// InstanceRate is the per-instance pacing of function fn for the quota share: its budget over
// the most instances that can run at once. It returns 0 for a function that calls no IVS API.
func InstanceRate(fn string, share float64) float64 {
	switch fn {
	case FunctionEnrich, FunctionCorrect:
		return LiveBudget(share) / MaxConcurrency
	case FunctionSweep:
		return SweepBudget(share) / SweepConcurrency
	}
	return 0
}

// QuotaShare checks a quota share: more than 0, at most 1. It returns a *invalid.FieldError
// naming field otherwise.
func QuotaShare(field string, share float64) error {
	if !(share > 0 && share <= 1) {
		return &invalid.FieldError{Field: field, Want: "a share of the IVS quota above 0 and at most 1 (e.g. 0.6)", Got: strconv.FormatFloat(share, 'g', -1, 64)}
	}
	return nil
}

// Rate returns the positive rate of the variable name (calls per second, a decimal number),
// def when it is empty, or a *invalid.FieldError naming it.
func Rate(getenv Getenv, name string, def float64) (float64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0) || r > IVSCallsPerSecond {
		return 0, &invalid.FieldError{Field: name, Want: "calls per second above 0 and at most " + strconv.Itoa(IVSCallsPerSecond), Got: v}
	}
	return r, nil
}

// formatRate writes a rate for an environment variable.
func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

// How enrich's go-live calls give way under a backlog: the end phase's call carries everything
// a session's record needs (start, tracks, end), so the go-live call is the one to give up.
// A Stream Start that waited in enrich's queue longer than LivePhaseMaxLag, or whose call
// would wait more than LivePhaseMaxWait for its turn (or wait behind an end-phase call),
// is published from the event alone (ivsquota.Deferrable): calls per session fall toward one
// as the backlog grows, and no refusal's verification waits behind go-live calls.
const (
	LivePhaseMaxLag  = 30 * time.Second
	LivePhaseMaxWait = 2 * time.Second
)
