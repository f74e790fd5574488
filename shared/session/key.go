package session

import (
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Prefixes of the archive bucket, one per kind of object.
const (
	// KeyPrefix is the prefix of every session record's key (Record.Key).
	KeyPrefix = "sessions/"
	// CorrectionKeyPrefix is the prefix of every correction's key (Corrected.Key).
	CorrectionKeyPrefix = "corrections/"
	// AccountEventKeyPrefix is the prefix of the records of account-level events (limit
	// breaches with no channel: AccountEventKey).
	AccountEventKeyPrefix = "account-events/"
	// SweepKeyPrefix is the prefix of the sweep's state: one object per account, region and
	// kind of run (SweepStateKey; shared/sweep).
	SweepKeyPrefix = "sweep/"
	// LiveKeyPrefix is the prefix of the index of live sessions (LiveKey): one empty-bodied
	// object per session the archive holds as live, so that the live sweep lists what is live
	// instead of reading the archive.
	LiveKeyPrefix = "live/"
	// LinkKeyPrefix is the prefix of the archive's index of each channel's applied corrections
	// (LinkKey, AppliedCorrections): what links a refused session to the session that went live
	// after its correction, read with one GET instead of listing the channel's corrections.
	LinkKeyPrefix = "links/"
)

// Keys are built here and nowhere else, from validated identifiers alone: the account, region
// and channel ID of a parsed channel ARN, a stream ID, a correction outcome of the fixed
// vocabulary, an event ID, and a date within the archive's years (ivsevent.FirstYear to
// LastYear). No free-text field of a message ever reaches a key. The layouts:
//
//	sessions/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/channel=<channel id>/<stream id>.json
//	corrections/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/channel=<channel id>/<stream id>-<outcome>-<unix ms>.json
//	account-events/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/<event id>.json
//	locks/account=<account>/region=<region>/channel=<channel id>.json
//	locks/intent/account=<account>/region=<region>/channel=<channel id>/<stream id>.json
//	live/account=<account>/region=<region>/year=YYYY/month=MM/day=DD/channel=<channel id>/<stream id>.json
//	sweep/account=<account>/region=<region>/<live|daily|backfill>.json
//
// Account and region are in every key, so several accounts and regions can archive into one
// bucket without two sessions ever sharing an object. A key that cannot be built is a
// *invalid.FieldError naming the field: permanent, a retry builds the same nothing.

// Identity identifies one stream session: (account, region, channel, stream). A channel ID is
// unique only within its account and region, and a stream ID within its channel.
type Identity struct {
	Account   string // the 12-digit AWS account ID of the channel
	Region    string // the channel's region, e.g. us-west-2
	ChannelID string // the channel ARN's resource ID
	StreamID  string // the IVS stream ID, st-...
}

// channelIDPattern is the channel ID part of the IVS API's ChannelArn pattern.
var channelIDPattern = regexp.MustCompile(`^[a-zA-Z0-9-]{1,128}$`)

// IdentityOf returns the identity of the stream streamID of channel arn, checked (Check).
func IdentityOf(arn ivsevent.ChannelARN, streamID string) (Identity, error) {
	id := Identity{Account: arn.Account, Region: arn.Region, ChannelID: arn.ID, StreamID: streamID}
	return id, id.Check()
}

// Check returns a *invalid.FieldError naming the first field of id that is not a valid
// identifier: account (12 digits), region (an AWS region's shape), channelId (the IVS channel
// ID pattern), streamId (an IVS stream ID).
func (id Identity) Check() error {
	if err := id.checkChannel(); err != nil {
		return err
	}
	return ivsevent.CheckStreamID("streamId", id.StreamID)
}

func (id Identity) checkChannel() error {
	if err := ivsevent.CheckAccount("account", id.Account); err != nil {
		return err
	}
	if err := ivsevent.CheckRegion("region", id.Region); err != nil {
		return err
	}
	if !channelIDPattern.MatchString(id.ChannelID) {
		return &invalid.FieldError{Field: "channelId", Want: "an IVS channel ID (letters, digits, dashes)", Got: id.ChannelID}
	}
	return nil
}

// ChannelARN returns the channel ARN of the identity.
func (id Identity) ChannelARN() ivsevent.ChannelARN {
	return ivsevent.ChannelARN{Region: id.Region, Account: id.Account, ID: id.ChannelID}
}

// Identity returns the record's identity, checked: its channel ARN must parse, the record's
// channelId must be the ARN's, and its region and account fields, when set, too (a record that
// says one region in its ARN and another in its region field is rejected, never archived under
// either).
// It returns a *invalid.FieldError naming the record's JSON field.
func (r Record) Identity() (Identity, error) {
	arn, err := ivsevent.ParseChannelARN(r.ChannelARN)
	if err != nil {
		return Identity{}, &invalid.FieldError{Field: "channelArn", Want: "an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)", Got: r.ChannelARN}
	}
	for _, f := range []struct {
		field, got, want string
		optional         bool
	}{
		{"channelId", r.ChannelID, arn.ID, false},
		{"region", r.Region, arn.Region, true},
		{"account", r.Account, arn.Account, true},
	} {
		if f.got != f.want && !(f.optional && f.got == "") {
			return Identity{}, &invalid.FieldError{Field: f.field, Want: "the channel ARN's, " + f.want, Got: f.got}
		}
	}
	return IdentityOf(arn, r.StreamID)
}

// Validate reports whether the record can be archived: it needs a valid identity (Identity)
// and a time within the archive's years (startTime, else its earliest event). It returns a
// *invalid.FieldError naming the record's JSON field.
func (r Record) Validate() error {
	_, err := r.ArchiveKey()
	return err
}

// ArchiveKey returns the record's key in the archive (SessionKey of its identity, dated (UTC)
// by startTime, else by the earliest event), or a *invalid.FieldError naming the field that
// prevents it.
//
// A record known only from events is dated by its earliest event: for a session that crosses
// midnight UTC, that can be the day after its startTime if the earlier events were missed.
func (r Record) ArchiveKey() (string, error) {
	id, err := r.Identity()
	if err != nil {
		return "", err
	}
	return r.keyOf(id)
}

// keyOf is ArchiveKey for the record's identity id.
func (r Record) keyOf(id Identity) (string, error) {
	t := r.keyTime()
	if t.IsZero() {
		return "", &invalid.FieldError{Field: "startTime", Want: "the session's start time, or at least one event time", Got: ""}
	}
	field := "startTime"
	if r.StartTime.IsZero() {
		field = "events.time"
	}
	if err := ivsevent.CheckTime(field, t); err != nil {
		return "", err
	}
	return SessionKey(id, t)
}

// Key returns ArchiveKey, or "" when the record cannot be archived (Validate says why).
func (r Record) Key() string {
	k, _ := r.ArchiveKey()
	return k
}

// SessionKey returns the key of the session id dated (UTC) by at:
// sessions/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/channel=<id>/<stream id>.json.
func SessionKey(id Identity, at time.Time) (string, error) {
	if err := id.Check(); err != nil {
		return "", err
	}
	if err := ivsevent.CheckTime("time", at); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%s%s/%s.json", KeyPrefix, datePath(at), channelPath(id), id.StreamID), nil
}

// MaxDuration is the longest a stream session lasts: IVS ends a stream after 48 hours. A
// session's record is dated by its start, so an event of it may be up to this much later.
const MaxDuration = 48 * time.Hour

// Days returns the UTC days (each at midnight) from t's back to the day of t minus back, newest
// first: the days a record dated by its session's start may have, for an event at t of a
// session that started at most back before it.
func Days(t time.Time, back time.Duration) []time.Time {
	t = t.UTC()
	first := t.Add(-back).Truncate(24 * time.Hour)
	var out []time.Time
	for day := t.Truncate(24 * time.Hour); !day.Before(first); day = day.Add(-24 * time.Hour) {
		out = append(out, day)
	}
	return out
}

// DayPrefix is the prefix of the keys of every session record dated (UTC) on t's day, of every
// account, region and channel: sessions/year=YYYY/month=MM/day=DD/.
func DayPrefix(t time.Time) string { return KeyPrefix + datePath(t) }

// ParseSessionKey returns the identity and the day (midnight UTC) of a key SessionKey built. It
// returns a *invalid.FieldError (field "sessionKey") for any other string: another layout, a
// path with "..", an identifier that does not check.
func ParseSessionKey(key string) (Identity, time.Time, error) {
	bad := func(why string) error {
		return &invalid.FieldError{Field: "sessionKey", Want: "a session key (" + KeyPrefix + "year=YYYY/month=MM/day=DD/account=.../region=.../channel=.../<stream id>.json): " + why, Got: key}
	}
	m := sessionKeyPattern.FindStringSubmatch(key)
	if m == nil {
		return Identity{}, time.Time{}, bad("another layout")
	}
	day, err := time.Parse("2006-01-02", m[1]+"-"+m[2]+"-"+m[3])
	if err != nil {
		return Identity{}, time.Time{}, bad("no such day")
	}
	id := Identity{Account: m[4], Region: m[5], ChannelID: m[6], StreamID: m[7]}
	if err := id.Check(); err != nil {
		return Identity{}, time.Time{}, bad(err.Error())
	}
	if again, err := SessionKey(id, day); err != nil || again != key {
		return Identity{}, time.Time{}, bad("not in canonical form")
	}
	return id, day, nil
}

var sessionKeyPattern = regexp.MustCompile(`^` + regexp.QuoteMeta(KeyPrefix) +
	`year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})/account=([^/]+)/region=([^/]+)/channel=([^/]+)/([^/]+)\.json$`)

// LivePrefix is the prefix of the live index's entries of one account and region (LiveKey):
// live/account=<account>/region=<region>/. The live sweep of that account and region lists it
// and nothing else.
func LivePrefix(account, region string) (string, error) {
	if err := checkAccountRegion(account, region); err != nil {
		return "", err
	}
	return fmt.Sprintf("%saccount=%s/region=%s/", LiveKeyPrefix, account, region), nil
}

// LiveKey returns the live index's entry of the session id whose record is dated (UTC) by day:
// live/account=<account>/region=<region>/year=YYYY/month=MM/day=DD/channel=<id>/<stream id>.json.
// The entry names its record: ParseLiveKey gives back the identity and the day of SessionKey.
func LiveKey(id Identity, day time.Time) (string, error) {
	if err := id.Check(); err != nil {
		return "", err
	}
	if err := ivsevent.CheckTime("time", day); err != nil {
		return "", err
	}
	return fmt.Sprintf("%saccount=%s/region=%s/%schannel=%s/%s.json", LiveKeyPrefix, id.Account, id.Region, datePath(day), id.ChannelID, id.StreamID), nil
}

// LiveKeyOf returns the live index's entry of the record at sessionKey (a key SessionKey
// built), or a *invalid.FieldError.
func LiveKeyOf(sessionKey string) (string, error) {
	id, day, err := ParseSessionKey(sessionKey)
	if err != nil {
		return "", err
	}
	return LiveKey(id, day)
}

// ParseLiveKey returns the identity and the day (midnight UTC) of a key LiveKey built: the
// record it indexes is SessionKey(id, day). It returns a *invalid.FieldError (field "liveKey")
// for any other string.
func ParseLiveKey(key string) (Identity, time.Time, error) {
	bad := func(why string) error {
		return &invalid.FieldError{Field: "liveKey", Want: "a live index key (" + LiveKeyPrefix + "account=.../region=.../year=YYYY/month=MM/day=DD/channel=.../<stream id>.json): " + why, Got: key}
	}
	m := liveKeyPattern.FindStringSubmatch(key)
	if m == nil {
		return Identity{}, time.Time{}, bad("another layout")
	}
	day, err := time.Parse("2006-01-02", m[3]+"-"+m[4]+"-"+m[5])
	if err != nil {
		return Identity{}, time.Time{}, bad("no such day")
	}
	id := Identity{Account: m[1], Region: m[2], ChannelID: m[6], StreamID: m[7]}
	if again, err := LiveKey(id, day); err != nil {
		return Identity{}, time.Time{}, bad(err.Error())
	} else if again != key {
		return Identity{}, time.Time{}, bad("not in canonical form")
	}
	return id, day, nil
}

var liveKeyPattern = regexp.MustCompile(`^` + regexp.QuoteMeta(LiveKeyPrefix) +
	`account=([^/]+)/region=([^/]+)/year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})/channel=([^/]+)/([^/]+)\.json$`)

// SweepStateKey returns the key of the sweep's state of one kind of run (live, daily,
// backfill) for one account and region: sweep/account=<account>/region=<region>/<kind>.json.
// kind must be lowercase letters.
func SweepStateKey(account, region, kind string) (string, error) {
	if err := checkAccountRegion(account, region); err != nil {
		return "", err
	}
	if !sweepKindPattern.MatchString(kind) {
		return "", &invalid.FieldError{Field: "kind", Want: "a kind of sweep run in lowercase letters (live, daily, backfill)", Got: kind}
	}
	return fmt.Sprintf("%saccount=%s/region=%s/%s.json", SweepKeyPrefix, account, region, kind), nil
}

var sweepKindPattern = regexp.MustCompile(`^[a-z]{1,32}$`)

// checkAccountRegion checks an account ID and a region as they appear in keys.
func checkAccountRegion(account, region string) error {
	if err := ivsevent.CheckAccount("account", account); err != nil {
		return err
	}
	return ivsevent.CheckRegion("region", region)
}

// CorrectionKey returns the key of a correction of the session id with outcome, reached at at:
// corrections/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/channel=<id>/<stream id>-<outcome>-<unix ms>.json,
// dated by at (UTC). The outcome must be one of the CorrectionOutcome constants.
func CorrectionKey(id Identity, outcome CorrectionOutcome, at time.Time) (string, error) {
	if err := id.Check(); err != nil {
		return "", err
	}
	if !outcome.Valid() {
		return "", &invalid.FieldError{Field: "correction.outcome", Want: "one of " + outcomeList(), Got: string(outcome)}
	}
	if err := ivsevent.CheckTime("correction.at", at); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%s%s/%s-%s-%d.json", CorrectionKeyPrefix, datePath(at), channelPath(id), id.StreamID, outcome, at.UnixMilli()), nil
}

// AccountEventKey returns the key of an account-level event's record:
// account-events/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/<event id>.json,
// dated (UTC) by the event's time. Errors name the fields of an Enriched detail (record.account,
// trigger.eventId...).
func AccountEventKey(account, region, eventID string, at time.Time) (string, error) {
	id := Identity{Account: account, Region: region}
	if err := ivsevent.CheckAccount("record.account", account); err != nil {
		return "", err
	}
	if err := ivsevent.CheckRegion("record.region", region); err != nil {
		return "", err
	}
	if err := ivsevent.CheckEventID("trigger.eventId", eventID); err != nil {
		return "", err
	}
	if err := ivsevent.CheckTime("trigger.time", at); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%saccount=%s/region=%s/%s.json", AccountEventKeyPrefix, datePath(at), id.Account, id.Region, eventID), nil
}

// LockKey returns the key of a channel's lease: locks/account=<account>/region=<region>/channel=<id>.json.
func LockKey(arn ivsevent.ChannelARN) (string, error) {
	id := Identity{Account: arn.Account, Region: arn.Region, ChannelID: arn.ID}
	if err := id.checkChannel(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%saccount=%s/region=%s/channel=%s.json", LockKeyPrefix, id.Account, id.Region, id.ChannelID), nil
}

// LinkKey returns the key of a channel's applied corrections (AppliedCorrections):
// links/account=<account>/region=<region>/channel=<id>.json.
func LinkKey(arn ivsevent.ChannelARN) (string, error) {
	id := Identity{Account: arn.Account, Region: arn.Region, ChannelID: arn.ID}
	if err := id.checkChannel(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%saccount=%s/region=%s/channel=%s.json", LinkKeyPrefix, id.Account, id.Region, id.ChannelID), nil
}

// Valid reports whether o is one of the CorrectionOutcome constants.
func (o CorrectionOutcome) Valid() bool {
	_, ok := correctionRank[o]
	return ok
}

func outcomeList() string {
	out := make([]string, 0, len(correctionRank))
	for o := range correctionRank {
		out = append(out, strconv.Quote(string(o)))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// datePath is year=YYYY/month=MM/day=DD/ of t in UTC.
func datePath(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("year=%04d/month=%02d/day=%02d/", t.Year(), int(t.Month()), t.Day())
}

// channelPath is account=<account>/region=<region>/channel=<id>.
func channelPath(id Identity) string {
	return fmt.Sprintf("account=%s/region=%s/channel=%s", id.Account, id.Region, id.ChannelID)
}

// keyTime is the time that dates the record: startTime, else the earliest non-zero event time.
func (r Record) keyTime() time.Time {
	if !r.StartTime.IsZero() {
		return r.StartTime.UTC()
	}
	var t time.Time
	for _, e := range r.Events {
		t = earliest(t, e.Time)
	}
	for _, l := range r.LimitBreaches {
		t = earliest(t, l.Time)
	}
	return t.UTC()
}

// TopVideoHeight returns the shorter edge of the session's highest video track (the one with
// the most pixels): its height for landscape video, its width for portrait video (1080x1920 is
// a 1080p track), which is how IVS classes a track as SD, HD or FULL_HD. It returns 0 when
// unknown. It is the input multitrack.Decide wants.
func (r Record) TopVideoHeight() int32 {
	edge := r.TopHeight
	var pixels uint64
	for _, v := range r.Video {
		if p := v.pixels(); p > pixels {
			pixels, edge = p, min(v.Width, v.Height)
		}
	}
	return int32(min(max(edge, 0), math.MaxInt32))
}

// LogValue logs a summary of the record (identifiers, outcome, tracks, counts), not the whole
// record: its events alone may run to 500 entries.
func (r Record) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channelArn", r.ChannelARN),
		slog.String("streamId", r.StreamID),
		slog.String("outcome", string(r.Outcome)),
		slog.String("code", r.Code),
		slog.Bool("enriched", r.Enriched),
		slog.Int("videoTracks", r.VideoTrackCount),
		slog.String("topResolution", r.TopResolution),
		slog.Int64("totalTargetBitrate", r.TotalTargetBitrate),
		slog.Int("events", len(r.Events)),
		slog.Int("eventsDropped", r.EventsDropped),
	)
}

// LockKeyPrefix is the prefix of the archive bucket's leases: correct holds one per channel
// while it corrects it (shared/lease), so two deliveries never correct one channel at once.
const LockKeyPrefix = "locks/"

// Identity returns the identity of the session the correction belongs to: its channel ARN
// parsed, its stream ID checked; a *invalid.FieldError names the field otherwise.
func (c Corrected) Identity() (Identity, error) {
	arn, err := ivsevent.ParseChannelARN(c.ChannelARN)
	if err != nil {
		return Identity{}, &invalid.FieldError{Field: "channelArn", Want: "an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)", Got: c.ChannelARN}
	}
	return IdentityOf(arn, c.StreamID)
}

// ArchiveKey returns the correction's key (CorrectionKey of its identity, outcome and time), or
// a *invalid.FieldError naming the field that prevents it.
func (c Corrected) ArchiveKey() (string, error) {
	id, err := c.Identity()
	if err != nil {
		return "", err
	}
	return CorrectionKey(id, c.Correction.Outcome, c.Correction.At)
}

// IntentKey returns the key of the corrector's intent record of the session id:
// locks/intent/account=<account>/region=<region>/channel=<id>/<stream id>.json.
func IntentKey(id Identity) (string, error) {
	if err := id.Check(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%sintent/%s/%s.json", LockKeyPrefix, channelPath(id), id.StreamID), nil
}
