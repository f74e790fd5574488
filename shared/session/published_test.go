package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

func TestCorrectedKey(t *testing.T) {
	tests := map[string]struct {
		c    Corrected
		want string
	}{
		"applied": {
			c: Corrected{ChannelARN: "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij", StreamID: "st-1A2b3c4D5e6F78ghij9Klmn",
				Correction: Correction{Outcome: CorrectionApplied, At: time.Date(2026, 11, 3, 23, 59, 59, 0, time.FixedZone("x", -3600))}},
			want: "corrections/year=2026/month=11/day=04/account=123456789012/region=us-west-2/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn-applied-1793753999000.json",
		},
		"bad arn": {c: Corrected{ChannelARN: "arn:aws:ivs:us-west-2:123456789012:stage/x"}, want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.c.Key(); got != tc.want {
				t.Errorf("Key() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEnrichedJSONCarriesDecisionAction(t *testing.T) {
	e := Enriched{Decision: multitrack.Decision{Action: multitrack.ActionApply, Reason: "r"}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	// The rule CorrectionsNeeded on the suite's bus matches detail.decision.action.
	if !strings.Contains(string(b), `"decision":{"action":"apply"`) {
		t.Errorf("Enriched JSON %s has no decision.action", b)
	}
}
