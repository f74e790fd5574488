package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMoveAside: an earlier run's archive is moved, with its files, under previous/<time>/; an
// empty or missing one is not kept.
func TestMoveAside(t *testing.T) {
	work := t.TempDir()
	archive := filepath.Join(work, "s3")
	key := filepath.Join("ivs-sessions-local", "sessions", "by-hand.json")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(archive, key)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(archive, key), []byte(`{"by":"hand"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	dest, err := moveAside(work, archive, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(work, PreviousDir, "2026-12-02T01-02-03.000Z", "s3"); dest != want {
		t.Errorf("moved to %s, want %s", dest, want)
	}
	if b, err := os.ReadFile(filepath.Join(dest, key)); err != nil || string(b) != `{"by":"hand"}` {
		t.Errorf("the kept record = %q, %v", b, err)
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Errorf("the archive folder is still there (%v)", err)
	}

	// Nothing to keep: missing, then empty folders only.
	if dest, err := moveAside(work, archive, now.Add(time.Second)); dest != "" || err != nil {
		t.Errorf("missing archive: moveAside = %q, %v; want nothing kept", dest, err)
	}
	if err := os.MkdirAll(filepath.Join(archive, "ivs-sessions-local"), 0o755); err != nil {
		t.Fatal(err)
	}
	if dest, err := moveAside(work, archive, now.Add(2*time.Second)); dest != "" || err != nil {
		t.Errorf("empty archive: moveAside = %q, %v; want nothing kept", dest, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(work, PreviousDir)); len(entries) != 1 {
		t.Errorf("previous/ holds %d runs, want 1", len(entries))
	}
}
