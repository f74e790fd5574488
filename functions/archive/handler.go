package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// objectGetter reads an archived object.
type objectGetter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ objectGetter = (*s3.Client)(nil)

// objectPutter writes an archived object (always conditionally).
type objectPutter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ objectPutter = (*s3.Client)(nil)

// objectLister lists a channel's corrections of a day, to link a refused session to the
// session that went live after its correction.
type objectLister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ objectLister = (*s3.Client)(nil)

// Log attribute keys.
const (
	keyEventID    = "eventId"
	keyDetailType = "detailType"
	keyKey        = "key"
	keyRecord     = "record"
	keyAttempt    = "attempt"
	keySessionKey = "sessionKey"
)

// maxWriteAttempts bounds the read-merge-write loop of one record: a write that lost to a
// concurrent writer this many times is left for the message's redelivery.
const maxWriteAttempts = 5

// conflictBackoff is the upper bound of the random pause before attempt n+1 of a lost write,
// times n: it spreads out writers that keep colliding on one key.
const conflictBackoff = 20 * time.Millisecond

// maxObjectBytes bounds what is read of an existing record. A record holds at most 500 events
// from GetStreamSession plus those its events added: far below this.
const maxObjectBytes = 16 << 20

// contentType is the content type of every archived object.
const contentType = "application/json"

// S3 error codes the archive tells apart.
const (
	codePreconditionFailed  = "PreconditionFailed"
	codeConditionalConflict = "ConditionalRequestConflict"
	codeNoSuchKey           = "NoSuchKey"
	codeNotFound            = "NotFound"
)

// Handler archives one suite event per message. Its fields are set once; it is safe for
// concurrent use.
type Handler struct {
	Get     objectGetter
	Put     objectPutter
	List    objectLister
	Log     *slog.Logger
	Metrics *metrics.Recorder
	Cfg     Config
	Now     func() time.Time // the clock of UpdatedAt
}

// Handle archives one message: nil when done, a transient error (retryable.Is: every S3
// failure) to have it delivered again, or a permanent *ivsevent.FieldError naming what is wrong
// with the event to have it rejected.
func (h *Handler) Handle(ctx context.Context, m batch.Message) error {
	env, err := suiteevent.Decode(m.Body)
	if err != nil {
		return err
	}
	// An error of an invocation cut short is transient whatever it says (batch.Processor).
	switch {
	case env.Enriched != nil:
		return h.archiveEnriched(ctx, env, *env.Enriched)
	case env.Corrected != nil:
		return h.archiveCorrected(ctx, env, *env.Corrected)
	}
	return h.archiveQuality(ctx, env, *env.Measured)
}

// archiveEnriched merges an enriched session's record into its object.
func (h *Handler) archiveEnriched(ctx context.Context, env *suiteevent.Event, d session.Enriched) error {
	rec := d.Record
	if rec.ChannelARN == "" && rec.StreamID == "" {
		return h.archiveAccountEvent(ctx, env, d)
	}
	// The key comes from the record's identity (its channel ARN and stream ID, checked against
	// its channelId, region and account) and its date, never from a free-text field.
	key, err := rec.ArchiveKey()
	if err != nil {
		return prefixField("detail.record.", err)
	}
	if err := h.merge(ctx, env, key, rec); err != nil {
		return err
	}
	return h.linkAfterCorrection(ctx, env, rec)
}

// linkAfterCorrection links the refused session whose correction was applied last before rec's
// session went live (on its channel, that day or the day before) to rec's session:
// nextSession in the refused session's record. It runs for every record of a session that went
// live (at go-live and at its end), so a correction archived after the go-live record is
// linked at the session's end; a link that changes nothing writes nothing.
func (h *Handler) linkAfterCorrection(ctx context.Context, env *suiteevent.Event, rec session.Record) error {
	start := rec.StartTime
	if !rec.WentLive() || start.IsZero() {
		return nil
	}
	var (
		best       string
		bestStream string
		bestAt     time.Time
	)
	for _, day := range []time.Time{start.AddDate(0, 0, -1), start} {
		prefix := session.CorrectionDayPrefix(ivsevent.ChannelARN{Account: rec.Account, Region: rec.Region, ID: rec.ChannelID}, day)
		p := s3.NewListObjectsV2Paginator(h.List, &s3.ListObjectsV2Input{Bucket: aws.String(h.Cfg.Bucket), Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return s3Failure("list", h.Cfg.Bucket, prefix, err)
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				stream, outcome, at, ok := session.ParseCorrectionKey(key)
				if ok && outcome == session.CorrectionApplied && stream != rec.StreamID && !at.After(start) && at.After(bestAt) {
					best, bestStream, bestAt = key, stream, at
				}
			}
		}
	}
	if best == "" {
		return nil
	}
	out, err := h.Get.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(h.Cfg.Bucket), Key: aws.String(best)})
	if err != nil {
		return s3Failure("get", h.Cfg.Bucket, best, err)
	}
	defer out.Body.Close()
	var c session.Corrected
	if err := json.NewDecoder(io.LimitReader(out.Body, maxObjectBytes)).Decode(&c); err != nil {
		return retryable.Later(fmt.Sprintf("s3://%s/%s holds no readable correction", h.Cfg.Bucket, best), 0, err)
	}
	id, err := c.Identity()
	if err != nil || id.StreamID != bestStream || id.ChannelARN().String() != rec.ChannelARN {
		h.Log.WarnContext(ctx, "the correction object is not the correction of its key; nothing linked", keyEventID, env.ID, keyKey, best)
		return nil
	}
	link := session.Record{
		SchemaVersion: session.SchemaVersion, ChannelARN: rec.ChannelARN, ChannelID: rec.ChannelID, Region: id.Region, Account: id.Account,
		StreamID:    bestStream,
		NextSession: &session.SessionLink{StreamID: rec.StreamID, Key: rec.Key(), StartTime: start},
	}
	key, err := h.sessionKeyOf(ctx, env, c, id)
	if err != nil {
		return prefixField("detail.", err)
	}
	return h.merge(ctx, env, key, link)
}

// archiveAccountEvent writes the record of an account-level event once, under
// session.AccountEventKeyPrefix, named by the IVS event's ID and dated by its time.
func (h *Handler) archiveAccountEvent(ctx context.Context, env *suiteevent.Event, d session.Enriched) error {
	tr := d.Trigger
	rec := d.Record
	if rec.Account == "" && rec.Region == "" {
		// Published before records of account-level events carried them: the publisher's.
		rec.Account, rec.Region = env.AccountID, env.Region
	}
	key, err := session.AccountEventKey(rec.Account, rec.Region, tr.EventID, tr.Time)
	if err != nil {
		return prefixField("detail.", err)
	}
	rec = redact.Strings(rec)
	rec.UpdatedAt = h.Now().UTC()
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode account-level record: %w", err)
	}
	return h.putOnce(ctx, env, key, body)
}

// archiveCorrected writes a correction beside the sessions and merges it into its session's
// record.
func (h *Handler) archiveCorrected(ctx context.Context, env *suiteevent.Event, c session.Corrected) error {
	// Both keys come from the correction's identity (channel ARN and stream ID), its outcome
	// (a fixed vocabulary) and its dates: the message's sessionKey is a claim, used only for
	// its date and only when it names this very session.
	key, err := c.ArchiveKey()
	if err != nil {
		return prefixField("detail.", err)
	}
	id, _ := c.Identity() // checked by ArchiveKey
	c = redact.Strings(c) // whatever free text the message carries, scrubbed before it is kept
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode correction: %w", err)
	}
	if err := h.putOnce(ctx, env, key, body); err != nil {
		return err
	}
	correction := c.Correction
	arn := id.ChannelARN()
	rec := session.Record{
		SchemaVersion: session.SchemaVersion,
		ChannelARN:    arn.String(),
		ChannelID:     id.ChannelID,
		Region:        id.Region,
		Account:       id.Account,
		StreamID:      id.StreamID,
		Correction:    &correction,
	}
	sessionKey, err := h.sessionKeyOf(ctx, env, c, id)
	if err != nil {
		return prefixField("detail.", err)
	}
	return h.merge(ctx, env, sessionKey, rec)
}

// sessionKeyOf returns the key of the session record a correction belongs to (sessionKey),
// dated by its trigger's time, else the correction's.
func (h *Handler) sessionKeyOf(ctx context.Context, env *suiteevent.Event, c session.Corrected, id session.Identity) (string, error) {
	at := c.Trigger.Time
	if at.IsZero() {
		at = c.Correction.At
	}
	return h.sessionKey(ctx, env, c.SessionKey, id, at)
}

// sessionKey returns the key of the session id's record: dated by claimed (a message's
// sessionKey) when that parses as the key of this very session (same account, region, channel
// and stream), else by at. The key is rebuilt from the identity either way: a message's key is
// a claim, never used as it is.
func (h *Handler) sessionKey(ctx context.Context, env *suiteevent.Event, claimed string, id session.Identity, at time.Time) (string, error) {
	if claimed != "" {
		got, day, err := session.ParseSessionKey(claimed)
		if err == nil && got == id {
			return session.SessionKey(id, day)
		}
		h.Log.WarnContext(ctx, "the message's sessionKey is not its session's key; the key is dated by the event",
			keyEventID, env.ID, keySessionKey, redact.Quote(claimed))
	}
	return session.SessionKey(id, at)
}

// merge merges rec into the record at key: read, session.Merge, conditional write; again on a
// lost race, at most maxWriteAttempts times. A merge that changes nothing writes nothing.
func (h *Handler) merge(ctx context.Context, env *suiteevent.Event, key string, rec session.Record) error {
	var lost error
	for attempt := 1; attempt <= maxWriteAttempts; attempt++ {
		if attempt > 1 {
			if err := pause(ctx, time.Duration(attempt-1)*conflictBackoff); err != nil {
				return retryable.Later("the invocation ended during a write conflict", 0, err)
			}
		}
		existing, etag, found, err := h.read(ctx, key)
		if err != nil {
			return err
		}
		if found && !sameSession(existing, rec) {
			// The key is derived from the identity, so only a hand-written or corrupt object
			// gets here: merging would mix two sessions. Leave it to the DLQ and its alarm.
			return retryable.Later(fmt.Sprintf("s3://%s/%s holds another session's record (%s %s)", h.Cfg.Bucket, key,
				redact.Quote(existing.ChannelARN), redact.Quote(existing.StreamID)), 0, nil)
		}
		merged := session.Merge(existing, rec)
		merged.UpdatedAt = existing.UpdatedAt
		if found && sameJSON(merged, existing) {
			h.Log.InfoContext(ctx, "record unchanged: nothing to write", keyEventID, env.ID, keyKey, key)
			return nil
		}
		merged.UpdatedAt = h.Now().UTC()
		body, err := json.Marshal(merged)
		if err != nil {
			return fmt.Errorf("encode record %s: %w", key, err)
		}
		in := &s3.PutObjectInput{Bucket: aws.String(h.Cfg.Bucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentType: aws.String(contentType)}
		if found {
			in.IfMatch = aws.String(etag)
		} else {
			in.IfNoneMatch = aws.String("*")
		}
		_, err = h.Put.PutObject(ctx, in)
		switch {
		case err == nil:
			h.Metrics.Add(suite.MetricArchiveWrites, 1)
			if !found {
				h.Metrics.Add(suite.MetricSessions, 1)
			}
			if merged.Multitrack && !existing.Multitrack {
				h.Metrics.Add(suite.MetricMultitrack, 1)
			}
			h.Log.InfoContext(ctx, "record archived", keyEventID, env.ID, keyDetailType, env.DetailType, keyKey, key, keyRecord, merged, keyAttempt, attempt)
			return nil
		case isConflict(err), found && isNoSuchKey(err):
			// 404 to If-Match: the record was deleted since it was read (S3 answers so).
			lost = err
			h.Log.InfoContext(ctx, "write lost to a concurrent writer; reading again", keyKey, key, keyAttempt, attempt)
		default:
			return s3Failure("put", h.Cfg.Bucket, key, err)
		}
	}
	return retryable.Later(fmt.Sprintf("s3://%s/%s: %d writes lost to concurrent writers", h.Cfg.Bucket, key, maxWriteAttempts), 0, lost)
}

// sameSession reports whether two records have the same identity (account, region, channel,
// stream).
func sameSession(a, b session.Record) bool {
	ia, errA := a.Identity()
	ib, errB := b.Identity()
	return errA == nil && errB == nil && ia == ib
}

// read returns the record at key and its ETag; found is false when there is none.
func (h *Handler) read(ctx context.Context, key string) (rec session.Record, etag string, found bool, err error) {
	out, err := h.Get.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(h.Cfg.Bucket), Key: aws.String(key)})
	if isNoSuchKey(err) {
		return session.Record{}, "", false, nil
	}
	if err != nil {
		return session.Record{}, "", false, s3Failure("get", h.Cfg.Bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxObjectBytes))
	if err != nil {
		return session.Record{}, "", false, s3Failure("read", h.Cfg.Bucket, key, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		// Overwriting would lose what it holds: leave the message to the dead-letter queue,
		// where the alarm brings a person.
		return session.Record{}, "", false, retryable.Later(fmt.Sprintf("s3://%s/%s holds no readable record", h.Cfg.Bucket, key), 0, err)
	}
	return rec, aws.ToString(out.ETag), true, nil
}

// putOnce writes body at key unless an object is there already (a duplicate delivery).
func (h *Handler) putOnce(ctx context.Context, env *suiteevent.Event, key string, body []byte) error {
	_, err := h.Put.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(h.Cfg.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String(contentType), IfNoneMatch: aws.String("*"),
	})
	switch {
	case err == nil:
		h.Metrics.Add(suite.MetricArchiveWrites, 1)
		h.Log.InfoContext(ctx, "object archived", keyEventID, env.ID, keyDetailType, env.DetailType, keyKey, key)
		return nil
	case isConflict(err):
		h.Log.InfoContext(ctx, "already archived: nothing to write", keyEventID, env.ID, keyKey, key)
		return nil
	}
	return s3Failure("put", h.Cfg.Bucket, key, err)
}

// s3Failure wraps an S3 error; every S3 failure is transient for the archive (retryable.Own):
// the bucket is the suite's own.
func s3Failure(op, bucket, key string, err error) error {
	return retryable.Own(fmt.Errorf("s3 %s s3://%s/%s: %w", op, bucket, key, err))
}

func isNoSuchKey(err error) bool {
	if err == nil {
		return false
	}
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	code := retryable.Code(err)
	return code == codeNoSuchKey || code == codeNotFound
}

// isConflict reports whether a conditional write lost: 412 PreconditionFailed (the object
// changed or appeared) or 409 ConditionalRequestConflict (a concurrent conditional write).
func isConflict(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case codePreconditionFailed, codeConditionalConflict:
			return true
		}
	}
	var respErr *awshttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == 412
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(a, b session.Record) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// pause waits a random time up to upTo, or until ctx ends.
func pause(ctx context.Context, upTo time.Duration) error {
	t := time.NewTimer(rand.N(upTo) + time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// prefixField returns err's *ivsevent.FieldError with prefix put before its field (prefix
// alone when the field is empty); other errors are wrapped with prefix.
func prefixField(prefix string, err error) error {
	var fe *ivsevent.FieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	out := *fe
	if out.Field == "" {
		out.Field = strings.TrimSuffix(prefix, ".")
	} else {
		out.Field = prefix + out.Field
	}
	return &out
}
