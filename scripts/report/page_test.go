package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var updateScreenshot = flag.Bool("update", false, "rewrite testdata/report.png, the page's screenshot the README shows")

// screenshotPath is the page's screenshot in the repository (README.md shows it).
const screenshotPath = "testdata/report.png"

// chromiumFlags run Chromium headless on this machine, offline, with nothing of a profile.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
	"--force-device-scale-factor=1", "--virtual-time-budget=10000"}

// chromium returns the Chromium binary. The project installs it (make chromium, which make test
// runs), so a missing one fails the test: it never skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run make chromium (scripts/install-chromium.sh; make test runs it)")
	return ""
}

// runChromium runs Chromium on args with a new empty profile and returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// chartCheck is what the page writes into #chart-check once it has drawn its charts.
type chartCheck struct {
	Charts []struct {
		ID          string `json:"id"`
		Datasets    int    `json:"datasets"`
		Drawn       int    `json:"drawn"`
		InkedPixels int    `json:"inkedPixels"`
	} `json:"charts"`
	Errors []string `json:"errors"`
}

// TestPageInChromium renders the page of a three-day archive in headless Chromium, from either
// source (the records read directly, and the local Athena's counts), and checks that every
// chart drew, with the series the report has; then saves a screenshot.
func TestPageInChromium(t *testing.T) {
	bin := chromium(t)
	chartJS, err := findChartJS("")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeDir(t, objects(t))
	var page string
	for _, mode := range []string{ModeDirect, ModeAthena} {
		r := runJSON(t, t0.Add(72*time.Hour), "-dir", dir, "-from", "2026-11-03", "-to", "2026-11-05", "-"+mode)
		if r.Read.Mode != mode || r.Overall.Sessions != 9 {
			t.Fatalf("%s: mode %s, %d sessions", mode, r.Read.Mode, r.Overall.Sessions)
		}
		page = checkPage(t, bin, chartJS, r)
	}
	// The screenshot always lands in the repository's .local/ (ignored by git); -update also
	// makes it the README's.
	shot := filepath.Join("..", "..", ".local", "report-screenshot.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	runChromium(t, bin, "--window-size=1200,2050", "--screenshot="+shot, "file://"+page)
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 20_000 {
		t.Fatalf("screenshot %s: %d bytes, err %v; want a PNG of the page", shot, len(png), err)
	}
	if *updateScreenshot {
		if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: %s (%d bytes); go test -run TestPageInChromium -update ./scripts/report saves it as %s", shot, len(png), screenshotPath)
}

// checkPage writes the page of r, renders it in Chromium and checks that every chart drew with
// its series; it returns the page's path.
func checkPage(t *testing.T, bin, chartJS string, r Report) string {
	t.Helper()
	page := filepath.Join(t.TempDir(), "report.html")
	var buf bytes.Buffer
	if err := writeHTML(&buf, r, chartJS); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing is fetched from anywhere.
	if m := regexp.MustCompile(`(?i)<(script|link|img)[^>]+(src|href)=`).Find(buf.Bytes()); m != nil {
		t.Errorf("the page loads a resource (%s); want everything inline", m)
	}

	dom := runChromium(t, bin, "--dump-dom", "file://"+page)
	m := regexp.MustCompile(`(?s)<pre id="chart-check" data-status="done">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the page did not report its charts (no #chart-check with data-status done) in:\n%.2000s", dom)
	}
	var got chartCheck
	if err := json.Unmarshal(m[1], &got); err != nil {
		t.Fatalf("decode #chart-check %s: %v", m[1], err)
	}
	if len(got.Errors) > 0 {
		t.Errorf("the page's script failed: %v", got.Errors)
	}
	want := Charts(r)
	if len(got.Charts) != len(want) {
		t.Fatalf("%d charts drew, want %d: %+v", len(got.Charts), len(want), got.Charts)
	}
	for i, c := range want {
		g := got.Charts[i]
		if g.ID != c.ID || g.Datasets != len(c.Datasets) || g.Drawn != len(c.Datasets) {
			t.Errorf("chart %s: %d series (%d drawn), want %s with %d", g.ID, g.Datasets, g.Drawn, c.ID, len(c.Datasets))
		}
		// An empty canvas has no inked pixel; axes, bars and legends ink thousands.
		if g.InkedPixels < 2000 {
			t.Errorf("chart %s: %d inked pixels; want a drawn chart", g.ID, g.InkedPixels)
		}
	}
	// The series the report has: 3 on the sessions chart (went live, refused, share), one per
	// track of the longest ladder, one per verdict seen.
	if n := len(want[3].Datasets); n != 3 {
		t.Errorf("ladder chart: %d series, want 3 (studio's three tracks)", n)
	}
	if n := len(want[4].Datasets); n != 4 {
		t.Errorf("quality chart: %d series, want 4 (healthy, degraded, unknown, not measured)", n)
	}
	return page
}
