package quality

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Namespace is the CloudWatch namespace of IVS's metrics.
const Namespace = "AWS/IVS"

// The IVS metrics the suite reads, and their dimensions. The per-track metrics have the
// dimensions Channel (the channel's resource ID) and Track (Track0, Track1, ...);
// ConcurrentViews has Channel only.
const (
	MetricIngestVideoBitrate = "IngestVideoBitrate"
	MetricIngestFramerate    = "IngestFramerate"
	MetricKeyframeInterval   = "KeyframeInterval"
	MetricIngestAudioBitrate = "IngestAudioBitrate"
	MetricConcurrentViews    = "ConcurrentViews"

	DimensionChannel = "Channel"
	DimensionTrack   = "Track"
)

// BitrateUnit is the value of one unit of IVS's ingest bitrate metrics in bps (they are in
// Mbps); Query.Collect converts them to bps, the unit of the record's targets.
const BitrateUnit = 1e6

// VideoMetrics are the metrics read for each video track, AudioMetrics for each audio track,
// ChannelMetrics for the channel.
var (
	VideoMetrics   = []string{MetricIngestVideoBitrate, MetricIngestFramerate, MetricKeyframeInterval}
	AudioMetrics   = []string{MetricIngestAudioBitrate}
	ChannelMetrics = []string{MetricConcurrentViews}
)

// MaxDatapoints is the most datapoints one GetMetricData response returns; Query chooses a
// period at which every series of the session fits one response.
const MaxDatapoints = 100_800

// Statistic is the statistic read for every series: the period's average.
const Statistic = "Average"

// retention is how long CloudWatch keeps each period of high-resolution data.
var retention = []struct {
	period time.Duration
	kept   time.Duration
}{
	{time.Second, 3 * time.Hour},
	{time.Minute, 15 * 24 * time.Hour},
	{5 * time.Minute, 63 * 24 * time.Hour},
	{time.Hour, 455 * 24 * time.Hour},
}

// periods are the periods GetMetricData accepts, in ascending order, up to a day (1, 5, 10 and
// 30 s for high-resolution data, then multiples of 60 s).
var periods = []time.Duration{
	time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
	time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour,
}

// ageMargin is added to the data's age so a request made at the edge of a retention step is not
// refused when it arrives a moment later.
const ageMargin = time.Minute

// Period returns the finest period CloudWatch still keeps for data as old as age: 1 s below
// 3 h, 60 s below 15 days, 300 s below 63 days, 3600 s below 455 days. ok is false for older
// data (CloudWatch has none).
func Period(age time.Duration) (period time.Duration, ok bool) {
	for _, r := range retention {
		if age+ageMargin < r.kept {
			return r.period, true
		}
	}
	return 0, false
}

// Query is the GetMetricData request for one session and how to read its answer.
type Query struct {
	// Input is the request: every series of the session in one call.
	Input *cloudwatch.GetMetricDataInput
	// Period is the period of every series.
	Period time.Duration
	// Metrics is how many metrics the request asks for (what GetMetricData is billed on).
	Metrics int
	// Datapoints is the most datapoints the answer can hold (what the quota counts).
	Datapoints int

	keys map[string]SeriesKey // by query ID
}

// NewQuery returns the request for session s made at now (naming no unit, so CloudWatch returns
// the data whatever unit IVS labels it with: IngestFramerate went from frames per second to
// Count/Second): the window [s.Start, s.End] widened
// to whole periods (EndTime is exclusive: the period holding s.End is included), every video track's VideoMetrics, every audio track's AudioMetrics and the
// channel's ChannelMetrics, at the finest period kept for data as old as s.Start that lets all
// of them fit one response. It fails when s is not valid or its data has expired.
func NewQuery(s Session, now time.Time) (*Query, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	base, ok := Period(now.Sub(s.Start))
	if !ok {
		return nil, fmt.Errorf("quality: the session started %v ago: CloudWatch keeps no data that old", now.Sub(s.Start).Round(time.Hour))
	}
	q := &Query{keys: map[string]SeriesKey{}}
	var queries []types.MetricDataQuery
	add := func(track, metric string) {
		id := "m" + strconv.Itoa(len(queries))
		dims := []types.Dimension{{Name: aws.String(DimensionChannel), Value: aws.String(s.ChannelID)}}
		label := metric
		if track != "" {
			dims = append(dims, types.Dimension{Name: aws.String(DimensionTrack), Value: aws.String(track)})
			label = track + " " + metric
		}
		q.keys[id] = SeriesKey{Track: track, Metric: metric}
		queries = append(queries, types.MetricDataQuery{
			Id:    aws.String(id),
			Label: aws.String(label),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(Namespace), MetricName: aws.String(metric), Dimensions: dims},
				Stat:   aws.String(Statistic),
			},
			ReturnData: aws.Bool(true),
		})
	}
	for _, t := range s.Tracks {
		ms := VideoMetrics
		if t.Kind == KindAudio {
			ms = AudioMetrics
		}
		for _, m := range ms {
			add(t.Track, m)
		}
	}
	for _, m := range ChannelMetrics {
		add("", m)
	}

	period, start, end := base, s.Start, s.End
	for _, p := range periods {
		if p < base {
			continue
		}
		period = p
		start, end = s.Start.Truncate(p), s.End.Truncate(p).Add(p) // EndTime is exclusive
		if len(queries)*int(end.Sub(start)/p) <= MaxDatapoints {
			break
		}
	}
	secs := int32(period / time.Second)
	for i := range queries {
		queries[i].MetricStat.Period = aws.Int32(secs)
	}
	q.Period, q.Metrics = period, len(queries)
	q.Datapoints = len(queries) * int(end.Sub(start)/period)
	q.Input = &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries,
		StartTime:         aws.Time(start.UTC()),
		EndTime:           aws.Time(end.UTC()),
		ScanBy:            types.ScanByTimestampAscending,
		MaxDatapoints:     aws.Int32(MaxDatapoints),
	}
	return q, nil
}

// Collect adds the results of one GetMetricData page to into, converted to the record's units
// (bitrates to bps). It reports partial when a result's status is not Complete (CloudWatch
// cut it short: a further page follows) and unknown when a result names an ID the query did not
// ask for (which is ignored).
func (q *Query) Collect(into Series, results []types.MetricDataResult) (partial bool, unknown []string) {
	for _, res := range results {
		id := aws.ToString(res.Id)
		key, ok := q.keys[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		if res.StatusCode != types.StatusCodeComplete {
			partial = true
		}
		scale := 1.0
		if key.Metric == MetricIngestVideoBitrate || key.Metric == MetricIngestAudioBitrate {
			scale = BitrateUnit
		}
		for i, ts := range res.Timestamps {
			if i >= len(res.Values) {
				break
			}
			into[key] = append(into[key], Point{Time: ts.UTC(), Value: res.Values[i] * scale})
		}
	}
	return partial, unknown
}

// Arrived reports whether CloudWatch has the end of the session: every video track of s has
// an IngestVideoBitrate sample within the last lag (at least two periods) of the window. Until
// it has, the caller waits and asks again.
func (q *Query) Arrived(s Session, series Series, lag time.Duration) bool {
	lag = max(lag, 2*q.Period)
	for _, t := range s.Tracks {
		if t.Kind != KindVideo {
			continue
		}
		var last time.Time
		for _, p := range series[SeriesKey{Track: t.Track, Metric: MetricIngestVideoBitrate}] {
			last = later(last, p.Time)
		}
		if last.Before(s.End.Add(-lag)) {
			return false
		}
	}
	return true
}
