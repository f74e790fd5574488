package suite

import (
	"errors"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestLoadCorrection(t *testing.T) {
	tests := map[string]struct {
		env       map[string]string
		want      multitrack.Config
		wantField string
	}{
		"defaults": {
			env:  nil,
			want: multitrack.Config{Mode: multitrack.ModeApply, OptOutTag: DefaultOptOutTag, AllowContainerFormatChange: true},
		},
		"all set": {
			env: map[string]string{EnvCorrectionMode: "dry-run", EnvDefaultMaximumResolution: "HD", EnvAllowTypeChange: "true",
				EnvAllowContainerFormatChange: "false", EnvOptOutTag: "team:no-touch"},
			want: multitrack.Config{Mode: multitrack.ModeDryRun, DefaultMaximumResolution: "HD", AllowTypeChange: true, OptOutTag: "team:no-touch"},
		},
		"bad mode":       {env: map[string]string{EnvCorrectionMode: "yolo"}, wantField: EnvCorrectionMode},
		"bad resolution": {env: map[string]string{EnvDefaultMaximumResolution: "4K"}, wantField: EnvDefaultMaximumResolution},
		"bad bool":       {env: map[string]string{EnvAllowTypeChange: "sure"}, wantField: EnvAllowTypeChange},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := LoadCorrection(env(tc.env))
			if tc.wantField != "" {
				var fe *invalid.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.wantField {
					t.Fatalf("err = %v, want a FieldError for %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestScalars(t *testing.T) {
	e := env(map[string]string{"D": "90s", "BADD": "-1s", "N": "7", "BADN": "0", "R": "x"})
	if d, err := Duration(e, "D", time.Hour); err != nil || d != 90*time.Second {
		t.Errorf("Duration = %v, %v", d, err)
	}
	if d, err := Duration(e, "UNSET", time.Hour); err != nil || d != time.Hour {
		t.Errorf("Duration default = %v, %v", d, err)
	}
	if n, err := PositiveInt(e, "N", 1); err != nil || n != 7 {
		t.Errorf("PositiveInt = %v, %v", n, err)
	}
	for name, err := range map[string]error{
		"BADD": func() error { _, err := Duration(e, "BADD", 0); return err }(),
		"BADN": func() error { _, err := PositiveInt(e, "BADN", 1); return err }(),
		"MISS": func() error { _, err := Required(e, "MISS", "a bucket name"); return err }(),
	} {
		var fe *invalid.FieldError
		if !errors.As(err, &fe) || fe.Field != name {
			t.Errorf("%s: err = %v, want a FieldError naming it", name, err)
		}
	}
	if v, err := Required(e, "R", "x"); err != nil || v != "x" {
		t.Errorf("Required = %q, %v", v, err)
	}
}
