package locals3

import (
	"io"
	"sync"

	"github.com/johannesboyne/gofakes3"
)

// conditional wraps a gofakes3 backend so that conditional writes answer as S3 documents
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
//   - If-Match on a key that does not exist: 404 NoSuchKey (gofakes3 alone answers 412);
//   - a conditional write to a key while another conditional write to it is in progress: 409
//     ConditionalRequestConflict (the client should re-read and retry);
//   - a condition that does not hold: 412 PreconditionFailed (gofakes3's own check).
type conditional struct {
	gofakes3.Backend

	mu       sync.Mutex
	inFlight map[string]bool // bucket + "/" + key of the conditional writes in progress
	hook     func(bucket, key string)
}

func newConditional(b gofakes3.Backend) *conditional {
	return &conditional{Backend: b, inFlight: map[string]bool{}}
}

// PutObject checks S3's answers to conditional writes before gofakes3's own check and write.
func (c *conditional) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	if cond == nil || (cond.IfMatch == nil && cond.IfNoneMatch == nil) {
		return c.Backend.PutObject(bucket, key, meta, input, size, cond)
	}
	id := bucket + "/" + key
	c.mu.Lock()
	if c.inFlight[id] {
		c.mu.Unlock()
		return gofakes3.PutObjectResult{}, gofakes3.ErrorMessage(gofakes3.ErrConditionalRequestConflict, gofakes3.ErrConditionalRequestConflict.Message())
	}
	c.inFlight[id] = true
	hook := c.hook
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.inFlight, id)
		c.mu.Unlock()
	}()
	if hook != nil {
		hook(bucket, key)
	}
	if cond.IfMatch != nil {
		if _, err := c.Backend.HeadObject(bucket, key); gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
			return gofakes3.PutObjectResult{}, gofakes3.KeyNotFound(key)
		}
	}
	return c.Backend.PutObject(bucket, key, meta, input, size, cond)
}

// versionedConditional is conditional over a backend that keeps versions (s3mem), so that
// gofakes3 still finds its versioning operations.
type versionedConditional struct {
	*conditional
	gofakes3.VersionedBackend
}
