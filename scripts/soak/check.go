package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Observed is what the run left behind, as the checks read it: what the suite wrote (the
// archive), where its messages are (queues, DLQs, the functions' logs), and what the soak
// counted itself (the faults it injected). What happened, the ground truth the archive is
// compared with, is in the Plan: the sessions as IVS had them, the events IVS sent, the encoders'
// tracks and degradations, the channels' history of changes.
type Observed struct {
	Records     []Archived[session.Record]    // every session record in the archive (one per object)
	Corrections []Archived[session.Corrected] // every correction object in the archive
	// Left counts, by queue, the messages still waiting or in flight (not in a DLQ).
	Left map[string]int
	// Undelivered counts IVS events the soak held and did not deliver.
	Undelivered int
	// DeadLetters are the messages in each function's DLQ.
	DeadLetters map[string][]DeadLetter
	// Injected counts the faults injected, by kind (faultKinds).
	Injected map[string]int
	// LostUpdates counts, by channel ARN, the UpdateChannel answers the soak lost after IVS had
	// applied the call: each may make the SDK send the same call again.
	LostUpdates map[string]int
	// Panics counts the archive log's reports of the poison message's work panicking.
	Panics int
	// ArchiveKills counts the kills of archive's bootstraps mid-batch: a delivery of the poison
	// message in a batch whose invocation was killed never got to panic.
	ArchiveKills int
	// MaxReceives is each queue's maxReceiveCount (the deployment's).
	MaxReceives map[string]int
	// AlarmAt is the DLQ depth at which a DLQ's alarm fires (the deployment's).
	AlarmAt int
}

// Archived is one object of the archive and its key.
type Archived[T any] struct {
	Key string
	Doc T
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
}

// Check proves the soak's claims: the archive against what happened (the plan, filled in from
// IVS), the queues and DLQs against what must be there. Every row can fail.
func Check(p *Plan, obs Observed) []Row {
	recs := recordsByStream(obs)
	cors := correctionsByStream(obs)
	return []Row{
		archivedOnce(p, obs, recs),
		outcomes(p, recs),
		timesAndTracks(p, recs),
		eventsOnRecord(p, recs),
		qualityVerdicts(p, recs),
		correctionOutcomes(p, recs, cors),
		changedOnce(p, obs),
		replays(p, recs),
		nextSessions(p, recs),
		nothingLeft(obs),
		deadLetters(p, obs),
		poisoned(obs),
		alarmed(obs),
		exercised(obs),
	}
}

func recordsByStream(obs Observed) map[string][]Archived[session.Record] {
	out := map[string][]Archived[session.Record]{}
	for _, r := range obs.Records {
		out[r.Doc.StreamID] = append(out[r.Doc.StreamID], r)
	}
	return out
}

func correctionsByStream(obs Observed) map[string][]session.Corrected {
	out := map[string][]session.Corrected{}
	for _, c := range obs.Corrections {
		out[c.Doc.StreamID] = append(out[c.Doc.StreamID], c.Doc)
	}
	return out
}

// record returns the one record of s, or nil (archivedOnce says why).
func record(recs map[string][]Archived[session.Record], s *Session) *session.Record {
	if rs := recs[s.StreamID]; len(rs) == 1 {
		return &rs[0].Doc
	}
	return nil
}

// archivedOnce: one record per session IVS had, under the day the session started (IVS's
// clock), and no record of a session IVS did not have.
func archivedOnce(p *Plan, obs Observed, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	known := map[string]bool{}
	played := p.Played()
	for _, s := range played {
		known[s.StreamID] = true
		rs := recs[s.StreamID]
		switch {
		case len(rs) != 1:
			bad = append(bad, fmt.Sprintf("%s: %d records", s.Name(), len(rs)))
		case !strings.HasPrefix(rs[0].Key, session.DayPrefix(s.Start)):
			bad = append(bad, fmt.Sprintf("%s: archived at %s, not under its start's day %s", s.Name(), rs[0].Key, session.DayPrefix(s.Start)))
		}
	}
	for _, s := range sortedKeys(recs) {
		if !known[s] {
			bad = append(bad, "a record of a session IVS never had: "+s)
		}
	}
	for _, s := range p.Sessions() {
		if s.NotPlayed != "" {
			bad = append(bad, fmt.Sprintf("%s: not played: %s", s.Name(), s.NotPlayed))
		}
	}
	return row("every session archived once, under its start's day", bad,
		fmt.Sprintf("%d sessions, %d records", len(played), len(obs.Records)))
}

// outcomes: refused with IVS's code, or ended.
func outcomes(p *Plan, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	n := map[session.Outcome]int{}
	for _, s := range p.Played() {
		r := record(recs, s)
		if r == nil {
			continue
		}
		want := session.OutcomeEnded
		if s.Code != "" {
			want = session.OutcomeRefused
		}
		n[want]++
		if r.Outcome != want || r.Code != s.Code {
			bad = append(bad, fmt.Sprintf("%s: outcome %s code %q, IVS: %s %q", s.Name(), r.Outcome, r.Code, want, s.Code))
		}
	}
	return row("outcome and code as IVS ended each session", bad, fmt.Sprintf("%d ended, %d refused", n[session.OutcomeEnded], n[session.OutcomeRefused]))
}

// timesAndTracks: start and end as IVS has them (to the millisecond), every track as the
// encoder sent it, and enriched.
func timesAndTracks(p *Plan, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	tracks := 0
	for _, s := range p.Played() {
		r := record(recs, s)
		if r == nil {
			continue
		}
		var why []string
		if !r.StartTime.Equal(s.Start.Truncate(time.Millisecond)) {
			why = append(why, fmt.Sprintf("start %s, IVS %s", stamp(r.StartTime), stamp(s.Start)))
		}
		if !r.EndTime.Equal(s.End.Truncate(time.Millisecond)) {
			why = append(why, fmt.Sprintf("end %s, IVS %s", stamp(r.EndTime), stamp(s.End)))
		}
		if !r.Enriched {
			why = append(why, "not enriched: "+r.EnrichmentNote)
		}
		why = append(why, trackDiffs(r, s.Encoder)...)
		tracks += len(s.Encoder.Video) + len(s.Encoder.Audio)
		if len(why) > 0 {
			bad = append(bad, s.Name()+": "+strings.Join(why, ", "))
		}
	}
	return row("start, end and every track as IVS and the encoder had them", bad, fmt.Sprintf("%d tracks", tracks))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// trackDiffs compares the record's tracks with what the encoder sent, field by field.
func trackDiffs(r *session.Record, enc ivstest.Encoder) []string {
	var why []string
	if len(r.Video) != len(enc.Video) || len(r.Audio) != len(enc.Audio) {
		return []string{fmt.Sprintf("%d video and %d audio tracks, the encoder sent %d and %d", len(r.Video), len(r.Audio), len(enc.Video), len(enc.Audio))}
	}
	for i, v := range enc.Video {
		want := session.VideoTrack{Track: fmt.Sprintf("Track%d", i), Codec: v.Codec, Profile: v.Profile, Level: v.Level, Encoder: enc.Software,
			Width: int64(v.Width), Height: int64(v.Height), FrameRate: int64(v.Framerate), TargetBitrate: int64(v.Bitrate)}
		if r.Video[i] != want {
			why = append(why, fmt.Sprintf("video %d is %+v, the encoder sent %+v", i, r.Video[i], want))
		}
	}
	for i, a := range enc.Audio {
		want := session.AudioTrack{Track: fmt.Sprintf("Track%d", i), Codec: a.Codec, Channels: int64(a.Channels), SampleRate: int64(a.SampleRate), TargetBitrate: int64(a.Bitrate)}
		if r.Audio[i] != want {
			why = append(why, fmt.Sprintf("audio %d is %+v, the encoder sent %+v", i, r.Audio[i], want))
		}
	}
	return why
}

// eventsOnRecord: every event IVS sent for a session is in its record (name and second).
func eventsOnRecord(p *Plan, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	n := 0
	for _, s := range p.Played() {
		r := record(recs, s)
		if r == nil {
			continue
		}
		have := map[string]bool{}
		for _, e := range r.Events {
			have[eventKey(e.Time, e.Name, e.Code)] = true
		}
		var missing []string
		for _, e := range s.Events {
			n++
			if !have[eventKey(e.Time, e.Name, e.Code)] {
				missing = append(missing, fmt.Sprintf("%s at %s", e.Name, e.Time.UTC().Format(time.TimeOnly)))
			}
		}
		if len(s.Events) == 0 {
			missing = append(missing, "IVS sent no event for it (the soak saw none)")
		}
		if len(missing) > 0 {
			bad = append(bad, s.Name()+": "+strings.Join(missing, ", "))
		}
	}
	return row("every event IVS sent in its session's record", bad, fmt.Sprintf("%d events", n))
}

func eventKey(t time.Time, name, code string) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339) + " " + name + " " + code
}

// qualityVerdicts: a session that streamed is measured as the encoder streamed: degraded with
// low-bitrate on Track1 for the degraded role, degraded with starvation for the starved role,
// healthy otherwise; a refused session is not measured.
func qualityVerdicts(p *Plan, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	n := map[quality.Verdict]int{}
	for _, s := range p.Played() {
		r := record(recs, s)
		if r == nil {
			continue
		}
		if !s.Live {
			if r.Quality != nil {
				bad = append(bad, fmt.Sprintf("%s: refused, yet measured %s", s.Name(), r.Quality.Verdict))
			}
			continue
		}
		want, reason := quality.VerdictHealthy, quality.Reason{}
		switch {
		case s.Degraded:
			want, reason = quality.VerdictDegraded, quality.Reason{Code: quality.ReasonLowBitrate, Track: "Track1"}
		case s.Starved:
			want, reason = quality.VerdictDegraded, quality.Reason{Code: quality.ReasonStarvation}
		}
		n[want]++
		switch {
		case r.Quality == nil:
			bad = append(bad, s.Name()+": not measured, want "+string(want))
		case r.Quality.Verdict != want:
			bad = append(bad, fmt.Sprintf("%s: %s %v (%q), want %s", s.Name(), r.Quality.Verdict, reasonCodes(r.Quality.Reasons), r.Quality.Note, want))
		case want == quality.VerdictHealthy && len(r.Quality.Reasons) > 0:
			bad = append(bad, fmt.Sprintf("%s: healthy with reasons %v", s.Name(), reasonCodes(r.Quality.Reasons)))
		case want == quality.VerdictDegraded && !hasReason(r.Quality.Reasons, reason):
			bad = append(bad, fmt.Sprintf("%s: degraded for %v, not %s %s", s.Name(), reasonCodes(r.Quality.Reasons), reason.Code, reason.Track))
		}
	}
	return row("quality verdict as the encoder streamed", bad, fmt.Sprintf("%d healthy, %d degraded", n[quality.VerdictHealthy], n[quality.VerdictDegraded]))
}

func hasReason(rs []quality.Reason, want quality.Reason) bool {
	return slices.ContainsFunc(rs, func(r quality.Reason) bool { return r.Code == want.Code && r.Track == want.Track })
}

func reasonCodes(rs []quality.Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, strings.TrimSpace(string(r.Code)+" "+r.Track))
	}
	return out
}

// wantCorrection is the correction outcome a session's record must hold, and the outcome of
// its one correction object ("" when there is none), from its role.
func wantCorrection(s *Session) (record, object session.CorrectionOutcome, action string) {
	if s.Index > 0 || !s.Channel.Role.refusedRole() {
		return "", "", ""
	}
	switch s.Channel.Role {
	case RoleOptOut:
		return session.CorrectionUnchanged, "", "skipped"
	case RoleFailed, RoleExpired:
		return session.CorrectionFailed, session.CorrectionFailed, ""
	}
	return session.CorrectionApplied, session.CorrectionApplied, ""
}

// correctionOutcomes: each refusal's correction on record as the channel's history says it
// went (applied, skipped for an opted-out channel, failed when IVS refused the change or the
// trigger was too old), once in corrections/, and no correction elsewhere.
func correctionOutcomes(p *Plan, recs map[string][]Archived[session.Record], cors map[string][]session.Corrected) Row {
	var bad []string
	n := map[session.CorrectionOutcome]int{}
	for _, s := range p.Played() {
		r := record(recs, s)
		if r == nil {
			continue
		}
		wantRec, wantObj, action := wantCorrection(s)
		got := session.CorrectionOutcome("")
		if r.Correction != nil {
			got = r.Correction.Outcome
		}
		switch {
		case got != wantRec:
			bad = append(bad, fmt.Sprintf("%s: the record says correction %q, want %q", s.Name(), got, wantRec))
		case action != "" && string(r.Correction.Decision.Action) != action:
			bad = append(bad, fmt.Sprintf("%s: decided %s, want %s", s.Name(), r.Correction.Decision.Action, action))
		case s.Channel.Role == RoleExpired && !strings.Contains(r.Correction.Detail, suite.EnvCorrectionMaxAge):
			bad = append(bad, fmt.Sprintf("%s: failed for %q, not its age", s.Name(), r.Correction.Detail))
		}
		var objs []string
		for _, c := range cors[s.StreamID] {
			objs = append(objs, string(c.Correction.Outcome))
		}
		switch {
		case wantObj == "" && len(objs) > 0:
			bad = append(bad, fmt.Sprintf("%s: corrections %v archived, want none", s.Name(), objs))
		case wantObj != "" && (len(objs) != 1 || objs[0] != string(wantObj)):
			bad = append(bad, fmt.Sprintf("%s: corrections %v archived, want one %s", s.Name(), objs, wantObj))
		}
		if wantRec != "" {
			n[wantRec]++
		}
	}
	return row("each refusal's correction on record as it went, once", bad,
		fmt.Sprintf("%d applied, %d failed, %d unchanged (opted out)", n[session.CorrectionApplied], n[session.CorrectionFailed], n[session.CorrectionUnchanged]))
}

// changedOnce: from IVS's history of each channel, the corrector changed each channel that
// needed it exactly once, to what the correction makes it, and no other channel; it sent
// UpdateChannel once, plus at most once more for each answer the soak lost (the SDK sends the
// same call again, which changes nothing); and each channel ends as it must.
func changedOnce(p *Plan, obs Observed) Row {
	var bad []string
	needed, calls, repeats := 0, 0, 0
	for _, c := range p.Channels {
		var changes, mine []ivstest.ChannelChange
		for _, h := range c.History {
			if h.Caller != suite.FunctionCorrect {
				continue
			}
			mine = append(mine, h)
			if len(h.Changed) > 0 {
				changes = append(changes, h)
			}
		}
		calls += len(mine)
		want := 0
		if c.Role.corrected() {
			want = 1
			needed++
		}
		switch {
		case len(changes) != want:
			bad = append(bad, fmt.Sprintf("%s: changed by the corrector %d times, want %d", c.Name, len(changes), want))
		case len(mine) > want+obs.LostUpdates[c.ARN]:
			bad = append(bad, fmt.Sprintf("%s: UpdateChannel applied %d times for one change (%d answers lost)", c.Name, len(mine), obs.LostUpdates[c.ARN]))
		case want == 1 && !correctedConfig(changes[0].After):
			bad = append(bad, fmt.Sprintf("%s: changed to %+v, not multitrack ALLOW on FRAGMENTED_MP4", c.Name, changes[0].After))
		}
		repeats += len(mine) - len(changes)
		if why := finalState(c); why != "" {
			bad = append(bad, c.Name+": "+why)
		}
	}
	return row("each needed change made to its channel once; the calls counted", bad,
		fmt.Sprintf("%d channels changed once each; UpdateChannel applied %d times (%d the SDK's repeat of a call whose answer was lost)", needed, calls, repeats))
}

func correctedConfig(c ivstest.ChannelConfig) bool {
	return c.MultitrackEnabled && c.MultitrackPolicy == ivstest.PolicyAllow && c.ContainerFormat == ivstest.ContainerFragmentedMP4
}

// finalState says what is wrong with how channel c ends, or "".
func finalState(c *Channel) string {
	f := c.Final
	switch c.Role {
	case RoleRefused, RoleReconnect:
		if !correctedConfig(f) {
			return fmt.Sprintf("ends %+v, not corrected", f)
		}
	case RoleReplayed:
		if correctedConfig(f) || len(c.History) == 0 || c.History[len(c.History)-1].Caller == suite.FunctionCorrect {
			return "the person's revert is not its last change"
		}
	case RoleOptOut, RoleExpired:
		if len(c.History) > 0 || f.MultitrackEnabled {
			return fmt.Sprintf("changed (%d changes), want untouched", len(c.History))
		}
	case RoleFailed:
		if f.Type != ivstest.TypeBasic || f.MultitrackEnabled {
			return fmt.Sprintf("ends %+v, want the person's BASIC channel, multitrack off", f)
		}
	default:
		if len(c.History) > 0 {
			return fmt.Sprintf("changed %d times, want untouched", len(c.History))
		}
	}
	return ""
}

// replays: after a person reverted the replayed role's correction and its events were
// replayed, no channel was changed again and its record still says applied.
func replays(p *Plan, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	n := 0
	for _, c := range p.Channels {
		if c.Role != RoleReplayed || len(c.Sessions) == 0 {
			continue
		}
		n++
		person := -1
		for i, h := range c.History {
			if h.Caller != suite.FunctionCorrect {
				person = i
			}
		}
		switch {
		case person < 0:
			bad = append(bad, c.Name+": no revert by a person in the channel's history")
		default:
			for _, h := range c.History[person+1:] {
				if h.Caller == suite.FunctionCorrect {
					bad = append(bad, c.Name+": changed by the corrector again after the revert, at "+h.Time)
				}
			}
		}
		if r := record(recs, c.Sessions[0]); r != nil && (r.Correction == nil || r.Correction.Outcome != session.CorrectionApplied) {
			bad = append(bad, c.Name+": the record no longer says applied after the replay")
		}
	}
	return row("a replay touches no channel and keeps the record", bad, fmt.Sprintf("%d replayed after a revert: untouched", n))
}

// nextSessions: the reconnect role's refused record links the session that went live after
// its correction; no other record links one.
func nextSessions(p *Plan, recs map[string][]Archived[session.Record]) Row {
	var bad []string
	for _, s := range p.Played() {
		r := record(recs, s)
		if r == nil {
			continue
		}
		want := ""
		if s.Channel.Role == RoleReconnect && s.Index == 0 && len(s.Channel.Sessions) > 1 {
			want = s.Channel.Sessions[1].StreamID
		}
		got := ""
		if r.NextSession != nil {
			got = r.NextSession.StreamID
		}
		if got != want {
			bad = append(bad, fmt.Sprintf("%s: next session %q, want %q", s.Name(), got, want))
		}
	}
	return row("the session after a correction linked to its refusal", bad, "linked")
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

// Reasons a correction's message is sent to correct's DLQ (the reason attribute's start).
const (
	reasonFailed  = "correction failed: "
	reasonExpired = "correction expired: "
)

// deadLetters: the DLQs hold exactly what must be there: each failed role's correction (with
// the reason IVS refused it), the expired role's correction (with its age as the reason), and
// the poison message; nothing else.
func deadLetters(p *Plan, obs Observed) Row {
	var bad, ok []string
	seen := map[string]int{}
	for _, q := range sortedKeys(obs.DeadLetters) {
		for _, d := range obs.DeadLetters[q] {
			why := expected(p, q, d)
			if why == "" {
				bad = append(bad, fmt.Sprintf("%s: not expected (%d receives, reason %q): %.160s", q, d.ReceiveCount, d.Attributes["reason"], d.Body))
				continue
			}
			seen[why]++
			ok = append(ok, q+": "+why)
		}
	}
	for _, c := range p.Channels {
		if (c.Role == RoleFailed || c.Role == RoleExpired) && len(c.Sessions) > 0 && c.Sessions[0].StreamID != "" {
			if w := "the correction of " + c.Name; seen[w] == 0 {
				bad = append(bad, w+": not in correct's DLQ")
			}
		}
	}
	if seen["the poison message"] != 1 {
		bad = append(bad, fmt.Sprintf("the poison message: %d in archive's DLQ, want 1", seen["the poison message"]))
	}
	sort.Strings(ok)
	return row("the DLQs hold exactly what must be there, each with its reason", bad, strings.Join(compact(ok), "; "))
}

// expected names a DLQ message that must be there, or returns "".
func expected(p *Plan, queue string, d DeadLetter) string {
	if queue == suite.FunctionArchive && strings.Contains(d.Body, poisonMarker) {
		return "the poison message"
	}
	if queue != suite.FunctionCorrect {
		return ""
	}
	reason := d.Attributes["reason"]
	for _, c := range p.Channels {
		if len(c.Sessions) == 0 || c.Sessions[0].StreamID == "" || !strings.Contains(d.Body, c.Sessions[0].StreamID) {
			continue
		}
		switch {
		case c.Role == RoleFailed && strings.HasPrefix(reason, reasonFailed+"UpdateChannel: ") && strings.Contains(reason, ivstest.CodeValidation):
			return "the correction of " + c.Name
		case c.Role == RoleExpired && strings.HasPrefix(reason, reasonExpired) && strings.Contains(reason, suite.EnvCorrectionMaxAge):
			return "the correction of " + c.Name
		}
	}
	return ""
}

// poisoned: the poison message panicked at each of its deliveries (archive's log says so; but
// for a delivery whose invocation the soak killed first) and reached the DLQ after
// maxReceiveCount of them.
func poisoned(obs Observed) Row {
	var bad []string
	want := obs.MaxReceives[suite.FunctionArchive]
	receives := -1
	for _, d := range obs.DeadLetters[suite.FunctionArchive] {
		if strings.Contains(d.Body, poisonMarker) {
			receives = d.ReceiveCount
		}
	}
	switch {
	case receives < 0:
		bad = append(bad, "not in archive's DLQ")
	case receives != want:
		bad = append(bad, fmt.Sprintf("dead-lettered after %d receives, want maxReceiveCount %d", receives, want))
	}
	if obs.Panics < 1 || obs.Panics < want-obs.ArchiveKills {
		bad = append(bad, fmt.Sprintf("archive's log reports %d panics of it, want one per delivery (%d, %d of them maybe killed first)", obs.Panics, want, obs.ArchiveKills))
	}
	return row("a message that panics fails alone, at every delivery, then waits in the DLQ", bad,
		fmt.Sprintf("%d panics, dead-lettered after %d receives", obs.Panics, receives))
}

// alarmed: every DLQ that holds messages holds enough to fire its alarm.
func alarmed(obs Observed) Row {
	var bad []string
	n := 0
	for _, q := range sortedKeys(obs.DeadLetters) {
		d := len(obs.DeadLetters[q])
		if d == 0 {
			continue
		}
		n++
		if obs.AlarmAt <= 0 || d < obs.AlarmAt {
			bad = append(bad, fmt.Sprintf("%s: %d messages, its alarm fires at %d", q, d, obs.AlarmAt))
		}
	}
	return row("each DLQ with messages alarmed", bad, fmt.Sprintf("%d DLQs with messages, each at or above its alarm's threshold (%d)", n, obs.AlarmAt))
}

// exercised: every kind of fault was injected at least once.
func exercised(obs Observed) Row {
	var missing []string
	for _, k := range faultKinds {
		if obs.Injected[k] == 0 {
			missing = append(missing, k)
		}
	}
	var bad []string
	if len(missing) > 0 {
		bad = []string{"never injected: " + strings.Join(missing, ", ")}
	}
	return row("every kind of fault injected", bad, fmt.Sprintf("%d of %d kinds", len(faultKinds)-len(missing), len(faultKinds)))
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
