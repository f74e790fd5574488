package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// benchArchive returns n records over 30 days and 50 channels, about the size of a
// multitrack session's record.
func benchArchive(b *testing.B, n int) map[string][]byte {
	b.Helper()
	objs := map[string][]byte{}
	for i := range n {
		f := fixture{channel: fmt.Sprintf("bench%07d", i%50), name: "bench", stream: i, start: t0.Add(time.Duration(i%30) * 24 * time.Hour).Add(time.Duration(i) * time.Second),
			duration: time.Hour, ladder: obsLadder, verdict: "healthy"}
		if i%10 == 0 {
			f.code, f.duration, f.ladder = ivsevent.CodeMultitrackInputNotAllowed, 0, nil
		}
		r := f.record()
		body, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		objs[r.Key()] = body
	}
	return objs
}

// BenchmarkRead reads and aggregates 2,000 records from a folder and from the local S3 through
// the real S3 client: records/s is what "read N records in ..." reports.
func BenchmarkRead(b *testing.B) {
	const n = 2000
	objs := benchArchive(b, n)
	rg := Range{From: t0.Truncate(24 * time.Hour), To: t0.Add(30 * 24 * time.Hour)}
	st := putS3AsBench(b, objs)
	sources := map[string]source{
		"folder": dirSource{dir: writeDirBench(b, objs)},
		"s3":     s3Source{client: st.S3Client(), bucket: testBucket},
	}
	for name, src := range sources {
		for _, workers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				var bytes int64
				for b.Loop() {
					ss, stats, err := read(context.Background(), src, rg, workers, func(string) {})
					if err != nil || len(ss) != n {
						b.Fatalf("%d records, err %v", len(ss), err)
					}
					Aggregate(ss, Options{Now: t0})
					bytes = stats.Bytes
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
				b.SetBytes(bytes)
			})
		}
	}
}
