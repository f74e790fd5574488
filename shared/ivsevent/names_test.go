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

func TestEventNamesReturnsACopy(t *testing.T) {
	names := ivsevent.EventNames(ivsevent.DetailTypeStreamHealthChange)
	names[0] = "Changed"
	if got := ivsevent.EventNames(ivsevent.DetailTypeStreamHealthChange)[0]; got != ivsevent.EventStarvationStart {
		t.Errorf("changing the result of EventNames changed the package's list: got %q", got)
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
