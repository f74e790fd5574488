package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// phase is the part of a session's life a GetStreamSession call enriches. A session costs at
// most one call per phase: one when it goes live (its Stream Start), one when it ends (its
// Session Ended); a refused session never goes live and costs one. Every other event is
// published from the event alone and merged into the record by the archive.
type phase string

const (
	phaseNone phase = ""     // no call: the event alone
	phaseLive phase = "live" // the session's Stream Start
	phaseEnd  phase = "end"  // the session's Session Ended
)

// phaseOf returns the phase ev enriches; live is phaseNone when the live phase is turned off
// (Config.LivePhase false).
func phaseOf(ev *ivsevent.Event, live bool) phase {
	switch ev.Name() {
	case ivsevent.EventStreamStart:
		if live {
			return phaseLive
		}
	case ivsevent.EventSessionEnded:
		return phaseEnd
	}
	return phaseNone
}

// serves reports whether a GetStreamSession answer serves phase p: any answer serves the live
// phase; the end phase needs the session's end time.
func serves(ss *types.StreamSession, p phase) bool {
	return ss != nil && (p != phaseEnd || ss.EndTime != nil)
}

// done reports whether the archived record rec already holds what phase p would fetch: an
// enriched record serves the live phase, an enriched record with its end time the end phase.
func done(rec session.Record, p phase) bool {
	return rec.Enriched && (p != phaseEnd || !rec.EndTime.IsZero())
}

// sessionID names one stream session.
type sessionID struct{ channel, stream string }

// memo holds the GetStreamSession answers of one invocation, so that the events of one session
// that arrive in one batch cost one call. It is safe for concurrent use.
type memo struct {
	mu      sync.Mutex
	answers map[sessionID]*types.StreamSession
	seen    map[string]bool   // event IDs handled in this invocation
	claims  map[string]string // event ID -> why IVS did not confirm its refusal (unverified)
}

type memoKey struct{}

// withMemo returns ctx carrying a new, empty memo: enrich's entry point gives each invocation
// (one SQS batch) its own.
func withMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{answers: map[sessionID]*types.StreamSession{}, seen: map[string]bool{}, claims: map[string]string{}})
}

// memoOf returns ctx's memo, or nil (no memo: every phase event calls).
func memoOf(ctx context.Context) *memo {
	m, _ := ctx.Value(memoKey{}).(*memo)
	return m
}

// get returns the answer kept for id if it serves p.
func (m *memo) get(id sessionID, p phase) *types.StreamSession {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ss := m.answers[id]; serves(ss, p) {
		return ss
	}
	return nil
}

// repeated reports whether the event eventID was seen before in this invocation (EventBridge
// delivered it twice), and marks it seen; for a repeat, also why IVS did not confirm the
// refusal the first delivery claimed ("" when it did, or there was none).
func (m *memo) repeated(eventID string) (bool, string) {
	if m == nil || eventID == "" {
		return false, ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[eventID] {
		return true, m.claims[eventID]
	}
	m.seen[eventID] = true
	return false, ""
}

// unconfirm keeps why IVS does not confirm the refusal event eventID claims, for its repeats.
func (m *memo) unconfirm(eventID, why string) {
	if m == nil || eventID == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims[eventID] = why
}

// put keeps ss for id, unless an answer with an end time is kept already.
func (m *memo) put(id sessionID, ss *types.StreamSession) {
	if m == nil || ss == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.answers[id]; old == nil || old.EndTime == nil {
		m.answers[id] = ss
	}
}

// archiveKeys returns the keys the record of ev's session may have in the archive: dated by the
// day of the event, then by each earlier day the session may have started on (the live phase's
// Stream Start follows the session's start by seconds; a Session Ended follows it by up to
// session.MaxDuration).
func archiveKeys(ev *ivsevent.Event, p phase) []string {
	back := session.MaxDuration
	if p == phaseLive {
		back = 10 * time.Minute
	}
	var keys []string
	for _, day := range session.Days(ev.Time, back) {
		r := session.Record{ChannelARN: ev.Channel.String(), ChannelID: ev.Channel.ID, StreamID: ev.StreamID(), StartTime: day}
		if k := r.Key(); k != "" && (len(keys) == 0 || keys[len(keys)-1] != k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// archived returns the archived record of ev's session when it already holds phase p, enriched
// (and, for an event with a code, decided). Any failure to read (a missing object, which S3
// answers 403 without s3:ListBucket, or an unreadable one) is "no": the call is then made, as
// it would be without the archive.
func (h *Handler) archived(ctx context.Context, ev *ivsevent.Event, p phase) (session.Record, bool) {
	if h.Archive == nil || h.Cfg.ArchiveBucket == "" {
		return session.Record{}, false
	}
	archive := s3doc.Reader{S3: h.Archive, Name: h.Cfg.ArchiveBucket}
	for _, key := range archiveKeys(ev, p) {
		var rec session.Record
		_, err := archive.Get(ctx, s3doc.SessionRecord, key, &rec)
		if errors.Is(err, s3doc.ErrUnreadable) {
			h.Log.WarnContext(ctx, "archived record unreadable; calling IVS", keyEventID, ev.ID, "key", key, "err", err)
			return session.Record{}, false
		}
		if err != nil {
			continue
		}
		// An event with a code is decided once: the archive serves it only when the record
		// holds a decision already (a later phase, e.g. a late live call, is no decision).
		ok := rec.StreamID == ev.StreamID() && done(rec, p) && (ev.Code() == "" || rec.Correction != nil)
		return rec, ok
	}
	return session.Record{}, false
}

// countCall counts one GetStreamSession call made for phase p.
func (h *Handler) countCall(p phase) {
	h.Metrics.Add(suite.MetricStreamSessionCalls, 1, metrics.Dim{Name: suite.DimensionPhase, Value: string(p)})
}

// countSaved counts one phase event that needed no call, and why (archive, batch).
func (h *Handler) countSaved(reason string) {
	h.Metrics.Add(suite.MetricCallsSaved, 1, metrics.Dim{Name: suite.DimensionReason, Value: reason})
}

// repeatedDecision is the decision published for a repeated event: none, since its first
// delivery was decided (and, for a refusal, corrected) already.
func repeatedDecision(ev *ivsevent.Event) multitrack.Decision {
	return multitrack.Decision{Action: multitrack.ActionNone, Code: ev.Code(),
		Reason: "this phase of the session was already enriched and decided: a repeated event decides nothing"}
}
