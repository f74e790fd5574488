package engine

import (
	"math"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestLeaseClockAgreesWithSQS: locally the lease lapses in real time while SQS waits run faster;
// the corrector's wait for a held lease is set in SQS seconds so that it lasts, in real time,
// what it lasts deployed, and a stuck lease spends as many receives as in AWS.
func TestLeaseClockAgreesWithSQS(t *testing.T) {
	deployed, err := time.ParseDuration(suite.DefaultCorrectionLeaseRetryDelay)
	if err != nil {
		t.Fatal(err)
	}
	const leaseTTL = 60 * time.Second // correct's: twice its timeout
	for _, second := range []time.Duration{DefaultSecond, time.Millisecond, time.Second} {
		s := &Stack{second: second}
		wait := s.leaseRetryDelay()
		if got := s.scale(wait); got != deployed {
			t.Errorf("Second %s: the wait of %s SQS seconds lasts %s, want %s", second, wait, got, deployed)
		}
		if local, aws := int(leaseTTL/s.scale(wait)), int(leaseTTL/deployed); local != aws {
			t.Errorf("Second %s: a stuck lease spends %d receives locally, %d in AWS", second, local, aws)
		}
	}
}

// TestSweepRate: the sweep paces itself SweepSpeedup times faster than deployed, never above
// the local IVS's quota nor IVS's own.
func TestSweepRate(t *testing.T) {
	deployed := suite.InstanceRate(suite.FunctionSweep, suite.DefaultIVSQuotaShare) // 0.3 (each of its two runs)
	for _, tc := range []struct {
		quota int
		share float64
		want  float64
	}{
		{quota: 5, share: suite.DefaultIVSQuotaShare, want: deployed * SweepSpeedup},
		{quota: 2, share: suite.DefaultIVSQuotaShare, want: 2},
		{quota: 0, share: 1, want: min(suite.InstanceRate(suite.FunctionSweep, 1)*SweepSpeedup, suite.IVSCallsPerSecond)},
		{quota: 1, share: 1, want: 1},
		{quota: 5, share: 0.1, want: suite.InstanceRate(suite.FunctionSweep, 0.1) * SweepSpeedup},
	} {
		set := LocalSettings()
		set.IVSQuotaShare = tc.share
		s := &Stack{cfg: Config{Quota: tc.quota}, settings: set}
		if got := s.SweepRate(); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quota %d, share %g: %g calls/s, want %g", tc.quota, tc.share, got, tc.want)
		}
	}
	if r := deployed * SweepSpeedup; r > suite.IVSCallsPerSecond {
		t.Errorf("the default local sweep run paces %g calls/s, above IVS's quota", r)
	}
}
