// Package sweep makes the archive whole when IVS's events were lost: IVS delivers them best
// effort, so some sessions never get their Session Ended, and some never reach the suite at all.
//
//   - Live finishes the sessions the archive holds as live that IVS no longer lists as live
//     (ListStreams): each is fetched once (GetStreamSession) and published as ended.
//   - Window archives every session that ended in a time window (ListChannels,
//     ListStreamSessions) that the archive lacks, holds unfinished, or holds refused with no
//     correction decided: the daily sweep (since its watermark) and the backfill (the last N
//     days; IVS keeps 60).
//
// A swept session is published exactly as enrich publishes one (the decision of
// shared/enrichment, the entry of shared/suiteevent, the PutEvents policy of shared/putevents):
// an "IVS Session Enriched" event for a Session Ended built from the GetStreamSession answer, so
// the archive merges it and the corrector acts on it like any other, and a rerun changes nothing.
// The progress of a window is kept in S3 (session.SweepKeyPrefix), so a run cut short by its deadline
// resumes where it stopped. The IVS client is paced by its caller (ivsquota) to the sweep's
// part of the quota (suite.SweepBudget).
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/shared/enrichment"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
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

// Store lists the S3 calls the sweep makes on the archive bucket: records are read (and listed,
// for Live) under session.KeyPrefix, the sweep's own state is read and written under
// session.SweepKeyPrefix.
type Store interface {
	s3doc.API // GetObject, PutObject
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var (
	_ IVS   = (*ivs.Client)(nil)
	_ Store = (*s3.Client)(nil)
)

// Sweeper sweeps one account and region. Its fields are set once.
type Sweeper struct {
	IVS     IVS              // paced to the sweep's part of the quota
	S3      Store            // the archive bucket
	Bus     putevents.Putter // an EventBridge client
	Bucket  string
	BusName string
	// Account and Region, in a fleet, are the account and region swept (the IVS client's): the
	// live sweep reads only their records and the windows keep their state apart. Empty in a
	// single-region deployment: every record, one state.
	Account, Region string
	Correction      multitrack.Config
	Log             *slog.Logger
	Metrics         *metrics.Recorder // nil: no metrics
	Now             func() time.Time  // nil: time.Now
	// Progress, when set, is called after every step of a window (a channel listed, a
	// session fetched).
	Progress func(Progress)
	// Reserve is the time kept before the context's deadline to save the state (default 20 s).
	Reserve time.Duration
}

// Progress is how far a window is.
type Progress struct {
	Stage     string // "listing" (channels' sessions) or "fetching" (sessions)
	Done      int    // channels listed, or sessions fetched
	Total     int    // channels, or sessions to fetch
	Published int    // sessions published so far in this run
}

// Report says what one call did.
type Report struct {
	Checked   int  // archived records (Live) or listed sessions (Window) looked at
	Published int  // sessions fetched and published
	Done      bool // false: the deadline came first; the state is saved and a later call resumes
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Live finishes the live records of the last 48 hours whose stream IVS no longer lists as live.
// It makes no IVS call when the archive holds no live record. It reads every record of the
// last three days' prefixes (one S3 GET each, every run): at 1,000 sessions a day and a run
// every 10 minutes that is about 430,000 GETs a day, some $0.17 at S3 Standard's price.
func (s *Sweeper) Live(ctx context.Context) (Report, error) {
	var rep Report
	var live []session.Record
	now := s.now()
	for _, day := range session.Days(now, session.MaxDuration) {
		prefix := session.DayPrefix(day)
		p := s3.NewListObjectsV2Paginator(s.S3, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return rep, fmt.Errorf("list %s: %w", prefix, err)
			}
			for _, o := range page.Contents {
				if !s.mine(aws.ToString(o.Key)) {
					continue // another account's or region's: its own Sweeper looks at it
				}
				rec, ok, err := s.record(ctx, aws.ToString(o.Key))
				if err != nil {
					return rep, err
				}
				rep.Checked++
				if ok && rec.Outcome == session.OutcomeLive {
					live = append(live, rec)
				}
			}
		}
	}
	if len(live) == 0 {
		rep.Done = true
		return rep, nil
	}
	streaming := map[string]bool{}
	p := ivs.NewListStreamsPaginator(s.IVS, &ivs.ListStreamsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return rep, fmt.Errorf("ListStreams: %w", err)
		}
		for _, st := range page.Streams {
			streaming[aws.ToString(st.StreamId)] = true
		}
	}
	for _, rec := range live {
		if streaming[rec.StreamID] {
			continue
		}
		if s.late(ctx) {
			return rep, nil
		}
		ok, err := s.fetch(ctx, rec.ChannelARN, rec.StreamID)
		if err != nil {
			return rep, err
		}
		if ok {
			rep.Published++
		}
	}
	rep.Done = true
	return rep, nil
}

// Kind names a window's state object: the daily sweep and the backfill keep theirs apart.
type Kind string

// The kinds of window.
const (
	KindDaily    Kind = "daily"
	KindBackfill Kind = "backfill"
)

// state is a window's progress, kept at session.SweepKeyPrefix+kind+".json".
type state struct {
	// Watermark is the end of the last window completed (KindDaily: the next one starts there).
	Watermark time.Time `json:"watermark,omitzero"`
	// Run is the window under way; nil when none.
	Run *run `json:"run,omitempty"`
}

type run struct {
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Channels []string    `json:"channels"` // channel ARNs, from ListChannels
	Listed   int         `json:"listed"`   // Channels[:Listed] have had their sessions listed
	Pending  []candidate `json:"pending"`  // sessions to fetch
	Fetched  int         `json:"fetched"`  // Pending[:Fetched] are done
	Started  time.Time   `json:"started"`
}

type candidate struct {
	ChannelARN string `json:"channelArn"`
	StreamID   string `json:"streamId"`
}

// Window archives the sessions that ended from from to to that the archive lacks or holds
// unfinished, resuming the window of this kind that a previous call left unfinished (its own
// bounds win). A zero from means "since the watermark" (KindDaily), or a day before to when
// there is none.
func (s *Sweeper) Window(ctx context.Context, kind Kind, from, to time.Time) (Report, error) {
	var rep Report
	st, err := s.loadState(ctx, kind)
	if err != nil {
		return rep, err
	}
	if st.Run == nil {
		if from.IsZero() {
			from = st.Watermark
		}
		if from.IsZero() {
			from = to.Add(-24 * time.Hour)
		}
		st.Run = &run{From: from.UTC(), To: to.UTC(), Started: s.now(), Listed: -1}
	}
	r := st.Run
	if r.Listed < 0 {
		p := ivs.NewListChannelsPaginator(s.IVS, &ivs.ListChannelsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return rep, fmt.Errorf("ListChannels: %w", err)
			}
			for _, c := range page.Channels {
				r.Channels = append(r.Channels, aws.ToString(c.Arn))
			}
		}
		r.Listed = 0
		if err := s.saveState(ctx, kind, st); err != nil {
			return rep, err
		}
	}
	for r.Listed < len(r.Channels) {
		if s.late(ctx) {
			return rep, s.saveState(ctx, kind, st)
		}
		found, checked, err := s.sessionsToFetch(ctx, r.Channels[r.Listed], r.From, r.To)
		if err != nil {
			_ = s.saveState(ctx, kind, st)
			return rep, err
		}
		rep.Checked += checked
		r.Pending = append(r.Pending, found...)
		r.Listed++
		s.progress(Progress{Stage: "listing", Done: r.Listed, Total: len(r.Channels), Published: rep.Published})
		if r.Listed%25 == 0 {
			if err := s.saveState(ctx, kind, st); err != nil {
				return rep, err
			}
		}
	}
	for r.Fetched < len(r.Pending) {
		if s.late(ctx) {
			return rep, s.saveState(ctx, kind, st)
		}
		c := r.Pending[r.Fetched]
		ok, err := s.fetch(ctx, c.ChannelARN, c.StreamID)
		if err != nil {
			_ = s.saveState(ctx, kind, st)
			return rep, err
		}
		if ok {
			rep.Published++
		}
		r.Fetched++
		s.progress(Progress{Stage: "fetching", Done: r.Fetched, Total: len(r.Pending), Published: rep.Published})
		if r.Fetched%10 == 0 {
			if err := s.saveState(ctx, kind, st); err != nil {
				return rep, err
			}
		}
	}
	st.Watermark, st.Run = r.To, nil
	rep.Done = true
	return rep, s.saveState(ctx, kind, st)
}

// Unfinished reports whether a window of this kind is under way (a call was cut short).
func (s *Sweeper) Unfinished(ctx context.Context, kind Kind) (bool, error) {
	st, err := s.loadState(ctx, kind)
	return st.Run != nil, err
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
// when GetStreamSession does not show it or shows it without an end time.
func (s *Sweeper) fetch(ctx context.Context, channelARN, streamID string) (bool, error) {
	out, err := s.IVS.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(channelARN), StreamId: aws.String(streamID)})
	if s.Metrics != nil {
		s.Metrics.Add(suite.MetricStreamSessionCalls, 1, metrics.Dim{Name: suite.DimensionPhase, Value: "sweep"})
	}
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		s.Log.WarnContext(ctx, "swept session not shown by GetStreamSession", "channelArn", channelARN, "streamId", streamID)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("GetStreamSession %s %s: %w", channelARN, streamID, err)
	case out.StreamSession == nil || out.StreamSession.EndTime == nil:
		return false, nil
	}
	return true, s.Publish(ctx, out.StreamSession)
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

// mine reports whether the record at key is of the Sweeper's account and region (always, in a
// single-region deployment): its key says so (session.Record.Key).
func (s *Sweeper) mine(key string) bool {
	if s.Account == "" {
		return true
	}
	return strings.Contains(key, "/account="+s.Account+"/region="+s.Region+"/")
}

// stateKey is where a window of kind keeps its state: sweep/<kind>.json, or in a fleet
// sweep/account=<account>/region=<region>/<kind>.json.
func (s *Sweeper) stateKey(kind Kind) string {
	if s.Account == "" {
		return session.SweepKeyPrefix + string(kind) + ".json"
	}
	return session.SweepKeyPrefix + "account=" + s.Account + "/region=" + s.Region + "/" + string(kind) + ".json"
}

// loadState reads the state of a kind of window; none yet is the zero state.
func (s *Sweeper) loadState(ctx context.Context, kind Kind) (state, error) {
	var st state
	_, err := s.archive().Get(ctx, s3doc.SweepState, s.stateKey(kind), &st)
	switch {
	case errors.Is(err, s3doc.ErrNotFound):
		// No state yet (the role may list sweep/, so S3 answers a missing key 404).
		return state{}, nil
	case err != nil:
		return state{}, fmt.Errorf("read sweep state: %w", err)
	}
	return st, nil
}

func (s *Sweeper) saveState(ctx context.Context, kind Kind, st state) error {
	// A save must not be lost to the deadline that made the run stop.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.archive().Put(ctx, s.stateKey(kind), st); err != nil {
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
