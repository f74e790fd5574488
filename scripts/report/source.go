package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// source is where the archive is: a local folder (the local stack's bucket) or an S3 bucket.
type source interface {
	// List calls fn with the key and size of every object under prefix, in the order of the
	// keys.
	List(ctx context.Context, prefix string, fn func(key string, size int64)) error
	// Get returns an object's bytes.
	Get(ctx context.Context, key string) ([]byte, error)
	// String names the source for a person.
	String() string
}

// dirSource reads a bucket's objects as files: the object k of the bucket is <dir>/<k>
// (shared/local/locals3's layout).
type dirSource struct{ dir string }

func (d dirSource) String() string { return d.dir }

func (d dirSource) List(ctx context.Context, prefix string, fn func(string, int64)) error {
	if _, err := os.Stat(d.dir); err != nil {
		return fmt.Errorf("no archive at %s (%w): run make local first, or give -dir or -bucket", d.dir, err)
	}
	root := filepath.Join(d.dir, filepath.FromSlash(prefix))
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.IsDir() && strings.HasSuffix(p, ".json") {
			rel, err := filepath.Rel(d.dir, p)
			if err != nil {
				return err
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			fn(filepath.ToSlash(rel), info.Size())
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no object with that prefix
	}
	return err
}

func (d dirSource) Get(_ context.Context, key string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(key)))
}

// s3API is the part of the S3 API the report calls.
type s3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// s3Source reads a deployed stack's archive bucket.
type s3Source struct {
	client s3API
	bucket string
}

func (s s3Source) String() string { return "s3://" + s.bucket }

func (s s3Source) List(ctx context.Context, prefix string, fn func(string, int64)) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); strings.HasSuffix(k, ".json") {
				fn(k, aws.ToInt64(o.Size))
			}
		}
	}
	return nil
}

func (s s3Source) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", s.bucket, key, err)
	}
	return b, nil
}

// decodeSession decodes a session record; an object that is not one is an error naming it.
func decodeSession(key string, b []byte) (Session, error) {
	var s Session
	if err := json.Unmarshal(b, &s.Record); err != nil {
		return Session{}, fmt.Errorf("%s: not a session record: %w", key, err)
	}
	if s.ChannelID == "" || s.StreamID == "" {
		return Session{}, fmt.Errorf("%s: not a session record: no channelId or streamId", key)
	}
	s.Key = key
	return s, nil
}
