package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// chartJSPath is Chart.js's browser bundle in the repository's node_modules (package.json pins
// it; npm ci installs it). The page inlines it, so it opens with no network.
const chartJSPath = "node_modules/chart.js/dist/chart.umd.min.js"

//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"join": strings.Join,
	"pct": func(n, of int) string {
		if of == 0 {
			return "-"
		}
		return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 0, 64) + "%"
	},
	"counts": countList,
	"mbps":   bitrates,
	"time":   session.FormatTime,
	"hours":  hours,
}).Parse(pageSource))

// findChartJS returns Chart.js's bundle: path if given, else node_modules/... in the working
// directory or the nearest parent that has a go.mod (the repository).
func findChartJS(path string) (string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("chart library: %w", err)
		}
		return string(b), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("chart library: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(chartJSPath)))
			if err != nil {
				return "", fmt.Errorf("chart library: %w (run npm ci --no-audit --no-fund in %s, or make node_modules)", err, dir)
			}
			return string(b), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("chart library: no go.mod above the working directory; give -chartjs %s", chartJSPath)
		}
		dir = parent
	}
}

// writeHTML writes the report as one self-contained page: Chart.js (chartJS, its source) and
// the data inline, no request to any network.
func writeHTML(w io.Writer, r Report, chartJS string) error {
	specs, err := json.Marshal(Charts(r))
	if err != nil {
		return fmt.Errorf("encode charts: %w", err)
	}
	// The library is our own pinned dependency; </script> cannot occur in its minified source
	// unescaped, and the check below makes sure.
	if strings.Contains(strings.ToLower(chartJS), "</script") {
		return fmt.Errorf("chart library: its source contains </script and cannot be inlined")
	}
	return page.Execute(w, struct {
		Report     Report
		Charts     []Chart
		ChartsJSON template.JS
		ChartJS    template.JS
		Scan       string
	}{r, Charts(r), template.JS(specs), template.JS(chartJS), scanOf(r.Read)})
}

// scanOf says what an Athena run scanned and cost ("" for a direct read).
func scanOf(rd ReadStats) string {
	if rd.Athena == nil {
		return ""
	}
	return scanCost(rd.Athena)
}
