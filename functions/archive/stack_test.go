package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

const (
	testBucket  = "ivs-sessions-archive-test"
	sampleARN   = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	sampleID    = "AbCdef1G2hij"
	sampleStrm  = "st-1A2b3c4D5e6F78ghij9Klmn"
	testWriteAt = "2026-11-03T20:00:00Z"
	// samplePassphrase is the SRT passphrase of the channel in enrichedRecord: it must never
	// reach the archive or the logs.
	samplePassphrase = "srt-passphrase-must-not-leak"
)

// fault makes the S3 server answer requests of one method with an S3 error.
type fault struct {
	method string // GET or PUT
	status int
	code   string
	count  int // requests to fail; -1: all
}

// faulty is an http.Handler in front of the local S3 that injects faults and counts requests.
type faulty struct {
	next http.Handler

	mu         sync.Mutex
	fault      *fault
	puts       int // object PUTs that reached the server, the live index's apart
	index      int // PUTs and DELETEs of the live index's entries
	conflicts  int // answered 412 or 409
	inProgress int // answered 409 (another conditional write to the key in progress)
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if ft := f.fault; ft != nil && r.Method == ft.method && ft.count != 0 {
		if ft.count > 0 {
			ft.count--
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(ft.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>test</RequestId></Error>`, ft.code)
		return
	}
	switch {
	case strings.Contains(r.URL.Path, "/"+session.LiveKeyPrefix):
		f.index++
	case r.Method == http.MethodPut:
		f.puts++
	}
	f.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w}
	f.next.ServeHTTP(rec, r)
	if rec.status == http.StatusPreconditionFailed || rec.status == http.StatusConflict {
		f.mu.Lock()
		f.conflicts++
		if rec.status == http.StatusConflict {
			f.inProgress++
		}
		f.mu.Unlock()
	}
}

func (f *faulty) set(ft *fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = ft
}

// conflicted returns how many writes S3 answered 409 ConditionalRequestConflict.
func (f *faulty) conflicted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inProgress
}

func (f *faulty) counts() (puts, conflicts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts, f.conflicts
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// stack is the local S3 (gofakes3, in memory) behind a fault injector, a real S3 client and a
// Handler.
type stack struct {
	*awstest.Stack
	faults *faulty
	client *s3.Client
	h      *Handler
	p      *batch.Processor
}

func newStack(t testing.TB, clientOpts ...func(*s3.Options)) *stack {
	t.Helper()
	s := &stack{faults: &faulty{}}
	s.Stack = awstest.New(t, awstest.Options{Bucket: testBucket, WrapS3: func(h http.Handler) http.Handler {
		s.faults.next = h
		return s.faults
	}})
	s.Secrets.Add("an SRT passphrase", samplePassphrase)
	s.client = s.S3Client(clientOpts...)
	now, _ := time.Parse(time.RFC3339, testWriteAt)
	s.h = &Handler{S3: s.client, Log: s.Log, Metrics: s.Metrics, Cfg: Config{Bucket: testBucket}, Now: func() time.Time { return now }}
	s.p = &batch.Processor{Function: suite.FunctionArchive, Log: s.Log, Metrics: s.Metrics, Do: s.h.Handle}
	return s
}

// object returns the object at key, or nil when there is none.
func (s *stack) object(t testing.TB, key string) []byte {
	t.Helper()
	out, err := s.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if s3doc.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// record returns the record at key, failing the test when there is none.
func (s *stack) record(t testing.TB, key string) session.Record {
	t.Helper()
	b := s.object(t, key)
	if b == nil {
		t.Fatalf("no object at %s", key)
	}
	var r session.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	return r
}

// keys lists every object key in the bucket.
// records returns the bucket's keys outside the live index (TestLiveIndex checks that).
func (s *stack) records(t testing.TB) []string {
	t.Helper()
	return slices.DeleteFunc(s.keys(t), func(k string) bool { return strings.HasPrefix(k, session.LiveKeyPrefix) })
}

// keys returns every key of the bucket.
func (s *stack) keys(t testing.TB) []string {
	t.Helper()
	out, err := s.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// handle runs one message through the handler as the n-th delivery.
func (s *stack) handle(t testing.TB, body []byte) error {
	t.Helper()
	return s.h.Handle(context.Background(), batch.Message{ID: "m", Body: body, ReceiveCount: 1})
}

// deliver handles body as SQS delivers a message: again, with its receive count one higher,
// while the failure is transient (at most 3 deliveries), and returns the last error.
func (s *stack) deliver(t testing.TB, body []byte) error {
	t.Helper()
	var err error
	for n := 1; n <= 3; n++ {
		if err = s.handleN(t, body, n); err == nil || !retryable.Is(err) {
			return err
		}
	}
	return err
}

// handleN handles body delivered for the n-th time.
func (s *stack) handleN(t testing.TB, body []byte, n int) error {
	t.Helper()
	return s.h.Handle(context.Background(), batch.Message{ID: "m", Body: body, ReceiveCount: n})
}

// processSQS runs the processor over an SQS batch and returns the IDs of the failed messages.
func (s *stack) processSQS(t testing.TB, bodies ...[]byte) []string {
	t.Helper()
	return awstest.ProcessSQS(t, s.p.Process, awstest.SQSMessages(suite.FunctionArchive, 1, time.Time{}, bodies...)...)
}

// sqsBatch returns the SQS event of bodies (message IDs msg-0, msg-1, ...), each received once.
func sqsBatch(t testing.TB, bodies ...[]byte) json.RawMessage {
	t.Helper()
	return awstest.SQSEvent(t, awstest.SQSMessages(suite.FunctionArchive, 1, time.Time{}, bodies...)...)
}

// envelopeOf returns the EventBridge event the archive queue delivers for a detail of
// detailType (a malformed one too) published by the suite.
func envelopeOf(t testing.TB, id, detailType string, resources []string, detail any) []byte {
	t.Helper()
	d, err := json.Marshal(detail)
	if err != nil {
		t.Fatal(err)
	}
	entry := suiteevent.Entry{Source: suite.EventSource, DetailType: detailType, Resources: resources, Detail: string(d)}
	return awstest.Delivered(t, id, time.Date(2026, 11, 3, 19, 0, 5, 0, time.UTC), entry)
}

// enrichedOf returns the envelope of an enriched record with its trigger, encoded as enrich
// publishes it (suiteevent).
func enrichedOf(t testing.TB, rec session.Record, tr session.Trigger) []byte {
	t.Helper()
	d := session.Enriched{Record: rec, Decision: multitrack.Decision{Action: multitrack.ActionNone, Reason: "test"}, Trigger: tr}
	entry, _, err := suiteevent.EnrichedEntry(suite.BusSessions, d)
	if err != nil {
		t.Fatal(err)
	}
	return awstest.Delivered(t, "pub-"+tr.EventID, time.Date(2026, 11, 3, 19, 0, 5, 0, time.UTC), entry)
}

// sampleRecord returns the record enrich publishes for a sample event when GetStreamSession
// does not help (FromEvent), with its trigger.
func sampleRecord(t testing.TB, name string) (session.Record, session.Trigger) {
	t.Helper()
	ev, err := ivsevent.Parse(awstest.LoadEvent(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return session.FromEvent(ev, "GetStreamSession: ResourceNotFoundException after 5 attempts"), session.TriggerOf(ev)
}

// enrichedRecord returns the record of a GetStreamSession answer for the sample session: a
// two-track multitrack session that ran from 17:59:58 to 19:00:00.
func enrichedRecord(t testing.TB) (session.Record, session.Trigger) {
	t.Helper()
	ev, err := ivsevent.Parse(awstest.LoadEvent(t, "stream-start"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 3, 17, 59, 58, 0, time.UTC)
	ss := &types.StreamSession{
		StreamId:  aws.String(sampleStrm),
		StartTime: aws.Time(start),
		EndTime:   aws.Time(time.Date(2026, 11, 3, 19, 0, 0, 0, time.UTC)),
		Channel: &types.Channel{Arn: aws.String(sampleARN), Name: aws.String("studio-a"), Type: types.ChannelTypeStandardChannelType,
			ContainerFormat: types.ContainerFormatFragmentedMP4, LatencyMode: types.ChannelLatencyModeLowLatency,
			Srt:                          &types.Srt{Passphrase: aws.String(samplePassphrase)},
			MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: true, Policy: types.MultitrackPolicyAllow, MaximumResolution: types.MultitrackMaximumResolutionHd}},
		IngestConfigurations: &types.IngestConfigurations{
			VideoConfigurations: []types.VideoConfiguration{
				{Track: aws.String("Track0"), Codec: aws.String("avc1.640020"), VideoWidth: 1280, VideoHeight: 720, TargetFramerate: 60, TargetBitrate: 2_500_000},
				{Track: aws.String("Track1"), Codec: aws.String("avc1.64001F"), VideoWidth: 852, VideoHeight: 480, TargetFramerate: 30, TargetBitrate: 1_000_000},
			},
			AudioConfigurations: []types.AudioConfiguration{{Track: aws.String("Track0"), Codec: aws.String("mp4a.40.2"), Channels: 2, SampleRate: 48000, TargetBitrate: 160_000}},
		},
		TruncatedEvents: []types.StreamEvent{
			{Name: aws.String("Stream Start"), Type: aws.String(ivsevent.DetailTypeStreamStateChange), EventTime: aws.Time(ev.Time)},
			{Name: aws.String("Session Created"), Type: aws.String(ivsevent.DetailTypeStreamStateChange), EventTime: aws.Time(start)},
		},
	}
	rec, err := session.FromStreamSession(ss, ev)
	if err != nil {
		t.Fatal(err)
	}
	return rec, session.TriggerOf(ev)
}

// sessionKey is the archive key of the sample session.
var sessionKey = session.KeyPrefix + "year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=" + sampleID + "/" + sampleStrm + ".json"

// withoutUpdatedAt returns r's JSON with updatedAt cleared, to compare records written at
// different times.
func withoutUpdatedAt(t testing.TB, r session.Record) string {
	t.Helper()
	r.UpdatedAt = time.Time{}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// contentType returns the content type of the object at key.
func (s *stack) contentType(t testing.TB, key string) string {
	t.Helper()
	out, err := s.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	return aws.ToString(out.ContentType)
}

func batchMessage(body []byte) batch.Message {
	return batch.Message{ID: "m", Body: body, ReceiveCount: 1}
}
