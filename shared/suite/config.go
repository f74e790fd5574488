package suite

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// Getenv is os.Getenv's shape: configuration loaders take one so tests can pass a map.
type Getenv func(string) string

// Required returns the value of the variable name, or a *invalid.FieldError naming it when it is
// empty. want says what the value is, e.g. "the name of the suite's event bus".
func Required(getenv Getenv, name, want string) (string, error) {
	v := getenv(name)
	if v == "" {
		return "", &invalid.FieldError{Field: name, Want: want, Got: ""}
	}
	return v, nil
}

// Bool returns the boolean value of the variable name (true/false, 1/0, as strconv.ParseBool),
// def when it is empty, or a *invalid.FieldError naming it.
func Bool(getenv Getenv, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &invalid.FieldError{Field: name, Want: "true or false", Got: v}
	}
	return b, nil
}

// Duration returns the positive duration of the variable name (a Go duration like 24h or 90s),
// def when it is empty, or a *invalid.FieldError naming it.
func Duration(getenv Getenv, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, &invalid.FieldError{Field: name, Want: "a positive duration like 30s or 24h", Got: v}
	}
	return d, nil
}

// PositiveInt returns the positive integer value of the variable name, def when it is empty, or
// a *invalid.FieldError naming it.
func PositiveInt(getenv Getenv, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, &invalid.FieldError{Field: name, Want: "a positive whole number", Got: v}
	}
	return n, nil
}

// correctionEnv maps the Go fields of multitrack.Config to the variables they are read from.
var correctionEnv = map[string]string{
	"Mode":                     EnvCorrectionMode,
	"DefaultMaximumResolution": EnvDefaultMaximumResolution,
	"OptOutTag":                EnvOptOutTag,
}

// LoadCorrection reads the correction policy's configuration: EnvCorrectionMode (default
// DefaultCorrectionMode), EnvDefaultMaximumResolution, EnvAllowTypeChange,
// EnvAllowContainerFormatChange (default DefaultAllowContainerFormatChange) and EnvOptOutTag
// (default DefaultOptOutTag). Errors are *invalid.FieldError naming the variable.
func LoadCorrection(getenv Getenv) (multitrack.Config, error) {
	cfg := multitrack.Config{
		Mode:                     multitrack.Mode(orDefault(getenv(EnvCorrectionMode), DefaultCorrectionMode)),
		DefaultMaximumResolution: "",
		OptOutTag:                orDefault(getenv(EnvOptOutTag), DefaultOptOutTag),
	}
	res, err := multitrack.ParseMaximumResolution(getenv(EnvDefaultMaximumResolution))
	if err != nil {
		return multitrack.Config{}, renameField(err)
	}
	cfg.DefaultMaximumResolution = res
	if cfg.AllowTypeChange, err = Bool(getenv, EnvAllowTypeChange, DefaultAllowTypeChange); err != nil {
		return multitrack.Config{}, err
	}
	if cfg.AllowContainerFormatChange, err = Bool(getenv, EnvAllowContainerFormatChange, DefaultAllowContainerFormatChange); err != nil {
		return multitrack.Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return multitrack.Config{}, renameField(err)
	}
	return cfg, nil
}

// renameField replaces a multitrack.Config field name with its environment variable.
func renameField(err error) error {
	var fe *invalid.FieldError
	if errors.As(err, &fe) {
		if env, ok := correctionEnv[fe.Field]; ok {
			return &invalid.FieldError{Field: env, Want: fe.Want, Got: fe.Got}
		}
	}
	return fmt.Errorf("correction config: %w", err)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
