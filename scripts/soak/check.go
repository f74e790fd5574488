package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Planned is one session of the soak's plan.
type Planned struct {
	Name       string // the channel's name in the plan
	ChannelARN string
	StreamID   string
	// Refused: a five-track encoder on a channel without multitrack input, refused with
	// MultitrackInputNotAllowed: a correction is needed. Otherwise a live session that ends.
	Refused bool
}

// Observed is what the run left behind, as the checks read it.
type Observed struct {
	Records     []session.Record    // every session record in the archive (one per object)
	Corrections []session.Corrected // every correction object in the archive
	// Updates counts, by channel ARN, the UpdateChannel calls IVS applied for the corrector.
	Updates map[string]int
	// Corrected reports, by channel ARN, whether the channel ends up as the correction makes it
	// (multitrack input enabled, policy ALLOW).
	Corrected map[string]bool
	// Left counts, by queue, the messages still waiting or in flight (not in a DLQ).
	Left map[string]int
	// Undelivered counts IVS events the soak delayed or held and did not deliver.
	Undelivered int
	// DeadLetters are the messages in each function's DLQ.
	DeadLetters map[string][]DeadLetter
	// Faults are the faults injected, by stream ID or channel ARN, by kind.
	Faults map[string]map[string]int
	// Alarmed names the queues whose DLQ has a depth alarm in the deployment.
	Alarmed map[string]bool
	// Injected counts the faults injected, by kind (faultKinds).
	Injected map[string]int
}

// DeadLetter is one DLQ message.
type DeadLetter struct {
	Body         string
	ReceiveCount int
	Attributes   map[string]string
}

// Row is one line of the proof table.
type Row struct {
	Check  string
	OK     bool
	Detail string
	// Gap, on a row that holds, names a known shortfall the check tolerates and says why: the
	// table prints it, BENCHMARKS.md gives its next step.
	Gap string
}

// Check proves the soak's claims on what the run left behind.
func Check(plan []Planned, obs Observed) []Row {
	return []Row{
		archivedOnce(plan, obs),
		correctedOnce(plan, obs),
		correctionsOnRecord(plan, obs),
		nothingLeft(obs),
		deadLettersExplained(obs),
		deadLettersAlarmed(obs),
		exercised(obs),
	}
}

// exercised says which kinds of fault the run injected: a kind the seed never drew is a gap
// in what the run proves (a longer run, or another seed, draws it), not a failure.
func exercised(obs Observed) Row {
	var missing []string
	n := 0
	for _, k := range faultKinds {
		if obs.Injected[k] == 0 {
			missing = append(missing, k)
		} else {
			n++
		}
	}
	r := Row{Check: "every kind of fault injected", OK: true, Detail: fmt.Sprintf("%d of %d kinds", n, len(faultKinds))}
	if len(missing) > 0 {
		r.Gap = "not drawn by this seed and length: " + strings.Join(missing, ", ")
	}
	return r
}

func archivedOnce(plan []Planned, obs Observed) Row {
	byStream := map[string][]session.Record{}
	for _, r := range obs.Records {
		byStream[r.StreamID] = append(byStream[r.StreamID], r)
	}
	var bad []string
	known := map[string]bool{}
	for _, p := range plan {
		known[p.StreamID] = true
		recs := byStream[p.StreamID]
		want := session.OutcomeEnded
		if p.Refused {
			want = session.OutcomeRefused
		}
		switch {
		case len(recs) != 1:
			bad = append(bad, fmt.Sprintf("%s: %d records", p.Name, len(recs)))
		case recs[0].Outcome != want:
			bad = append(bad, fmt.Sprintf("%s: outcome %s, want %s", p.Name, recs[0].Outcome, want))
		case recs[0].ChannelARN != p.ChannelARN:
			bad = append(bad, fmt.Sprintf("%s: channel %s, want %s", p.Name, recs[0].ChannelARN, p.ChannelARN))
		}
	}
	for s := range byStream {
		if !known[s] {
			bad = append(bad, "a record of a session not in the plan: "+s)
		}
	}
	return row("every session archived exactly once, with its outcome", bad,
		fmt.Sprintf("%d sessions, %d records", len(plan), len(obs.Records)))
}

func correctedOnce(plan []Planned, obs Observed) Row {
	var bad []string
	needed := 0
	for _, p := range plan {
		n := obs.Updates[p.ChannelARN]
		switch {
		case p.Refused && n != 1:
			bad = append(bad, fmt.Sprintf("%s: UpdateChannel applied %d times, want 1", p.Name, n))
		case p.Refused && !obs.Corrected[p.ChannelARN]:
			bad = append(bad, p.Name+": the channel is not corrected")
		case !p.Refused && n != 0:
			bad = append(bad, fmt.Sprintf("%s: UpdateChannel applied %d times on a channel that needed none", p.Name, n))
		}
		if p.Refused {
			needed++
		}
	}
	return row("every needed correction applied exactly once", bad, fmt.Sprintf("%d needed, UpdateChannel once each, none elsewhere", needed))
}

func correctionsOnRecord(plan []Planned, obs Observed) Row {
	applied := map[string]int{}
	for _, c := range obs.Corrections {
		if c.Correction.Outcome == session.CorrectionApplied {
			applied[c.StreamID]++
		}
	}
	inRecord := map[string]session.CorrectionOutcome{}
	for _, r := range obs.Records {
		if r.Correction != nil {
			inRecord[r.StreamID] = r.Correction.Outcome
		}
	}
	var bad []string
	for _, p := range plan {
		if !p.Refused {
			continue
		}
		if applied[p.StreamID] != 1 {
			bad = append(bad, fmt.Sprintf("%s: %d applied corrections archived, want 1", p.Name, applied[p.StreamID]))
		}
		if o := inRecord[p.StreamID]; o != session.CorrectionApplied {
			bad = append(bad, fmt.Sprintf("%s: the session record says correction %q, want applied", p.Name, o))
		}
	}
	return row("every correction on record (corrections/ and the session record)", bad, "one applied correction each, and the record says so")
}

func nothingLeft(obs Observed) Row {
	var bad []string
	for _, q := range sortedKeys(obs.Left) {
		if n := obs.Left[q]; n != 0 {
			bad = append(bad, fmt.Sprintf("queue %s: %d messages", q, n))
		}
	}
	if obs.Undelivered != 0 {
		bad = append(bad, fmt.Sprintf("%d IVS events held and never delivered", obs.Undelivered))
	}
	dlq := 0
	for _, d := range obs.DeadLetters {
		dlq += len(d)
	}
	return row("nothing left anywhere but in a DLQ", bad, fmt.Sprintf("queues empty, %d in DLQs", dlq))
}

// explain says why a DLQ message is there: the faults injected into what it is about.
func explain(d DeadLetter, faults map[string]map[string]int) string {
	var parts []string
	for _, s := range subjects(d.Body) {
		for _, k := range sortedKeys(faults[s]) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, faults[s][k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	how := fmt.Sprintf("%d receives", d.ReceiveCount)
	if d.ReceiveCount == 0 {
		how = "sent by the function"
		if r := d.Attributes["reason"]; r != "" {
			how += ": " + r
		}
	}
	return how + "; faults on it: " + strings.Join(compact(parts), ", ")
}

func deadLettersExplained(obs Observed) Row {
	var bad, ok []string
	for _, q := range sortedKeys(obs.DeadLetters) {
		for _, d := range obs.DeadLetters[q] {
			if why := explain(d, obs.Faults); why != "" {
				ok = append(ok, q+": "+why)
			} else {
				bad = append(bad, fmt.Sprintf("%s: unexplained (%d receives): %.120s", q, d.ReceiveCount, d.Body))
			}
		}
	}
	detail := "no DLQ message"
	if len(ok) > 0 {
		detail = strings.Join(ok, "; ")
	}
	return row("each DLQ message explained", bad, detail)
}

func deadLettersAlarmed(obs Observed) Row {
	var bad []string
	n := 0
	for _, q := range sortedKeys(obs.DeadLetters) {
		if len(obs.DeadLetters[q]) == 0 {
			continue
		}
		n++
		if !obs.Alarmed[q] {
			bad = append(bad, q+": no depth alarm on its DLQ")
		}
	}
	return row("each DLQ with messages alarmed", bad, fmt.Sprintf("%d DLQs with messages, each with a depth alarm", n))
}

func row(check string, bad []string, okDetail string) Row {
	if len(bad) > 0 {
		sort.Strings(bad)
		if len(bad) > 8 {
			bad = append(bad[:8], fmt.Sprintf("and %d more", len(bad)-8))
		}
		return Row{Check: check, Detail: strings.Join(bad, "; ")}
	}
	return Row{Check: check, OK: true, Detail: okDetail}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
