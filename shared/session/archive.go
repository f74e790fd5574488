package session

import (
	"errors"
	"slices"
	"strings"
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

// AppliedCorrections is the archive's index of a channel's applied corrections (at LinkKey):
// the keys of their objects (CorrectionKey), oldest first. The archive adds a correction when it
// archives it applied (With), and reads the index once per record of a session that went live
// to link the refused session corrected before it (LinkFor), instead of listing the channel's
// corrections of two days (two S3 LISTs, billed as PUTs, per record).
type AppliedCorrections struct {
	Keys []string `json:"keys"`
}

const (
	// AppliedKept is how long the index keeps a correction before the newest it holds: a session
	// links to a correction applied on its start's day or the day before (two days at most
	// before its start), its records arrive up to MaxDuration after its start, and a day more
	// covers deliveries retried or held back.
	AppliedKept = 3*24*time.Hour + MaxDuration
	// AppliedMax is the most corrections the index keeps (the newest), far more than a channel
	// is corrected in AppliedKept: about 150 bytes each, within s3doc.AppliedIndex's limit.
	AppliedMax = 200
)

// With returns the index with the applied correction at key added, the corrections older than
// AppliedKept before the newest (or beyond AppliedMax) dropped, and whether that changed
// anything. A key that is not an applied correction's (ParseCorrectionKey) changes nothing.
func (a AppliedCorrections) With(key string) (AppliedCorrections, bool) {
	_, outcome, _, ok := ParseCorrectionKey(key)
	if !ok || outcome != CorrectionApplied || slices.Contains(a.Keys, key) {
		return a, false
	}
	type entry struct {
		key string
		at  time.Time
	}
	entries := make([]entry, 0, len(a.Keys)+1)
	for _, k := range append(slices.Clip(a.Keys), key) {
		if _, _, at, ok := ParseCorrectionKey(k); ok {
			entries = append(entries, entry{k, at})
		}
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return x.at.Compare(y.at) })
	newest := entries[len(entries)-1].at
	first := max(0, len(entries)-AppliedMax)
	for first < len(entries) && entries[first].at.Before(newest.Add(-AppliedKept)) {
		first++
	}
	out := AppliedCorrections{Keys: make([]string, 0, len(entries)-first)}
	for _, e := range entries[first:] {
		out.Keys = append(out.Keys, e.key)
	}
	return out, true
}

// LinkFor returns the correction the session id, which went live at start, is linked to: among
// the channel's applied corrections archived on start's day or the day before, the latest of
// another stream reached at or before start (LatestApplied); ok is false when there is none.
func (a AppliedCorrections) LinkFor(id Identity, start time.Time) (key, stream string, ok bool) {
	arn := id.ChannelARN()
	days := [2]string{CorrectionDayPrefix(arn, start.AddDate(0, 0, -1)), CorrectionDayPrefix(arn, start)}
	keys := make([]string, 0, len(a.Keys))
	for _, k := range a.Keys {
		if strings.HasPrefix(k, days[0]) || strings.HasPrefix(k, days[1]) {
			keys = append(keys, k)
		}
	}
	return LatestApplied(keys, id.StreamID, start)
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

// MergeArchived merges rec, the record of the session id (its identity as the caller parsed it
// once: IdentityAndKey, or the identity a stub was made of), into the record archived under
// rec's key (archived; found is false when there is none) and returns the record to write,
// stamped updatedAt now, and whether to write it: a merge that changes nothing (Same, updatedAt
// aside) writes nothing. It returns ErrOtherSession when the archived record has another
// identity (the key is derived from the identity, so only a hand-written or corrupt object
// does): merging would mix two sessions.
func MergeArchived(archived Record, found bool, id Identity, rec Record, now time.Time) (Record, bool, error) {
	if found {
		if a, err := archived.Identity(); err != nil || a != id {
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
