package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// objectStore reads and writes the intent records (and, through lease.Locker, the leases).
type objectStore interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ objectStore = (*s3.Client)(nil)

var codeNoSuchKey = (*s3types.NoSuchKey)(nil).ErrorCode()

// intentRecord is what the suite did about one session's correction, written beside the
// channel's lease (and under it: only the lease's holder writes it). It is written "pending"
// before UpdateChannel, "applied" with the channel before and after once the call succeeded,
// and "published" once "applied" is on the bus; a delivery that finds it (a redelivery after a
// crash, a duplicate, a DLQ redrive) follows nextStep.
type intentRecord struct {
	State    intentState         `json:"state"`
	Owner    string              `json:"owner"` // the message that wrote it
	Decision multitrack.Decision `json:"decision"`
	Before   *session.Channel    `json:"before,omitempty"`
	After    *session.Channel    `json:"after,omitempty"`
	At       time.Time           `json:"at,omitzero"` // when UpdateChannel succeeded (or was about to be called)
}

// maxIntent bounds what is read of an intent record; ours are under 4 KiB.
const maxIntent = 64 << 10

// intentKey returns the key of a session's intent record:
// locks/intent/account=<account>/region=<region>/channel=<channel id>/<stream id>.json (session.IntentKey).
func intentKey(channelARN, streamID string) (string, error) {
	a, err := ivsevent.ParseChannelARN(channelARN)
	if err != nil {
		return "", fmt.Errorf("intent of %s: %w", channelARN, err)
	}
	id, err := session.IdentityOf(a, streamID)
	if err != nil {
		return "", fmt.Errorf("intent of %s: %w", channelARN, err)
	}
	return session.IntentKey(id)
}

// readIntent returns the intent record at key, or a zero record (intentNone) when there is none.
// An unreadable record reads as pending: the suite may have called UpdateChannel.
func (h *Handler) readIntent(ctx context.Context, key string) (intentRecord, error) {
	out, err := h.Intents.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(h.Cfg.LockBucket), Key: aws.String(key)})
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == codeNoSuchKey:
		return intentRecord{}, nil
	case err != nil:
		return intentRecord{}, fmt.Errorf("read intent %s: %w", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, maxIntent))
	if err != nil {
		return intentRecord{}, fmt.Errorf("read intent %s: %w", key, err)
	}
	var rec intentRecord
	if err := json.Unmarshal(body, &rec); err != nil || rec.State == intentNone {
		return intentRecord{State: intentPending}, nil
	}
	return rec, nil
}

// writeIntent writes rec at key. The caller holds the channel's lease, so no other delivery
// writes it meanwhile.
func (h *Handler) writeIntent(ctx context.Context, key string, rec intentRecord) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode intent %s: %w", key, err)
	}
	_, err = h.Intents.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(h.Cfg.LockBucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("write intent %s (%s): %w", key, rec.State, err)
	}
	return nil
}
