package awstest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestLoadEventFromModuleRoot(t *testing.T) {
	root := t.TempDir()
	for path, data := range map[string]string{
		"go.mod":               "module example.com/x\n",
		"events/sample.json":   `{"ok":true}`,
		"a/b/c/placeholder.go": "package c\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deep := filepath.Join(root, "a", "b", "c")
	for _, name := range []string{"sample", "sample.json"} {
		got, err := loadEvent(deep, name)
		if err != nil || string(got) != `{"ok":true}` {
			t.Errorf("loadEvent(%q): got %q, %v", name, got, err)
		}
	}
	for _, name := range []string{"missing", "../go.mod", "", "/etc/passwd"} {
		if _, err := loadEvent(deep, name); err == nil {
			t.Errorf("loadEvent(%q): got no error", name)
		}
	}
	if _, err := loadEvent(t.TempDir(), "sample"); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("outside a module: got %v", err)
	}
}

func TestLoadEventReadsTheRepositorySamples(t *testing.T) {
	data := LoadEvent(t, "session-ended-multitrack-input-not-allowed")
	ev, err := ivsevent.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Code() != ivsevent.CodeMultitrackInputNotAllowed {
		t.Errorf("code: got %q", ev.Code())
	}
}
