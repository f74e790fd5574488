package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// TestPublishedGolden pins the detail of a published "IVS Channel Multitrack Corrected" event
// (the contract with the archive and with users' rules), for the ADVANCED_HD channel that
// becomes STANDARD. Generated identifiers and times are replaced by fixed ones.
func TestPublishedGolden(t *testing.T) {
	e := newEnv(t, envOptions{cfg: allowTypeCfg})
	arn, key := e.createChannel(channelSpec{typ: "ADVANCED_HD", container: "TS"})
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), allowTypeCfg)
	got := fixedCorrection(t, correctOnce(t, e, en), arn, en)
	golden.Check(t, filepath.Join("testdata", "corrected-advanced-hd.golden.json"), got)
}

// TestPublishedGoldenAds pins the correction published when an ad configuration was added to
// the channel after enrich decided: manual for ad insertion, the channel unchanged, before and
// after naming the ad configuration.
func TestPublishedGoldenAds(t *testing.T) {
	e := newEnv(t, envOptions{cfg: applyCfg})
	arn, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	ad := e.CreateAdConfiguration(t, "midrolls")
	if _, err := e.Admin.UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), AdConfigurationArn: aws.String(ad)}); err != nil {
		t.Fatal(err)
	}
	got := fixedCorrection(t, correctOnce(t, e, en), arn, en)
	got = bytes.ReplaceAll(got, []byte(ad[strings.LastIndex(ad, "/")+1:]), []byte("adCDef56ghIJ"))
	golden.Check(t, filepath.Join("testdata", "corrected-ad-channel.golden.json"), got)
}

// correctOnce delivers the enriched session to the corrector and returns the one correction it
// published.
func correctOnce(t *testing.T, e *env, en session.Enriched) session.Corrected {
	t.Helper()
	if failed := e.process(sqsRecord("m1", envelope(t, en), 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	pub := e.published()
	if len(pub) != 1 {
		t.Fatalf("published %d, want 1", len(pub))
	}
	return pub[0]
}

// fixedCorrection is the JSON of a published correction with its generated identifiers and
// times replaced by fixed ones, so that a golden file can pin it.
func fixedCorrection(t *testing.T, c session.Corrected, arn string, en session.Enriched) []byte {
	t.Helper()
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
	return append(got, '\n')
}
