package multitrack

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// MaxTagKeyLength is the longest tag key AWS accepts (128 characters).
const MaxTagKeyLength = 128

// Config is the deploy-time configuration of the policy. The zero Config is not valid: its
// empty Mode makes Decide skip every session.
type Config struct {
	// Mode is apply, dry-run or off.
	Mode Mode
	// DefaultMaximumResolution is the maximumResolution given to a channel when multitrack input
	// is enabled; "" means the class of the session's highest video track (FULL_HD if unknown).
	DefaultMaximumResolution types.MultitrackMaximumResolution
	// AllowTypeChange lets the corrector change a channel's type to STANDARD (the only type that
	// accepts multitrack input). It changes how IVS transcodes the channel and what it costs.
	AllowTypeChange bool
	// AllowContainerFormatChange lets the corrector set containerFormat to FRAGMENTED_MP4
	// (required by multitrack input). It also changes the format of the channel's recordings.
	AllowContainerFormatChange bool
	// OptOutTag is the channel tag key that makes the policy skip a channel, whatever the tag's
	// value; "" disables opting out.
	OptOutTag string
}

// Validate checks every field and returns a *invalid.FieldError for the first bad one. Its
// Field is the Go field name ("Mode", "DefaultMaximumResolution", "OptOutTag"), which a
// LoadConfig maps to its environment variable.
func (c Config) Validate() error {
	if _, err := ParseMode(string(c.Mode)); err != nil {
		return err
	}
	if _, err := ParseMaximumResolution(string(c.DefaultMaximumResolution)); err != nil {
		return err
	}
	if len(c.OptOutTag) > MaxTagKeyLength {
		return &invalid.FieldError{Field: "OptOutTag", Want: fmt.Sprintf("a tag key of at most %d characters", MaxTagKeyLength), Got: c.OptOutTag}
	}
	return nil
}

// ParseMode returns the Mode named s (apply, dry-run or off), or a *invalid.FieldError for
// field "Mode".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeApply, ModeDryRun, ModeOff:
		return m, nil
	}
	return "", &invalid.FieldError{Field: "Mode", Want: `one of "apply", "dry-run", "off"`, Got: s}
}

// ParseMaximumResolution returns the maximum resolution named s (SD, HD, FULL_HD, or "" for
// "from the tracks"), or a *invalid.FieldError for field "DefaultMaximumResolution".
func ParseMaximumResolution(s string) (types.MultitrackMaximumResolution, error) {
	r := types.MultitrackMaximumResolution(s)
	if r == "" || resolutionRank(r) > 0 {
		return r, nil
	}
	return "", &invalid.FieldError{Field: "DefaultMaximumResolution", Want: `one of "SD", "HD", "FULL_HD" or empty`, Got: s}
}
