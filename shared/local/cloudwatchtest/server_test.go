package cloudwatchtest_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

var t0 = time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)

// client returns the real CloudWatch client pointed at a new Server with opts.
func client(t *testing.T, opts cloudwatchtest.Options) (*cloudwatch.Client, *cloudwatchtest.Server) {
	t.Helper()
	srv := cloudwatchtest.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c := cloudwatch.New(cloudwatch.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(ts.URL),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	})
	return c, srv
}

func dims(track string) map[string]string {
	d := map[string]string{quality.DimensionChannel: "abc"}
	if track != "" {
		d[quality.DimensionTrack] = track
	}
	return d
}

func TestGetMetricDataWithTheSDK(t *testing.T) {
	now := t0.Add(2 * time.Minute)
	c, srv := client(t, cloudwatchtest.Options{Now: func() time.Time { return now }})
	for i := range 60 {
		at := t0.Add(time.Duration(i) * time.Second)
		srv.Put(quality.Namespace, quality.MetricIngestVideoBitrate, dims("Track0"), cloudwatchtest.Datum{Time: at, Value: 6})
		srv.Put(quality.Namespace, quality.MetricIngestFramerate, dims("Track0"), cloudwatchtest.Datum{Time: at, Value: float64(i % 2 * 60)})
		srv.Put(quality.Namespace, quality.MetricConcurrentViews, dims(""), cloudwatchtest.Datum{Time: at, Value: float64(i)})
	}
	// Another channel's series must not leak into this one's.
	srv.Put(quality.Namespace, quality.MetricIngestVideoBitrate, map[string]string{quality.DimensionChannel: "other", quality.DimensionTrack: "Track0"},
		cloudwatchtest.Datum{Time: t0, Value: 99})

	s := quality.Session{ChannelID: "abc", Start: t0, End: t0.Add(59 * time.Second), Tracks: []quality.Target{
		{Track: "Track0", Kind: quality.KindVideo, TargetBitrate: 6_000_000, TargetFrameRate: 60},
	}}
	q, err := quality.NewQuery(s, now)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetMetricData(context.Background(), q.Input)
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	if len(out.MetricDataResults) != q.Metrics {
		t.Fatalf("%d results, want %d", len(out.MetricDataResults), q.Metrics)
	}
	series := quality.Series{}
	if partial, unknown := q.Collect(series, out.MetricDataResults); partial || len(unknown) > 0 {
		t.Fatalf("partial %v unknown %v", partial, unknown)
	}
	br := series[quality.SeriesKey{Track: "Track0", Metric: quality.MetricIngestVideoBitrate}]
	if len(br) != 60 || br[0].Value != 6_000_000 || !br[0].Time.Equal(t0) || !br[59].Time.Equal(t0.Add(59*time.Second)) {
		t.Fatalf("bitrate series: %d points, first %+v", len(br), br[0])
	}
	if got := series[quality.SeriesKey{Metric: quality.MetricConcurrentViews}]; len(got) != 60 || got[59].Value != 59 {
		t.Errorf("viewers: %d points", len(got))
	}
	if kf := series[quality.SeriesKey{Track: "Track0", Metric: quality.MetricKeyframeInterval}]; len(kf) != 0 {
		t.Errorf("a series never put has %d points", len(kf))
	}

	// At 60 s: one average per minute.
	in := *q.Input
	in.MetricDataQueries = in.MetricDataQueries[1:2] // Track0 IngestFramerate
	in.MetricDataQueries[0].MetricStat.Period = aws.Int32(60)
	out, err = c.GetMetricData(context.Background(), &in)
	if err != nil {
		t.Fatal(err)
	}
	if r := out.MetricDataResults[0]; len(r.Values) != 1 || r.Values[0] != 30 || aws.ToString(r.Label) != "Track0 IngestFramerate" {
		t.Errorf("60 s average: %+v, want one value of 30", r)
	}
	if srv.Calls(cloudwatchtest.OpGetMetricData) != 2 {
		t.Errorf("calls %d, want 2", srv.Calls(cloudwatchtest.OpGetMetricData))
	}
}

func TestDelayPaginationOrder(t *testing.T) {
	now := t0.Add(10 * time.Second)
	c, srv := client(t, cloudwatchtest.Options{Now: func() time.Time { return now }, Delay: 5 * time.Second})
	for i := range 20 {
		srv.Put("NS", "M", nil, cloudwatchtest.Datum{Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i)})
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute)), MaxDatapoints: aws.Int32(4),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("m0"), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("NS"), MetricName: aws.String("M")}, Period: aws.Int32(1), Stat: aws.String("Average")}}},
	}
	// Visible: t0..t0+5s (6 points), newest first by default, 4 a page.
	var values []float64
	pages := cloudwatch.NewGetMetricDataPaginator(c, in)
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n++
		values = append(values, out.MetricDataResults[0].Values...)
		if want := types.StatusCodePartialData; n == 1 && out.MetricDataResults[0].StatusCode != want {
			t.Errorf("first page status %q, want %q", out.MetricDataResults[0].StatusCode, want)
		}
	}
	want := []float64{5, 4, 3, 2, 1, 0}
	if n != 2 || len(values) != len(want) {
		t.Fatalf("%d pages, values %v; want 2 pages of %v", n, values, want)
	}
	for i := range want {
		if values[i] != want[i] {
			t.Fatalf("values %v, want %v", values, want)
		}
	}
}

func TestErrors(t *testing.T) {
	c, srv := client(t, cloudwatchtest.Options{})
	ctx := context.Background()
	good := func() *cloudwatch.GetMetricDataInput {
		return &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute)),
			MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("m0"), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("NS"), MetricName: aws.String("M")}, Period: aws.Int32(1), Stat: aws.String("Average")}}},
		}
	}
	bad := map[string]func(in *cloudwatch.GetMetricDataInput){
		"start after end":   func(in *cloudwatch.GetMetricDataInput) { in.StartTime = aws.Time(t0.Add(time.Hour)) },
		"id with a capital": func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries[0].Id = aws.String("M0") },
		"period of 7 s":     func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries[0].MetricStat.Period = aws.Int32(7) },
		"duplicate ids": func(in *cloudwatch.GetMetricDataInput) {
			in.MetricDataQueries = append(in.MetricDataQueries, in.MetricDataQueries[0])
		},
	}
	for name, edit := range bad {
		in := good()
		edit(in)
		_, err := c.GetMetricData(ctx, in)
		var ipv *types.InvalidParameterValueException
		if !errors.As(err, &ipv) {
			t.Errorf("%s: %v, want *types.InvalidParameterValueException", name, err)
		}
	}
	srv.SetFault(cloudwatchtest.Fault{Op: cloudwatchtest.OpGetMetricData, Count: 1, Status: 500, Type: "InternalServiceFault", Code: "InternalServiceError"})
	_, err := c.GetMetricData(ctx, good())
	var fault *types.InternalServiceFault
	if !errors.As(err, &fault) || fault.ErrorCode() != "InternalServiceError" {
		t.Errorf("injected fault: %v, want InternalServiceError", err)
	}
	if _, err := c.GetMetricData(ctx, good()); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}

func TestPutMetricDataWithTheSDK(t *testing.T) {
	c, srv := client(t, cloudwatchtest.Options{})
	_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("IVSSessions"),
		MetricData: []types.MetricDatum{{
			MetricName: aws.String("Sessions"), Timestamp: aws.Time(t0), Value: aws.Float64(3),
			Dimensions: []types.Dimension{{Name: aws.String("Function"), Value: aws.String("quality")}},
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	got := srv.Series("IVSSessions", "Sessions", map[string]string{"Function": "quality"})
	if len(got) != 1 || got[0].Value != 3 || !got[0].Time.Equal(t0) {
		t.Errorf("stored %+v, want one datum of 3 at %v", got, t0)
	}
}

// TestUnits: a query that names a unit gets only the data put with it (CloudWatch converts
// nothing, and a unit that matches nothing gives no data); one that names none gets all of it.
func TestUnits(t *testing.T) {
	now := t0.Add(time.Minute)
	c, srv := client(t, cloudwatchtest.Options{Now: func() time.Time { return now }})
	_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(quality.Namespace),
		MetricData: []types.MetricDatum{{
			MetricName: aws.String(quality.MetricIngestFramerate), Timestamp: aws.Time(t0), Value: aws.Float64(60), Unit: types.StandardUnitCountSecond,
			Dimensions: []types.Dimension{{Name: aws.String(quality.DimensionChannel), Value: aws.String("abc")}, {Name: aws.String(quality.DimensionTrack), Value: aws.String("Track0")}},
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	if got := srv.Series(quality.Namespace, quality.MetricIngestFramerate, dims("Track0")); len(got) != 1 || got[0].Unit != string(types.StandardUnitCountSecond) {
		t.Fatalf("stored %+v, want one datum in Count/Second", got)
	}
	for unit, want := range map[types.StandardUnit]int{"": 1, types.StandardUnitCountSecond: 1, types.StandardUnitCount: 0, types.StandardUnitNone: 0} {
		out, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Second)),
			MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("m0"), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(quality.Namespace), MetricName: aws.String(quality.MetricIngestFramerate),
					Dimensions: []types.Dimension{{Name: aws.String(quality.DimensionChannel), Value: aws.String("abc")}, {Name: aws.String(quality.DimensionTrack), Value: aws.String("Track0")}}},
				Period: aws.Int32(1), Stat: aws.String("Average"), Unit: unit,
			}}},
		})
		if err != nil {
			t.Fatalf("GetMetricData unit %q: %v", unit, err)
		}
		if n := len(out.MetricDataResults[0].Values); n != want {
			t.Errorf("unit %q: %d values, want %d", unit, n, want)
		}
	}
}
