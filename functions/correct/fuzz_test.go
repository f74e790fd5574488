package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// FuzzParse checks the corrector's decoding on arbitrary messages: it never panics, a message
// is either refused with a *invalid.FieldError or is an apply decision for a valid channel ARN
// and stream ID, the only ones that may reach IVS. The seeds are the golden published event and
// the IVS samples (which it must refuse).
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/*.json", "../../events/*.json", "../../events/invalid/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"source":"ivs-sessions","detail-type":"IVS Session Enriched","detail":{"Decision":{"action":"apply"},"record":{"channelArn":"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij","streamId":"st-1A2b3c4D5e6F78ghij9Klmn"}}}`))
	f.Add([]byte(`{"source":"ivs-sessions","detail-type":"IVS Session Enriched","detail":{"decision":{"action":"manual","action":"apply"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := parse(body, "")
		if err != nil {
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("parse error %v (%T) is not a *invalid.FieldError", err, err)
			}
			return
		}
		r := j.enriched.Record
		if j.enriched.Decision.Action != multitrack.ActionApply {
			t.Fatalf("accepted a %q decision", j.enriched.Decision.Action)
		}
		if _, err := ivsevent.ParseChannelARN(r.ChannelARN); err != nil || !ivsevent.ValidStreamID(r.StreamID) {
			t.Fatalf("accepted channel %q stream %q", r.ChannelARN, r.StreamID)
		}
		if _, err := session.LockKey(j.id.ChannelARN()); err != nil || j.arn != r.ChannelARN {
			t.Fatalf("accepted a channel whose lease key cannot be built: %v", err)
		}
	})
}
