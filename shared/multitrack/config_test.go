package multitrack

import (
	"errors"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

func TestConfigValidate(t *testing.T) {
	good := []Config{
		{Mode: ModeApply},
		{Mode: ModeDryRun, DefaultMaximumResolution: sd},
		{Mode: ModeOff, DefaultMaximumResolution: fullHD, OptOutTag: testOptOut},
		{Mode: ModeApply, DefaultMaximumResolution: hd, AllowTypeChange: true, AllowContainerFormatChange: true, OptOutTag: strings.Repeat("k", 128)},
	}
	for _, cfg := range good {
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", cfg, err)
		}
	}
	bad := map[string]struct {
		cfg       Config
		wantField string
	}{
		"empty mode":          {Config{}, "Mode"},
		"unknown mode":        {Config{Mode: "dryrun"}, "Mode"},
		"mode in upper case":  {Config{Mode: "APPLY"}, "Mode"},
		"unknown resolution":  {Config{Mode: ModeApply, DefaultMaximumResolution: "UHD"}, "DefaultMaximumResolution"},
		"resolution in lower": {Config{Mode: ModeApply, DefaultMaximumResolution: "full_hd"}, "DefaultMaximumResolution"},
		"tag key too long":    {Config{Mode: ModeApply, OptOutTag: strings.Repeat("k", 129)}, "OptOutTag"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			err := tc.cfg.Validate()
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *invalid.FieldError", err)
			}
			if fe.Field != tc.wantField {
				t.Errorf("field = %q, want %q (error %q)", fe.Field, tc.wantField, err)
			}
			if !strings.HasPrefix(err.Error(), tc.wantField+": want ") {
				t.Errorf("error %q does not start with the field and what it wants", err)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"apply", "dry-run", "off"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, nil", s, m, err, s)
		}
	}
	for _, s := range []string{"", "on", "Apply", "dry_run", " off"} {
		if _, err := ParseMode(s); err == nil {
			t.Errorf("ParseMode(%q) = nil error, want one", s)
		}
	}
}

func TestParseMaximumResolution(t *testing.T) {
	for _, s := range []string{"", "SD", "HD", "FULL_HD"} {
		if r, err := ParseMaximumResolution(s); err != nil || string(r) != s {
			t.Errorf("ParseMaximumResolution(%q) = %q, %v; want %q, nil", s, r, err, s)
		}
	}
	for _, s := range []string{"FHD", "1080p", "hd", "4K"} {
		if _, err := ParseMaximumResolution(s); err == nil {
			t.Errorf("ParseMaximumResolution(%q) = nil error, want one", s)
		}
	}
}
