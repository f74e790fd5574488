// Package sweep makes the archive whole when IVS's events were lost: IVS delivers them best
// effort, so some sessions never get their Session Ended, and some never reach the suite at all.
//
//   - Live finishes the sessions the archive holds as live that IVS no longer lists as live
//     (ListStreams): each is fetched once (GetStreamSession) and published as ended. It lists
//     the live index of its account and region (shared/liveindex), so a run costs what is
//     live, not what the archive holds.
//   - Window archives every session that ended in a time window (ListChannels,
//     ListStreamSessions) that the archive lacks, holds unfinished, or holds refused with no
//     correction decided: the daily sweep (since its watermark) and the backfill (the last N
//     days; IVS keeps 60).
//
// A swept session is published exactly as enrich publishes one (the decision of
// shared/enrichment, the entry of shared/suiteevent, the PutEvents policy of shared/putevents):
// an "IVS Session Enriched" event for a Session Ended built from the GetStreamSession answer, so
// the archive merges it and the corrector acts on it like any other, and a rerun changes nothing.
// The progress of each kind of run is kept in S3 (session.SweepStateKey, by account, region and
// kind), so a run cut short by its deadline resumes where it stopped; the live sweep and the
// windows keep theirs apart and run on their own schedules. The IVS client is paced by its
// caller (ivsquota) to the sweep's part of the quota (suite.SweepBudget).
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/shared/enrichment"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/liveindex"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/s3doc"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// IVS lists the IVS calls the sweep makes.
type IVS interface {
	ListStreams(ctx context.Context, in *ivs.ListStreamsInput, optFns ...func(*ivs.Options)) (*ivs.ListStreamsOutput, error)
	ListChannels(ctx context.Context, in *ivs.ListChannelsInput, optFns ...func(*ivs.Options)) (*ivs.ListChannelsOutput, error)
	ListStreamSessions(ctx context.Context, in *ivs.ListStreamSessionsInput, optFns ...func(*ivs.Options)) (*ivs.ListStreamSessionsOutput, error)
	GetStreamSession(ctx context.Context, in *ivs.GetStreamSessionInput, optFns ...func(*ivs.Options)) (*ivs.GetStreamSessionOutput, error)
}

// Store lists the S3 calls the sweep makes on the archive bucket: records are read under
// session.KeyPrefix; the live index (session.LiveKeyPrefix) of its account and region is
// listed, and its stale entries deleted (finish); the sweep's own state is read and written under
// session.SweepKeyPrefix.
type Store interface {
	liveindex.API // GetObject, PutObject, DeleteObject, ListObjectsV2
}

var (
	_ IVS   = (*ivs.Client)(nil)
	_ Store = (*s3.Client)(nil)
)

// Sweeper sweeps one account and region. Its fields are set once.
type Sweeper struct {
	IVS        IVS              // paced to the sweep's part of the quota
	S3         Store            // the archive bucket
	Bus        putevents.Putter // an EventBridge client
	Bucket     string
	BusName    string
	Account    string // the account swept: its live index and state only
	Region     string // the region swept (the IVS client's)
	Correction multitrack.Config
	Log        *slog.Logger
	Metrics    *metrics.Recorder // nil: no metrics
	Now        func() time.Time  // nil: time.Now
	// Progress, when set, is called after every step of a window (a channel listed, a
	// session fetched).
	Progress func(Progress)
	// Reserve is the time kept before the context's deadline to save the state (default 20 s).
	Reserve time.Duration
	// LiveBudget bounds one live run (default DefaultLiveBudget): a run that has not finished by
	// then saves where it stopped and the next scheduled run resumes there, so runs never
	// overlap and a backlog is worked through run after run.
	LiveBudget time.Duration
}

// DefaultLiveBudget is the longest a live run works: less than the live schedule's period
// (suite.DefaultSweepSchedule, 10 minutes).
const DefaultLiveBudget = 8 * time.Minute

// livePage is how many live index entries one ListObjectsV2 request returns (S3's most).
const livePage = 1000

// Progress is how far a window is.
type Progress struct {
	Stage     string // "listing" (channels' sessions) or "fetching" (sessions)
	Done      int    // channels listed, or sessions fetched
	Total     int    // channels, or sessions to fetch (of the pages listed so far)
	Published int    // sessions published so far in this run
}

// Report says what one call did.
type Report struct {
	Checked   int  // live index entries (Live) or listed sessions (Window) looked at
	Published int  // sessions fetched and published
	Healed    int  // stale live index entries deleted (Live)
	Backlog   int  // Live: entries not streaming that the run did not get to
	Done      bool // false: the deadline came first; the state is saved and a later call resumes
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// liveState is the live sweep's progress: where a run cut short stopped.
type liveState struct {
	// After is the last index entry a run handled before it stopped; the next run starts after
	// it. Empty: from the first.
	After   string    `json:"after,omitempty"`
	Stopped time.Time `json:"stopped,omitzero"`
}

// Live finishes the sessions whose Session Ended the archive has not had (the live index)
// that IVS no longer lists as live. It lists the account's and region's live index
// (shared/liveindex), not the archive: a run makes one ListObjectsV2 per 1,000 live sessions
// and, with something live, one ListStreams per 100 streams, then for each indexed session IVS
// no longer lists one GetStreamSession and, when it shows the session ended, one PutEvents
// (finish). An entry whose session IVS does not show is deleted when no record says the session
// was, or when it is older than any session lasts. A run that reaches its budget or deadline
// saves where it stopped (one PUT) and the next resumes there; the backlog it left is
// the LiveSweepBacklog metric.
func (s *Sweeper) Live(ctx context.Context) (Report, error) {
	var rep Report
	started := s.now()
	key, err := s.stateKey("live")
	if err != nil {
		return rep, err
	}
	var st liveState
	if err := s.loadState(ctx, key, &st); err != nil {
		return rep, err
	}
	defer func() {
		if s.Metrics != nil {
			s.Metrics.Add(suite.MetricLiveSweepBacklog, float64(rep.Backlog))
			s.Metrics.Add(suite.MetricLiveSessions, float64(rep.Checked))
		}
	}()
	budget := s.LiveBudget
	if budget <= 0 {
		budget = DefaultLiveBudget
	}
	var streaming map[string]bool // nil until the first page with an entry
	after, resumed := st.After, st.After != ""
	stopped, stopAt := false, ""
	for {
		entries, bad, next, err := liveindex.Page(ctx, s.S3, s.Bucket, s.Account, s.Region, after, livePage)
		if err != nil {
			return rep, err
		}
		for _, k := range bad {
			s.Log.WarnContext(ctx, "not a live index entry; left alone", "key", k)
		}
		if len(entries) > 0 && streaming == nil {
			if streaming, err = s.streaming(ctx); err != nil {
				return rep, err
			}
		}
		for _, e := range entries {
			rep.Checked++
			if streaming[e.Session.StreamID] {
				continue
			}
			if stopped || s.late(ctx) || s.now().Sub(started) >= budget {
				if !stopped {
					stopped, stopAt = true, after
				}
				rep.Backlog++
				continue
			}
			published, err := s.finish(ctx, e)
			if err != nil {
				rep.Backlog++
				_ = s.saveState(ctx, key, liveState{After: after, Stopped: s.now()})
				return rep, err
			}
			switch published {
			case finishPublished:
				rep.Published++
			case finishHealed:
				rep.Healed++
			}
			after = e.Key
		}
		if next == "" {
			break
		}
		after = next
	}
	if stopped {
		return rep, s.saveState(ctx, key, liveState{After: stopAt, Stopped: s.now()})
	}
	rep.Done = true
	if resumed {
		// The run that stopped is finished; the next starts from the first entry again.
		return rep, s.saveState(ctx, key, liveState{})
	}
	return rep, nil
}

// streaming returns the stream IDs IVS lists as live (ListStreams, every page).
func (s *Sweeper) streaming(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	p := ivs.NewListStreamsPaginator(s.IVS, &ivs.ListStreamsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListStreams: %w", err)
		}
		for _, st := range page.Streams {
			out[aws.ToString(st.StreamId)] = true
		}
	}
	return out, nil
}

// What finish did with an entry.
type finished int

const (
	finishNothing   finished = iota // still live in GetStreamSession, or not shown: left for a later run
	finishPublished                 // published ended: the archive's merge deletes the entry
	finishHealed                    // a stale entry (nothing to finish) deleted
)

// finish finishes the session of an index entry IVS no longer lists as live: it publishes the
// session's end (GetStreamSession, then the enriched Session Ended). An entry means the
// session's Session Ended never reached the archive (session.LiveIndexChange), whatever its
// record says: a record ended by a Stream End, or by a go-live event enriched after the end,
// while the Session Ended was lost, still needs it (quality measures, and the corrector
// corrects, from a Session Ended). An entry whose session IVS does not show, and that has no
// record or is older than any session lasts, is deleted.
func (s *Sweeper) finish(ctx context.Context, e liveindex.Entry) (finished, error) {
	ok, shown, err := s.fetch(ctx, e.Session.ChannelARN().String(), e.Session.StreamID)
	switch {
	case err != nil:
		return finishNothing, err
	case ok:
		return finishPublished, nil
	case shown:
		return finishNothing, nil // not ended yet in GetStreamSession
	}
	if s.now().Sub(e.Day) <= session.MaxDuration+24*time.Hour {
		// Not shown yet, or no longer: stale only when nothing says it was live (no record).
		if _, found, err := s.record(ctx, e.Record); err != nil || found {
			return finishNothing, err
		}
	}
	// IVS does not show the session and nothing says it was live, or it would have ended long
	// ago: the entry can only be stale.
	if err := liveindex.Delete(ctx, s.S3, s.Bucket, e.Key); err != nil {
		return finishNothing, err
	}
	s.Log.InfoContext(ctx, "stale live index entry deleted", "key", e.Key)
	return finishHealed, nil
}

// Kind names a window's state object: the daily sweep and the backfill keep theirs apart.
type Kind string

// The kinds of window.
const (
	KindDaily    Kind = "daily"
	KindBackfill Kind = "backfill"
)

// channelPage is how many channels one ListChannels call returns (IVS's most): a window works
// one page at a time and keeps only that page in its state. A variable for tests.
var channelPage int32 = 100

// state is a window's progress, kept at session.SweepStateKey(account, region, kind).
type state struct {
	// Watermark is the end of the last window completed (KindDaily: the next one starts there).
	Watermark time.Time `json:"watermark,omitzero"`
	// Run is the window under way; nil when none.
	Run *run `json:"run,omitempty"`
}

// run is a window under way. It holds one ListChannels page at a time: the state stays a few
// KiB however many channels the account has.
type run struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Started time.Time `json:"started"`
	// PageToken is the ListChannels token of the page under way ("" the first); Loaded says
	// whether Channels holds it.
	PageToken string   `json:"pageToken,omitempty"`
	Loaded    bool     `json:"loaded"`
	Channels  []string `json:"channels,omitempty"` // the page's channel ARNs
	NextToken string   `json:"nextToken,omitempty"`
	// Listed: Channels[:Listed] have had their sessions listed; Pending are the page's sessions
	// to fetch, Pending[:Fetched] done.
	Listed  int         `json:"listed"`
	Pending []candidate `json:"pending,omitempty"`
	Fetched int         `json:"fetched"`
	// Done counts the channels of the pages finished before this one, and Calls the IVS
	// calls the window made so far (for progress and the run's report).
	Done int `json:"done"`
}

type candidate struct {
	ChannelARN string `json:"channelArn"`
	StreamID   string `json:"streamId"`
}

// Window archives the sessions that ended from from to to that the archive lacks or holds
// unfinished, resuming the window of this kind that a previous call left unfinished (its own
// bounds win). A zero from means "since the watermark" (KindDaily), or a day before to when
// there is none. It lists one page of channels (ListChannels) at a time, each channel's
// sessions (ListStreamSessions), and fetches the page's sessions the archive lacks before it
// moves to the next page; the state is saved every few channels and sessions and at each page.
func (s *Sweeper) Window(ctx context.Context, kind Kind, from, to time.Time) (Report, error) {
	var rep Report
	key, err := s.stateKey(string(kind))
	if err != nil {
		return rep, err
	}
	var st state
	if err := s.loadState(ctx, key, &st); err != nil {
		return rep, err
	}
	if st.Run == nil {
		if from.IsZero() {
			from = st.Watermark
		}
		if from.IsZero() {
			from = to.Add(-24 * time.Hour)
		}
		st.Run = &run{From: from.UTC(), To: to.UTC(), Started: s.now()}
	}
	r := st.Run
	save := func() error { return s.saveState(ctx, key, st) }
	for {
		if !r.Loaded {
			if s.late(ctx) {
				return rep, save()
			}
			if err := s.loadPage(ctx, r); err != nil {
				_ = save()
				return rep, err
			}
			if err := save(); err != nil {
				return rep, err
			}
		}
		for r.Listed < len(r.Channels) {
			if s.late(ctx) {
				return rep, save()
			}
			found, checked, err := s.sessionsToFetch(ctx, r.Channels[r.Listed], r.From, r.To)
			if err != nil {
				_ = save()
				return rep, err
			}
			rep.Checked += checked
			r.Pending = append(r.Pending, found...)
			r.Listed++
			s.progress(Progress{Stage: "listing", Done: r.Done + r.Listed, Total: r.Done + len(r.Channels), Published: rep.Published})
			if r.Listed%25 == 0 {
				if err := save(); err != nil {
					return rep, err
				}
			}
		}
		for r.Fetched < len(r.Pending) {
			if s.late(ctx) {
				return rep, save()
			}
			c := r.Pending[r.Fetched]
			ok, _, err := s.fetch(ctx, c.ChannelARN, c.StreamID)
			if err != nil {
				_ = save()
				return rep, err
			}
			if ok {
				rep.Published++
			}
			r.Fetched++
			s.progress(Progress{Stage: "fetching", Done: r.Fetched, Total: len(r.Pending), Published: rep.Published})
			if r.Fetched%10 == 0 {
				if err := save(); err != nil {
					return rep, err
				}
			}
		}
		if r.NextToken == "" {
			break
		}
		// The page is done: the next one replaces it in the state.
		*r = run{From: r.From, To: r.To, Started: r.Started, PageToken: r.NextToken, Done: r.Done + len(r.Channels)}
		if err := save(); err != nil {
			return rep, err
		}
	}
	st.Watermark, st.Run = r.To, nil
	rep.Done = true
	return rep, save()
}

// loadPage lists the page of channels r is at. A saved token IVS no longer accepts
// (ValidationException: tokens do not last forever) starts the listing over from the first
// page: the channels done again cost their ListStreamSessions, not their sessions, which are
// archived by then.
func (s *Sweeper) loadPage(ctx context.Context, r *run) error {
	in := &ivs.ListChannelsInput{MaxResults: aws.Int32(channelPage)}
	if r.PageToken != "" {
		in.NextToken = aws.String(r.PageToken)
	}
	page, err := s.IVS.ListChannels(ctx, in)
	var invalidToken *types.ValidationException
	if errors.As(err, &invalidToken) && r.PageToken != "" {
		s.Log.WarnContext(ctx, "ListChannels refused the saved page token; listing the channels from the first page", "err", err)
		r.PageToken, r.Done = "", 0
		in.NextToken = nil
		page, err = s.IVS.ListChannels(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("ListChannels: %w", err)
	}
	r.Channels = r.Channels[:0]
	for _, c := range page.Channels {
		r.Channels = append(r.Channels, aws.ToString(c.Arn))
	}
	r.NextToken, r.Loaded = aws.ToString(page.NextToken), true
	return nil
}

// Unfinished reports whether a window of this kind is under way (a call was cut short).
func (s *Sweeper) Unfinished(ctx context.Context, kind Kind) (bool, error) {
	key, err := s.stateKey(string(kind))
	if err != nil {
		return false, err
	}
	var st state
	err = s.loadState(ctx, key, &st)
	return st.Run != nil, err
}

// Due reports whether a daily window should run now: one is under way, or a day has passed
// since the end of the last (or none ever ran).
func (s *Sweeper) Due(ctx context.Context, kind Kind, now time.Time) (bool, error) {
	key, err := s.stateKey(string(kind))
	if err != nil {
		return false, err
	}
	var st state
	if err := s.loadState(ctx, key, &st); err != nil {
		return false, err
	}
	return st.Run != nil || st.Watermark.IsZero() || !now.Before(st.Watermark.Add(24*time.Hour)), nil
}

// sessionsToFetch lists the sessions of channel that ended from from to to and returns those
// the archive lacks, holds unfinished (not enriched with its end), or holds refused without a
// correction decided, and how many ended sessions it looked at.
func (s *Sweeper) sessionsToFetch(ctx context.Context, channel string, from, to time.Time) ([]candidate, int, error) {
	arn, err := ivsevent.ParseChannelARN(channel)
	if err != nil {
		return nil, 0, fmt.Errorf("ListChannels answered %q: %w", channel, err)
	}
	var out []candidate
	checked := 0
	p := ivs.NewListStreamSessionsPaginator(s.IVS, &ivs.ListStreamSessionsInput{ChannelArn: aws.String(channel)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, checked, fmt.Errorf("ListStreamSessions %s: %w", channel, err)
		}
		older := false
		for _, ss := range page.StreamSessions {
			if ss.StartTime != nil && ss.StartTime.Before(from.Add(-session.MaxDuration)) {
				older = true // newest first: the rest started too early to end in the window
			}
			if ss.EndTime == nil || ss.StartTime == nil || ss.EndTime.Before(from) || !ss.EndTime.Before(to) {
				continue
			}
			checked++
			key := session.Record{ChannelARN: arn.String(), ChannelID: arn.ID, StreamID: aws.ToString(ss.StreamId), StartTime: *ss.StartTime}.Key()
			if key == "" {
				continue
			}
			rec, ok, err := s.record(ctx, key)
			if err != nil {
				return nil, checked, err
			}
			if !ok || needs(rec) {
				out = append(out, candidate{ChannelARN: arn.String(), StreamID: aws.ToString(ss.StreamId)})
			}
		}
		if older {
			break
		}
	}
	return out, checked, nil
}

// needs reports whether an archived record still lacks what the session's end brings: its
// enrichment with the end time, or, for a refusal, a correction decided.
func needs(rec session.Record) bool {
	if !rec.Enriched || rec.EndTime.IsZero() || rec.Outcome == session.OutcomeLive {
		return true
	}
	return rec.Outcome == session.OutcomeRefused && rec.Correction == nil
}

// fetch gets one session and publishes it as ended. It reports false (and publishes nothing)
// when GetStreamSession does not show it (shown false) or shows it without an end time.
func (s *Sweeper) fetch(ctx context.Context, channelARN, streamID string) (ok, shown bool, err error) {
	out, err := s.IVS.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(channelARN), StreamId: aws.String(streamID)})
	if s.Metrics != nil {
		s.Metrics.Add(suite.MetricStreamSessionCalls, 1, metrics.Dim{Name: suite.DimensionPhase, Value: "sweep"})
	}
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		s.Log.WarnContext(ctx, "swept session not shown by GetStreamSession", "channelArn", channelARN, "streamId", streamID)
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("GetStreamSession %s %s: %w", channelARN, streamID, err)
	case out.StreamSession == nil || out.StreamSession.EndTime == nil:
		return false, true, nil
	}
	return true, true, s.Publish(ctx, out.StreamSession)
}

// Publish publishes an ended stream session as enrich publishes its Session Ended: the event
// is the session's own Session Ended (from truncatedEvents, with its code), else one at its end
// time; its ID is derived from the stream ID, so a rerun publishes the same event.
func (s *Sweeper) Publish(ctx context.Context, ss *types.StreamSession) error {
	ev, err := EndedEvent(ss)
	if err != nil {
		return err
	}
	rec, err := session.FromStreamSession(ss, ev)
	if err != nil {
		return fmt.Errorf("swept session %s: %w", aws.ToString(ss.StreamId), err)
	}
	d := enrichment.Decide(ev, rec, ss, s.Correction)
	enrichment.Annotate(&rec, d, ev.Time)
	entry, _, err := suiteevent.EnrichedEntry(s.BusName, session.Enriched{Record: rec, Decision: d, Trigger: session.TriggerOf(ev)})
	if err != nil {
		return err
	}
	eventID, err := putevents.Publisher{Client: s.Bus}.Publish(ctx, entry)
	if err != nil {
		return fmt.Errorf("swept session %s: %w", rec.StreamID, err)
	}
	s.Log.InfoContext(ctx, "published swept session", "record", rec, "action", string(d.Action), "publishedEventId", eventID)
	return nil
}

// EndedEvent builds the Session Ended event of an ended stream session: the one among its
// truncatedEvents (the latest), else one at its end time without a code.
func EndedEvent(ss *types.StreamSession) (*ivsevent.Event, error) {
	if ss.Channel == nil || ss.EndTime == nil {
		return nil, errors.New("sweep: a stream session without its channel or end time")
	}
	arn, err := ivsevent.ParseChannelARN(aws.ToString(ss.Channel.Arn))
	if err != nil {
		return nil, fmt.Errorf("sweep: stream session channel: %w", err)
	}
	at, code := *ss.EndTime, ""
	for _, e := range ss.TruncatedEvents {
		if aws.ToString(e.Name) == ivsevent.EventSessionEnded && e.EventTime != nil && !e.EventTime.Before(at.Add(-time.Hour)) {
			at, code = *e.EventTime, aws.ToString(e.Code)
		}
	}
	detail := map[string]string{"event_name": ivsevent.EventSessionEnded, "channel_name": aws.ToString(ss.Channel.Name), "stream_id": aws.ToString(ss.StreamId)}
	if code != "" {
		detail["code"] = code
	}
	// A name-based (version 5) UUID: the same stream session gives the same ID.
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("ivs-sessions/sweep/"+arn.String()+"/"+aws.ToString(ss.StreamId)))
	body, err := json.Marshal(map[string]any{
		"version": "0", "id": id.String(),
		"detail-type": ivsevent.DetailTypeStreamStateChange, "source": ivsevent.Source,
		"account": arn.Account, "time": at.UTC().Format(time.RFC3339), "region": arn.Region,
		"resources": []string{arn.String()}, "detail": detail,
	})
	if err != nil {
		return nil, err
	}
	return ivsevent.Parse(body)
}

// record reads an archived record; ok is false when there is none (or none readable: the
// session is then fetched, which is what a missing record leads to).
func (s *Sweeper) record(ctx context.Context, key string) (session.Record, bool, error) {
	var rec session.Record
	_, err := s.archive().Get(ctx, s3doc.SessionRecord, key, &rec)
	switch {
	case err == nil:
		return rec, true, nil
	case ctx.Err() != nil:
		return session.Record{}, false, ctx.Err()
	case errors.Is(err, s3doc.ErrUnreadable):
		s.Log.WarnContext(ctx, "archived record unreadable", "key", key, "err", err)
	}
	return session.Record{}, false, nil
}

func (s *Sweeper) archive() s3doc.Bucket { return s3doc.Bucket{S3: s.S3, Name: s.Bucket} }

// stateKey is the key of the state of a kind of run of the account and region swept.
func (s *Sweeper) stateKey(kind string) (string, error) {
	key, err := session.SweepStateKey(s.Account, s.Region, kind)
	if err != nil {
		return "", fmt.Errorf("sweep: %w", err)
	}
	return key, nil
}

// loadState reads the state at key into v; none yet leaves v as it is (the zero state).
func (s *Sweeper) loadState(ctx context.Context, key string, v any) error {
	_, err := s.archive().Get(ctx, s3doc.SweepState, key, v)
	switch {
	case errors.Is(err, s3doc.ErrNotFound):
		// No state yet (the role may list sweep/, so S3 answers a missing key 404).
		return nil
	case err != nil:
		return fmt.Errorf("read sweep state: %w", err)
	}
	return nil
}

func (s *Sweeper) saveState(ctx context.Context, key string, st any) error {
	// A save must not be lost to the deadline that made the run stop.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.archive().Put(ctx, key, st); err != nil {
		return fmt.Errorf("save sweep state: %w", err)
	}
	return nil
}

// late reports whether the call should stop to save its state before the deadline.
func (s *Sweeper) late(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return false
	}
	reserve := s.Reserve
	if reserve == 0 {
		reserve = 20 * time.Second
	}
	return time.Until(dl) < reserve
}

func (s *Sweeper) progress(p Progress) {
	if s.Progress != nil {
		s.Progress(p)
	}
}
