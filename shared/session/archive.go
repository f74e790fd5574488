package session

import (
	"errors"
	"time"
)

// The archive's rules, as pure functions: which record a message is merged into, how, and
// whether anything is written. functions/archive decodes, calls them and does the I/O.

// IdentityAndKey returns the record's identity and its archive key (ArchiveKey), parsing the
// channel ARN once; a *invalid.FieldError names the field that prevents them.
func (r Record) IdentityAndKey() (Identity, string, error) {
	id, err := r.Identity()
	if err != nil {
		return Identity{}, "", err
	}
	key, err := r.keyOf(id)
	return id, key, err
}

// IdentityAndKey returns the correction's identity and its archive key (ArchiveKey), parsing
// the channel ARN once.
func (c Corrected) IdentityAndKey() (Identity, string, error) {
	id, err := c.Identity()
	if err != nil {
		return Identity{}, "", err
	}
	key, err := CorrectionKey(id, c.Correction.Outcome, c.Correction.At)
	return id, key, err
}

// Stub returns a record of the session id that holds nothing but its identity: what the
// archive merges a correction or a link to another session into.
func (id Identity) Stub() Record {
	return Record{
		SchemaVersion: SchemaVersion, ChannelARN: id.ChannelARN().String(), ChannelID: id.ChannelID,
		Region: id.Region, Account: id.Account, StreamID: id.StreamID,
	}
}

// CorrectionRecord returns the record that carries c's correction into its session's record.
func (c Corrected) CorrectionRecord(id Identity) Record {
	r := id.Stub()
	correction := c.Correction
	r.Correction = &correction
	return r
}

// LinkRecord returns the record that links the refused session id to next, the session that
// went live on its channel after id's correction (Record.NextSession); nextKey is next's key.
func LinkRecord(id Identity, next Record, nextKey string) Record {
	r := id.Stub()
	r.NextSession = &SessionLink{StreamID: next.StreamID, Key: nextKey, StartTime: next.StartTime}
	return r
}

// SessionTime is the time that dates the record of the session c belongs to, when the message's
// sessionKey does not: its trigger's time, else the correction's.
func (c Corrected) SessionTime() time.Time {
	if c.Trigger.Time.IsZero() {
		return c.Correction.At
	}
	return c.Trigger.Time
}

// SessionKeyFor returns the key of the record of the session id: dated by claimed (a message's
// sessionKey) when that parses as the key of this very session (same account, region, channel
// and stream), else by at. The key is rebuilt from the identity either way: a message's key is
// a claim, never used as it is. claimRejected reports a claimed key that was not id's (the
// caller logs it).
func SessionKeyFor(id Identity, claimed string, at time.Time) (key string, claimRejected bool, err error) {
	if claimed != "" {
		if got, day, err := ParseSessionKey(claimed); err == nil && got == id {
			key, err := SessionKey(id, day)
			return key, false, err
		}
		claimRejected = true
	}
	key, err = SessionKey(id, at)
	return key, claimRejected, err
}

// LatestApplied returns, among the keys of a channel's corrections, the applied correction of
// another stream than streamID reached at or before start, the latest such (its key and
// stream); ok is false when there is none.
func LatestApplied(keys []string, streamID string, start time.Time) (key, stream string, ok bool) {
	var best time.Time
	for _, k := range keys {
		s, outcome, at, parsed := ParseCorrectionKey(k)
		if parsed && outcome == CorrectionApplied && s != streamID && !at.After(start) && at.After(best) {
			key, stream, best, ok = k, s, at, true
		}
	}
	return key, stream, ok
}

// ErrOtherSession is MergeArchived's error when the archived record is another session's.
var ErrOtherSession = errors.New("the archived record is another session's")

// MergeArchived merges rec into the record archived under rec's key (archived; found is false
// when there is none) and returns the record to write, stamped updatedAt now, and whether to
// write it: a merge that changes nothing (Same, updatedAt aside) writes nothing. It returns
// ErrOtherSession when the archived record has another identity (the key is derived from the
// identity, so only a hand-written or corrupt object does): merging would mix two sessions.
func MergeArchived(archived Record, found bool, rec Record, now time.Time) (Record, bool, error) {
	if found {
		a, errA := archived.Identity()
		b, errB := rec.Identity()
		if errA != nil || errB != nil || a != b {
			return archived, false, ErrOtherSession
		}
	}
	merged := Merge(archived, rec)
	merged.UpdatedAt = archived.UpdatedAt
	if found && Same(merged, archived) {
		return merged, false, nil
	}
	merged.UpdatedAt = now.UTC()
	return merged, true, nil
}
