package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// memS3 is an in-memory bucket behind the two S3 calls the archive makes (the fuzzer is about
// the keys the handler derives, not the wire; the stack tests use a real S3 server).
type memS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (m *memS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[aws.ToString(in.Key)]
	if !ok {
		return nil, &types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ETag: aws.String(`"e"`)}, nil
}

func (m *memS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	m.objects[aws.ToString(in.Key)] = b
	return &s3.PutObjectOutput{}, nil
}

func (m *memS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

// FuzzHandle checks the archive's decoding and key derivation on arbitrary messages: it never
// panics, a failure is either transient or a *invalid.FieldError, and every object it writes
// lies under one of the archive's prefixes, at a key built by package session (no "..", no
// stream key in what it writes). The seeds are the samples of the handler tests' shapes.
func FuzzHandle(f *testing.F) {
	for _, name := range []string{"session-ended-multitrack-input-not-allowed", "limit-breach-concurrent-viewers", "recording-end"} {
		rec, tr := sampleRecord(f, name)
		f.Add(enrichedOf(f, rec, tr))
	}
	rec, tr := enrichedRecord(f)
	f.Add(enrichedOf(f, rec, tr))
	corr := session.Corrected{ChannelARN: sampleARN, StreamID: sampleStrm, SessionKey: sessionKey,
		Correction: session.Correction{Outcome: session.CorrectionApplied, At: time.Date(2026, 11, 3, 19, 5, 0, 0, time.UTC)}}
	f.Add(envelopeOf(f, "c1", suite.DetailTypeChannelCorrected, []string{sampleARN}, corr))
	corr.Correction.Outcome = "../../sessions/x"
	f.Add(envelopeOf(f, "c2", suite.DetailTypeChannelCorrected, []string{sampleARN}, corr))
	f.Add([]byte(`{"source":"ivs-sessions","detail-type":"IVS Session Enriched","detail":{"record":{"channelArn":"arn:aws:ivs:us-west-2:123456789012:channel/x","channelId":"x","streamId":"st-1A2b3c4D5e6F78ghij9Klmn","startTime":"2026-11-03T18:00:00Z","channel":{"name":"sk_us-west-2_abc_def"}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		mem := &memS3{objects: map[string][]byte{}}
		h := &Handler{S3: mem, Log: slog.New(slog.DiscardHandler), Metrics: metrics.New(suite.MetricNamespace, io.Discard),
			Cfg: Config{Bucket: testBucket}, Now: func() time.Time { return time.Date(2026, 11, 3, 20, 0, 0, 0, time.UTC) }}
		err := h.Handle(context.Background(), batch.Message{ID: "m", Body: body, ReceiveCount: 1})
		var fe *invalid.FieldError
		if err != nil && !retryable.Is(err) && !errors.As(err, &fe) {
			t.Fatalf("Handle = %v (%T): want nil, a transient error or a *invalid.FieldError", err, err)
		}
		for key, obj := range mem.objects {
			under := false
			for _, prefix := range []string{session.KeyPrefix, session.CorrectionKeyPrefix, session.AccountEventKeyPrefix, session.LiveKeyPrefix, session.LinkKeyPrefix} {
				under = under || strings.HasPrefix(key, prefix)
			}
			if !under || strings.Contains(key, "..") || strings.Contains(key, "//") || len(key) > 1024 {
				t.Fatalf("wrote %q: outside the archive's prefixes", key)
			}
			if strings.HasPrefix(key, session.KeyPrefix) {
				if _, _, err := session.ParseSessionKey(key); err != nil {
					t.Fatalf("wrote %q, which is not a session key: %v", key, err)
				}
			}
			if strings.Contains(string(obj), "sk_us-west-2_abc_def") {
				t.Fatalf("wrote a stream key at %s: %s", key, obj)
			}
		}
	})
}
