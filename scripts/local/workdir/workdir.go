// Package workdir is the layout of make local's working directory, shared by the local stack
// (scripts/local/engine) and the tools that read what it leaves behind (scripts/report), which
// need the layout without linking the stack.
package workdir

import (
	"path/filepath"

	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
)

const (
	// Dir is make local's working directory, relative to the module root: binaries, the
	// archive, logs.
	Dir = ".local"
	// Bucket is the local archive bucket's name.
	Bucket = "ivs-sessions-local"
)

// S3Dir is the folder of the local S3 (locals3.New) in the working directory dir.
func S3Dir(dir string) string { return filepath.Join(dir, "s3") }

// Archive is the folder of the archive bucket's objects in the working directory dir: what a
// person opens, and what scripts/report reads.
func Archive(dir string) string { return locals3.BucketPath(S3Dir(dir), Bucket) }
