package awstest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LoadEvent returns the sample event events/<name> of the module (".json" may be left out),
// failing the test when it cannot be read. Samples are plain EventBridge events, as IVS sends
// them.
func LoadEvent(tb testing.TB, name string) []byte {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("awstest.LoadEvent %s: %v", name, err)
	}
	data, err := loadEvent(dir, name)
	if err != nil {
		tb.Fatalf("awstest.LoadEvent: %v", err)
	}
	return data
}

// loadEvent finds the module root at or above dir (the directory with go.mod) and reads
// events/<name>[.json] there.
func loadEvent(dir, name string) ([]byte, error) {
	if name == "" || strings.Contains(name, "..") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("event name: want a file name under events/, got %q", name)
	}
	if !strings.HasSuffix(name, ".json") {
		name += ".json"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			data, err := os.ReadFile(filepath.Join(d, "events", name))
			if err != nil {
				return nil, fmt.Errorf("read sample event: %w", err)
			}
			return data, nil
		}
		if filepath.Dir(d) == d {
			return nil, errors.New("read sample event " + name + ": no go.mod at or above " + dir)
		}
	}
}
