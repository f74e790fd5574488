package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// FuzzKeys checks the key builders: whatever the identifiers, a key is either refused with a
// *invalid.FieldError or lies under its prefix, holds no "..", no empty segment, no control
// or space character, fits S3's 1,024 bytes, and a session key parses back to its identity.
// Issue 10: no input may push a key outside its prefix.
func FuzzKeys(f *testing.F) {
	f.Add("123456789012", "us-west-2", "AbCdef1G2hij", "st-1A2b3c4D5e6F78ghij9Klmn", int64(1793728800), "applied", "0a275bec-ccb9-4244-bb91-2ac52a7c31ca")
	f.Add("123456789012", "us-west-2", "..", "st-../../../../../../../x", int64(0), "../../sessions/x", "../x")
	f.Add("1234/5678901", "us-west-2\n", "a/b", "st-1A2b3c4D5e6F78ghij9Klm\x00", int64(-62135596800), strings.Repeat("a", 1100), "")
	f.Add("000000000000", "us-gov-west-1", strings.Repeat("a", 128), "st-aaaaaaaaaaaaaaaaaaaaaaa", int64(4102444799), "dry-run", strings.Repeat("f", 64))
	f.Fuzz(func(t *testing.T, account, region, channel, stream string, unix int64, outcome, eventID string) {
		id := Identity{Account: account, Region: region, ChannelID: channel, StreamID: stream}
		at := time.Unix(unix, 0)
		check := func(kind, prefix, key string, err error) {
			t.Helper()
			if err != nil {
				if _, ok := err.(*invalid.FieldError); !ok || key != "" {
					t.Fatalf("%s: %q, %v (%T): want a *invalid.FieldError and no key", kind, key, err, err)
				}
				return
			}
			if !strings.HasPrefix(key, prefix) || strings.Contains(key, "..") || strings.Contains(key, "//") || len(key) > 1024 ||
				strings.IndexFunc(key, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || r > unicode.MaxASCII }) >= 0 {
				t.Fatalf("%s: key %q escapes %s or is not a plain S3 key", kind, key, prefix)
			}
		}
		sk, err := SessionKey(id, at)
		check("SessionKey", KeyPrefix, sk, err)
		if err == nil {
			back, day, perr := ParseSessionKey(sk)
			if perr != nil || back != id || !day.Equal(time.Date(at.UTC().Year(), at.UTC().Month(), at.UTC().Day(), 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("ParseSessionKey(%q) = %+v, %v, %v; want %+v", sk, back, day, perr, id)
			}
		}
		ck, err := CorrectionKey(id, CorrectionOutcome(outcome), at)
		check("CorrectionKey", CorrectionKeyPrefix, ck, err)
		ak, err := AccountEventKey(account, region, eventID, at)
		check("AccountEventKey", AccountEventKeyPrefix, ak, err)
		lk, err := LockKey(ivsevent.ChannelARN{Account: account, Region: region, ID: channel})
		check("LockKey", LockKeyPrefix, lk, err)
		ik, err := IntentKey(id)
		check("IntentKey", LockKeyPrefix+"intent/", ik, err)
		// A parsed key that is not canonical is refused, never reinterpreted.
		if back, _, err := ParseSessionKey(strings.Join([]string{account, region, channel, stream}, "/")); err == nil {
			if again, _ := SessionKey(back, at); again == "" {
				t.Fatalf("ParseSessionKey accepted a key SessionKey cannot build: %+v", back)
			}
		}
	})
}

// FuzzMerge checks Merge's laws on records decoded from arbitrary JSON: commutative,
// associative and idempotent (as JSON), and it never panics. The seeds are the sample records.
func FuzzMerge(f *testing.F) {
	for _, r := range samples(f) {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, b, []byte(`{}`))
	}
	f.Add([]byte(`{"channel":{"name":"sk_us-west-2_a_b","tags":{"sk_us-west-2_a_b":"1","sk_us-west-2_c_d":"2"}}}`),
		[]byte(`{"channel":{"name":"T","tags":{"sk_eu-west-1_a_b":"3"}}}`), []byte(`{"code":"MultitrackInputNotAllowed"}`))
	f.Add([]byte(`{"startTime":"2026-11-03T18:00:00Z"}`), []byte(`{"startTime":"2026-11-03T19:00:00+01:00"}`), []byte(`{"endTime":"2026-11-03T19:00:00Z"}`))
	f.Fuzz(func(t *testing.T, ja, jb, jc []byte) {
		var a, b, c Record
		if json.Unmarshal(ja, &a) != nil || json.Unmarshal(jb, &b) != nil || json.Unmarshal(jc, &c) != nil {
			return
		}
		js := func(r Record) string {
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("Marshal a merged record: %v", err)
			}
			return string(out)
		}
		ab := Merge(a, b)
		if l, r := js(ab), js(Merge(b, a)); l != r {
			t.Fatalf("not commutative:\n%s\n%s", l, r)
		}
		if l, r := js(Merge(ab, c)), js(Merge(a, Merge(b, c))); l != r {
			t.Fatalf("not associative:\n%s\n%s", l, r)
		}
		if l, r := js(Merge(ab, ab)), js(ab); l != r {
			t.Fatalf("not idempotent:\n%s\n%s", l, r)
		}
	})
}
