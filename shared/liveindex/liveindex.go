// Package liveindex keeps the index of live sessions in the archive bucket: one small object
// under session.LiveKeyPrefix per session whose Session Ended the archive has not had
// (session.LiveKey, session.LiveIndexChange), written by the archive function before the
// session's first record (or before it says live) and deleted once the session's Session Ended
// is archived. The live sweep lists the index of its own account and region instead of reading
// the archive, so a run costs what is live, whatever the archive holds.
//
// It never lacks such a session's entry, since the entry is written first. An entry outlives
// its session when its Session Ended was lost (the sweep publishes it in its place, which
// deletes the entry) or its delete failed (the same); an entry whose session IVS does not show
// and no record names is deleted by the sweep.
package liveindex

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Writer is the S3 calls that keep the index: PutObject (through s3doc) and DeleteObject.
type Writer interface {
	s3doc.API
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// API is the S3 calls of Index: Writer's and ListObjectsV2.
type API interface {
	Writer
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ API = (*s3.Client)(nil)

// entryBody is an entry's content: the key of the record it indexes, for a person reading the
// bucket (the sweep reads the entry's key alone).
type entryBody struct {
	Record string `json:"record"`
}

// Mark writes the entry of the record at sessionKey (a key session.SessionKey built). Writing it
// again is harmless.
func Mark(ctx context.Context, s3c s3doc.API, bucket, sessionKey string) error {
	key, err := session.LiveKeyOf(sessionKey)
	if err != nil {
		return err
	}
	if _, err := (s3doc.Bucket{S3: s3c, Name: bucket}).Put(ctx, key, entryBody{Record: sessionKey}); err != nil {
		return fmt.Errorf("live index: %w", err)
	}
	return nil
}

// Clear deletes the entry of the record at sessionKey; deleting a missing entry is no error (S3
// answers 204 either way).
func Clear(ctx context.Context, s3c Writer, bucket, sessionKey string) error {
	key, err := session.LiveKeyOf(sessionKey)
	if err != nil {
		return err
	}
	return Delete(ctx, s3c, bucket, key)
}

// Delete deletes the entry at key (a key session.LiveKey built).
func Delete(ctx context.Context, s3c Writer, bucket, key string) error {
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("live index: delete s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// Entry is one entry of the index.
type Entry struct {
	Key     string           // the entry's key
	Session session.Identity // the session it indexes
	Day     time.Time        // the day its record is dated by
	Record  string           // the record's key: session.SessionKey(Session, Day)
}

// Page lists at most max entries of account's and region's index after the key after ("" from
// the first), in key order. next is the last key listed when more may follow, "" when the
// listing is complete. A key under the prefix that is not an entry's is returned in bad (and
// counts towards max), never acted on.
func Page(ctx context.Context, s3c API, bucket, account, region, after string, max int32) (entries []Entry, bad []string, next string, err error) {
	prefix, err := session.LivePrefix(account, region)
	if err != nil {
		return nil, nil, "", err
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(max)}
	if after != "" {
		in.StartAfter = aws.String(after)
	}
	out, err := s3c.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, nil, "", fmt.Errorf("live index: list s3://%s/%s: %w", bucket, prefix, err)
	}
	for _, o := range out.Contents {
		key := aws.ToString(o.Key)
		next = key
		id, day, err := session.ParseLiveKey(key)
		if err != nil {
			bad = append(bad, key)
			continue
		}
		rec, err := session.SessionKey(id, day)
		if err != nil {
			bad = append(bad, key)
			continue
		}
		entries = append(entries, Entry{Key: key, Session: id, Day: day, Record: rec})
	}
	if !aws.ToBool(out.IsTruncated) {
		next = ""
	}
	return entries, bad, next, nil
}
