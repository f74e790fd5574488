package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Chart is one chart of the page, in the terms of Chart.js (type, labels, datasets); the page
// hands it to Chart.js as it is.
type Chart struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Type     string    `json:"type"` // bar, line, doughnut
	Labels   []string  `json:"labels"`
	Datasets []Dataset `json:"datasets"`
	Stacked  bool      `json:"stacked,omitempty"`
	// Horizontal lays bars along the x axis (long labels on the y axis).
	Horizontal bool `json:"horizontal,omitempty"`
	// Height is the canvas's height in pixels.
	Height int `json:"height"`
	// YTitle names the left axis; Y2Title the right one (for a dataset with YAxisID "y2").
	YTitle  string `json:"yTitle,omitempty"`
	Y2Title string `json:"y2Title,omitempty"`
}

// Dataset is one series of a chart.
type Dataset struct {
	Label   string  `json:"label"`
	Data    []Point `json:"data"`
	Type    string  `json:"type,omitempty"`    // a line over bars
	YAxisID string  `json:"yAxisID,omitempty"` // "y2": the right axis
	Stack   string  `json:"stack,omitempty"`
	Color   string  `json:"backgroundColor,omitempty"`
	Border  string  `json:"borderColor,omitempty"`
	// Colors colours each point (a doughnut's slices).
	Colors []string `json:"colors,omitempty"`
}

// Point is one value of a series; NaN is a gap (JSON null), e.g. a share of no sessions.
type Point float64

// MarshalJSON writes the value, or null for NaN.
func (p Point) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(p)) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(p), 'f', -1, 64), nil
}

// chartHeight is a chart's canvas height, unless it needs more.
const chartHeight = 300

// palette colours series in order (Okabe-Ito, readable by the colour-blind).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"}

// verdictColors keeps a verdict's colour the same on every page.
var verdictColors = map[string]string{"healthy": "#009E73", "degraded": "#D55E00", "unknown": "#999999", notMeasured: "#CCCCCC"}

// Charts returns the page's charts: sessions and multitrack share over time, refusals by code,
// corrections by outcome, the ladder per channel, quality over time.
func Charts(r Report) []Chart {
	var labels []string
	for _, b := range r.Timeline {
		labels = append(labels, bucketLabel(b.Start, r.Bucket))
	}
	series := func(f func(Bucket) float64) []Point {
		out := make([]Point, len(r.Timeline))
		for i, b := range r.Timeline {
			out[i] = Point(f(b))
		}
		return out
	}
	sessions := Chart{ID: "sessions", Title: "Sessions and multitrack share (per " + r.Bucket + ", by start)", Type: "bar", Labels: labels, Stacked: true,
		YTitle: "sessions", Y2Title: "multitrack share (%)",
		Datasets: []Dataset{
			{Label: "went live", Data: series(func(b Bucket) float64 { return float64(b.Sessions - b.Refused) }), Stack: "s", Color: palette[0]},
			{Label: "refused", Data: series(func(b Bucket) float64 { return float64(b.Refused) }), Stack: "s", Color: palette[3]},
			{Label: "multitrack share", Type: "line", YAxisID: "y2", Data: series(func(b Bucket) float64 {
				if b.WithTracks == 0 {
					return math.NaN() // no share without sessions
				}
				return roundTo(100*b.MultitrackShare, 1)
			}), Border: palette[1], Color: palette[1]},
		}}

	refusals := Chart{ID: "refusals", Title: "Refusals by code", Type: "bar", YTitle: "sessions", Horizontal: true}
	var data []Point
	for _, c := range r.Overall.Refusals {
		refusals.Labels = append(refusals.Labels, c.Label)
		data = append(data, Point(c.N))
	}
	refusals.Datasets = []Dataset{{Label: "refusals", Data: orEmpty(data), Color: palette[3]}}

	corrections := Chart{ID: "corrections", Title: "Corrections by outcome", Type: "doughnut"}
	data = nil
	var colors []string
	for i, c := range r.Overall.Corrections {
		corrections.Labels = append(corrections.Labels, c.Label)
		data = append(data, Point(c.N))
		colors = append(colors, palette[i%len(palette)])
	}
	corrections.Datasets = []Dataset{{Label: "corrections", Data: orEmpty(data), Colors: colors}}

	ladder := Chart{ID: "ladder", Title: "Ladder per channel (its most frequent: target bitrate per video track, stacked)", Type: "bar", YTitle: "Mbps",
		Horizontal: true, Stacked: true, Height: max(chartHeight, 60+22*len(r.PerChannel))}
	tracks := 0
	for _, c := range r.PerChannel {
		ladder.Labels = append(ladder.Labels, cmp.Or(c.Name, c.ChannelID))
		if len(c.Ladders) > 0 {
			tracks = max(tracks, c.Ladders[0].Tracks)
		}
	}
	for t := range max(tracks, 1) {
		d := Dataset{Label: fmt.Sprintf("Track%d", t), Data: make([]Point, len(r.PerChannel)), Color: palette[t%len(palette)], Stack: "ladder"}
		for i, c := range r.PerChannel {
			if len(c.Ladders) > 0 && t < len(c.Ladders[0].BitratesBps) {
				d.Data[i] = Point(float64(c.Ladders[0].BitratesBps[t]) / 1e6)
			}
		}
		ladder.Datasets = append(ladder.Datasets, d)
	}

	quality := Chart{ID: "quality", Title: "Quality verdicts over time (sessions that went live)", Type: "bar", Labels: labels, Stacked: true, YTitle: "sessions"}
	var verdicts []string
	for _, c := range r.Overall.Verdicts {
		verdicts = append(verdicts, c.Label)
	}
	slices.SortFunc(verdicts, func(a, b string) int { return cmp.Or(cmp.Compare(verdictRank(a), verdictRank(b)), cmp.Compare(a, b)) })
	for i, v := range verdicts {
		quality.Datasets = append(quality.Datasets, Dataset{Label: v, Data: series(func(b Bucket) float64 { return float64(b.Verdicts[v]) }), Stack: "q",
			Color: cmp.Or(verdictColors[v], palette[i%len(palette)])})
	}
	if len(quality.Datasets) == 0 {
		quality.Datasets = []Dataset{{Label: notMeasured, Data: series(func(Bucket) float64 { return 0 }), Color: verdictColors[notMeasured]}}
	}
	charts := []Chart{sessions, refusals, corrections, ladder, quality}
	for i := range charts {
		charts[i].Height = max(charts[i].Height, chartHeight)
	}
	return charts
}

func verdictRank(v string) int {
	switch v {
	case "healthy":
		return 0
	case "degraded":
		return 1
	case "unknown":
		return 2
	case notMeasured:
		return 4
	}
	return 3
}

func orEmpty(d []Point) []Point {
	if d == nil {
		return []Point{}
	}
	return d
}

func bucketLabel(t time.Time, width string) string {
	switch {
	case strings.HasSuffix(width, "d"):
		return t.Format("2006-01-02")
	case strings.HasSuffix(width, "h"):
		return t.Format("01-02 15:04")
	}
	return t.Format("15:04")
}
