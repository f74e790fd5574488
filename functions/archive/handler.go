package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/liveindex"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// objectStore is the S3 API of the archive: the records, corrections and each channel's index of
// applied corrections are read and written through shared/s3doc (GetObject, PutObject); the
// live index's entries are written and deleted (shared/liveindex: PutObject, DeleteObject).
type objectStore interface {
	liveindex.Writer
}

var _ objectStore = (*s3.Client)(nil)

// Log attribute keys.
const (
	keyEventID    = "eventId"
	keyDetailType = "detailType"
	keyKey        = "key"
	keyRecord     = "record"
	keyAttempt    = "attempt"
	keySessionKey = "sessionKey"
)

// Handler archives one suite event per message. Its fields are set once; it is safe for
// concurrent use.
type Handler struct {
	S3      objectStore // the archive bucket, Cfg.Bucket
	Log     *slog.Logger
	Metrics *metrics.Recorder
	Cfg     Config
	Now     func() time.Time // the clock of UpdatedAt
}

// Handle archives one message: nil when done, a transient error (retryable.Is: every S3
// failure) to have it delivered again, or a permanent *invalid.FieldError naming what is wrong
// with the event to have it rejected.
func (h *Handler) Handle(ctx context.Context, m batch.Message) error {
	env, err := suiteevent.Decode(m.Body)
	if err != nil {
		return err
	}
	// An error of an invocation cut short is transient whatever it says (batch.Processor).
	switch {
	case env.Enriched != nil:
		return h.archiveEnriched(ctx, m, env, *env.Enriched)
	case env.Corrected != nil:
		return h.archiveCorrected(ctx, env, *env.Corrected)
	}
	return h.archiveQuality(ctx, env, *env.Measured)
}

// archiveEnriched merges an enriched session's record into its object.
func (h *Handler) archiveEnriched(ctx context.Context, m batch.Message, env *suiteevent.Event, d session.Enriched) error {
	rec := d.Record
	if rec.ChannelARN == "" && rec.StreamID == "" {
		return h.archiveAccountEvent(ctx, env, d)
	}
	// The key comes from the record's identity (its channel ARN and stream ID, checked against
	// its channelId, region and account) and its date, never from a free-text field.
	id, key, err := rec.IdentityAndKey()
	if err != nil {
		return prefixField("detail.record.", err)
	}
	if rec.StartTime.IsZero() {
		if key, err = h.eventRecordKey(ctx, m, d, key); err != nil {
			return err
		}
	}
	if err := h.update(ctx, env, key, id, rec, mergeEnriched(d.Trigger)); err != nil {
		return err
	}
	return h.linkAfterCorrection(ctx, env, id, key, rec)
}

// eventRecordKey returns the key a record known only from one event (no start time: key, dated
// by the event) merges into. Its session started up to session.MaxDuration before the event,
// maybe on an earlier day (a session that crossed midnight UTC), and its record is dated by
// that start: when the archive holds the session's record on one of those days, the earliest
// is the key. When it holds none, an event that comes after a session's start (not its
// Session Created or Stream Start) waits once, on its first delivery, for the record the
// session's enriched events bring (a retryable.Later: back after the queue's visibility
// timeout) rather than start a second record of the session under its own day; on a later
// delivery it is archived under its own day, so nothing is lost. Each look costs one S3 GET (a
// missing key answers NoSuchKey: archive may list the bucket): two more than before for an
// event of a session dated today, none more for an enriched record.
func (h *Handler) eventRecordKey(ctx context.Context, m batch.Message, d session.Enriched, key string) (string, error) {
	found, err := h.existingKey(ctx, key)
	if err != nil || found != "" {
		return found, err
	}
	if atStart(d.Trigger.Name) || m.ReceiveCount > 1 {
		return key, nil
	}
	return "", retryable.Later("no record of this session yet: waiting once for the record its enriched events bring", 0, nil)
}

// existingKey returns the key of the session record of key's session that the archive holds,
// dated by key's day or one of the days before within session.MaxDuration (oldest first: the
// record is under its start's day), or "" when it holds none.
func (h *Handler) existingKey(ctx context.Context, key string) (string, error) {
	id, day, err := session.ParseSessionKey(key)
	if err != nil {
		return "", fmt.Errorf("the key of an event's record: %w", err)
	}
	days := session.Days(day, session.MaxDuration)
	slices.Reverse(days)
	for _, dd := range days {
		k, err := session.SessionKey(id, dd)
		if err != nil {
			return "", err
		}
		var cur session.Record
		_, err = h.archive().Get(ctx, s3doc.SessionRecord, k, &cur)
		switch {
		case errors.Is(err, s3doc.ErrNotFound):
			continue
		case err != nil && !errors.Is(err, s3doc.ErrUnreadable):
			return "", retryable.Own(err)
		}
		return k, nil // found (an unreadable one too: merge reports it)
	}
	return "", nil
}

// atStart reports whether an IVS event of this name happens when its session starts (its time
// is the session's start, to the second), so its own day is the session's.
func atStart(name string) bool {
	return name == ivsevent.EventSessionCreated || name == ivsevent.EventStreamStart
}

// linkAfterCorrection links the refused session whose correction was applied last before rec's
// session (id, archived at key) went live, on its channel that day or the day before, to rec's
// session: nextSession in the refused session's record. It runs for every record of a session
// that went live (at go-live and at its end), so a correction archived after the go-live record
// is linked at the session's end; a link that changes nothing writes nothing. The channel's
// applied corrections are read from their index (session.AppliedCorrections: one GET), not
// listed.
func (h *Handler) linkAfterCorrection(ctx context.Context, env *suiteevent.Event, id session.Identity, key string, rec session.Record) error {
	start := rec.StartTime
	if !rec.WentLive() || start.IsZero() {
		return nil
	}
	linkKey, err := session.LinkKey(id.ChannelARN())
	if err != nil {
		return prefixField("detail.record.", err)
	}
	var applied session.AppliedCorrections
	if _, err := h.archive().Get(ctx, s3doc.AppliedIndex, linkKey, &applied); s3doc.IsNotFound(err) {
		return nil // the channel has no applied correction
	} else if err != nil {
		return retryable.Own(err)
	}
	best, bestStream, ok := applied.LinkFor(id, start)
	if !ok {
		return nil
	}
	var c session.Corrected
	if _, err := h.archive().Get(ctx, s3doc.Correction, best, &c); err != nil {
		return retryable.Own(err)
	}
	refused, err := c.Identity()
	if err != nil || refused.StreamID != bestStream || refused.ChannelARN() != id.ChannelARN() {
		h.Log.WarnContext(ctx, "the correction object is not the correction of its key; nothing linked", keyEventID, env.ID, keyKey, best)
		return nil
	}
	refusedKey, err := h.sessionKey(ctx, env, refused, c.SessionKey, c.SessionTime())
	if err != nil {
		return prefixField("detail.", err)
	}
	return h.merge(ctx, env, refusedKey, refused, session.LinkRecord(refused, rec, key))
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
	rec = rec.Scrubbed()
	rec.UpdatedAt = h.Now().UTC()
	return h.putOnce(ctx, env, key, rec)
}

// archiveCorrected writes a correction beside the sessions and merges it into its session's
// record.
func (h *Handler) archiveCorrected(ctx context.Context, env *suiteevent.Event, c session.Corrected) error {
	// Both keys come from the correction's identity (channel ARN and stream ID), its outcome
	// (a fixed vocabulary) and its dates: the message's sessionKey is a claim, used only for
	// its date and only when it names this very session.
	id, key, err := c.IdentityAndKey()
	if err != nil {
		return prefixField("detail.", err)
	}
	c = redact.Strings(c) // whatever free text the message carries, scrubbed before it is kept
	if err := h.putOnce(ctx, env, key, c); err != nil {
		return err
	}
	if c.Correction.Outcome == session.CorrectionApplied {
		if err := h.indexApplied(ctx, env, id, key); err != nil {
			return err
		}
	}
	sessionKey, err := h.sessionKey(ctx, env, id, c.SessionKey, c.SessionTime())
	if err != nil {
		return prefixField("detail.", err)
	}
	return h.merge(ctx, env, sessionKey, id, c.CorrectionRecord(id))
}

// indexApplied adds the applied correction of the session id, archived at key, to its
// channel's index (session.AppliedCorrections), which links the next session on the channel to
// it (linkAfterCorrection). An index that already holds it is not written again.
func (h *Handler) indexApplied(ctx context.Context, env *suiteevent.Event, id session.Identity, key string) error {
	linkKey, err := session.LinkKey(id.ChannelARN())
	if err != nil {
		return prefixField("detail.", err)
	}
	res, err := s3doc.Update(ctx, h.archive(), s3doc.AppliedIndex, linkKey, func(cur session.AppliedCorrections, _ bool) (session.AppliedCorrections, bool, error) {
		next, changed := cur.With(key)
		return next, changed, nil
	})
	if err != nil {
		return retryable.Own(err)
	}
	if res.Written {
		h.Metrics.Add(suite.MetricArchiveWrites, 1)
		h.Log.InfoContext(ctx, "applied correction indexed", keyEventID, env.ID, keyKey, linkKey)
	}
	return nil
}

// sessionKey returns the key of the session id's record (session.SessionKeyFor), and logs a
// message's sessionKey that is not its session's.
func (h *Handler) sessionKey(ctx context.Context, env *suiteevent.Event, id session.Identity, claimed string, at time.Time) (string, error) {
	key, rejected, err := session.SessionKeyFor(id, claimed, at)
	if rejected {
		h.Log.WarnContext(ctx, "the message's sessionKey is not its session's key; the key is dated by the event",
			keyEventID, env.ID, keySessionKey, redact.Quote(claimed))
	}
	return key, err
}

// How a merge keeps the live index (session.LiveIndexChange), and whether it may create the
// record.
type mergeMode int

const (
	// mergeOther: a correction's record; the live index follows enriched records only.
	mergeOther mergeMode = iota
	// mergeExisting: a measurement's record, merged only into an archived record (a record not
	// archived yet is a transient error: the message comes back; one that never finds its
	// record ends in the dead-letter queue, whose depth alarms).
	mergeExisting
	// mergeRecord: an enriched record of any event but its session's Session Ended.
	mergeRecord
	// mergeEnded: an enriched record that came with its session's Session Ended.
	mergeEnded
)

// indexed reports whether a merge of this mode keeps the live index (an enriched record's).
func (m mergeMode) indexed() bool { return m == mergeRecord || m == mergeEnded }

// mergeEnriched is the mode of an enriched record with this trigger.
func mergeEnriched(t session.Trigger) mergeMode {
	if t.Name == ivsevent.EventSessionEnded {
		return mergeEnded
	}
	return mergeRecord
}

// merge merges rec, a correction's record of the session id, into the record at key (mergeOther).
func (h *Handler) merge(ctx context.Context, env *suiteevent.Event, key string, id session.Identity, rec session.Record) error {
	return h.update(ctx, env, key, id, rec, mergeOther)
}

// mergeInto merges rec, a measurement's record, into the record at key, but never creates it
// (mergeExisting).
func (h *Handler) mergeInto(ctx context.Context, env *suiteevent.Event, key string, id session.Identity, rec session.Record) error {
	return h.update(ctx, env, key, id, rec, mergeExisting)
}

// recordWait is how long a measurement waits for its session's record (mergeInto).
const recordWait = time.Minute

// update merges rec, the record of the session id, into the record at key
// (session.MergeArchived: read, merge, conditional write; again on a lost race, s3doc.Update).
// A merge that changes nothing writes nothing. For an enriched record the live index follows
// session.LiveIndexChange: its entry is written before the record, and deleted after the
// session's Session Ended is merged (a failed delete leaves an entry the sweep finishes).
func (h *Handler) update(ctx context.Context, env *suiteevent.Event, key string, id session.Identity, rec session.Record, mode mergeMode) error {
	var existing, merged session.Record
	var wasFound bool
	res, err := s3doc.Update(ctx, h.archive(), s3doc.SessionRecord, key, func(cur session.Record, found bool) (session.Record, bool, error) {
		existing, wasFound = cur, found
		if !found && mode == mergeExisting {
			return cur, false, retryable.Later("the session's record at "+key+" is not archived (yet): a measurement never creates one", recordWait, nil)
		}
		next, write, err := session.MergeArchived(cur, found, id, rec, h.Now())
		if errors.Is(err, session.ErrOtherSession) {
			// Leave it to the DLQ and its alarm.
			return cur, false, retryable.Later(fmt.Sprintf("s3://%s/%s holds another session's record (%s %s)", h.Cfg.Bucket, key,
				redact.Quote(cur.ChannelARN), redact.Quote(cur.StreamID)), 0, nil)
		}
		merged = next
		if err != nil || !write {
			return next, write, err
		}
		if !mode.indexed() {
			return next, true, nil
		}
		if mark, _ := session.LiveIndexChange(cur, found, next, mode == mergeEnded); mark {
			if err := liveindex.Mark(ctx, h.S3, h.Cfg.Bucket, key); err != nil {
				return cur, false, err
			}
		}
		return next, true, nil
	})
	if err != nil {
		return retryable.Own(err)
	}
	if _, clear := session.LiveIndexChange(existing, wasFound, merged, mode == mergeEnded); clear && mode.indexed() {
		if err := liveindex.Clear(ctx, h.S3, h.Cfg.Bucket, key); err != nil {
			// The record is written: the entry is stale now, and the sweep publishes the
			// session's end again when it finds it, which deletes it. Not worth a redelivery.
			h.Log.WarnContext(ctx, "live index entry not deleted; the sweep will", keyEventID, env.ID, keyKey, key, suite.LogKeyErr, err)
		}
	}
	if !res.Written {
		h.Log.InfoContext(ctx, "record unchanged: nothing to write", keyEventID, env.ID, keyKey, key)
		return nil
	}
	h.Metrics.Add(suite.MetricArchiveWrites, 1)
	if res.Created {
		h.Metrics.Add(suite.MetricSessions, 1)
	}
	if merged.Multitrack && !existing.Multitrack {
		h.Metrics.Add(suite.MetricMultitrack, 1)
	}
	h.Log.InfoContext(ctx, "record archived", keyEventID, env.ID, keyDetailType, env.DetailType, keyKey, key, keyRecord, merged, keyAttempt, res.Attempts)
	return nil
}

// putOnce writes v at key unless an object is there already (a duplicate delivery).
func (h *Handler) putOnce(ctx context.Context, env *suiteevent.Event, key string, v any) error {
	_, err := h.archive().Create(ctx, key, v)
	switch {
	case err == nil:
		h.Metrics.Add(suite.MetricArchiveWrites, 1)
		h.Log.InfoContext(ctx, "object archived", keyEventID, env.ID, keyDetailType, env.DetailType, keyKey, key)
		return nil
	case errors.Is(err, s3doc.ErrExists):
		h.Log.InfoContext(ctx, "already archived: nothing to write", keyEventID, env.ID, keyKey, key)
		return nil
	}
	return retryable.Own(err)
}

// archive is the archive bucket's documents.
func (h *Handler) archive() s3doc.Bucket { return s3doc.Bucket{S3: h.S3, Name: h.Cfg.Bucket} }

// prefixField returns err's *invalid.FieldError with prefix put before its field (prefix
// alone when the field is empty); other errors are wrapped with prefix.
func prefixField(prefix string, err error) error {
	var fe *invalid.FieldError
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
