package locals3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

const (
	bucket = "ivs-sessions-archive"
	key    = "sessions/year=2026/month=11/day=03/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn.json"
)

func client(url string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		UsePathStyle: true,
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	})
}

func serve(t *testing.T, s *locals3.Server) *s3.Client {
	t.Helper()
	if err := s.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(bucket); err != nil {
		t.Fatalf("CreateBucket of an existing bucket: %v, want nil", err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return client(srv.URL)
}

func put(ctx context.Context, c *s3.Client, body string, mod func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String("application/json")}
	if mod != nil {
		mod(in)
	}
	return c.PutObject(ctx, in)
}

func isPreconditionFailed(err error) bool { return isCode(err, "PreconditionFailed") }

func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// TestConcurrentConditionalWrites: while a conditional write to a key is in progress, another
// conditional write to the same key answers 409 ConditionalRequestConflict, as S3's; a write
// to another key, or an unconditional one, is not held up; once the first is done, a retry
// answers as its condition says.
func TestConcurrentConditionalWrites(t *testing.T) {
	ctx := context.Background()
	srv := locals3.NewMemory()
	c := serve(t, srv)
	entered, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv.SetConditionalWriteHook(func(_, k string) {
		if k != key {
			return
		}
		once.Do(func() {
			close(entered)
			<-proceed
		})
	})
	first := make(chan error, 1)
	go func() {
		_, err := put(ctx, c, `{"v":1}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
		first <- err
	}()
	<-entered
	_, err := put(ctx, c, `{"v":2}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	var re *awshttp.ResponseError
	if !isCode(err, "ConditionalRequestConflict") || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusConflict {
		t.Errorf("concurrent conditional write: %v, want 409 ConditionalRequestConflict", err)
	}
	if _, err := put(ctx, c, `{}`, func(in *s3.PutObjectInput) { in.Key = aws.String("other.json"); in.IfNoneMatch = aws.String("*") }); err != nil {
		t.Errorf("conditional write to another key: %v", err)
	}
	close(proceed)
	if err := <-first; err != nil {
		t.Fatalf("the first write: %v", err)
	}
	if _, err := put(ctx, c, `{"v":2}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }); !isPreconditionFailed(err) {
		t.Errorf("the retry after the conflict: %v, want PreconditionFailed (the key exists now)", err)
	}
}

// TestVersioned: the in-memory server's buckets keep versions, as the deployed archive's; the
// file-backed server keeps the latest only.
func TestVersioned(t *testing.T) {
	ctx := context.Background()
	c := serve(t, locals3.NewMemory())
	a, err := put(ctx, c, `{"v":1}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := put(ctx, c, `{"v":2}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.VersionId) == "" || aws.ToString(a.VersionId) == aws.ToString(b.VersionId) {
		t.Errorf("versions %q, %q; want two distinct versions", aws.ToString(a.VersionId), aws.ToString(b.VersionId))
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: a.VersionId})
	if err != nil {
		t.Fatalf("get the first version: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != `{"v":1}` {
		t.Errorf("first version %s, want {\"v\":1}", body)
	}
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || v.Status != "Enabled" {
		t.Errorf("bucket versioning %+v, %v; want Enabled", v, err)
	}
}

// TestConditionalWrites runs the archive's read-merge-write protocol against both backends with
// the real S3 client.
func TestConditionalWrites(t *testing.T) {
	backends := map[string]func(t *testing.T) *locals3.Server{
		"files": func(t *testing.T) *locals3.Server {
			s, err := locals3.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"memory": func(*testing.T) *locals3.Server { return locals3.NewMemory() },
	}
	for name, newServer := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := serve(t, newServer(t))

			first, err := put(ctx, c, `{"v":1}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
			if err != nil {
				t.Fatalf("create with If-None-Match *: %v", err)
			}
			if _, err := put(ctx, c, `{"v":"other"}`, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }); !isPreconditionFailed(err) {
				t.Errorf("second create with If-None-Match *: %v, want PreconditionFailed", err)
			}
			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(got.Body)
			got.Body.Close()
			if string(body) != `{"v":1}` || aws.ToString(got.ETag) != aws.ToString(first.ETag) || aws.ToString(got.ContentType) != "application/json" {
				t.Errorf("get = %s etag %s type %s, want the first write (etag %s)", body, aws.ToString(got.ETag), aws.ToString(got.ContentType), aws.ToString(first.ETag))
			}
			second, err := put(ctx, c, `{"v":2}`, func(in *s3.PutObjectInput) { in.IfMatch = got.ETag })
			if err != nil {
				t.Fatalf("update with the current ETag: %v", err)
			}
			if _, err := put(ctx, c, `{"v":"stale"}`, func(in *s3.PutObjectInput) { in.IfMatch = got.ETag }); !isPreconditionFailed(err) {
				t.Errorf("update with a stale ETag: %v, want PreconditionFailed", err)
			}
			if aws.ToString(second.ETag) == aws.ToString(first.ETag) {
				t.Error("the ETag did not change with the content")
			}
			// S3: "If there's no object with that key name, S3 returns 404 Not Found".
			if _, err := put(ctx, c, `{}`, func(in *s3.PutObjectInput) { in.Key = aws.String("new.json"); in.IfMatch = got.ETag }); !isCode(err, "NoSuchKey") {
				t.Errorf("If-Match on a missing key: %v, want NoSuchKey (404)", err)
			}
			_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing.json")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchKey" {
				t.Errorf("get of a missing key: %v, want NoSuchKey", err)
			}
		})
	}
}

// TestFilesAreReadable checks that an archived object is a plain file a person can open, and
// that a new server on the same directory serves it again.
func TestFilesAreReadable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := locals3.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := serve(t, s)
	if _, err := put(ctx, c, `{"stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`, nil); err != nil {
		t.Fatal(err)
	}
	file, err := s.ObjectPath(bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "/buckets/" + bucket + "/" + key; file != want {
		t.Errorf("ObjectPath = %s, want %s", file, want)
	}
	data, err := os.ReadFile(file)
	if err != nil || string(data) != `{"stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}` {
		t.Errorf("file %s = %q, %v", file, data, err)
	}

	again, err := locals3.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(again.Handler())
	defer srv.Close()
	out, err := client(srv.URL).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	out.Body.Close()
	list, err := client(srv.URL).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("sessions/")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != key {
		t.Errorf("list after restart = %+v, %v", list, err)
	}
}

func TestErrors(t *testing.T) {
	s, err := locals3.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket("A"); err == nil {
		t.Error("CreateBucket(A): want an invalid name error")
	}
	if _, err := s.ObjectPath(bucket, "../escape"); err == nil {
		t.Error("ObjectPath with ..: want an error")
	}
	if _, err := locals3.NewMemory().ObjectPath(bucket, key); !errors.Is(err, locals3.ErrNoFiles) {
		t.Errorf("ObjectPath on memory: %v, want ErrNoFiles", err)
	}
	// A file where the directory should be.
	f := t.TempDir() + "/file"
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := locals3.New(f); err == nil {
		t.Error("New on a file: want an error")
	}
	// Unsigned requests are served too (the suite's clients always sign; curl may not).
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / (list buckets) = %d", resp.StatusCode)
	}
}
