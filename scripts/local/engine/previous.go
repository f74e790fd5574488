package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// PreviousDir is the folder of Config.Dir where the archives of earlier runs are kept, one
// folder per run named for when it was moved there (UTC).
const PreviousDir = "previous"

// moveAside moves the archive folder archiveDir of an earlier run, when it holds any file, to
// <workDir>/previous/<time>/s3 and returns that folder ("" when there was nothing to keep). Records
// made by hand in a -keep session are thereby kept, not deleted.
func moveAside(workDir, archiveDir string, now time.Time) (string, error) {
	files := 0
	err := filepath.WalkDir(archiveDir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files++
			return fs.SkipAll
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) || (err == nil && files == 0) {
		return "", os.RemoveAll(archiveDir) // empty folders only
	}
	if err != nil {
		return "", fmt.Errorf("engine: read the archive of an earlier run: %w", err)
	}
	stamp := now.UTC().Format("2006-01-02T15-04-05.000Z")
	dest := filepath.Join(workDir, PreviousDir, stamp, filepath.Base(archiveDir))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", fmt.Errorf("engine: keep the archive of an earlier run: %w", err)
	}
	if err := os.Rename(archiveDir, dest); err != nil {
		return "", fmt.Errorf("engine: keep the archive of an earlier run: %w", err)
	}
	return dest, nil
}

// PreviousArchive returns the folder the archive of an earlier run was moved to when the stack
// started (relative to the working directory when it is below it), or "" when there was none.
func (s *Stack) PreviousArchive() string {
	if s.previous == "" {
		return ""
	}
	return relative(s.previous)
}
