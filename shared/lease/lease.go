package lease

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
)

// attempts bounds how often Acquire writes: create, then at most two takeovers of an expired
// lease that another contender keeps winning.
const attempts = 3

// Locker acquires leases stored as objects of one bucket. Its fields are set once; it is safe for
// concurrent use.
type Locker struct {
	S3     s3doc.API // GetObject and PutObject, with If-None-Match and If-Match
	Bucket string
	// TTL is how long an acquired lease lasts if it is not released.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Lease is a lease held. It is not safe for concurrent use.
type Lease struct {
	Key     string    // the object's key
	Owner   string    // who holds it, as given to Acquire
	Expires time.Time // when it lapses unless released

	etag     string // of our write: Release overwrites only that
	released bool
	l        *Locker
}

// HeldError is Acquire's answer when another holder has the lease.
type HeldError struct {
	Key     string
	Owner   string    // the holder, as it named itself ("" if unknown)
	Expires time.Time // when its lease lapses unless released (zero if unknown)
}

// Error returns "lease <key> is held by <owner> until <expires>".
func (e *HeldError) Error() string {
	if e.Expires.IsZero() {
		return fmt.Sprintf("lease %s is held by another owner", e.Key)
	}
	return fmt.Sprintf("lease %s is held by %q until %s", e.Key, e.Owner, e.Expires.UTC().Format(time.RFC3339))
}

// ErrLost is wrapped by Release's error when the lease was taken over after it expired: there
// was nothing left to release.
var ErrLost = errors.New("lease lost: taken over after it expired")

// record is a lease as stored.
type record struct {
	Owner    string    `json:"owner"`
	Expires  time.Time `json:"expires"`
	Released bool      `json:"released,omitempty"`
	// Attempt is random per Acquire call: it tells our own write, whose answer was lost, from
	// another's (even another delivery of the same message).
	Attempt string `json:"attempt,omitempty"`
}

// free reports whether the lease may be taken over at now.
func (r record) free(now time.Time) bool { return r.Released || !now.Before(r.Expires) }

// Acquire takes the lease key for owner (a message ID, an invocation ID: anything that says who)
// for l.TTL. It returns the lease, a *HeldError when someone else holds it, or another error
// (S3's, or l's configuration) when it cannot tell; the caller should try again later in both
// cases. A live lease is never taken over, not even by its own owner (another delivery of the
// same message); only this call's own write, when S3 kept it but its answer was lost, is adopted.
func (l *Locker) Acquire(ctx context.Context, key, owner string) (*Lease, error) {
	switch {
	case l.S3 == nil || l.Bucket == "":
		return nil, errors.New("lease: Locker needs S3 and Bucket")
	case l.TTL <= 0:
		return nil, fmt.Errorf("lease: Locker.TTL: want a positive duration, got %s", l.TTL)
	case key == "":
		return nil, errors.New("lease: key: want an object key, got \"\"")
	}
	etag := "" // "": create the object; else the ETag of the expired lease to overwrite
	attempt := rand.Text()
	for range attempts {
		expires := l.now().Add(l.TTL)
		newETag, err := l.put(ctx, key, record{Owner: owner, Expires: expires, Attempt: attempt}, etag)
		switch {
		case err == nil:
			return &Lease{Key: key, Owner: owner, Expires: expires, etag: newETag, l: l}, nil
		case errors.Is(err, s3doc.ErrChanged) && s3doc.IsNotFound(err):
			// If-Match on a key that is gone (a lifecycle expiry meanwhile): S3 answers 404.
			etag = ""
			continue
		case !errors.Is(err, s3doc.ErrExists) && !errors.Is(err, s3doc.ErrChanged):
			return nil, fmt.Errorf("lease %s: %w", key, err)
		}
		cur, curETag, err := l.get(ctx, key)
		switch {
		case errors.Is(err, s3doc.ErrNotFound):
			etag = "" // released by a lifecycle expiry meanwhile: create it again
			continue
		case err != nil:
			return nil, fmt.Errorf("lease %s: %w", key, err)
		case !cur.Released && cur.Attempt == attempt:
			// Our own write: it succeeded but its answer was lost, and the SDK's retry of it
			// was refused by that very write. Adopt it instead of locking ourselves out.
			return &Lease{Key: key, Owner: owner, Expires: cur.Expires, etag: curETag, l: l}, nil
		case !cur.free(l.now()):
			return nil, &HeldError{Key: key, Owner: cur.Owner, Expires: cur.Expires}
		}
		etag = curETag
	}
	// Every takeover lost to other contenders (who acquired and released it in between).
	return nil, &HeldError{Key: key}
}

// Release gives the lease back: it overwrites it with a released one, if it is still ours. It
// returns an error wrapping ErrLost when the lease expired and was taken over (or deleted)
// meanwhile, and S3's error when the write failed (the lease then lapses at Expires). A 409
// ConditionalRequestConflict (a concurrent conditional write, a contender trying to take the
// lease) is answered as S3 says, by writing again once it is done (shared/s3doc): the contender's
// write fails while the lease is ours. Releasing twice is a no-op.
func (le *Lease) Release(ctx context.Context) error {
	if le.released {
		return nil
	}
	_, err := le.l.put(ctx, le.Key, record{Owner: le.Owner, Expires: le.l.now(), Released: true}, le.etag)
	switch {
	case err == nil:
		le.released = true
		return nil
	case errors.Is(err, s3doc.ErrChanged):
		return fmt.Errorf("release lease %s: %w: %w", le.Key, ErrLost, err)
	}
	return fmt.Errorf("release lease %s: %w", le.Key, err)
}

// put writes rec to key: only if absent when etag is "", else only over that ETag. It returns
// the new object's ETag.
func (l *Locker) put(ctx context.Context, key string, rec record, etag string) (string, error) {
	b := s3doc.Bucket{S3: l.S3, Name: l.Bucket}
	if etag == "" {
		return b.Create(ctx, key, rec)
	}
	return b.Replace(ctx, key, etag, rec)
}

// get reads the lease at key and its ETag. An unreadable lease reads as released, so that a
// corrupt object cannot block the key for ever.
func (l *Locker) get(ctx context.Context, key string) (record, string, error) {
	var rec record
	etag, err := s3doc.Bucket{S3: l.S3, Name: l.Bucket}.Get(ctx, s3doc.Lease, key, &rec)
	if errors.Is(err, s3doc.ErrUnreadable) {
		return record{Released: true}, etag, nil
	}
	return rec, etag, err
}

func (l *Locker) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
