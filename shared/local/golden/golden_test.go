package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Fatal(...any)          { r.failed = true; panic(r) }

// check runs Check against r, turning its Fatal into a failure.
func check(r *recorder, path string, got []byte) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	Check(r, path, got)
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.golden.txt")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		path     string
		got      string
		update   bool
		wantFail bool
		wantFile string
	}{
		"equal":           {path: path, got: "same\n"},
		"different":       {path: path, got: "other\n", wantFail: true},
		"missing":         {path: filepath.Join(dir, "none.golden.txt"), got: "x", wantFail: true},
		"update rewrites": {path: filepath.Join(dir, "new", "y.golden.txt"), got: "fresh\n", update: true, wantFile: "fresh\n"},
		"update, then ok": {path: path, got: "same\n", update: true, wantFile: "same\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			*update = tc.update
			defer func() { *update = false }()
			r := &recorder{TB: t}
			check(r, tc.path, []byte(tc.got))
			if r.failed != tc.wantFail {
				t.Errorf("failed = %v, want %v", r.failed, tc.wantFail)
			}
			if tc.wantFile != "" {
				b, err := os.ReadFile(tc.path)
				if err != nil || string(b) != tc.wantFile {
					t.Errorf("file = %q, %v; want %q", b, err, tc.wantFile)
				}
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.golden.json")
	if err := os.WriteFile(path, []byte("{\n  \"a\": 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	CheckJSON(r, path, map[string]int{"a": 1})
	if r.failed {
		t.Error("CheckJSON failed on an equal document")
	}
}
