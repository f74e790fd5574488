package main

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

func TestAggregate(t *testing.T) {
	now := t0.Add(3 * 24 * time.Hour)
	opts := Options{Now: now, StaleAfter: 48 * time.Hour}
	day := 24 * time.Hour
	tests := map[string]struct {
		fixtures []fixture
		opts     Options
		check    func(t *testing.T, r Report)
	}{
		"empty archive": {
			check: func(t *testing.T, r Report) {
				if r.Overall.Sessions != 0 || len(r.PerChannel) != 0 || len(r.Timeline) != 0 || r.StillLive == nil || r.Disagreeing == nil {
					t.Errorf("got %+v; want nothing counted and empty (not nil) lists", r)
				}
			},
		},
		"overall counts": {
			fixtures: archive(),
			check: func(t *testing.T, r Report) {
				o := r.Overall
				if o.Sessions != 9 || o.Refused != 3 || o.Live != 1 || o.Ended != 5 || o.Recovered != 1 {
					t.Errorf("sessions %d (refused %d, live %d, ended %d, live again %d); want 9 (3, 1, 5, 1)", o.Sessions, o.Refused, o.Live, o.Ended, o.Recovered)
				}
				// 2h + 1h + 0.5h (studio) + 1h (desk) + 0.75h (field); refusals and live sessions add nothing.
				if o.HoursLive != 5.25 {
					t.Errorf("hours live %v, want 5.25", o.HoursLive)
				}
				if o.Multitrack != 3 || o.WithTracks != 6 || o.MultitrackShare != 0.5 {
					t.Errorf("multitrack %d of %d (%v); want 3 of 6 (0.5)", o.Multitrack, o.WithTracks, o.MultitrackShare)
				}
				wantRefusals := []Count{{ivsevent.CodeInvalidMultitrackInputTrackCount, 1}, {ivsevent.CodeMultitrackInputNotAllowed, 1}, {ivsevent.CodeMultitrackInputRequired, 1}}
				if !reflect.DeepEqual(o.Refusals, wantRefusals) {
					t.Errorf("refusals %v, want %v", o.Refusals, wantRefusals)
				}
				if want := []Count{{"applied", 2}, {"decided", 1}}; !reflect.DeepEqual(o.Corrections, want) {
					t.Errorf("corrections %v, want %v", o.Corrections, want)
				}
				if want := []Count{{"healthy", 2}, {notMeasured, 2}, {"degraded", 1}, {"unknown", 1}}; !reflect.DeepEqual(o.Verdicts, want) {
					t.Errorf("verdicts %v, want %v", o.Verdicts, want)
				}
			},
		},
		"ladders per channel, most frequent first": {
			fixtures: archive(),
			check: func(t *testing.T, r Report) {
				if len(r.PerChannel) != 3 || r.PerChannel[2].ChannelID != "studioAAAAAA" || r.PerChannel[2].Name != "studio" {
					t.Fatalf("channels %+v; want desk, field, studio", r.PerChannel)
				}
				want := []Ladder{{Tracks: 3, Resolutions: []string{"1920x1080", "1280x720", "852x480"}, BitratesBps: []int64{6_000_000, 2_500_000, 1_000_000}, Sessions: 3}}
				if got := r.PerChannel[2].Ladders; !reflect.DeepEqual(got, want) {
					t.Errorf("studio ladders %+v, want %+v", got, want)
				}
				if got := r.Overall.Ladders; len(got) != 2 || got[0].Sessions != 3 || got[1].Tracks != 1 || got[1].Sessions != 3 {
					t.Errorf("overall ladders %+v; want the 3-track (3 sessions) then the 1-track (3)", got)
				}
			},
		},
		"a refused broadcast: its ladder counts, not in the multitrack share": {
			fixtures: []fixture{
				{channel: "studioAAAAAA", stream: 1, start: t0, code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder},
				{channel: "studioAAAAAA", stream: 2, start: t0.Add(time.Minute), duration: time.Hour, ladder: singleHD},
			},
			check: func(t *testing.T, r Report) {
				o := r.Overall
				if len(o.Ladders) != 2 || o.WithTracks != 1 || o.Multitrack != 0 || o.MultitrackShare != 0 {
					t.Errorf("ladders %+v, multitrack %d of %d; want both ladders, 0 of 1", o.Ladders, o.Multitrack, o.WithTracks)
				}
			},
		},
		"a live session whose channel moved on": {
			fixtures: archive(),
			opts:     Options{Now: t0.Add(day + 4*time.Hour), StaleAfter: 48 * time.Hour},
			check: func(t *testing.T, r Report) {
				if len(r.StillLive) != 1 || r.StillLive[0].StreamID != "st-fieldCCCCCCC00000000001" || r.StillLive[0].Key == "" {
					t.Errorf("still live %+v; want field's first session", r.StillLive)
				}
			},
		},
		"a live session not heard of for too long": {
			fixtures: []fixture{{channel: "fieldCCCCCCC", stream: 1, start: t0, ladder: singleHD}},
			opts:     Options{Now: t0.Add(49 * time.Hour), StaleAfter: 48 * time.Hour},
			check: func(t *testing.T, r Report) {
				if len(r.StillLive) != 1 || r.StillLive[0].Why != "nothing heard for 49h0m0s" {
					t.Errorf("still live %+v; want one, nothing heard for 49h", r.StillLive)
				}
			},
		},
		"a live session, recent": {
			fixtures: []fixture{{channel: "fieldCCCCCCC", stream: 1, start: t0, ladder: singleHD}},
			opts:     Options{Now: t0.Add(time.Hour), StaleAfter: 48 * time.Hour},
			check: func(t *testing.T, r Report) {
				if len(r.StillLive) != 0 || r.Overall.Live != 1 {
					t.Errorf("still live %+v, live %d; want none past its end, 1 live", r.StillLive, r.Overall.Live)
				}
			},
		},
		"refusals after the last correction": {
			fixtures: archive(),
			check: func(t *testing.T, r Report) {
				want := []Disagreement{{ChannelID: "deskBBBBBBBB", Name: "desk", LastCorrection: t0.Add(day + time.Hour + 20*time.Second), RefusalsAfter: 1,
					LastRefusal: t0.Add(2*day + time.Hour), Codes: []string{ivsevent.CodeInvalidMultitrackInputTrackCount}}}
				if !reflect.DeepEqual(r.Disagreeing, want) {
					t.Errorf("disagreeing\n got %+v\nwant %+v", r.Disagreeing, want)
				}
			},
		},
		"refused and never corrected": {
			fixtures: []fixture{
				{channel: "deskBBBBBBBB", stream: 1, start: t0, code: ivsevent.CodeMultitrackInputRequired},
				{channel: "deskBBBBBBBB", stream: 2, start: t0.Add(time.Hour), code: ivsevent.CodeMultitrackInputRequired, correction: session.CorrectionFailed, correctedAt: t0.Add(time.Hour + time.Minute)},
			},
			check: func(t *testing.T, r Report) {
				if len(r.Disagreeing) != 1 || r.Disagreeing[0].RefusalsAfter != 2 || !r.Disagreeing[0].LastCorrection.IsZero() {
					t.Errorf("disagreeing %+v; want desk, 2 refusals, never corrected (a failed correction changes nothing)", r.Disagreeing)
				}
			},
		},
		"refusals left alone for ads, per channel": {
			fixtures: append(archive(),
				fixture{channel: "adsDDDDDDDDD", name: "ads", stream: 1, start: t0.Add(4 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
				fixture{channel: "adsDDDDDDDDD", name: "ads", stream: 2, start: t0.Add(5 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
				fixture{channel: "adsDDDDDDDDD", name: "ads", stream: 3, start: t0.Add(6 * time.Hour), duration: time.Hour, ladder: singleHD, ads: true},
			),
			check: func(t *testing.T, r Report) {
				if r.Overall.LeftForAds != 2 || r.Overall.Refused != 5 {
					t.Errorf("overall: %d left for ads of %d refused; want 2 of 5", r.Overall.LeftForAds, r.Overall.Refused)
				}
				for _, c := range r.PerChannel {
					want := 0
					if c.ChannelID == "adsDDDDDDDDD" {
						want = 2
					}
					if c.LeftForAds != want {
						t.Errorf("channel %s: %d left for ads, want %d", c.ChannelID, c.LeftForAds, want)
					}
				}
				var b strings.Builder
				if err := writeText(&b, r); err != nil {
					t.Fatal(err)
				}
				if !regexp.MustCompile(`left alone for ads +2 refused sessions`).MatchString(b.String()) || !strings.Contains(b.String(), "LEFT FOR ADS") {
					t.Errorf("text report does not show the count:\n%s", b.String())
				}
			},
		},
		"timeline: 6-hour buckets over three days, empty ones kept": {
			fixtures: archive(),
			check: func(t *testing.T, r Report) {
				if r.Bucket != "6h" || len(r.Timeline) != 10 {
					t.Fatalf("bucket %q, %d buckets; want 6h, 10 (12:00 on the first day to 18:00 on the third; at most 30 buckets)", r.Bucket, len(r.Timeline))
				}
				total, refused := 0, 0
				for i, b := range r.Timeline {
					total += b.Sessions
					refused += b.Refused
					if i > 0 && !b.Start.After(r.Timeline[i-1].Start) {
						t.Errorf("bucket %d does not follow the one before", i)
					}
				}
				if total != 9 || refused != 3 {
					t.Errorf("timeline holds %d sessions (%d refused); want 9 (3)", total, refused)
				}
				first := r.Timeline[0]
				if first.Sessions != 2 || first.Refused != 1 || first.Multitrack != 1 || first.MultitrackShare != 1 || first.Verdicts["healthy"] != 1 {
					t.Errorf("first bucket %+v; want studio's refusal and its multitrack session", first)
				}
			},
		},
		"timeline: minutes for a short local run": {
			fixtures: []fixture{{channel: "a1234567890a", stream: 1, start: t0, duration: time.Minute}, {channel: "a1234567890a", stream: 2, start: t0.Add(90 * time.Second), duration: time.Minute}},
			check: func(t *testing.T, r Report) {
				if r.Bucket != "1m" || len(r.Timeline) != 2 {
					t.Errorf("bucket %q, %d buckets; want 1m, 2", r.Bucket, len(r.Timeline))
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := tc.opts
			if o.Now.IsZero() {
				o = opts
			}
			tc.check(t, Aggregate(sessionsOf(tc.fixtures), o))
		})
	}
}

// The report does not depend on the order records were read in (readers run concurrently).
func TestAggregateIgnoresOrder(t *testing.T) {
	ss := sessionsOf(archive())
	want := Aggregate(ss, Options{Now: t0, StaleAfter: time.Hour})
	for i := range 20 {
		shuffled := append([]Session(nil), ss...)
		rand.New(rand.NewPCG(uint64(i), 1)).Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := Aggregate(shuffled, Options{Now: t0, StaleAfter: time.Hour}); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d gives another report", i)
		}
	}
}

// TestPerRegion: a fleet's archive (archive() in us-west-2, fleetChannels() in eu-west-1 of two
// accounts) is broken down per account and region, each channel with its own, the regions'
// figures adding up to the overall ones; the text and the page show both.
func TestPerRegion(t *testing.T) {
	r := Aggregate(sessionsOf(append(archive(), fleetChannels()...)), Options{Now: t0.Add(72 * time.Hour), StaleAfter: 48 * time.Hour})
	type place struct{ account, region string }
	want := map[place]struct{ channels, sessions, refused, ended int }{
		{testAccount, "us-west-2"}:   {3, 9, 3, 5},
		{testAccount, "eu-west-1"}:   {1, 2, 1, 1},
		{memberAccount, "eu-west-1"}: {1, 1, 0, 1},
	}
	if len(r.PerRegion) != len(want) {
		t.Fatalf("per region %+v; want %d entries", r.PerRegion, len(want))
	}
	sum := 0
	for i, g := range r.PerRegion {
		w, ok := want[place{g.Account, g.Region}]
		if !ok || g.Channels != w.channels || g.Sessions != w.sessions || g.Refused != w.refused || g.Ended != w.ended {
			t.Errorf("%s/%s: %d channels, %d sessions (refused %d, ended %d); want %+v", g.Account, g.Region, g.Channels, g.Sessions, g.Refused, g.Ended, w)
		}
		if i > 0 && (r.PerRegion[i-1].Account > g.Account || r.PerRegion[i-1].Account == g.Account && r.PerRegion[i-1].Region > g.Region) {
			t.Errorf("per region not by account, then region: %+v", r.PerRegion)
		}
		sum += g.Sessions
	}
	if sum != r.Overall.Sessions || r.Overall.Sessions != 12 {
		t.Errorf("regions' sessions add up to %d, overall %d; want 12 both", sum, r.Overall.Sessions)
	}
	dublin := r.PerRegion[0] // testAccount's eu-west-1 sorts first
	if dublin.Region != "eu-west-1" || dublin.Recovered != 1 || dublin.HoursLive != 1 || !reflect.DeepEqual(dublin.Corrections, []Count{{"applied", 1}}) {
		t.Errorf("eu-west-1 of %s: %+v; want its refusal corrected, live again, an hour live", testAccount, dublin)
	}
	for _, c := range r.PerChannel {
		wantRegion, wantAccount := "us-west-2", testAccount
		switch c.ChannelID {
		case "dublinEEEEEE":
			wantRegion = "eu-west-1"
		case "memberFFFFFF":
			wantRegion, wantAccount = "eu-west-1", memberAccount
		}
		if c.Region != wantRegion || c.Account != wantAccount {
			t.Errorf("channel %s in %s/%s; want %s/%s", c.ChannelID, c.Account, c.Region, wantAccount, wantRegion)
		}
	}

	var text strings.Builder
	if err := writeText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`PER REGION`,
		`(?m)^  ACCOUNT +REGION +CHANNELS +SESSIONS`,
		`(?m)^  ` + memberAccount + ` +eu-west-1 +1 +1 +1 +0 +0 +2h0m0s`,
		`(?m)^  ` + testAccount + ` +us-west-2 +3 +9 +5 +3 +1 `,
		`(?m)^  CHANNEL +NAME +ACCOUNT +REGION +SESSIONS`,
		`(?m)^  memberFFFFFF +member +` + memberAccount + ` +eu-west-1 +1 `,
	} {
		if !regexp.MustCompile(re).MatchString(text.String()) {
			t.Errorf("the text does not match %s:\n%s", re, text.String())
		}
	}
	var page bytes.Buffer
	if err := writeHTML(&page, r, "/* chart.js */"); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`<h2>Per region</h2>`,
		`<tr><td>` + memberAccount + `</td><td>eu-west-1</td><td class="n">1</td><td class="n">1</td>`,
		`<tr><td>` + testAccount + `</td><td>us-west-2</td><td class="n">3</td><td class="n">9</td><td class="n">3</td>`,
		`<tr><td>memberFFFFFF</td><td>member</td><td>` + memberAccount + `</td><td>eu-west-1</td>`,
	} {
		if !regexp.MustCompile(re).MatchString(page.String()) {
			t.Errorf("the page does not match %s", re)
		}
	}
}
