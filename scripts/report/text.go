package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// writeText writes the report for a person: aligned columns, one section per question. What the
// archive says (channel names, IDs, codes, reasons) is printed as data: every string argument
// of printer.f and printer.row is escaped (redact.Escape), so that a name holding a terminal
// escape sequence or a line break neither recolours the terminal nor splits a row, whichever
// reader (direct or Athena) built the Report.
func writeText(w io.Writer, r Report) error {
	p := &printer{w: w}
	channels := "all channels"
	if len(r.Channels) > 0 {
		channels = "channels " + strings.Join(r.Channels, ", ")
	}
	p.f("ivs-sessions report: %s to %s (UTC), %s\n", r.From, r.To, channels)
	rd := r.Read
	if rd.Mode == ModeAthena && rd.Athena != nil {
		a := rd.Athena
		p.f("counted %d records of %s with Athena (workgroup %s, database %s) in %.3fs\n", rd.Records, rd.Source, a.WorkGroup, a.Database, rd.Seconds)
		p.f("%s\n", scanCost(a))
	} else {
		p.f("read %d records (%s) from %s in %.3fs: %.0f records/s, %d concurrent readers\n", rd.Records, size(rd.Bytes), rd.Source, rd.Seconds, rd.RecordsPerSecond, rd.Workers)
	}
	if rd.Undecodable > 0 {
		p.f("  %d objects were not session records (named above)\n", rd.Undecodable)
	}
	if rd.Why != "" {
		p.f("mode: %s (%s)\n", rd.Mode, rd.Why)
	}

	p.f("\nOVERALL\n")
	p.summary(r.Overall)

	p.f("\nPER REGION (each account's region; a channel is in one)\n")
	tw := p.table("ACCOUNT\tREGION\tCHANNELS\tSESSIONS\tENDED\tREFUSED\tLIVE\tTIME LIVE\tMULTITRACK\tREFUSALS\tCORRECTIONS\tLEFT FOR ADS\tQUALITY")
	for _, g := range r.PerRegion {
		p.row(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", dash(g.Account), dash(g.Region), g.Channels, g.Sessions, g.Ended, g.Refused, g.Live, hours(g.HoursLive),
			share(g.Multitrack, g.WithTracks), countList(g.Refusals), countList(g.Corrections), g.LeftForAds, countList(g.Verdicts))
	}
	p.flush(tw)

	p.f("\nPER CHANNEL\n")
	tw = p.table("CHANNEL\tNAME\tACCOUNT\tREGION\tSESSIONS\tENDED\tREFUSED\tLIVE\tTIME LIVE\tMULTITRACK\tREFUSALS\tCORRECTIONS\tLEFT FOR ADS\tQUALITY")
	for _, c := range r.PerChannel {
		p.row(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", c.ChannelID, dash(c.Name), dash(c.Account), dash(c.Region), c.Sessions, c.Ended, c.Refused, c.Live, hours(c.HoursLive),
			share(c.Multitrack, c.WithTracks), countList(c.Refusals), countList(c.Corrections), c.LeftForAds, countList(c.Verdicts))
	}
	p.flush(tw)

	p.f("\nLADDERS SEEN (video tracks, Track0 first)\n")
	tw = p.table("CHANNEL\tSESSIONS\tTRACKS\tRESOLUTIONS\tTARGET BITRATES")
	for _, c := range r.PerChannel {
		for _, l := range c.Ladders {
			p.row(tw, "  %s\t%d\t%d\t%s\t%s\n", c.ChannelID, l.Sessions, l.Tracks, strings.Join(l.Resolutions, " "), bitrates(l.BitratesBps))
		}
	}
	p.flush(tw)

	p.f("\nSESSIONS STILL LIVE PAST THEIR END (%d)\n", len(r.StillLive))
	if len(r.StillLive) > 0 {
		tw = p.table("CHANNEL\tSTREAM\tLAST SEEN\tWHY")
		for _, s := range r.StillLive {
			p.row(tw, "  %s\t%s\t%s\t%s\n", s.ChannelID, s.StreamID, session.FormatTime(s.LastSeen), s.Why)
		}
		p.flush(tw)
	}

	p.f("\nCHANNELS THAT STILL REFUSE THEIR BROADCASTERS (refused after the last correction applied, or never corrected: %d)\n", len(r.Disagreeing))
	if len(r.Disagreeing) > 0 {
		tw = p.table("CHANNEL\tNAME\tLAST CORRECTION APPLIED\tREFUSALS SINCE\tLAST REFUSAL\tCODES")
		for _, d := range r.Disagreeing {
			last := "never"
			if !d.LastCorrection.IsZero() {
				last = session.FormatTime(d.LastCorrection)
			}
			p.row(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", d.ChannelID, dash(d.Name), last, d.RefusalsAfter, session.FormatTime(d.LastRefusal), strings.Join(d.Codes, ", "))
		}
		p.flush(tw)
	}
	return p.err
}

// printer writes and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

// f writes format with a's strings escaped (data, never terminal control).
func (p *printer) f(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, escaped(a)...)
	}
}

// row writes one row of a table, with a's strings escaped: a tab or a line break in the data
// cannot make a cell or a row of its own.
func (p *printer) row(tw *tabwriter.Writer, format string, a ...any) {
	fmt.Fprintf(tw, format, escaped(a)...)
}

// escaped returns a with every string (and fmt.Stringer) written as data (redact.Escape).
func escaped(a []any) []any {
	out := make([]any, len(a))
	for i, v := range a {
		switch v := v.(type) {
		case string:
			out[i] = redact.Escape(v)
		case fmt.Stringer:
			out[i] = redact.Escape(v.String())
		default:
			out[i] = v
		}
	}
	return out
}

func (p *printer) table(header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+header)
	return tw
}

func (p *printer) flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *printer) summary(s Summary) {
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	// Every line goes through row: its strings are escaped.
	p.row(tw, "  sessions\t%d (ended %d, refused %d, live %d)\n", s.Sessions, s.Ended, s.Refused, s.Live)
	p.row(tw, "  time live\t%s\n", hours(s.HoursLive))
	p.row(tw, "  multitrack\t%s of the sessions that went live with tracks\n", share(s.Multitrack, s.WithTracks))
	p.row(tw, "  refusals by code\t%s\n", countList(s.Refusals))
	p.row(tw, "  live again after correction\t%d of %d refused sessions\n", s.Recovered, s.Refused)
	p.row(tw, "  corrections by outcome\t%s\n", countList(s.Corrections))
	p.row(tw, "  left alone for ads\t%d refused sessions on channels with an ad configuration (ads need TS, multitrack FRAGMENTED_MP4: a person decides)\n", s.LeftForAds)
	p.row(tw, "  quality verdicts\t%s\n", countList(s.Verdicts))
	p.row(tw, "  ladders seen\t%d\n", len(s.Ladders))
	p.flush(tw)
}

func countList(cs []Count) string {
	if len(cs) == 0 {
		return "-"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Label + " " + strconv.Itoa(c.N)
	}
	return strings.Join(parts, ", ")
}

func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%% (%d/%d)", 100*float64(n)/float64(of), n, of)
}

func bitrates(bps []int64) string {
	parts := make([]string, len(bps))
	for i, b := range bps {
		parts[i] = strconv.FormatFloat(float64(b)/1e6, 'f', -1, 64)
	}
	return strings.Join(parts, " ") + " Mbps"
}

// hours writes a number of hours as a duration: 2h5m0s, 14s.
func hours(h float64) string {
	return time.Duration(h * float64(time.Hour)).Round(time.Second).String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func size(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
