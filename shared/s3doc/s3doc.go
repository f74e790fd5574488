package s3doc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Getter is the S3 call a Reader makes.
type Getter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// API is the S3 calls a Bucket makes.
type API interface {
	Getter
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// Kind is a kind of document: its name, in errors, and the most Get reads of one.
type Kind struct {
	Name     string
	MaxBytes int64
}

// The kinds of document the suite keeps, with one read limit each.
var (
	// SessionRecord is a session's record (sessions/...): at most 500 events from
	// GetStreamSession plus those its events added, far below the limit.
	SessionRecord = Kind{Name: "session record", MaxBytes: 16 << 20}
	// Correction is a correction beside the sessions (corrections/...): two channels and a
	// decision, a few KiB.
	Correction = Kind{Name: "correction", MaxBytes: 1 << 20}
	// Lease is a channel's lease (shared/lease): under 200 bytes.
	Lease = Kind{Name: "lease", MaxBytes: 64 << 10}
	// Intent is a session's intent record (the corrector): under 4 KiB.
	Intent = Kind{Name: "intent record", MaxBytes: 64 << 10}
	// AppliedIndex is a channel's applied corrections (session.AppliedCorrections): at most
	// session.AppliedMax keys of about 150 bytes.
	AppliedIndex = Kind{Name: "applied corrections", MaxBytes: 64 << 10}
	// SweepState is a sweep window's progress (shared/sweep): the channels of the account and
	// the sessions still to fetch, about 100 bytes each.
	SweepState = Kind{Name: "sweep state", MaxBytes: 64 << 20}
)

// ContentType is the content type of every document.
const ContentType = "application/json"

// Attempts bounds the writes of one Create or Replace that meet 409 ConditionalRequestConflict,
// and the rounds of one Update that lose the race.
const Attempts = 5

// backoff is the upper bound of the random pause before attempt n+1, times n: it spreads out
// writers that keep colliding on one key. A variable so that tests may shorten it.
var backoff = 20 * time.Millisecond

// The conditions of a document, wrapped by the errors of the operations (match with errors.Is).
var (
	// ErrNotFound: the key holds no object.
	ErrNotFound = errors.New("no such document")
	// ErrUnreadable: the object is not a JSON document of its kind, or larger than its limit.
	ErrUnreadable = errors.New("unreadable document")
	// ErrExists: Create found an object at the key (412 PreconditionFailed to If-None-Match).
	ErrExists = errors.New("document exists")
	// ErrChanged: the object is no longer the one read (412 PreconditionFailed to If-Match, 404
	// NoSuchKey: deleted since), or Update lost the race Attempts times.
	ErrChanged = errors.New("document changed since it was read")
	// ErrConflict: every attempt met another conditional write in progress (409
	// ConditionalRequestConflict). Transient: try again later.
	ErrConflict = errors.New("conditional writes in progress")
)

// Codes of S3's "no such object" answers, from the SDK's typed errors.
var (
	codeNoSuchKey = (*types.NoSuchKey)(nil).ErrorCode()
	codeNotFound  = (*types.NotFound)(nil).ErrorCode()
)

// Bucket holds the documents of one S3 bucket. Its fields are set once; it is safe for
// concurrent use.
type Bucket struct {
	S3   API
	Name string
}

// Get reads the document at key into v (json.Unmarshal) and returns its ETag, as Reader.Get.
func (b Bucket) Get(ctx context.Context, kind Kind, key string, v any) (etag string, err error) {
	return Reader{S3: b.S3, Name: b.Name}.Get(ctx, kind, key, v)
}

// Reader reads the documents of one S3 bucket, for a function that only reads them. Its fields
// are set once; it is safe for concurrent use.
type Reader struct {
	S3   Getter
	Name string
}

// Get reads the document at key into v (json.Unmarshal) and returns its ETag. It reads at most
// kind.MaxBytes. The error wraps ErrNotFound when there is none, ErrUnreadable (with the ETag
// returned) when the body is not kind's JSON or is larger, and S3's error otherwise.
func (b Reader) Get(ctx context.Context, kind Kind, key string, v any) (etag string, err error) {
	out, err := b.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	if err != nil {
		if IsNotFound(err) {
			return "", b.fail("get", key, ErrNotFound, err)
		}
		return "", b.fail("get", key, nil, err)
	}
	defer out.Body.Close()
	etag = aws.ToString(out.ETag)
	data, err := io.ReadAll(io.LimitReader(out.Body, kind.MaxBytes+1))
	if err != nil {
		return "", b.fail("read", key, nil, err)
	}
	if int64(len(data)) > kind.MaxBytes {
		return etag, b.fail("read", key, ErrUnreadable, fmt.Errorf("a %s is at most %d bytes", kind.Name, kind.MaxBytes))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return etag, b.fail("read", key, ErrUnreadable, fmt.Errorf("not a %s: %w", kind.Name, err))
	}
	return etag, nil
}

// Create writes v (JSON) at key only if the key holds no object, and returns the new ETag. The
// error wraps ErrExists when an object is there, ErrConflict when every attempt met another
// conditional write in progress, and S3's error otherwise.
func (b Bucket) Create(ctx context.Context, key string, v any) (string, error) {
	return b.write(ctx, "create", key, "", v)
}

// Replace writes v (JSON) at key only if the object there still has etag, and returns the new
// ETag. The error wraps ErrChanged when it has another (or was deleted), ErrConflict when every
// attempt met another conditional write in progress, and S3's error otherwise.
func (b Bucket) Replace(ctx context.Context, key, etag string, v any) (string, error) {
	if etag == "" {
		return "", b.fail("replace", key, nil, errors.New("no ETag to match"))
	}
	return b.write(ctx, "replace", key, etag, v)
}

// Encoder is a document that encodes itself (a session record: session.Record.EncodeJSON, one
// pass instead of encoding/json's two); every other document is encoded with json.Marshal.
type Encoder interface {
	EncodeJSON() ([]byte, error)
}

// encode returns v's JSON.
func encode(v any) ([]byte, error) {
	if e, ok := v.(Encoder); ok {
		return e.EncodeJSON()
	}
	return json.Marshal(v)
}

// Put writes v (JSON) at key whatever is there, for a writer that holds the key's lease, and
// returns the new ETag.
func (b Bucket) Put(ctx context.Context, key string, v any) (string, error) {
	body, err := encode(v)
	if err != nil {
		return "", b.fail("encode", key, nil, err)
	}
	out, err := b.S3.PutObject(ctx, b.putInput(key, body))
	if err != nil {
		return "", b.fail("put", key, nil, err)
	}
	return aws.ToString(out.ETag), nil
}

// write is Create (etag "") and Replace: one conditional PutObject, again after a pause while
// S3 answers 409.
func (b Bucket) write(ctx context.Context, op, key, etag string, v any) (string, error) {
	body, err := encode(v)
	if err != nil {
		return "", b.fail("encode", key, nil, err)
	}
	var last error
	for attempt := 1; attempt <= Attempts; attempt++ {
		if attempt > 1 {
			if err := pause(ctx, attempt-1); err != nil {
				return "", b.fail(op, key, ErrConflict, errors.Join(err, last))
			}
		}
		in := b.putInput(key, body)
		if etag == "" {
			in.IfNoneMatch = aws.String("*")
		} else {
			in.IfMatch = aws.String(etag)
		}
		out, err := b.S3.PutObject(ctx, in)
		switch {
		case err == nil:
			return aws.ToString(out.ETag), nil
		case inProgress(err):
			last = err // the other write may fail: write again once it is done
			continue
		case preconditionFailed(err) && etag == "":
			return "", b.fail(op, key, ErrExists, err)
		case preconditionFailed(err), IsNotFound(err):
			return "", b.fail(op, key, ErrChanged, err)
		}
		return "", b.fail(op, key, nil, err)
	}
	return "", b.fail(op, key, ErrConflict, last)
}

func (b Bucket) putInput(key string, body []byte) *s3.PutObjectInput {
	return &s3.PutObjectInput{
		Bucket: aws.String(b.Name), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String(ContentType),
	}
}

// Result says what Update did.
type Result struct {
	Created  bool // the key held no document: it was created
	Written  bool // false: the change asked for no write
	Attempts int  // rounds of read, change and write
}

// Update changes the document at key: it reads it (found is false when there is none; cur is
// then T's zero value), calls change, and writes what change returns with Create or Replace, as
// long as change says to write. A write that lost the race (another writer's came first) starts
// again from the read, after a pause, at most Attempts times; then the error wraps ErrChanged.
// An unreadable document is never overwritten: the error wraps ErrUnreadable. change's own
// error is returned as it is.
func Update[T any](ctx context.Context, b Bucket, kind Kind, key string, change func(cur T, found bool) (next T, write bool, err error)) (Result, error) {
	var last error
	for attempt := 1; attempt <= Attempts; attempt++ {
		if attempt > 1 {
			if err := pause(ctx, attempt-1); err != nil {
				return Result{Attempts: attempt - 1}, b.fail("update", key, ErrChanged, errors.Join(err, last))
			}
		}
		var cur T
		etag, err := b.Get(ctx, kind, key, &cur)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Result{Attempts: attempt}, err
		}
		next, write, err := change(cur, found)
		if err != nil || !write {
			return Result{Attempts: attempt}, err
		}
		if found {
			_, err = b.Replace(ctx, key, etag, next)
		} else {
			_, err = b.Create(ctx, key, next)
		}
		switch {
		case err == nil:
			return Result{Created: !found, Written: true, Attempts: attempt}, nil
		case errors.Is(err, ErrExists), errors.Is(err, ErrChanged):
			last = err
			continue
		}
		return Result{Attempts: attempt}, err
	}
	return Result{Attempts: Attempts}, b.fail("update", key, ErrChanged, fmt.Errorf("%d writes lost to concurrent writers: %w", Attempts, last))
}

// IsNotFound reports whether err is S3's answer for a key that holds no object: the SDK's
// *types.NoSuchKey, or an API error with the code of its NoSuchKey or NotFound type (PutObject
// and HeadObject answers carry no modelled type).
func IsNotFound(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNotFound) {
		return true
	}
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode() == codeNoSuchKey || apiErr.ErrorCode() == codeNotFound)
}

// preconditionFailed reports whether err is S3's 412 Precondition Failed: the condition of a
// conditional write did not hold.
func preconditionFailed(err error) bool { return status(err) == http.StatusPreconditionFailed }

// inProgress reports whether err is S3's 409 Conflict to a conditional write
// (ConditionalRequestConflict): another conditional write to the key is in progress.
func inProgress(err error) bool { return status(err) == http.StatusConflict }

// status is the HTTP status of an S3 error answer, or 0.
func status(err error) int {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode()
	}
	return 0
}

// fail wraps cause (S3's error, or ours) with the operation, the object and, when not nil, the
// condition sentinel.
func (b Bucket) fail(op, key string, sentinel, cause error) error {
	return fail(op, b.Name, key, sentinel, cause)
}

func (b Reader) fail(op, key string, sentinel, cause error) error {
	return fail(op, b.Name, key, sentinel, cause)
}

func fail(op, bucket, key string, sentinel, cause error) error {
	if sentinel == nil {
		return fmt.Errorf("s3 %s s3://%s/%s: %w", op, bucket, key, cause)
	}
	return fmt.Errorf("s3 %s s3://%s/%s: %w: %w", op, bucket, key, sentinel, cause)
}

// pause waits a random time up to n times backoff, or until ctx ends.
func pause(ctx context.Context, n int) error {
	t := time.NewTimer(rand.N(time.Duration(n)*backoff) + time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
