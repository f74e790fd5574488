package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
)

// TestPublishedGolden pins the detail of a published "IVS Channel Multitrack Corrected" event
// (the contract with the archive and with users' rules), for the ADVANCED_HD channel that
// becomes STANDARD. Generated identifiers and times are replaced by fixed ones.
func TestPublishedGolden(t *testing.T) {
	e := newEnv(t, envOptions{cfg: allowTypeCfg})
	arn, key := e.createChannel(channelSpec{typ: "ADVANCED_HD", container: "TS"})
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), allowTypeCfg)
	if failed := e.process(sqsRecord("m1", envelope(t, en), 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	pub := e.published()
	if len(pub) != 1 {
		t.Fatalf("published %d, want 1", len(pub))
	}
	c := pub[0]
	fixed := time.Date(2026, 11, 3, 17, 40, 3, 0, time.UTC)
	c.Correction.At, c.Trigger.Time, c.Trigger.EventID = fixed.Add(5*time.Second), fixed, "6f2723f3-ee31-9e48-b030-ac865e261a8e"
	got, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	arnID := arn[strings.LastIndex(arn, "/")+1:]
	got = bytes.ReplaceAll(got, []byte(arnID), []byte("AbCdef1G2hij"))
	got = bytes.ReplaceAll(got, []byte(en.Record.StreamID), []byte("st-1AuTyMDASvHUTSb8p5PvbsO"))
	got = bytes.ReplaceAll(got, []byte(en.Record.Key()[len("sessions/"):strings.Index(en.Record.Key(), "/account=")]), []byte("year=2026/month=11/day=03"))
	got = append(got, '\n')

	golden.Check(t, filepath.Join("testdata", "corrected-advanced-hd.golden.json"), got)
}
