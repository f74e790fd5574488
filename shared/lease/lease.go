package lease

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Store is the S3 API a Locker uses: GetObject and PutObject with If-None-Match and If-Match.
type Store interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ Store = (*s3.Client)(nil)

// Codes of S3's answers to a conditional write that lost.
const (
	codePreconditionFailed = "PreconditionFailed"         // 412: the condition did not hold
	codeConflict           = "ConditionalRequestConflict" // 409: a concurrent write to the key
)

var codeNoSuchKey = (*types.NoSuchKey)(nil).ErrorCode()

// attempts bounds how often Acquire writes: create, then at most two takeovers of an expired
// lease that another contender keeps winning.
const attempts = 3

// maxBody bounds what Acquire reads of a lease; ours are under 200 bytes.
const maxBody = 64 << 10

// Locker acquires leases stored as objects of one bucket. Its fields are set once; it is safe for
// concurrent use.
type Locker struct {
	S3     Store
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
		if err == nil {
			return &Lease{Key: key, Owner: owner, Expires: expires, etag: newETag, l: l}, nil
		}
		switch {
		case isCode(err, codeNoSuchKey) && etag != "":
			// If-Match on a key that is gone (a lifecycle expiry meanwhile): S3 answers 404.
			etag = ""
			continue
		case !lostRace(err):
			return nil, fmt.Errorf("lease %s: put: %w", key, err)
		}
		cur, curETag, err := l.get(ctx, key)
		switch {
		case isCode(err, codeNoSuchKey):
			etag = "" // released by a lifecycle expiry meanwhile: create it again
			continue
		case err != nil:
			return nil, fmt.Errorf("lease %s: get: %w", key, err)
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
// lease) is what S3 says to answer by re-reading and retrying: the lease is read again and, if
// it is still ours, released again. Releasing twice is a no-op.
func (le *Lease) Release(ctx context.Context) error {
	if le.released {
		return nil
	}
	for range attempts {
		_, err := le.l.put(ctx, le.Key, record{Owner: le.Owner, Expires: le.l.now(), Released: true}, le.etag)
		switch {
		case err == nil:
			le.released = true
			return nil
		case isCode(err, codeConflict):
			_, cur, gerr := le.l.get(ctx, le.Key)
			switch {
			case isCode(gerr, codeNoSuchKey):
				return fmt.Errorf("release lease %s: %w", le.Key, ErrLost)
			case gerr != nil:
				return fmt.Errorf("release lease %s: after a conflict: %w", le.Key, gerr)
			case cur != le.etag:
				return fmt.Errorf("release lease %s: %w", le.Key, ErrLost)
			}
			// Still ours: the contender's write did not happen. Retry once it is done.
			select {
			case <-ctx.Done():
				return fmt.Errorf("release lease %s: %w", le.Key, ctx.Err())
			case <-time.After(conflictBackoff):
			}
		case lostRace(err), isCode(err, codeNoSuchKey):
			return fmt.Errorf("release lease %s: %w", le.Key, ErrLost)
		default:
			return fmt.Errorf("release lease %s: %w", le.Key, err)
		}
	}
	return fmt.Errorf("release lease %s: %d conflicting writes: %w", le.Key, attempts, errConflicts)
}

// conflictBackoff is the wait before Release writes again after a 409: the concurrent write
// it met takes one S3 round trip.
var conflictBackoff = 20 * time.Millisecond

// errConflicts is wrapped by Release's error when every attempt met a concurrent write.
var errConflicts = errors.New("S3 kept answering ConditionalRequestConflict")

// put writes rec to key: only if absent when etag is "", else only over that ETag. It returns
// the new object's ETag.
func (l *Locker) put(ctx context.Context, key string, rec record, etag string) (string, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return "", fmt.Errorf("encode lease: %w", err)
	}
	in := &s3.PutObjectInput{
		Bucket: aws.String(l.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	out, err := l.S3.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// get reads the lease at key and its ETag. An unreadable lease reads as released, so that a
// corrupt object cannot block the key for ever.
func (l *Locker) get(ctx context.Context, key string) (record, string, error) {
	out, err := l.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.Bucket), Key: aws.String(key)})
	if err != nil {
		return record{}, "", err
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, maxBody))
	if err != nil {
		return record{}, "", fmt.Errorf("read: %w", err)
	}
	var rec record
	if err := json.Unmarshal(body, &rec); err != nil {
		rec = record{Released: true}
	}
	return rec, aws.ToString(out.ETag), nil
}

func (l *Locker) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// lostRace reports whether err is S3's answer to a conditional write whose condition failed.
func lostRace(err error) bool {
	return isCode(err, codePreconditionFailed) || isCode(err, codeConflict)
}

func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}
