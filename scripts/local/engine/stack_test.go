package engine

import (
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
