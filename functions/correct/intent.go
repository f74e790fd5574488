package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

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
	// Reason is a failed correction's reason in the dead-letter queue (failing, failed).
	Reason string `json:"reason,omitempty"`
}

// readIntent returns the intent record at key, or a zero record (intentNone) when there is none.
// An unreadable record reads as pending: the suite may have called UpdateChannel.
func (h *Handler) readIntent(ctx context.Context, key string) (intentRecord, error) {
	var rec intentRecord
	_, err := h.intents().Get(ctx, s3doc.Intent, key, &rec)
	switch {
	case errors.Is(err, s3doc.ErrNotFound):
		return intentRecord{}, nil
	case errors.Is(err, s3doc.ErrUnreadable):
		return intentRecord{State: intentPending}, nil
	case err != nil:
		return intentRecord{}, fmt.Errorf("read intent: %w", err)
	case rec.State == intentNone:
		return intentRecord{State: intentPending}, nil
	}
	return rec, nil
}

// writeIntent writes rec at key. The caller holds the channel's lease, so no other delivery
// writes it meanwhile.
func (h *Handler) writeIntent(ctx context.Context, key string, rec intentRecord) error {
	if _, err := h.intents().Put(ctx, key, rec); err != nil {
		return fmt.Errorf("write intent (%s): %w", rec.State, err)
	}
	return nil
}

// intents is the bucket of the intent records.
func (h *Handler) intents() s3doc.Bucket { return s3doc.Bucket{S3: h.Intents, Name: h.Cfg.LockBucket} }
