package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// BenchmarkLiveSweep runs the real live sweep against the local S3 and IVS over an archive of
// records=N session records of the last three days, 20 of them live, half of those no longer
// live in IVS (their Session Ended lost). It reports the S3 requests and IVS calls of one run:
// the cost of a run must follow what is live, not what the archive holds. The set-up writes the
// archive and its live index straight into the local S3's store (as the archive function would
// have left them). As no archive function runs, the sessions published stay live in the archive
// and every run finishes the same ten again.
func BenchmarkLiveSweep(b *testing.B) {
	for _, n := range []int{1000, 30000, 300000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { benchLiveSweep(b, n) })
	}
}

func benchLiveSweep(b *testing.B, records int) {
	const live, stopped = 20, 10
	clock := ivstest.NewFakeClock(time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC))
	var s3Requests atomic.Int64
	s := awstest.New(b, awstest.Options{
		IVS:    &ivstest.Options{Clock: clock},
		Bus:    &localbus.Config{Rules: localbus.SuiteRules(testBus), Queues: queues()},
		Bucket: testBucket,
		WrapS3: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s3Requests.Add(1)
				h.ServeHTTP(w, r)
			})
		},
	})
	ctx := context.Background()
	put := func(r session.Record) {
		body, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.S3.PutDirect(testBucket, r.Key(), body); err != nil {
			b.Fatal(err)
		}
	}
	// The live sessions: real broadcasts on the local IVS, half of them ended since.
	for i := range live {
		ch := s.CreateChannel(b, nil)
		res, err := s.IVS.Connect(ctx, ivstest.OBS(ch.StreamKey, 1))
		if err != nil || !res.Live {
			b.Fatalf("connect: %+v, %v", res, err)
		}
		arn, _ := ivsevent.ParseChannelARN(res.ChannelARN)
		rec := session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: arn.String(), ChannelID: arn.ID, Region: arn.Region, Account: arn.Account,
			StreamID: res.StreamID, StartTime: clock.Now(), Outcome: session.OutcomeLive, Enriched: true, VideoTrackCount: 1}
		put(rec)
		// Its live index entry, as the archive function writes it with the record.
		entry, err := session.LiveKeyOf(rec.Key())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.S3.PutDirect(testBucket, entry, []byte(`{"record":"`+rec.Key()+`"}`)); err != nil {
			b.Fatal(err)
		}
		if i < stopped {
			if err := s.IVS.Disconnect(ctx, ch.ARN); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The rest: ended sessions spread over the last three days.
	span := 3 * 24 * time.Hour
	for i := range records - live {
		start := clock.Now().Add(-span + time.Duration(i)*span/time.Duration(records))
		arn := ivsevent.ChannelARN{Region: awstest.Region, Account: awstest.Account, ID: fmt.Sprintf("ch%010d", i%10000)}
		put(session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: arn.String(), ChannelID: arn.ID, Region: arn.Region, Account: arn.Account,
			StreamID: fmt.Sprintf("st-%023d", i), StartTime: start, EndTime: start.Add(30 * time.Minute), Outcome: session.OutcomeEnded, Enriched: true, VideoTrackCount: 3})
	}
	sw := &Sweeper{IVS: s.IVSClient(), S3: s.S3Client(), Bus: s.EventBridgeClient(), Bucket: testBucket, BusName: testBus, Account: awstest.Account, Region: awstest.Region,
		Correction: multitrack.Config{Mode: multitrack.ModeApply}, Log: s.Log, Now: clock.Now}
	ivsCalls := func() int {
		n := 0
		for _, st := range s.IVS.Stats() {
			n += st.Calls
		}
		return n
	}
	var s3n, ivsn int64
	b.ResetTimer()
	for range b.N {
		s3Before, ivsBefore := s3Requests.Load(), ivsCalls()
		rep, err := sw.Live(ctx)
		if err != nil || !rep.Done || rep.Published != stopped {
			b.Fatalf("Live = %+v, %v; want the %d sessions no longer live published", rep, err, stopped)
		}
		s3n += s3Requests.Load() - s3Before
		ivsn += int64(ivsCalls() - ivsBefore)
	}
	b.ReportMetric(float64(s3n)/float64(b.N), "s3-requests/run")
	b.ReportMetric(float64(ivsn)/float64(b.N), "ivs-calls/run")
}
