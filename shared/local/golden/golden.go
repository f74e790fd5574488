// Package golden compares what a test produced with a reviewed file under testdata/ (a golden
// file), and rewrites the file instead when the test binary runs with -update, so a change of
// output is reviewed in the diff (the habit of the Go tree's cmd/gofmt and test2json tests).
//
// Only tests import it: importing it registers the -update flag in the test binary.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ instead of comparing with them")

// Updating reports whether the test binary runs with -update: a test that rewrites a file
// other than through Check (a table inside a README, say) asks here, so one binary has one flag.
func Updating() bool { return *update }

// Check compares got with the file at path; with -update it writes got there (creating its
// directory) and passes. A difference or a missing file fails tb, naming the file.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs (go test -update rewrites it; review the diff):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// CheckJSON is Check of v as indented JSON with a final newline.
func CheckJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatalf("encode %s: %v", path, err)
	}
	Check(tb, path, append(got, '\n'))
}
