package quality

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestPeriod(t *testing.T) {
	tests := map[string]struct {
		age  time.Duration
		want time.Duration
		ok   bool
	}{
		"fresh":                     {age: 10 * time.Minute, want: time.Second, ok: true},
		"just under 3 h (margin)":   {age: 3*time.Hour - 2*time.Minute, want: time.Second, ok: true},
		"at 3 h minus the margin":   {age: 3*time.Hour - time.Minute, want: time.Minute, ok: true},
		"a day":                     {age: 24 * time.Hour, want: time.Minute, ok: true},
		"16 days":                   {age: 16 * 24 * time.Hour, want: 5 * time.Minute, ok: true},
		"100 days":                  {age: 100 * 24 * time.Hour, want: time.Hour, ok: true},
		"older than 455 days: none": {age: 456 * 24 * time.Hour, ok: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := Period(tc.age)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Period(%v) = %v, %v; want %v, %v", tc.age, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNewQuery(t *testing.T) {
	s := Session{ChannelID: "abcDEF123", Start: t0.Add(500 * time.Millisecond), End: t0.Add(10*time.Minute + 200*time.Millisecond), Tracks: ladder}
	five := []Target{
		{Track: "Track0", Kind: KindVideo}, {Track: "Track1", Kind: KindVideo}, {Track: "Track2", Kind: KindVideo},
		{Track: "Track3", Kind: KindVideo}, {Track: "Track4", Kind: KindVideo}, {Track: "Track5", Kind: KindAudio},
	}
	tests := map[string]struct {
		session    Session
		now        time.Time
		period     time.Duration
		start, end time.Time
		metrics    int
	}{
		"ended 5 min ago: 1 s": {session: s, now: s.End.Add(5 * time.Minute), period: time.Second,
			start: t0, end: t0.Add(10*time.Minute + time.Second)},
		"read a day later: 60 s": {session: s, now: s.End.Add(24 * time.Hour), period: time.Minute,
			start: t0, end: t0.Add(11 * time.Minute)},
		"a 4 h session: its start is past the 1 s retention": {
			session: Session{ChannelID: "abc", Start: t0.Add(-4 * time.Hour), End: t0, Tracks: ladder},
			now:     t0.Add(5 * time.Minute), period: time.Minute, // 1 s data has expired for its start
			start: t0.Add(-4 * time.Hour), end: t0.Add(time.Minute)},
		"a five-track 2 h 50 min session just ended: 5 s, as 17 series of 1 s do not fit": {
			session: Session{ChannelID: "abc", Start: t0.Add(-170 * time.Minute), End: t0, Tracks: five},
			now:     t0.Add(time.Minute), period: 5 * time.Second, metrics: 17,
			start: t0.Add(-170 * time.Minute), end: t0.Add(5 * time.Second)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q, err := NewQuery(tc.session, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if q.Period != tc.period {
				t.Errorf("period %v, want %v", q.Period, tc.period)
			}
			in := q.Input
			if !aws.ToTime(in.StartTime).Equal(tc.start) || !aws.ToTime(in.EndTime).Equal(tc.end) {
				t.Errorf("window %v..%v, want %v..%v", aws.ToTime(in.StartTime), aws.ToTime(in.EndTime), tc.start, tc.end)
			}
			// Two video tracks × 3 metrics, one audio track × 1, the channel × 1 (unless said).
			want := 8
			if tc.metrics != 0 {
				want = tc.metrics
			}
			if q.Metrics != want || len(in.MetricDataQueries) != want {
				t.Fatalf("metrics %d (%d queries), want %d", q.Metrics, len(in.MetricDataQueries), want)
			}
			if q.Datapoints > MaxDatapoints {
				t.Errorf("datapoints %d > %d: does not fit one response", q.Datapoints, MaxDatapoints)
			}
			ids := map[string]bool{}
			for _, mq := range in.MetricDataQueries {
				id := aws.ToString(mq.Id)
				if ids[id] {
					t.Errorf("duplicate id %s", id)
				}
				ids[id] = true
				st := mq.MetricStat
				if aws.ToString(st.Metric.Namespace) != Namespace || aws.ToString(st.Stat) != Statistic || aws.ToInt32(st.Period) != int32(tc.period/time.Second) {
					t.Errorf("query %s: %s %s period %d", id, aws.ToString(st.Metric.Namespace), aws.ToString(st.Stat), aws.ToInt32(st.Period))
				}
				dims := st.Metric.Dimensions
				if aws.ToString(dims[0].Name) != DimensionChannel || aws.ToString(dims[0].Value) != tc.session.ChannelID {
					t.Errorf("query %s: first dimension %s=%s", id, aws.ToString(dims[0].Name), aws.ToString(dims[0].Value))
				}
				key := q.keys[id]
				if (key.Track == "") != (len(dims) == 1) {
					t.Errorf("query %s (%+v): %d dimensions", id, key, len(dims))
				}
				// No unit: CloudWatch then returns the data of every unit. IVS relabelled
				// IngestFramerate (frames per second, now Count/Second); a query naming a unit
				// would get nothing once the label changes.
				if st.Unit != "" {
					t.Errorf("query %s (%+v): unit %q, want none", id, key, st.Unit)
				}
			}
		})
	}
}

func TestNewQueryRefuses(t *testing.T) {
	s := Session{ChannelID: "abc", Start: t0, End: t0.Add(time.Minute), Tracks: ladder}
	if _, err := NewQuery(s, t0.Add(500*24*time.Hour)); err == nil {
		t.Error("a session older than CloudWatch's retention: no error")
	}
	s.Tracks = nil
	if _, err := NewQuery(s, t0.Add(time.Hour)); err == nil {
		t.Error("a session without tracks: no error")
	}
}

func TestCollectAndArrived(t *testing.T) {
	s := Session{ChannelID: "abc", Start: t0, End: t0.Add(100 * time.Second), Tracks: ladder}
	q, err := NewQuery(s, s.End.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	idOf := func(track, metric string) *string {
		for id, k := range q.keys {
			if k == (SeriesKey{track, metric}) {
				return aws.String(id)
			}
		}
		t.Fatalf("no query for %s %s", track, metric)
		return nil
	}
	ts := func(secs ...int) []time.Time {
		var out []time.Time
		for _, s := range secs {
			out = append(out, t0.Add(time.Duration(s)*time.Second))
		}
		return out
	}
	series := Series{}
	partial, unknown := q.Collect(series, []types.MetricDataResult{
		{Id: idOf("Track0", MetricIngestVideoBitrate), Timestamps: ts(0, 1), Values: []float64{6, 5.5}, StatusCode: types.StatusCodeComplete},
		{Id: idOf("Track0", MetricIngestFramerate), Timestamps: ts(0, 1), Values: []float64{60, 59}, StatusCode: types.StatusCodeComplete},
		{Id: aws.String("zz"), StatusCode: types.StatusCodeComplete},
	})
	if partial || len(unknown) != 1 || unknown[0] != "zz" {
		t.Errorf("partial %v unknown %v, want false [zz]", partial, unknown)
	}
	if got := series[SeriesKey{"Track0", MetricIngestVideoBitrate}]; len(got) != 2 || got[1].Value != 5_500_000 {
		t.Errorf("bitrate in bps: %+v, want 5.5 Mbps as 5500000", got)
	}
	if got := series[SeriesKey{"Track0", MetricIngestFramerate}]; got[1].Value != 59 {
		t.Errorf("frame rate %+v, want unscaled", got)
	}
	if q.Arrived(s, series, 5*time.Second) {
		t.Error("Arrived with data for the first 2 s of a 100 s session")
	}
	partial, _ = q.Collect(series, []types.MetricDataResult{
		{Id: idOf("Track0", MetricIngestVideoBitrate), Timestamps: ts(98), Values: []float64{6}, StatusCode: types.StatusCodePartialData},
		{Id: idOf("Track1", MetricIngestVideoBitrate), Timestamps: ts(97), Values: []float64{1}, StatusCode: types.StatusCodeComplete},
	})
	if !partial {
		t.Error("a PartialData result: not partial")
	}
	if !q.Arrived(s, series, 5*time.Second) {
		t.Error("not Arrived with every video track within 5 s of the end")
	}
}
