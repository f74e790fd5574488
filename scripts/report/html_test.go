package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// TestPageLeftForAds: the page shows the refusals left alone for ads, overall (a tile) and per
// channel (a column).
func TestPageLeftForAds(t *testing.T) {
	fs := append(archive(),
		fixture{channel: "adsDDDDDDDDD", name: "ads", stream: 1, start: t0.Add(4 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
		fixture{channel: "adsDDDDDDDDD", name: "ads", stream: 2, start: t0.Add(5 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
		fixture{channel: "adsDDDDDDDDD", name: "ads", stream: 3, start: t0.Add(6 * time.Hour), code: ivsevent.CodeMultitrackInputNotAllowed, ladder: obsLadder, ads: true},
	)
	r := Aggregate(sessionsOf(fs), Options{Now: t0.Add(72 * time.Hour), StaleAfter: 48 * time.Hour})
	var buf bytes.Buffer
	if err := writeHTML(&buf, r, "/* chart.js */"); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !regexp.MustCompile(`<div class="tile" id="left-for-ads"><b>3</b>refusals left alone for ads</div>`).MatchString(page) {
		t.Errorf("the page has no tile of 3 refusals left alone for ads")
	}
	if !regexp.MustCompile(`<th>left for ads</th>`).MatchString(page) ||
		!regexp.MustCompile(`(?s)<tr><td>adsDDDDDDDDD</td>.*?<td>unchanged 3</td><td class="n">3</td>`).MatchString(page) {
		t.Errorf("the per-channel table does not show ads' 3 refusals left for ads:\n%s", page)
	}
}
