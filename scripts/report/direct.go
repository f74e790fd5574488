package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Range is what to read: the days from From to To (UTC, inclusive) and, if any, only these
// channels.
type Range struct {
	From, To time.Time
	Channels []string
}

// maxDayPrefixes is the most days listed one prefix at a time; a longer range lists every
// session (in the order of the keys, so of the days) and keeps the range's.
const maxDayPrefixes = 400

// days returns the range's days, in order.
func (r Range) days() []time.Time {
	n := int(r.To.Sub(r.From)/(24*time.Hour)) + 1
	out := make([]time.Time, 0, max(n, 0))
	for d := range n {
		out = append(out, r.From.AddDate(0, 0, d))
	}
	return out
}

// prefixes returns the key prefixes that hold the range's records: one per day
// (session.DayPrefix), so that only the range's partitions are listed, in the order of the
// days.
func (r Range) prefixes() []string {
	days := r.days()
	if len(days) > maxDayPrefixes || len(days) < 1 {
		return []string{session.KeyPrefix}
	}
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = session.DayPrefix(d)
	}
	return out
}

// wants reports whether a listed key is in the range: its day, and its channel when the range
// names channels. Below the day come account= and region= before channel= (a channel ID is
// unique only within its account and region), so a channel is picked by its segment.
func (r Range) wants(key string) bool {
	day := dayOf(key)
	if day.IsZero() || day.Before(r.From) || day.After(r.To) {
		return false
	}
	if len(r.Channels) == 0 {
		return true
	}
	for _, c := range r.Channels {
		if strings.Contains(key, "/channel="+c+"/") {
			return true
		}
	}
	return false
}

// listing is what the range's listings say, before any object is read: how many objects and
// bytes each day holds, and in which account and region each channel asked for is.
type listing struct {
	objects int
	bytes   int64
	days    []dayCount // the days with objects, in order
	// places are the (account, region) of each channel of the range that holds objects.
	places map[string][][2]string
	took   time.Duration
}

type dayCount struct {
	day     time.Time
	objects int
	bytes   int64
}

// list counts the range's objects from listings (one per day prefix, workers at a time),
// reading none.
func list(ctx context.Context, src source, r Range, workers int) (listing, error) {
	start := time.Now()
	prefixes := r.prefixes()
	var (
		mu     sync.Mutex
		perDay = map[time.Time]*dayCount{}
		places = map[string]map[[2]string]bool{}
		wg     sync.WaitGroup
		errs   = make([]error, len(prefixes))
		sem    = make(chan struct{}, max(1, min(workers, 8)))
	)
	for i, p := range prefixes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = src.List(ctx, p, func(key string, size int64) {
				if !r.wants(key) {
					return
				}
				d := dayOf(key)
				mu.Lock()
				defer mu.Unlock()
				dc := perDay[d]
				if dc == nil {
					dc = &dayCount{day: d}
					perDay[d] = dc
				}
				dc.objects++
				dc.bytes += size
				if id, _, err := session.ParseSessionKey(key); err == nil {
					if places[id.ChannelID] == nil {
						places[id.ChannelID] = map[[2]string]bool{}
					}
					places[id.ChannelID][[2]string{id.Account, id.Region}] = true
				}
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return listing{}, err
	}
	l := listing{places: map[string][][2]string{}, took: time.Since(start)}
	for _, dc := range perDay {
		l.days = append(l.days, *dc)
		l.objects += dc.objects
		l.bytes += dc.bytes
	}
	slices.SortFunc(l.days, func(a, b dayCount) int { return a.day.Compare(b.day) })
	for ch, ps := range places {
		for p := range ps {
			l.places[ch] = append(l.places[ch], p)
		}
		slices.SortFunc(l.places[ch], func(a, b [2]string) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	}
	return l, nil
}

// newTallyFor returns a tally whose timeline grain fits what the listing found.
func newTallyFor(o Options, r Range, l listing) *tally {
	if len(l.days) == 0 {
		return newTally(o, time.Minute, timelineOrigin(r.From))
	}
	return newTally(o, grainFor(l.days[0].day, l.days[len(l.days)-1].day), timelineOrigin(r.From))
}

// readDirect reads the range's records with workers concurrent readers and counts each into t
// as it is read (nothing is kept of a record once counted). The days are read in order, each
// closed (tally.endDay) before the next starts. An object that is not a session record is
// counted in Undecodable and named through warn (one call at a time); an object that cannot be
// read fails the read.
func readDirect(ctx context.Context, src source, r Range, workers int, t *tally, warn func(string)) (ReadStats, error) {
	start := time.Now()
	stats := ReadStats{Mode: ModeDirect, Source: src.String(), Workers: workers}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu          sync.Mutex // guards t, firstErr, warn
		firstErr    error
		objects     atomic.Int64
		bytesRead   atomic.Int64
		undecodable atomic.Int64
		pending     sync.WaitGroup // the current day's keys
		workersDone sync.WaitGroup
		keys        = make(chan string, 4*workers)
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for range max(workers, 1) {
		workersDone.Add(1)
		go func() {
			defer workersDone.Done()
			for k := range keys {
				func() {
					defer pending.Done()
					if ctx.Err() != nil {
						return
					}
					b, err := src.Get(ctx, k)
					if err != nil {
						fail(err)
						return
					}
					objects.Add(1)
					bytesRead.Add(int64(len(b)))
					s, err := decodeSession(k, b)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						undecodable.Add(1)
						warn(err.Error())
						return
					}
					t.add(s)
				}()
			}
		}()
	}

	var day time.Time
	endDay := func() {
		pending.Wait()
		mu.Lock()
		t.endDay()
		mu.Unlock()
	}
	var listErr error
	for _, p := range r.prefixes() {
		listErr = src.List(ctx, p, func(k string, _ int64) {
			if !r.wants(k) || ctx.Err() != nil {
				return
			}
			if d := dayOf(k); !d.Equal(day) {
				endDay() // the keys come in order: the day before is all read
				day = d
			}
			pending.Add(1)
			select {
			case keys <- k:
			case <-ctx.Done():
				pending.Done()
			}
		})
		if listErr != nil {
			break
		}
	}
	endDay()
	close(keys)
	workersDone.Wait()
	if firstErr != nil { // a failed read cancels the listing: its error first
		return stats, firstErr
	}
	if listErr != nil {
		return stats, listErr
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return stats, err
	}
	stats.Objects, stats.Records, stats.Bytes = int(objects.Load()), t.records, bytesRead.Load()
	stats.Undecodable = int(undecodable.Load())
	el := time.Since(start).Seconds()
	stats.Seconds = roundTo(el, 3)
	if el > 0 {
		stats.RecordsPerSecond = roundTo(float64(stats.Records)/el, 0)
	}
	return stats, nil
}

// Expected direct reading rates: from a folder, below what BenchmarkDirect measures here (13,000
// to 18,000 records a second with 16 readers); from S3, per concurrent reader, one GetObject per
// record at 20 to 30 ms each (latency-bound: 16 readers, some 500 to 800 records a second).
const (
	folderRecordsPerSecond    = 5000
	s3RecordsPerSecondReader  = 40
	s3RecordsPerSecondAtLeast = 50
)

// expectedRate is how many records a second the direct reader is expected to read from src.
func expectedRate(src source, workers int) float64 {
	if _, ok := src.(dirSource); ok {
		return folderRecordsPerSecond
	}
	return max(float64(workers*s3RecordsPerSecondReader), s3RecordsPerSecondAtLeast)
}

// expectation says what reading the listing directly will take.
func expectation(l listing, src source, workers int) string {
	rate := expectedRate(src, workers)
	secs := float64(l.objects) / rate
	took := time.Duration(secs * float64(time.Second))
	if took >= time.Second {
		took = took.Round(time.Second)
	} else {
		took = max(took.Round(10*time.Millisecond), 10*time.Millisecond)
	}
	return fmt.Sprintf("reading %d objects (%s) directly from %s: about %s at ~%.0f records/s (%d readers)",
		l.objects, size(l.bytes), src, took, rate, workers)
}
