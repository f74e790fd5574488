package ivsevent_test

import (
	"slices"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestEventNames(t *testing.T) {
	tests := map[string][]string{
		ivsevent.DetailTypeStreamStateChange: {
			"Session Created", "Session Ended", "Stream Start", "Stream End",
			"Stream Failure", "Stream Takeover", "Stream Takeover Failure",
		},
		ivsevent.DetailTypeStreamHealthChange:   {"Starvation Start", "Starvation End"},
		ivsevent.DetailTypeLimitBreach:          nil,
		ivsevent.DetailTypeRecordingStateChange: nil,
		"IVS Stage Update":                      nil,
	}
	for dt, want := range tests {
		if got := ivsevent.EventNames(dt); !slices.Equal(got, want) {
			t.Errorf("EventNames(%q) = %q, want %q", dt, got, want)
		}
	}
}

func TestAccountLevel(t *testing.T) {
	tests := map[string]bool{
		ivsevent.LimitConcurrentBroadcasts: true,
		ivsevent.LimitConcurrentViewers:    true,
		ivsevent.LimitIngestBitrate:        false,
		ivsevent.LimitIngestResolution:     false,
		"":                                 false,
	}
	for limit, want := range tests {
		if got := ivsevent.AccountLevel(limit); got != want {
			t.Errorf("AccountLevel(%q) = %v, want %v", limit, got, want)
		}
	}
}

// TestCodes pins the documented codes (IVS API reference, StreamEvent) in their order.
func TestCodes(t *testing.T) {
	want := []string{
		"MultitrackInputNotAllowed",
		"MultitrackInputRequired",
		"InvalidGetClientConfigurationStreamKey",
		"GetClientConfigurationStreamKeyRequired",
		"InvalidMultitrackInputTrackCount",
		"InvalidMultitrackInputVideoTrackMediaProperties",
		"StreamTakeoverMediaMismatch",
		"StreamTakeoverInvalidPriority",
		"StreamTakeoverLimitBreached",
	}
	if !slices.Equal(ivsevent.Codes, want) {
		t.Errorf("Codes = %q, want %q", ivsevent.Codes, want)
	}
}
