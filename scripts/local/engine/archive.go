package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Archive is what the archive bucket holds (for some channels).
type Archive struct {
	Sessions    []ArchivedSession
	Corrections []ArchivedCorrection
}

// ArchivedSession is one session record and where it is.
type ArchivedSession struct {
	Key    string // the object key
	Path   string // the file holding it (relative to the working directory when it is below it)
	Record session.Record
}

// ArchivedCorrection is one correction and where it is.
type ArchivedCorrection struct {
	Key       string
	Path      string
	Corrected session.Corrected
}

// ReadArchive reads the session records (sessions/...) and corrections (corrections/...) of
// the archive through the S3 API. With channelIDs, only the objects of those channels (their
// channel=<id> key segment) are read. It returns an error naming the object that cannot be
// read or decoded.
func (s *Stack) ReadArchive(ctx context.Context, channelIDs map[string]bool) (Archive, error) {
	client := s.S3Client()
	var a Archive
	for _, prefix := range []string{session.KeyPrefix, session.CorrectionKeyPrefix, session.AccountEventKeyPrefix} {
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return Archive{}, fmt.Errorf("engine: list %s in %s: %w", prefix, s.Bucket, err)
			}
			for _, obj := range page.Contents {
				key := aws.ToString(obj.Key)
				if channelIDs != nil && !channelIDs[channelOfKey(key)] {
					continue
				}
				if err := s.readObject(ctx, client, prefix, key, &a); err != nil {
					return Archive{}, err
				}
			}
		}
	}
	sort.Slice(a.Sessions, func(i, j int) bool { return a.Sessions[i].Key < a.Sessions[j].Key })
	sort.Slice(a.Corrections, func(i, j int) bool { return a.Corrections[i].Key < a.Corrections[j].Key })
	return a, nil
}

func (s *Stack) readObject(ctx context.Context, client *s3.Client, prefix, key string, a *Archive) error {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("engine: get %s: %w", key, err)
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		return fmt.Errorf("engine: read %s: %w", key, err)
	}
	path := s.objectPath(key)
	if prefix == session.KeyPrefix {
		var rec session.Record
		if err := json.Unmarshal(body, &rec); err != nil {
			return fmt.Errorf("engine: decode the session record %s: %w", key, err)
		}
		a.Sessions = append(a.Sessions, ArchivedSession{Key: key, Path: path, Record: rec})
		return nil
	}
	var c session.Corrected
	if err := json.Unmarshal(body, &c); err != nil {
		return fmt.Errorf("engine: decode the correction %s: %w", key, err)
	}
	a.Corrections = append(a.Corrections, ArchivedCorrection{Key: key, Path: path, Corrected: c})
	return nil
}

// objectPath returns the file of an archive object, relative to the working directory when it
// is below it.
func (s *Stack) objectPath(key string) string {
	p, err := s.S3.ObjectPath(s.Bucket, key)
	if err != nil {
		return ""
	}
	return relative(p)
}

// ArchiveDir returns the directory of the archive bucket's files, relative to the working
// directory when it is below it.
func (s *Stack) ArchiveDir() string { return relative(s.S3.BucketDir(s.Bucket)) }

func relative(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// channelOfKey returns the channel ID of an archive key's channel=<id> segment, or "".
func channelOfKey(key string) string {
	for _, seg := range strings.Split(key, "/") {
		if id, ok := strings.CutPrefix(seg, "channel="); ok {
			return id
		}
	}
	return ""
}
