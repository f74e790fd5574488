package suiteevent_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// FuzzQuality feeds IVS Session Quality events, mutated from the sample, to what the archive
// does with one: decode it strictly and validate it (session.Measured.Validate). It must never
// panic, and what passes must be a measurement the archive may keep: a verdict, reasons and
// kinds of the vocabulary, no control character in any text, bounded counts, and a record key
// of the session measured.
func FuzzQuality(f *testing.F) {
	sample, err := os.ReadFile("../../events/suite/session-quality.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	s := string(sample)
	for _, m := range [][2]string{
		{`"verdict": "degraded"`, `"verdict": "<script>alert(1)</script>"`},
		{`"verdict": "degraded"`, `"verdict": "degraded\u001b[2J"`},
		{`"code": "low-bitrate"`, `"code": "bad-vibes"`},
		{`"track": "Track1"`, `"track": "Track1\nforged"`},
		{`"bitrateLowShare": 0.12`, `"bitrateLowShare": 12`},
		{`day=03`, `day=01`},
		{`"windowEnd": "2026-11-03T19:00:01.000Z"`, `"windowEnd": "2026-11-09T19:00:01.000Z"`},
		{`"attempts": 1`, `"attempts": -1`},
		{`"verdict": "degraded"`, `"verdict": "degraded", "verdict": "healthy"`},
	} {
		f.Add([]byte(strings.Replace(s, m[0], m[1], 1)))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := suiteevent.Decode(body)
		if err != nil || ev.Measured == nil {
			return
		}
		m := *ev.Measured
		if m.Validate() != nil {
			return
		}
		q := m.Quality
		if !slices.Contains(quality.Verdicts, q.Verdict) || len(q.Tracks) > quality.MaxTracks || len(q.Reasons) > quality.MaxReasons {
			t.Fatalf("a measurement out of the vocabulary or bounds passed: %+v", q)
		}
		texts := []string{q.Note, q.WorstTrack}
		for _, r := range q.Reasons {
			if !slices.Contains(quality.ReasonCodes, r.Code) {
				t.Fatalf("reason %q passed", r.Code)
			}
			texts = append(texts, r.Track, r.Detail)
		}
		for _, tr := range q.Tracks {
			if !slices.Contains(quality.Kinds, tr.Kind) || tr.BitrateLowShare < 0 || tr.BitrateLowShare > 1 {
				t.Fatalf("track %+v passed", tr)
			}
			texts = append(texts, tr.Track)
		}
		for _, x := range texts {
			if strings.ContainsFunc(x, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len(x) > 1024 {
				t.Fatalf("text %q passed", x)
			}
		}
		key, err := m.RecordKey()
		if err != nil {
			t.Fatalf("a valid measurement has no record key: %v", err)
		}
		id, _, err := session.ParseSessionKey(key)
		if err != nil || id.StreamID != m.StreamID || !strings.HasSuffix(m.ChannelARN, ":channel/"+id.ChannelID) {
			t.Fatalf("record key %s (%v) is not the key of %s %s", key, err, m.ChannelARN, m.StreamID)
		}
	})
}
