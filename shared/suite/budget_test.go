package suite

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// TestBudget: the suite's share of each operation's quota, split between the live path and the
// sweep, never exceeds the share however many instances run at once.
func TestBudget(t *testing.T) {
	for _, share := range []float64{0.2, DefaultIVSQuotaShare, 1} {
		live := InstanceRate(FunctionEnrich, share) * MaxConcurrency
		sweep := InstanceRate(FunctionSweep, share) * SweepConcurrency
		if got, want := live+sweep, IVSCallsPerSecond*share; math.Abs(got-want) > 1e-9 {
			t.Errorf("share %v: live %v + sweep %v = %v calls/s at most, want %v", share, live, sweep, got, want)
		}
		if live <= 0 || sweep <= 0 {
			t.Errorf("share %v: live %v, sweep %v: want both above 0 (neither starves)", share, live, sweep)
		}
		if InstanceRate(FunctionCorrect, share) != InstanceRate(FunctionEnrich, share) || InstanceRate(FunctionArchive, share) != 0 {
			t.Errorf("share %v: correct or archive paced wrongly", share)
		}
	}
	s := DefaultSettings()
	s.IVSQuotaShare = 0.5
	for _, fn := range []string{FunctionEnrich, FunctionCorrect} {
		got, err := strconv.ParseFloat(s.Environment(fn, Resources{EventBus: "bus", ArchiveBucket: "bucket"})[EnvIVSCallsPerSecond], 64)
		if err != nil || got != InstanceRate(fn, 0.5) {
			t.Errorf("%s: %s = %v (%v), want %v", fn, EnvIVSCallsPerSecond, got, err, InstanceRate(fn, 0.5))
		}
	}
	if env := s.Environment(FunctionEnrich, Resources{EventBus: "bus", ArchiveBucket: "bucket"}); env[EnvArchiveBucket] != "bucket" || env[EnvEnrichLivePhase] != "true" {
		t.Errorf("enrich environment %v: want the archive bucket and the live phase on", env)
	}
}

func TestQuotaShareAndRate(t *testing.T) {
	for _, bad := range []float64{0, -0.1, 1.5, math.NaN()} {
		var fe *invalid.FieldError
		if err := QuotaShare("ivsQuotaShare", bad); !errors.As(err, &fe) || fe.Field != "ivsQuotaShare" {
			t.Errorf("QuotaShare(%v) = %v, want a FieldError", bad, err)
		}
	}
	if err := QuotaShare("s", 0.6); err != nil {
		t.Error(err)
	}
	env := map[string]string{"A": "1.5", "B": "0", "C": "x", "D": "6"}
	get := func(k string) string { return env[k] }
	if r, err := Rate(get, "A", 1); r != 1.5 || err != nil {
		t.Errorf("Rate(A) = %v, %v", r, err)
	}
	if r, err := Rate(get, "none", 2); r != 2 || err != nil {
		t.Errorf("Rate(unset) = %v, %v, want the default", r, err)
	}
	for _, k := range []string{"B", "C", "D"} {
		if _, err := Rate(get, k, 1); err == nil {
			t.Errorf("Rate(%s=%s) accepted", k, env[k])
		}
	}
}
