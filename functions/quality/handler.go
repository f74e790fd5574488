package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"golang.org/x/time/rate"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// metricDataGetter is the one CloudWatch call quality makes.
type metricDataGetter interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

var _ metricDataGetter = (*cloudwatch.Client)(nil)

// Log attribute keys.
const (
	keyEventID     = "eventId"
	keyChannelID   = "channelId"
	keyStreamID    = "streamId"
	keyVerdict     = "verdict"
	keyQuality     = "quality"
	keyWorstTrack  = "worstTrack"
	keyReasons     = "reasons"
	keyAttempt     = "attempt"
	keyCalls       = "calls"
	keyMetrics     = "metrics"
	keyPublishedID = "publishedEventId"
)

// arrivalLag is how close to the session's end the last sample of every video track must be
// for CloudWatch to be deemed to have the whole session (quality.Query.Arrived).
const arrivalLag = 30 * time.Second

// maxPages bounds the GetMetricData pages read for one session; NewQuery sizes the request to
// fit one, so a second page is CloudWatch's choice, not ours.
const maxPages = 4

// Pacer spaces GetMetricData calls under CloudWatch's quotas: each call costs its datapoints,
// and at least the share of the per-second budget that keeps the calls themselves under their
// own quota. CloudWatch's quotas are per account and region, so in a fleet each target the
// context carries (fleet.WithTarget) is paced apart. It is safe for concurrent use.
type Pacer struct {
	perSecond int
	minCost   int

	mu       sync.Mutex
	limiters map[fleet.Target]*rate.Limiter
}

// NewPacer returns a Pacer that allows datapointsPerSecond datapoints a second and at most a
// quarter of suite.GetMetricDataTPS calls a second, per account and region.
func NewPacer(datapointsPerSecond int) *Pacer {
	return &Pacer{
		perSecond: datapointsPerSecond,
		minCost:   max(1, datapointsPerSecond*4/suite.GetMetricDataTPS),
		limiters:  map[fleet.Target]*rate.Limiter{},
	}
}

// Wait blocks until a call of datapoints may be made in ctx's target (none: the function's own
// region), or ctx ends.
func (p *Pacer) Wait(ctx context.Context, datapoints int) error {
	if p == nil {
		return nil
	}
	t, _ := fleet.TargetOf(ctx)
	p.mu.Lock()
	l, ok := p.limiters[t]
	if !ok {
		l = rate.NewLimiter(rate.Limit(p.perSecond), max(p.perSecond, quality.MaxDatapoints))
		p.limiters[t] = l
	}
	p.mu.Unlock()
	return l.WaitN(ctx, min(max(datapoints, p.minCost), l.Burst()))
}

// Handler measures and publishes one ended session per message. Its fields are set once; it is
// safe for concurrent use.
type Handler struct {
	CloudWatch metricDataGetter
	Bus        putevents.Putter // an EventBridge client
	Pacer      *Pacer           // nil: not paced
	Log        *slog.Logger
	Metrics    *metrics.Recorder
	Cfg        Config
	Now        func() time.Time
}

// Handle measures one session: nil when its quality was published, a transient error
// (retryable.Is) to have it delivered again (CloudWatch has not got all of it yet, a throttle, a
// failed publication), or a permanent *invalid.FieldError naming what is wrong with the event.
func (h *Handler) Handle(ctx context.Context, m batch.Message) error {
	env, err := suiteevent.Decode(m.Body)
	if err != nil {
		return err
	}
	if env.Enriched == nil {
		return &invalid.FieldError{Field: "detail-type", Want: fmt.Sprintf("%q", suite.DetailTypeSessionEnriched), Got: env.DetailType, Err: invalid.ErrUnknown}
	}
	d := *env.Enriched
	if err := d.Record.Validate(); err != nil {
		return fmt.Errorf("detail.record: %w", err)
	}
	if replay := env.Replay(); replay != "" {
		// Measured again for a replay: published marked as replayed, so no rule pages for it.
		d.Trigger = d.Trigger.Replayed(replay)
		h.Metrics.Add(suite.MetricReplayed, 1, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionQuality})
	}
	return h.measure(ctx, m, env, d)
}

func (h *Handler) measure(ctx context.Context, m batch.Message, env *suiteevent.Event, d session.Enriched) error {
	rec, now := d.Record, h.Now().UTC()
	if h.Cfg.Fleet.Enabled() {
		// IVS publishes a session's metrics in its channel's account and region: read there,
		// paced there; a session outside the fleet is not read at all.
		if err := h.Cfg.Fleet.CheckCovers(h.Cfg.Account, rec.Account, rec.Region); err != nil {
			return fmt.Errorf("detail.record: a session outside the fleet: %w", err)
		}
		ctx = fleet.WithTarget(ctx, rec.Account, rec.Region)
	}
	s := rec.QualitySession()
	attrs := []any{keyEventID, env.ID, keyChannelID, rec.ChannelID, keyStreamID, rec.StreamID, keyAttempt, m.ReceiveCount}

	q, err := quality.NewQuery(s, now)
	if err != nil {
		// No window, no video track, or data CloudWatch no longer keeps: nothing to read,
		// ever. Say so in the record rather than leave it unmeasured.
		report := quality.Report{Verdict: quality.VerdictUnknown, WindowStart: s.Start, WindowEnd: s.End, Note: err.Error()}
		return h.publish(ctx, d, report, now, m.ReceiveCount, attrs)
	}
	series, partial, calls, err := h.read(ctx, q)
	h.Metrics.Add(suite.MetricGetMetricData, float64(calls))
	h.Metrics.Add(suite.MetricMetricsRequested, float64(calls*q.Metrics))
	attrs = append(attrs, keyCalls, calls, keyMetrics, q.Metrics)
	if err != nil {
		// retryable decides: a transient failure (a throttle, a 5xx, a permission a deployment
		// fixes) comes back after RetryDelay, until the queue's dead-letter queue takes it; one
		// retrying cannot fix (CloudWatch refused the request) is said in the record at once.
		if retryable.Is(err) {
			return retryable.Later("GetMetricData failed", h.Cfg.RetryDelay, err)
		}
		report := quality.Report{Verdict: quality.VerdictUnknown, WindowStart: s.Start, WindowEnd: s.End, PeriodSeconds: int(q.Period / time.Second),
			Note: "GetMetricData refused: " + retryable.Describe(err)}
		return h.publish(ctx, d, report, now, m.ReceiveCount, attrs)
	}
	arrived := !partial && q.Arrived(s, series, arrivalLag)
	if !arrived && m.ReceiveCount < h.Cfg.MaxAttempts {
		h.Log.InfoContext(ctx, "CloudWatch does not have the whole session yet; reading again later", attrs...)
		return retryable.Later("CloudWatch does not have the session's metrics yet", h.Cfg.RetryDelay, nil)
	}
	report := quality.Compute(s, series, q.Period, quality.DefaultThresholds)
	if !arrived {
		note := fmt.Sprintf("metrics incomplete after %d reads", m.ReceiveCount)
		if report.Note != "" {
			note = report.Note + "; " + note
		}
		report.Note = note
	}
	return h.publish(ctx, d, report, now, m.ReceiveCount, attrs)
}

// read makes the session's GetMetricData call (and follows NextToken, which NewQuery's sizing
// makes rare) and returns the series, whether they are partial, and the calls made.
func (h *Handler) read(ctx context.Context, q *quality.Query) (quality.Series, bool, int, error) {
	series := quality.Series{}
	in := *q.Input
	calls := 0
	for {
		if err := h.Pacer.Wait(ctx, q.Datapoints); err != nil {
			return nil, false, calls, retryable.Later("the invocation ended while pacing GetMetricData", 0, err)
		}
		calls++
		out, err := h.CloudWatch.GetMetricData(ctx, &in)
		if err != nil {
			return nil, false, calls, fmt.Errorf("get metric data for %d metrics: %w", q.Metrics, err)
		}
		partial, unknown := q.Collect(series, out.MetricDataResults)
		if len(unknown) > 0 {
			h.Log.WarnContext(ctx, "GetMetricData answered for queries not asked", "ids", unknown)
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" {
			return series, false, calls, nil
		}
		if calls >= maxPages {
			return series, partial, calls, nil
		}
		in.NextToken = out.NextToken
	}
}

// publish puts the measurement on the suite's bus (suiteevent.QualityEntry) with the suite's
// PutEvents policy (putevents): every failure to publish is transient, so the message comes
// back until it is published or ends in the dead-letter queue.
func (h *Handler) publish(ctx context.Context, d session.Enriched, report quality.Report, now time.Time, attempts int, attrs []any) error {
	report.MeasuredAt, report.Attempts = now, attempts
	rec := d.Record
	entry, err := suiteevent.QualityEntry(h.Cfg.EventBusName,
		session.Measured{ChannelARN: rec.ChannelARN, StreamID: rec.StreamID, SessionKey: rec.Key(), Quality: report, Trigger: d.Trigger})
	if err != nil {
		return err
	}
	eventID, err := putevents.Publisher{Client: h.Bus}.Publish(ctx, entry)
	if err != nil {
		return err
	}
	h.Metrics.Add(suite.MetricQualityVerdicts, 1, metrics.Dim{Name: suite.DimensionVerdict, Value: string(report.Verdict)})
	attrs = append(attrs, keyVerdict, string(report.Verdict), keyWorstTrack, report.WorstTrack, keyReasons, reasonCodes(report), keyQuality, report,
		keyPublishedID, eventID)
	h.Log.InfoContext(ctx, "quality measured", attrs...)
	return nil
}

// reasonCodes lists the report's reasons as "code track" (or its note when it has none), for a
// log line a person reads.
func reasonCodes(r quality.Report) string {
	var parts []string
	for _, reason := range r.Reasons {
		parts = append(parts, strings.TrimSpace(string(reason.Code)+" "+reason.Track))
	}
	if len(parts) == 0 {
		return r.Note
	}
	return strings.Join(parts, ", ")
}
