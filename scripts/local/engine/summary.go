package engine

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Summary is what a run of the pipeline did, from the archive and the counters.
type Summary struct {
	Sessions    int            // session records archived
	Outcomes    map[string]int // records by outcome (live, ended, refused)
	Multitrack  int            // records of multitrack sessions
	VideoTracks int            // video tracks over all records
	AudioTracks int            // audio tracks over all records
	Refusals    map[string]int // refused records by code
	// Quality counts records by quality verdict (healthy, degraded, unknown; "degraded"
	// entries also by reason, as "degraded: low-bitrate").
	Quality map[string]int
	// Corrections counts corrections by outcome (applied, unchanged, dry-run, failed: the
	// archived corrections), decisions that change nothing by action (manual, broadcaster,
	// skipped: the records) and apply decisions without a correction yet (pending).
	Corrections map[string]int
	Calls       map[string]CallCount            // the functions' IVS calls, by operation
	OtherCalls  map[string]map[string]CallCount // other callers' IVS calls (scenario, neighbour, you)
	Throttles   int                             // the functions' calls answered 429 (absorbed: retried)
	Rejected    map[string]int                  // events rejected as malformed, by function
	DeadLetters map[string]int                  // messages in each queue's DLQ
	Events      int                             // IVS events emitted (and injected)
	Invocations map[string]int                  // function invocations
	// PhaseCalls are the GetStreamSession calls by the phase they enriched (live, end,
	// sweep); CallsSaved the phase events that needed none, by reason (archive, batch,
	// repeated).
	PhaseCalls map[string]int
	CallsSaved map[string]int
	Restarts   map[string]int // emulators restarted after a crash or a hang, by function (set by the caller)
	// Notifications counts what reached a person: the messages published to the alarm topic,
	// by notification.
	Notifications map[string]int
}

// Summarize builds a Summary from an archive, counters and the dead-letter queues' depths.
func Summarize(a Archive, c Counters, deadLetters map[string]int) Summary {
	s := Summary{
		Outcomes: map[string]int{}, Refusals: map[string]int{}, Corrections: map[string]int{}, Quality: map[string]int{},
		Calls: c.FunctionCalls(), OtherCalls: map[string]map[string]CallCount{}, Rejected: map[string]int{},
		DeadLetters: deadLetters, Events: c.Events, Invocations: c.Invocations, Notifications: c.Notifications,
	}
	corrected := map[string]bool{} // channel ARN/stream ID with an archived correction
	for _, ac := range a.Corrections {
		s.Corrections[string(ac.Corrected.Correction.Outcome)]++
		corrected[ac.Corrected.ChannelARN+"/"+ac.Corrected.StreamID] = true
	}
	for _, as := range a.Sessions {
		r := as.Record
		s.Sessions++
		s.Outcomes[string(r.Outcome)]++
		if r.Multitrack {
			s.Multitrack++
		}
		s.VideoTracks += r.VideoTrackCount
		s.AudioTracks += r.AudioTrackCount
		if r.Outcome == session.OutcomeRefused {
			s.Refusals[r.Code]++
		}
		countQuality(s.Quality, r)
		if r.Correction == nil {
			continue
		}
		switch act := r.Correction.Decision.Action; act {
		case multitrack.ActionManual, multitrack.ActionBroadcaster, multitrack.ActionSkipped, multitrack.ActionUnverified:
			s.Corrections[string(act)]++
		case multitrack.ActionApply:
			if !corrected[r.ChannelARN+"/"+r.StreamID] {
				s.Corrections["pending"]++
			}
		}
	}
	for _, n := range s.Calls {
		s.Throttles += n.Throttled
	}
	for caller, ops := range c.Calls {
		if !contains(suite.AllFunctions(), caller) {
			s.OtherCalls[caller] = ops
		}
	}
	for fn, v := range c.MetricBy(suite.MetricRejected, suite.DimensionFunction) {
		s.Rejected[fn] = int(v)
	}
	s.PhaseCalls, s.CallsSaved = map[string]int{}, map[string]int{}
	for p, v := range c.MetricBy(suite.MetricStreamSessionCalls, suite.DimensionPhase) {
		s.PhaseCalls[p] = int(v)
	}
	for r, v := range c.MetricBy(suite.MetricCallsSaved, suite.DimensionReason) {
		s.CallsSaved[r] = int(v)
	}
	return s
}

// DeadLetterTotal returns the number of messages in all dead-letter queues.
func (s Summary) DeadLetterTotal() int {
	n := 0
	for _, v := range s.DeadLetters {
		n += v
	}
	return n
}

// WriteTable writes the summary as a plain-text table.
func (s Summary) WriteTable(w io.Writer) error {
	var b strings.Builder
	row := func(label, value string) { fmt.Fprintf(&b, "  %-22s %s\n", label, value) }
	row("IVS events", fmt.Sprintf("%d", s.Events))
	row("sessions archived", fmt.Sprintf("%d (%s; %d multitrack)", s.Sessions, counts(s.Outcomes, "none"), s.Multitrack))
	row("tracks", fmt.Sprintf("%d video, %d audio", s.VideoTracks, s.AudioTracks))
	row("refusals by code", counts(s.Refusals, "none"))
	row("session quality", counts(s.Quality, "none measured"))
	row("corrections", counts(s.Corrections, "none"))
	row("notifications", counts(s.Notifications, "none"))
	row("rejected events", counts(s.Rejected, "none"))
	row("invocations", counts(s.Invocations, "none"))
	row("IVS calls (functions)", fmt.Sprintf("%-20s %6s %6s %9s %7s %6s", "operation", "calls", "ok", "throttled", "offline", "errors"))
	for _, op := range sortedKeys(s.Calls) {
		n := s.Calls[op]
		row("", fmt.Sprintf("%-20s %6d %6d %9d %7d %6d", op, n.Calls, n.OK, n.Throttled, n.Offline, n.Errors))
	}
	if offline := s.offlineAnswers(); offline > 0 {
		row("", fmt.Sprintf("(offline: %d answer(s) ChannelNotBroadcasting, expected: the corrector updates a channel only when it is offline)", offline))
	}
	if len(s.Calls) == 0 {
		row("", "none")
	}
	if len(s.PhaseCalls) > 0 || len(s.CallsSaved) > 0 {
		row("GetStreamSession/phase", s.phaseText())
	}
	if s.DeadLetterTotal() == 0 {
		row("throttles absorbed", fmt.Sprintf("%d (429 ThrottlingException, retried by the SDK or redelivered by SQS)", s.Throttles))
	} else {
		row("throttles", fmt.Sprintf("%d (429 ThrottlingException; see the dead-letter queues)", s.Throttles))
	}
	row("dead-letter queues", counts(s.DeadLetters, "empty")+fmt.Sprintf(" (total %d)", s.DeadLetterTotal()))
	for _, caller := range sortedKeys(s.OtherCalls) {
		var parts []string
		for _, op := range sortedKeys(s.OtherCalls[caller]) {
			n := s.OtherCalls[caller][op]
			p := fmt.Sprintf("%s %d", op, n.Calls)
			if n.Throttled > 0 {
				p += fmt.Sprintf(" (%d throttled)", n.Throttled)
			}
			parts = append(parts, p)
		}
		row("IVS calls ("+caller+")", strings.Join(parts, ", "))
	}
	if len(s.Restarts) > 0 {
		row("RIE restarts", counts(s.Restarts, "none")+" (an emulator crashed or hung and was restarted)")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (s Summary) offlineAnswers() int {
	n := 0
	for _, c := range s.Calls {
		n += c.Offline
	}
	return n
}

// counts formats a map of counts as "a 1, b 2", sorted by key, or none when it is empty.
// Counts formats counts by name as "a 1, b 2" in name order, or none when there are none: how
// the summary, the soak and the bench print Restarts and DeadLetterDepths.
func Counts(m map[string]int, none string) string { return counts(m, none) }

func counts[V int | float64](m map[string]V, none string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %v", k, m[k]))
	}
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// phaseText says how many GetStreamSession calls each phase of a session cost: the live phase
// per session that went live (not refused), the end phase per session, and the calls saved.
func (s Summary) phaseText() string {
	per := func(n, of int) string {
		if of == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(n)/float64(of))
	}
	wentLive := s.Sessions - s.Outcomes[string(session.OutcomeRefused)]
	total := 0
	for _, n := range s.PhaseCalls {
		total += n
	}
	text := fmt.Sprintf("live %d (%s per live session), end %d (%s per session), total %s per session",
		s.PhaseCalls["live"], per(s.PhaseCalls["live"], wentLive), s.PhaseCalls["end"], per(s.PhaseCalls["end"], s.Sessions), per(total, s.Sessions))
	if n := s.PhaseCalls["sweep"]; n > 0 {
		text += fmt.Sprintf(", sweep %d", n)
	}
	if len(s.CallsSaved) > 0 {
		text += "; saved: " + counts(s.CallsSaved, "none")
	}
	return text
}
