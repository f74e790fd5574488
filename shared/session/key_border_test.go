package session

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

var keyDay = time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)

// TestKeysRejectHostileIdentifiers: every key is built from checked identifiers; anything else
// is a *invalid.FieldError naming the field (issue 10).
func TestKeysRejectHostileIdentifiers(t *testing.T) {
	good := Identity{Account: "123456789012", Region: "us-west-2", ChannelID: "AbCdef1G2hij", StreamID: "st-1A2b3c4D5e6F78ghij9Klmn"}
	with := func(change func(*Identity)) Identity { id := good; change(&id); return id }
	tests := map[string]struct {
		id    Identity
		at    time.Time
		field string
	}{
		"account with a slash":  {with(func(i *Identity) { i.Account = "1234/../5678" }), keyDay, "account"},
		"account of 13 digits":  {with(func(i *Identity) { i.Account = "1234567890123" }), keyDay, "account"},
		"region with a newline": {with(func(i *Identity) { i.Region = "us-west-2\nx" }), keyDay, "region"},
		"channel ID with dots":  {with(func(i *Identity) { i.ChannelID = ".." }), keyDay, "channelId"},
		"stream ID a path":      {with(func(i *Identity) { i.StreamID = "st-../../../../../../../../x" }), keyDay, "streamId"},
		"time in 1970":          {good, time.Unix(1, 0), "time"},
		"time in 2999":          {good, time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), "time"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			key, err := SessionKey(tc.id, tc.at)
			var fe *invalid.FieldError
			if key != "" || !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("SessionKey = %q, %v; want a FieldError for %q", key, err, tc.field)
			}
		})
	}
	for _, outcome := range []CorrectionOutcome{"", "../../sessions/x", CorrectionOutcome(strings.Repeat("a", 1100)), "APPLIED"} {
		key, err := CorrectionKey(good, outcome, keyDay)
		var fe *invalid.FieldError
		if key != "" || !errors.As(err, &fe) || fe.Field != "correction.outcome" {
			t.Errorf("CorrectionKey(outcome %.20q) = %q, %v; want a FieldError for correction.outcome", outcome, key, err)
		}
	}
	if key, err := AccountEventKey("123456789012", "us-west-2", "../../x", keyDay); key != "" || err == nil {
		t.Errorf("AccountEventKey with a path as event ID = %q, %v", key, err)
	}
}

// TestKeyLayout pins the layouts: account and region in every key (several accounts and regions
// can share one bucket).
func TestKeyLayout(t *testing.T) {
	id := Identity{Account: "123456789012", Region: "us-west-2", ChannelID: "AbCdef1G2hij", StreamID: "st-1A2b3c4D5e6F78ghij9Klmn"}
	check := func(got string, err error, want string) {
		t.Helper()
		if err != nil || got != want {
			t.Errorf("key = %q, %v; want %q", got, err, want)
		}
	}
	k, err := SessionKey(id, keyDay)
	check(k, err, "sessions/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn.json")
	k, err = CorrectionKey(id, CorrectionApplied, keyDay)
	check(k, err, "corrections/year=2026/month=11/day=03/account=123456789012/region=us-west-2/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn-applied-1793728800000.json")
	k, err = AccountEventKey(id.Account, id.Region, "0a275bec-ccb9-4244-bb91-2ac52a7c31ca", keyDay)
	check(k, err, "account-events/year=2026/month=11/day=03/account=123456789012/region=us-west-2/0a275bec-ccb9-4244-bb91-2ac52a7c31ca.json")
	k, err = LockKey(id.ChannelARN())
	check(k, err, "locks/account=123456789012/region=us-west-2/channel=AbCdef1G2hij.json")

	sk, _ := SessionKey(id, keyDay)
	gotID, day, err := ParseSessionKey(sk)
	if err != nil || gotID != id || !day.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseSessionKey(%s) = %+v, %v, %v", sk, gotID, day, err)
	}
	for _, bad := range []string{
		"sessions/year=2026/month=11/day=03/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn.json", // the old layout
		strings.Replace(sk, "channel=AbCdef1G2hij", "channel=..", 1),
		strings.Replace(sk, "month=11", "month=13", 1),
		strings.Replace(sk, "sessions/", "corrections/", 1),
		sk + "\n",
	} {
		if _, _, err := ParseSessionKey(bad); err == nil {
			t.Errorf("ParseSessionKey(%q) accepted it", bad)
		}
	}
}

// TestRecordIdentity: the record's region and account fields may not contradict its ARN.
func TestRecordIdentity(t *testing.T) {
	r := Record{ChannelARN: testARN, ChannelID: "abcdABCDefgh", Region: "us-west-2", Account: "123456789012", StreamID: testStreamID, StartTime: t0}
	if _, err := r.ArchiveKey(); err != nil {
		t.Fatalf("ArchiveKey(good) = %v", err)
	}
	for field, change := range map[string]func(*Record){
		"region":    func(r *Record) { r.Region = "eu-west-1" },
		"account":   func(r *Record) { r.Account = "999999999999" },
		"channelId": func(r *Record) { r.ChannelID = "other" },
		"startTime": func(r *Record) { r.StartTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		bad := r
		change(&bad)
		_, err := bad.ArchiveKey()
		var fe *invalid.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s changed: ArchiveKey error %v, want a FieldError for %s", field, err, field)
		}
	}
}

// TestRecordScrubbed: a channel name shaped like a stream key (IVS's name pattern allows
// sk_<region>_...) never reaches a record, nor does one hidden in any other free-text field of
// a record that reaches Merge (issue 10).
func TestRecordScrubbed(t *testing.T) {
	key := "sk_us-west-2_abcdABCDefgh_567890abcdef"
	ev, err := ivsevent.Parse([]byte(`{"version":"0","id":"e1","detail-type":"IVS Stream State Change","source":"aws.ivs",` +
		`"account":"123456789012","time":"2026-11-03T18:00:05Z","region":"us-west-2",` +
		`"resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],` +
		`"detail":{"event_name":"Stream Failure","channel_name":"` + key + `","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","reason":"see ` + key + `"}}`))
	if err != nil {
		t.Fatal(err)
	}
	rec := FromEvent(ev, "note "+key)
	crafted := rec
	crafted.Video = []VideoTrack{{Track: "Track0", Encoder: "obs " + key}}
	crafted.Correction = &Correction{Outcome: CorrectionFailed, Detail: key, Decision: multitrack.Decision{Reason: key}}
	crafted.Recording = &Recording{Status: ivsevent.RecordingEnd, S3KeyPrefix: key}
	for name, r := range map[string]Record{"FromEvent": rec, "Merge": Merge(Record{}, crafted)} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), key) || !strings.Contains(string(b), redact.Redacted) {
			t.Errorf("%s: the record keeps the stream key: %s", name, b)
		}
	}
}
