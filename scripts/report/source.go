package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// source is where the archive is: a local folder (the local stack's bucket) or an S3 bucket.
type source interface {
	// List calls fn with the key of every object under prefix.
	List(ctx context.Context, prefix string, fn func(key string)) error
	// Get returns an object's bytes.
	Get(ctx context.Context, key string) ([]byte, error)
	// String names the source for a person.
	String() string
}

// dirSource reads a bucket's objects as files: the object k of the bucket is <dir>/<k>
// (shared/local/locals3's layout).
type dirSource struct{ dir string }

func (d dirSource) String() string { return d.dir }

func (d dirSource) List(ctx context.Context, prefix string, fn func(string)) error {
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
			fn(filepath.ToSlash(rel))
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

func (s s3Source) List(ctx context.Context, prefix string, fn func(string)) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); strings.HasSuffix(k, ".json") {
				fn(k)
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

// Range is what to read: the days from From to To (UTC, inclusive) and, if any, only these
// channels.
type Range struct {
	From, To time.Time
	Channels []string
}

// maxDayPrefixes is the most days listed one prefix at a time; a longer range lists every
// session and keeps the range's.
const maxDayPrefixes = 400

// prefixes returns the key prefixes that hold the range's records: one per day, so that S3
// lists only the range's partitions.
func (r Range) prefixes() []string {
	days := int(r.To.Sub(r.From)/(24*time.Hour)) + 1
	if days > maxDayPrefixes || days < 1 {
		return []string{session.KeyPrefix}
	}
	var out []string
	for d := range days {
		// The day's prefix: below it come account= and region= before channel= (a channel
		// ID is unique only within its account and region), so channels are picked by wants.
		out = append(out, session.DayPrefix(r.From.AddDate(0, 0, d)))
	}
	return out
}

// wants reports whether a listed key is in the range (for the whole-prefix listing).
func (r Range) wants(key string) bool {
	var y, m, d int
	var rest string
	if _, err := fmt.Sscanf(strings.TrimPrefix(key, session.KeyPrefix), "year=%d/month=%d/day=%d/%s", &y, &m, &d, &rest); err != nil {
		return false
	}
	day := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if day.Before(r.From) || day.After(r.To) {
		return false
	}
	if len(r.Channels) == 0 {
		return true
	}
	for _, c := range r.Channels {
		if strings.Contains("/"+rest, "/channel="+c+"/") {
			return true
		}
	}
	return false
}

// read lists the range's records and reads them with workers concurrent readers. An object
// that is not a session record is counted in Undecodable and named through warn (one call at a
// time); an object that cannot be read fails the read.
func read(ctx context.Context, src source, r Range, workers int, warn func(string)) ([]Session, ReadStats, error) {
	start := time.Now()
	var warnMu sync.Mutex
	report := func(msg string) {
		warnMu.Lock()
		defer warnMu.Unlock()
		warn(msg)
	}
	stats := ReadStats{Source: src.String(), Workers: workers}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	keys := make(chan string, 4*workers)
	var listErr error
	go func() {
		defer close(keys)
		for _, p := range r.prefixes() {
			err := src.List(ctx, p, func(k string) {
				if r.wants(k) {
					select {
					case keys <- k:
					case <-ctx.Done():
					}
				}
			})
			if err != nil {
				listErr = err
				return
			}
		}
	}()

	var (
		mu          sync.Mutex
		sessions    []Session
		firstErr    error
		objects     atomic.Int64
		bytesRead   atomic.Int64
		undecodable atomic.Int64
		wg          sync.WaitGroup
	)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				b, err := src.Get(ctx, k)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				objects.Add(1)
				bytesRead.Add(int64(len(b)))
				s, err := decodeSession(k, b)
				if err != nil {
					undecodable.Add(1)
					report(err.Error())
					continue
				}
				mu.Lock()
				sessions = append(sessions, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := cmpErr(firstErr, listErr); err != nil { // a failed read cancels the listing: its error first
		return nil, stats, err
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return nil, stats, err
	}
	stats.Objects, stats.Records, stats.Bytes = int(objects.Load()), len(sessions), bytesRead.Load()
	stats.Undecodable = int(undecodable.Load())
	stats.Seconds = roundTo(time.Since(start).Seconds(), 3)
	if el := time.Since(start).Seconds(); el > 0 {
		stats.RecordsPerSecond = roundTo(float64(stats.Records)/el, 0)
	}
	return sessions, stats, nil
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// decodeSession decodes a session record and its quality verdict, if it has one: the field
// named for the verdict, quality.verdict (or a top-level verdict or qualityVerdict).
func decodeSession(key string, b []byte) (Session, error) {
	var s Session
	if err := json.Unmarshal(b, &s.Record); err != nil {
		return Session{}, fmt.Errorf("%s: not a session record: %w", key, err)
	}
	if s.ChannelID == "" || s.StreamID == "" {
		return Session{}, fmt.Errorf("%s: not a session record: no channelId or streamId", key)
	}
	var v struct {
		Quality        json.RawMessage `json:"quality"`
		Verdict        string          `json:"verdict"`
		QualityVerdict string          `json:"qualityVerdict"`
	}
	if err := json.Unmarshal(b, &v); err == nil {
		var q struct {
			Verdict string `json:"verdict"`
		}
		if len(bytes.TrimSpace(v.Quality)) > 0 && bytes.TrimSpace(v.Quality)[0] == '{' && json.Unmarshal(v.Quality, &q) == nil {
			s.Verdict = q.Verdict
		}
		if s.Verdict == "" {
			s.Verdict = firstNonEmpty(v.QualityVerdict, v.Verdict)
		}
	}
	s.Key = key
	return s, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
