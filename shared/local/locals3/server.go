package locals3

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// Server is a local S3-compatible server. Serve it with Handler.
type Server struct {
	backend   gofakes3.Backend
	cond      *conditional
	versioned gofakes3.VersionedBackend // nil for the file-backed server
	handler   http.Handler
	dir       string // "" for an in-memory server
}

// New returns a server whose objects are files under dir, which is created if needed. Objects
// already there (from an earlier run) are served again. It returns an error when dir cannot be
// created.
func New(dir string) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("locals3: dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("locals3: create %s: %w", abs, err)
	}
	backend, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), abs))
	if err != nil {
		return nil, fmt.Errorf("locals3: file backend in %s: %w", abs, err)
	}
	return newServer(backend, abs), nil
}

// NewMemory returns a server that keeps objects in memory, for tests.
func NewMemory() *Server {
	return newServer(s3mem.New(), "")
}

func newServer(backend gofakes3.Backend, dir string) *Server {
	s := &Server{cond: newConditional(backend), dir: dir}
	s.backend = s.cond
	opts := []gofakes3.Option{gofakes3.WithoutVersioning()}
	if vb, ok := backend.(gofakes3.VersionedBackend); ok {
		// Versioned, as the deployed archive bucket is: every write is a new version.
		s.backend = versionedConditional{conditional: s.cond, VersionedBackend: vb}
		s.versioned = vb
		opts = nil
	}
	s.handler = gofakes3.New(s.backend, opts...).Server()
	return s
}

// SetConditionalWriteHook makes every conditional write (If-Match, If-None-Match) call hook
// while it is in progress, before its condition is checked: a test holds one write there to
// see a concurrent conditional write to the same key answered 409 ConditionalRequestConflict,
// as S3 answers it. nil removes the hook.
func (s *Server) SetConditionalWriteHook(hook func(bucket, key string)) {
	s.cond.mu.Lock()
	s.cond.hook = hook
	s.cond.mu.Unlock()
}

// Handler returns the S3 API (path-style) as an http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// CreateBucket creates a bucket; creating one that exists is not an error. It returns an error
// for a name S3 does not accept (3 to 63 lowercase letters, digits, dots and hyphens).
func (s *Server) CreateBucket(name string) error {
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return fmt.Errorf("locals3: bucket name %q: %w", name, err)
	}
	err := s.backend.CreateBucket(name)
	if err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrBucketAlreadyExists) {
		return fmt.Errorf("locals3: create bucket %s: %w", name, err)
	}
	if s.versioned != nil {
		if err := s.versioned.SetVersioningConfiguration(name, gofakes3.VersioningConfiguration{Status: gofakes3.VersioningEnabled}); err != nil {
			return fmt.Errorf("locals3: enable versioning on %s: %w", name, err)
		}
	}
	return nil
}

// ErrNoFiles is returned by ObjectPath for an in-memory server.
var ErrNoFiles = errors.New("locals3: in-memory server has no files")

// ObjectPath returns the file that holds bucket's object key (which may not exist). It returns
// ErrNoFiles for an in-memory server, and an error for a key that would leave the bucket's
// directory.
func (s *Server) ObjectPath(bucket, key string) (string, error) {
	if s.dir == "" {
		return "", ErrNoFiles
	}
	clean := path.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "..") {
		return "", fmt.Errorf("locals3: object key %q: want a key without .. segments", key)
	}
	return filepath.Join(s.BucketDir(bucket), filepath.FromSlash(clean[1:])), nil
}

// BucketDir returns the directory of a bucket's objects, or "" for an in-memory server.
func (s *Server) BucketDir(bucket string) string {
	if s.dir == "" {
		return ""
	}
	return BucketPath(s.dir, bucket)
}

// BucketPath returns the directory of a bucket's objects in a server made with New(dir): its
// object k is the file BucketPath(dir, bucket)/k. Readers of the files (scripts/report) use it.
func BucketPath(dir, bucket string) string { return filepath.Join(dir, "buckets", bucket) }

// PutDirect stores body as bucket's object key straight in the server's store, without an
// HTTP request (a benchmark's set-up of a large archive). Conditional writes and versioning
// see it as any other write.
func (s *Server) PutDirect(bucket, key string, body []byte) error {
	if _, err := s.backend.PutObject(bucket, key, map[string]string{"Content-Type": "application/json"}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		return fmt.Errorf("locals3: put %s/%s: %w", bucket, key, err)
	}
	return nil
}
