package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
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

var benchRange = Range{From: t0.Truncate(24 * time.Hour), To: t0.Add(30 * 24 * time.Hour)}

// directReport lists and reads rg from src as make report -direct does.
func directReport(b *testing.B, src source, rg Range, workers, want int) ReadStats {
	l, err := list(context.Background(), src, rg, workers)
	if err != nil {
		b.Fatal(err)
	}
	tl := newTallyFor(Options{Now: t0}, rg, l)
	stats, err := readDirect(context.Background(), src, rg, workers, tl, func(string) {})
	if err != nil || stats.Records != want {
		b.Fatalf("%d records, err %v", stats.Records, err)
	}
	tl.report()
	return stats
}

// BenchmarkRead reads and counts 2,000 records from a folder and from the local S3 through the
// real S3 client: records/s is what "read N records in ..." reports.
func BenchmarkRead(b *testing.B) {
	const n = 2000
	objs := benchArchive(b, n)
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
					bytes = directReport(b, src, benchRange, workers, n).Bytes
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
				b.SetBytes(bytes)
			})
		}
	}
}

// BenchmarkDirect is the direct reader's time and memory at 10,000 and 100,000 records from a
// folder, 16 readers: peak-heap-MB (the live heap, sampled every millisecond) stays flat as the
// records grow tenfold, since records are counted as they are read and dropped.
func BenchmarkDirect(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			dir := writeDirBench(b, benchArchive(b, n))
			src := dirSource{dir: dir}
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				stop := peakHeap()
				directReport(b, src, benchRange, 16, n)
				peak = max(peak, stop())
			}
			b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// peakHeap samples the live heap (runtime.MemStats.HeapAlloc) every millisecond until stop is
// called, and returns the largest value seen.
func peakHeap() (stop func() uint64) {
	var (
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}
