package lease_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ivs-sessions/ivs-sessions/shared/lease"
	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

const (
	bucket = "ivs-sessions-archive"
	key    = "locks/channel=AbCdef1G2hij.json"
	ttl    = time.Minute
)

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newS3 starts a local S3 (in memory) with the bucket and returns a real client for it.
func newS3(t testing.TB) *s3.Client {
	t.Helper()
	srv := locals3.NewMemory()
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(hs.URL), Region: "us-east-1", UsePathStyle: true, Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: sdkhttp.New(),
		DisableLogOutputChecksumValidationSkipped: true,
	})
}

func newLocker(t testing.TB) (*lease.Locker, *s3.Client, *clock) {
	t.Helper()
	c := newS3(t)
	clk := &clock{now: time.Date(2026, 11, 3, 17, 40, 0, 0, time.UTC)}
	return &lease.Locker{S3: c, Bucket: bucket, TTL: ttl, Now: clk.Now}, c, clk
}

// stored returns the lease object as S3 holds it.
func stored(t *testing.T, c *s3.Client) map[string]any {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get the lease object: %v", err)
	}
	defer out.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(out.Body).Decode(&m); err != nil {
		t.Fatalf("lease object: %v", err)
	}
	return m
}

func acquire(t *testing.T, l *lease.Locker, owner string) *lease.Lease {
	t.Helper()
	le, err := l.Acquire(context.Background(), key, owner)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", owner, err)
	}
	return le
}

// vanishing is a Store whose first GetObject finds the object deleted (as by a lifecycle
// expiry) between the refused create and the read.
type vanishing struct {
	*s3.Client
	once sync.Once
}

func (v *vanishing) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	var err error
	v.once.Do(func() { _, err = v.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: in.Bucket, Key: in.Key}) })
	if err != nil {
		return nil, err
	}
	return v.Client.GetObject(ctx, in, optFns...)
}

func TestAcquire(t *testing.T) {
	tests := map[string]struct {
		before func(t *testing.T, l *lease.Locker, c *s3.Client, clk *clock) // the key's state
		vanish bool                                                          // the object is deleted before it is read

		wantHolder string // "" : acquired by "b"; else held by this owner
	}{
		"absent: created": {},
		"live, another owner: held": {
			before:     func(t *testing.T, l *lease.Locker, _ *s3.Client, _ *clock) { acquire(t, l, "a") },
			wantHolder: "a",
		},
		"live, the same owner: held (a duplicate delivery of one message)": {
			before:     func(t *testing.T, l *lease.Locker, _ *s3.Client, _ *clock) { acquire(t, l, "b") },
			wantHolder: "b",
		},
		"live until the last instant: held": {
			before: func(t *testing.T, l *lease.Locker, _ *s3.Client, clk *clock) {
				acquire(t, l, "a")
				clk.Advance(ttl - time.Nanosecond)
			},
			wantHolder: "a",
		},
		"expired: taken over": {
			before: func(t *testing.T, l *lease.Locker, _ *s3.Client, clk *clock) {
				acquire(t, l, "a")
				clk.Advance(ttl)
			},
		},
		"released: taken over at once": {
			before: func(t *testing.T, l *lease.Locker, _ *s3.Client, _ *clock) {
				if err := acquire(t, l, "a").Release(context.Background()); err != nil {
					t.Fatal(err)
				}
			},
		},
		"unreadable: taken over": {
			before: func(t *testing.T, _ *lease.Locker, c *s3.Client, _ *clock) {
				if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("{not json")}); err != nil {
					t.Fatal(err)
				}
			},
		},
		"vanished between the refused create and the read: created again": {
			before: func(t *testing.T, l *lease.Locker, _ *s3.Client, _ *clock) { acquire(t, l, "a") },
			vanish: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l, c, clk := newLocker(t)
			if tc.before != nil {
				tc.before(t, l, c, clk)
			}
			if tc.vanish {
				l.S3 = &vanishing{Client: c}
			}
			le, err := l.Acquire(context.Background(), key, "b")
			if tc.wantHolder != "" {
				var held *lease.HeldError
				if !errors.As(err, &held) || held.Owner != tc.wantHolder || held.Key != key || held.Expires.IsZero() {
					t.Fatalf("Acquire = %+v, %v; want a HeldError naming %s and its expiry", le, err, tc.wantHolder)
				}
				if !strings.Contains(err.Error(), `held by "`+tc.wantHolder+`" until `) {
					t.Errorf("error %q, want the holder and the expiry", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Acquire: %v, want the lease", err)
			}
			want := clk.Now().Add(ttl)
			if le.Key != key || le.Owner != "b" || !le.Expires.Equal(want) {
				t.Errorf("lease %+v, want %s held by b until %s", le, key, want)
			}
			if got := stored(t, c); got["owner"] != "b" || got["expires"] != want.Format(time.RFC3339Nano) || got["released"] != nil {
				t.Errorf("stored lease %v, want owner b until %s", got, want)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	ctx := context.Background()
	t.Run("released, then acquired by the next", func(t *testing.T) {
		l, c, clk := newLocker(t)
		le := acquire(t, l, "a")
		if err := le.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if got := stored(t, c); got["owner"] != "a" || got["released"] != true || got["expires"] != clk.Now().Format(time.RFC3339Nano) {
			t.Errorf("stored lease after release %v, want released by a now", got)
		}
		if err := le.Release(ctx); err != nil {
			t.Errorf("second Release: %v, want nil (a no-op)", err)
		}
		if got := stored(t, c); got["released"] != true {
			t.Errorf("the second Release rewrote the lease: %v", got)
		}
		acquire(t, l, "b")
	})
	t.Run("expired and taken over: lost, the new holder keeps it", func(t *testing.T) {
		l, _, clk := newLocker(t)
		le := acquire(t, l, "a")
		clk.Advance(2 * ttl)
		acquire(t, l, "b")
		if err := le.Release(ctx); !errors.Is(err, lease.ErrLost) {
			t.Fatalf("Release of a lease taken over: %v, want ErrLost", err)
		}
		var held *lease.HeldError
		if _, err := l.Acquire(ctx, key, "c"); !errors.As(err, &held) || held.Owner != "b" {
			t.Errorf("Acquire after the lost release: %v, want held by b", err)
		}
	})
	t.Run("S3 fails: the error, not ErrLost", func(t *testing.T) {
		l, _, _ := newLocker(t)
		le := acquire(t, l, "a")
		l.Bucket = "no-such-bucket" // the lease's Locker is l
		err := le.Release(ctx)
		if err == nil || errors.Is(err, lease.ErrLost) || !strings.Contains(err.Error(), "NoSuchBucket") {
			t.Errorf("Release = %v, want S3's NoSuchBucket", err)
		}
	})
}

func TestAcquireErrors(t *testing.T) {
	c := newS3(t)
	tests := map[string]struct {
		l    lease.Locker
		key  string
		want string
	}{
		"no client":      {lease.Locker{Bucket: bucket, TTL: ttl}, key, "S3 and Bucket"},
		"no bucket":      {lease.Locker{S3: c, TTL: ttl}, key, "S3 and Bucket"},
		"no TTL":         {lease.Locker{S3: c, Bucket: bucket}, key, "TTL"},
		"no key":         {lease.Locker{S3: c, Bucket: bucket, TTL: ttl}, "", "key"},
		"unknown bucket": {lease.Locker{S3: c, Bucket: "no-such-bucket", TTL: ttl}, key, "NoSuchBucket"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			le, err := tc.l.Acquire(context.Background(), tc.key, "a")
			var held *lease.HeldError
			if err == nil || errors.As(err, &held) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Acquire = %+v, %v; want an error about %s, not a HeldError", le, err, tc.want)
			}
		})
	}
}

// TestRace: contenders that acquire one lease at the same moment (each its own Locker, as
// concurrent Lambda invocations have) get it exactly once, whether they create it or take over
// an expired one.
func TestRace(t *testing.T) {
	const contenders, rounds = 4, 10
	tests := map[string]func(t *testing.T, l *lease.Locker, clk *clock){
		"create": func(*testing.T, *lease.Locker, *clock) {},
		"take over an expired lease": func(t *testing.T, l *lease.Locker, clk *clock) {
			acquire(t, l, "crashed")
			clk.Advance(ttl)
		},
		"take over a released lease": func(t *testing.T, l *lease.Locker, _ *clock) {
			if err := acquire(t, l, "done").Release(context.Background()); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, before := range tests {
		t.Run(name, func(t *testing.T) {
			for range rounds {
				l, c, clk := newLocker(t)
				before(t, l, clk)
				start := make(chan struct{})
				results := make(chan error, contenders)
				var wg sync.WaitGroup
				for i := range contenders {
					own := &lease.Locker{S3: c, Bucket: bucket, TTL: ttl, Now: clk.Now}
					wg.Go(func() {
						<-start
						_, err := own.Acquire(context.Background(), key, "m"+string(rune('0'+i)))
						results <- err
					})
				}
				close(start)
				wg.Wait()
				close(results)
				won := 0
				for err := range results {
					var held *lease.HeldError
					switch {
					case err == nil:
						won++
					case !errors.As(err, &held):
						t.Errorf("a contender got %v, want the lease or a HeldError", err)
					}
				}
				if won != 1 {
					t.Fatalf("%d contenders acquired the lease, want exactly 1", won)
				}
			}
		})
	}
}

// ExampleLocker shows a lease acquired, refused to a second owner, released and taken again.
func ExampleLocker() {
	srv := locals3.NewMemory()
	_ = srv.CreateBucket("locks-example")
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(hs.URL), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: sdkhttp.New(),
		DisableLogOutputChecksumValidationSkipped: true,
	})
	ctx := context.Background()
	l := &lease.Locker{S3: client, Bucket: "locks-example", TTL: time.Minute}

	first, err := l.Acquire(ctx, "locks/channel=AbCdef1G2hij.json", "message-1")
	if err != nil {
		panic(err)
	}
	fmt.Println("acquired by", first.Owner)

	var held *lease.HeldError
	if _, err := l.Acquire(ctx, "locks/channel=AbCdef1G2hij.json", "message-2"); errors.As(err, &held) {
		fmt.Println("refused: held by", held.Owner)
	}

	if err := first.Release(ctx); err != nil {
		panic(err)
	}
	second, err := l.Acquire(ctx, "locks/channel=AbCdef1G2hij.json", "message-2")
	if err != nil {
		panic(err)
	}
	fmt.Println("acquired by", second.Owner)
	// Output:
	// acquired by message-1
	// refused: held by message-1
	// acquired by message-2
}

// lostAnswer is a Store whose first PutObject succeeds but answers 412, as the SDK's retry of a
// create whose answer was lost does.
type lostAnswer struct {
	*s3.Client
	once sync.Once
}

func (l *lostAnswer) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	out, err := l.Client.PutObject(ctx, in, optFns...)
	lost := false
	l.once.Do(func() { lost = err == nil })
	if lost {
		// As the SDK returns S3's answer: the API error inside the HTTP response error.
		return nil, &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusPreconditionFailed}},
			Err:      &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"},
		}}
	}
	return out, err
}

// A create that succeeded but whose answer was lost is adopted, not read as someone else's
// live lease; a redelivery of the same message (same owner, later attempt) is still refused.
func TestAcquireAdoptsItsOwnLostWrite(t *testing.T) {
	l, c, _ := newLocker(t)
	l.S3 = &lostAnswer{Client: c}
	le := acquire(t, l, "msg-1")
	if le.Owner != "msg-1" {
		t.Errorf("owner %q, want msg-1", le.Owner)
	}
	if _, err := l.Acquire(context.Background(), key, "msg-1"); !errors.As(err, new(*lease.HeldError)) {
		t.Errorf("a second Acquire by the same owner = %v, want HeldError (a live lease is never re-entered)", err)
	}
	if err := le.Release(context.Background()); err != nil {
		t.Fatalf("Release of the adopted lease: %v (its ETag must be the stored one)", err)
	}
	if got := stored(t, c)["released"]; got != true {
		t.Errorf("stored lease released = %v, want true", got)
	}
}

// conflicted is a Store that calls onConflict (once) when S3 answers a PutObject with 409.
type conflicted struct {
	*s3.Client
	once       sync.Once
	onConflict func()
}

func (c *conflicted) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	out, err := c.Client.PutObject(ctx, in, optFns...)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ConditionalRequestConflict" {
		c.once.Do(c.onConflict)
	}
	return out, err
}

// TestReleaseRetriesConflict: a release that meets a contender's conditional write in progress
// (S3 answers 409 ConditionalRequestConflict) re-reads the lease, finds it still its own, and
// releases it once the contender's write is done, as S3's documentation says to; the lease is
// not left to lapse.
func TestReleaseRetriesConflict(t *testing.T) {
	ctx := context.Background()
	srv := locals3.NewMemory()
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c := s3.New(s3.Options{
		BaseEndpoint: aws.String(hs.URL), Region: "us-east-1", UsePathStyle: true, Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: sdkhttp.New(),
		DisableLogOutputChecksumValidationSkipped: true,
	})
	a := &lease.Locker{S3: c, Bucket: bucket, TTL: ttl}
	le, err := a.Acquire(ctx, key, "a")
	if err != nil {
		t.Fatal(err)
	}

	// The contender's conditional write is held in progress until a's release has met it.
	entered, proceed := make(chan struct{}), make(chan struct{})
	var hold sync.Once
	srv.SetConditionalWriteHook(func(string, string) {
		hold.Do(func() {
			close(entered)
			<-proceed
		})
	})
	contender := make(chan error, 1)
	go func() {
		_, err := (&lease.Locker{S3: c, Bucket: bucket, TTL: ttl}).Acquire(ctx, key, "b")
		contender <- err
	}()
	<-entered
	a.S3 = &conflicted{Client: c, onConflict: func() { close(proceed); <-contender }}
	if err := le.Release(ctx); err != nil {
		t.Fatalf("Release after a 409: %v, want nil", err)
	}
	if got := stored(t, c); got["owner"] != "a" || got["released"] != true {
		t.Errorf("stored lease %v, want released by a", got)
	}
	select {
	case <-proceed:
	default:
		t.Fatal("the release never met a 409: the test did not test it")
	}
}

// TestAcquireAfterLeaseDeleted: a takeover (If-Match on the expired lease's ETag) of a lease
// deleted meanwhile (a lifecycle expiry) meets S3's 404 and creates the lease instead.
func TestAcquireAfterLeaseDeleted(t *testing.T) {
	ctx := context.Background()
	l, c, clk := newLocker(t)
	acquire(t, l, "a")
	clk.Advance(2 * ttl)
	l.S3 = &deletedBeforePut{Client: c}
	le := acquire(t, l, "b")
	if got := stored(t, c); got["owner"] != "b" || le.Owner != "b" {
		t.Errorf("stored lease %v, want b's", got)
	}
	if err := le.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// deletedBeforePut deletes the object before the first If-Match write to it.
type deletedBeforePut struct {
	*s3.Client
	once sync.Once
}

func (d *deletedBeforePut) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if in.IfMatch != nil {
		var err error
		d.once.Do(func() { _, err = d.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: in.Bucket, Key: in.Key}) })
		if err != nil {
			return nil, err
		}
	}
	return d.Client.PutObject(ctx, in, optFns...)
}
