package s3doc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

const bucket = "ivs-sessions-archive"

// doc is a document of the tests.
type doc struct {
	Owner string `json:"owner"`
	N     int    `json:"n"`
}

var testKind = Kind{Name: "test document", MaxBytes: 64}

// server is the local S3 (in memory) behind a recorder of answers, with a real client.
type server struct {
	s3  *locals3.Server
	c   *s3.Client
	b   Bucket
	mu  sync.Mutex
	got map[int]int // status -> answers
	// before, when set, answers a request instead of the server (ok false: the server answers).
	before func(w http.ResponseWriter, r *http.Request) bool
	// after, when set, runs once the server has answered, before the answer leaves.
	after func(r *http.Request, status int)
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{s3: locals3.NewMemory(), got: map[int]int{}}
	if err := s.s3.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	next := s.s3.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		before, after := s.before, s.after
		s.mu.Unlock()
		if before != nil && before(w, r) {
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		s.mu.Lock()
		s.got[rec.Code]++
		s.mu.Unlock()
		if after != nil {
			after(r, rec.Code)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(hs.Close)
	s.c = s3.New(s3.Options{
		BaseEndpoint: aws.String(hs.URL), Region: "us-east-1", UsePathStyle: true, Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		DisableLogOutputChecksumValidationSkipped: true,
		HTTPClient: sdkhttp.New(),
	})
	s.b = Bucket{S3: s.c, Name: bucket}
	return s
}

// intercept sets the server's before and after functions (nil: none).
func (s *server) intercept(before func(w http.ResponseWriter, r *http.Request) bool, after func(r *http.Request, status int)) {
	s.mu.Lock()
	s.before, s.after = before, after
	s.mu.Unlock()
}

func (s *server) answers(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[status]
}

// raw writes body at key, unconditionally, bypassing the package.
func (s *server) raw(t *testing.T, key, body string) {
	t.Helper()
	if _, err := s.c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// stored reads the object at key, bypassing the package.
func (s *server) stored(t *testing.T, key string) string {
	t.Helper()
	out, err := s.c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// s3Error answers w with an S3 error.
func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>test</RequestId></Error>`, code)
}

func TestGet(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	s.raw(t, "good", `{"owner":"a","n":1}`)
	s.raw(t, "not-json", `{"owner":`)
	s.raw(t, "too-large", `{"owner":"`+strings.Repeat("x", 100)+`"}`)

	var d doc
	etag, err := s.b.Get(ctx, testKind, "good", &d)
	if err != nil || etag == "" || d != (doc{Owner: "a", N: 1}) {
		t.Errorf("Get(good) = %+v, etag %q, %v; want a's document and its ETag", d, etag, err)
	}
	tests := map[string]struct {
		key      string
		want     error // the sentinel wrapped; nil: none of them
		wantETag bool
	}{
		"missing":   {key: "missing", want: ErrNotFound},
		"not JSON":  {key: "not-json", want: ErrUnreadable, wantETag: true},
		"too large": {key: "too-large", want: ErrUnreadable, wantETag: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			etag, err := s.b.Get(ctx, testKind, tc.key, &d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Get = %v, want %v", err, tc.want)
			}
			if (etag != "") != tc.wantETag {
				t.Errorf("ETag %q, want one: %v", etag, tc.wantETag)
			}
			if !strings.Contains(err.Error(), "s3://"+bucket+"/"+tc.key) {
				t.Errorf("error %q does not name the object", err)
			}
		})
	}
	t.Run("S3 fails", func(t *testing.T) {
		s.intercept(func(w http.ResponseWriter, _ *http.Request) bool { s3Error(w, 500, "InternalError"); return true }, nil)
		defer s.intercept(nil, nil)
		_, err := s.b.Get(ctx, testKind, "good", &d)
		for _, sentinel := range []error{ErrNotFound, ErrUnreadable, ErrExists, ErrChanged, ErrConflict} {
			if errors.Is(err, sentinel) {
				t.Errorf("Get = %v: a 500 is not %v", err, sentinel)
			}
		}
		if err == nil || !strings.Contains(err.Error(), "InternalError") {
			t.Errorf("Get = %v, want S3's error", err)
		}
	})
}

func TestCreateAndReplace(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	etag, err := s.b.Create(ctx, "k", doc{Owner: "a"})
	if err != nil || etag == "" {
		t.Fatalf("Create(absent) = %q, %v", etag, err)
	}
	if _, err := s.b.Create(ctx, "k", doc{Owner: "b"}); !errors.Is(err, ErrExists) {
		t.Errorf("Create(existing) = %v, want ErrExists", err)
	}
	if _, err := s.b.Replace(ctx, "k", `"stale"`, doc{Owner: "b"}); !errors.Is(err, ErrChanged) {
		t.Errorf("Replace(stale ETag) = %v, want ErrChanged", err)
	}
	next, err := s.b.Replace(ctx, "k", etag, doc{Owner: "b", N: 2})
	if err != nil || next == etag {
		t.Fatalf("Replace(current ETag) = %q, %v", next, err)
	}
	if got := s.stored(t, "k"); got != `{"owner":"b","n":2}` {
		t.Errorf("stored %s, want b's", got)
	}
	if _, err := s.b.Replace(ctx, "gone", next, doc{}); !errors.Is(err, ErrChanged) {
		t.Errorf("Replace(missing key) = %v, want ErrChanged (S3 answers 404)", err)
	}
	if s.answers(http.StatusNotFound) == 0 || s.answers(http.StatusPreconditionFailed) < 2 {
		t.Errorf("answers %v: the cases did not meet S3's 404 and 412", s.got)
	}
	if _, err := s.b.Put(ctx, "k", doc{Owner: "c"}); err != nil {
		t.Fatal(err)
	}
	if got := s.stored(t, "k"); got != `{"owner":"c","n":0}` {
		t.Errorf("stored %s after Put, want c's", got)
	}
}

// TestCreateAfterConflict: a create that meets another conditional write in progress (S3
// answers 409 ConditionalRequestConflict) does not take it for "already written": the other
// write fails here, and the document is written once it is done.
func TestCreateAfterConflict(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	// The other writer's conditional write (If-Match on a key that has no object: it fails)
	// is held in progress until the create has met it.
	entered, proceed, otherDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var hold sync.Once
	s.s3.SetConditionalWriteHook(func(string, string) {
		hold.Do(func() {
			close(entered)
			<-proceed
		})
	})
	var met sync.Once
	s.intercept(nil, func(r *http.Request, status int) {
		if status == http.StatusConflict {
			// The 409 leaves only once the other write has failed: the retry finds the key free.
			met.Do(func() {
				close(proceed)
				if err := <-otherDone; !IsNotFound(err) {
					t.Errorf("the other write: %v, want 404 (its key has no object)", err)
				}
			})
		}
	})
	go func() {
		_, err := s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), IfMatch: aws.String(`"x"`), Body: strings.NewReader("{}")})
		otherDone <- err
	}()
	<-entered
	etag, err := s.b.Create(ctx, "k", doc{Owner: "a"})
	if err != nil || etag == "" {
		t.Fatalf("Create after a 409 = %q, %v; want the document written", etag, err)
	}
	if got := s.stored(t, "k"); got != `{"owner":"a","n":0}` {
		t.Errorf("stored %s, want a's document", got)
	}
	if s.answers(http.StatusConflict) != 1 {
		t.Errorf("S3 answered 409 %d times, want 1: the test did not test it", s.answers(http.StatusConflict))
	}
}

// TestConflictEveryTime: a write that meets 409 on every attempt reports ErrConflict (transient),
// neither written nor "exists".
func TestConflictEveryTime(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	var puts atomic.Int32
	s.intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut {
			return false
		}
		puts.Add(1)
		s3Error(w, http.StatusConflict, "ConditionalRequestConflict")
		return true
	}, nil)
	_, err := s.b.Create(ctx, "k", doc{})
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrExists) {
		t.Errorf("Create = %v, want ErrConflict", err)
	}
	if _, err := s.b.Replace(ctx, "k", `"e"`, doc{}); !errors.Is(err, ErrConflict) || errors.Is(err, ErrChanged) {
		t.Errorf("Replace = %v, want ErrConflict", err)
	}
	if n := puts.Load(); n != 2*Attempts {
		t.Errorf("%d PUTs, want %d per write", n, Attempts)
	}
}

// TestUpdate: the read-change-write loop creates, replaces, writes nothing when asked, never
// overwrites an unreadable document, and starts again when it loses the race.
func TestUpdate(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	incr := func(cur doc, found bool) (doc, bool, error) {
		cur.N++
		return cur, true, nil
	}
	r, err := Update(ctx, s.b, testKind, "k", incr)
	if err != nil || !r.Created || !r.Written || r.Attempts != 1 {
		t.Fatalf("Update(absent) = %+v, %v; want created", r, err)
	}
	r, err = Update(ctx, s.b, testKind, "k", incr)
	if err != nil || r.Created || !r.Written {
		t.Fatalf("Update(present) = %+v, %v; want replaced", r, err)
	}
	r, err = Update(ctx, s.b, testKind, "k", func(cur doc, found bool) (doc, bool, error) { return cur, false, nil })
	if err != nil || r.Written {
		t.Fatalf("Update(no change) = %+v, %v; want nothing written", r, err)
	}
	if got := s.stored(t, "k"); got != `{"owner":"","n":2}` {
		t.Errorf("stored %s, want n 2", got)
	}

	t.Run("lost the race", func(t *testing.T) {
		// The first round's change lets another writer update the key before it writes: its
		// write loses (412) and the second round starts from the other writer's document.
		rounds := 0
		r, err := Update(ctx, s.b, testKind, "k", func(cur doc, found bool) (doc, bool, error) {
			rounds++
			if rounds == 1 {
				if _, err := Update(ctx, s.b, testKind, "k", incr); err != nil {
					t.Fatal(err)
				}
			}
			cur.N += 10
			return cur, true, nil
		})
		if err != nil || r.Attempts != 2 || rounds != 2 {
			t.Fatalf("Update = %+v, %v after %d rounds; want written on the second", r, err, rounds)
		}
		if got := s.stored(t, "k"); got != `{"owner":"","n":13}` {
			t.Errorf("stored %s, want both updates (n 13)", got)
		}
	})
	t.Run("always loses", func(t *testing.T) {
		_, err := Update(ctx, s.b, testKind, "k", func(cur doc, found bool) (doc, bool, error) {
			if _, err := Update(ctx, s.b, testKind, "k", incr); err != nil {
				t.Fatal(err)
			}
			return cur, true, nil
		})
		if !errors.Is(err, ErrChanged) {
			t.Errorf("Update = %v, want ErrChanged after %d rounds", err, Attempts)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		s.raw(t, "bad", "not json")
		called := false
		_, err := Update(ctx, s.b, testKind, "bad", func(cur doc, found bool) (doc, bool, error) { called = true; return cur, true, nil })
		if !errors.Is(err, ErrUnreadable) || called {
			t.Errorf("Update = %v (change called: %v), want ErrUnreadable without a change", err, called)
		}
		if got := s.stored(t, "bad"); got != "not json" {
			t.Errorf("the unreadable document was overwritten: %s", got)
		}
	})
	t.Run("concurrent writers", func(t *testing.T) {
		const writers = 8
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for {
					_, err := Update(ctx, s.b, testKind, "c", incr)
					if err == nil {
						return
					}
					if !errors.Is(err, ErrChanged) && !errors.Is(err, ErrConflict) {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		var d doc
		if _, err := s.b.Get(ctx, testKind, "c", &d); err != nil || d.N != writers {
			t.Errorf("n = %d, %v; want %d: an update was lost", d.N, err, writers)
		}
	})
}

func TestIsNotFound(t *testing.T) {
	if !IsNotFound(&types.NoSuchKey{}) || IsNotFound(errors.New("NoSuchKey")) || IsNotFound(nil) {
		t.Error("IsNotFound decides on the SDK's type, not on a message")
	}
}

func TestPauseEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pause(ctx, 1000); !errors.Is(err, context.Canceled) {
		t.Errorf("pause = %v, want context.Canceled", err)
	}
}
