package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
)

// athenaAPI is the part of the Athena API the report calls.
type athenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
	athena.GetQueryResultsAPIClient
}

var _ athenaAPI = (*athena.Client)(nil)

// PricePerTB is what Athena charges per terabyte (2^40 bytes) scanned (us-east-1, us-west-2,
// eu-west-1 and most regions: https://aws.amazon.com/athena/pricing/), rounded up to a
// megabyte per query with 10 MB at least.
const (
	PricePerTB       = 5.0
	minBilledPerScan = 10 << 20
)

// athenaRunner runs the report's queries in a workgroup and database and keeps what each
// scanned.
type athenaRunner struct {
	client              athenaAPI
	workGroup, database string
	// poll is the first wait between two GetQueryExecution calls; it grows to maxPoll.
	poll, maxPoll time.Duration
	// cutoff is the workgroup's BytesScannedCutoffPerQuery; 0 means the stack's
	// (catalog.BytesScannedCutoff).
	cutoff int64
	stats  AthenaStats
}

// row is one row of a query's results, by column name; a NULL is nil.
type row map[string]*string

func (r row) str(col string) string { return aws.ToString(r[col]) }

func (r row) null(col string) bool { return r[col] == nil }

func (r row) int(col string) int {
	n, _ := strconv.Atoi(r.str(col))
	return n
}

func (r row) int64(col string) int64 {
	n, _ := strconv.ParseInt(r.str(col), 10, 64)
	return n
}

func (r row) time(col string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, r.str(col))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// query runs sql, waits for it and returns its rows. what names the query in errors and in
// the run's statistics. A context cancelled (Ctrl-C) stops the query in Athena too.
func (a *athenaRunner) query(ctx context.Context, what, sql string) ([]row, error) {
	start, err := a.client.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		WorkGroup:             aws.String(a.workGroup),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(a.database)},
	})
	if err != nil {
		return nil, fmt.Errorf("athena: start the %s query: %w", what, err)
	}
	id := aws.ToString(start.QueryExecutionId)
	wait := a.poll
	var x *types.QueryExecution
	for {
		select {
		case <-ctx.Done():
			// The query would go on (and cost) without the report: stop it.
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _ = a.client.StopQueryExecution(stopCtx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)})
			cancel()
			return nil, fmt.Errorf("athena: %s query %s stopped: %w", what, id, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(time.Duration(float64(wait)*1.5), a.maxPoll)
		out, err := a.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				continue // stop it above
			}
			return nil, fmt.Errorf("athena: %s query %s: %w", what, id, err)
		}
		x = out.QueryExecution
		if s := x.Status.State; s == types.QueryExecutionStateSucceeded || s == types.QueryExecutionStateFailed || s == types.QueryExecutionStateCancelled {
			break
		}
	}
	qs := QueryStats{ID: id, What: what}
	if st := x.Statistics; st != nil {
		qs.ScannedBytes, qs.EngineMillis = aws.ToInt64(st.DataScannedInBytes), aws.ToInt64(st.EngineExecutionTimeInMillis)
	}
	a.stats.Queries = append(a.stats.Queries, qs)
	a.stats.ScannedBytes += qs.ScannedBytes
	billed := max(int64(minBilledPerScan), (qs.ScannedBytes+(1<<20)-1)>>20<<20)
	a.stats.BilledBytes += billed
	a.stats.CostUSD = roundTo(float64(a.stats.ScannedBytes)/(1<<40)*PricePerTB, 6)
	a.stats.BilledUSD = roundTo(float64(a.stats.BilledBytes)/(1<<40)*PricePerTB, 6)
	if x.Status.State != types.QueryExecutionStateSucceeded {
		return nil, fmt.Errorf("athena: %s query %s %s: %s", what, id, x.Status.State, aws.ToString(x.Status.StateChangeReason))
	}

	var header []string
	var rows []row
	p := athena.NewGetQueryResultsPaginator(a.client, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("athena: results of the %s query %s: %w", what, id, err)
		}
		for _, r := range page.ResultSet.Rows {
			if header == nil { // the first row names the columns
				for _, d := range r.Data {
					header = append(header, aws.ToString(d.VarCharValue))
				}
				continue
			}
			if len(r.Data) != len(header) {
				return nil, fmt.Errorf("athena: %s query %s: a row of %d values for %d columns", what, id, len(r.Data), len(header))
			}
			out := row{}
			for i, d := range r.Data {
				out[header[i]] = d.VarCharValue
			}
			rows = append(rows, out)
		}
	}
	return rows, nil
}

// scopes splits the range into consecutive days whose objects (from the listing) stay under
// the workgroup's per-query cutoff, with a tenth to spare for what was archived since the
// listing. A day larger than that alone is an error: partitions are days.
func scopes(r Range, l listing, cutoff int64) ([]scope, error) {
	budget := cutoff / 10 * 9
	base := scope{channels: r.Channels, places: l.places}
	var out []scope
	cur := base
	var bytes int64
	for _, d := range l.days {
		if d.bytes > budget {
			return nil, fmt.Errorf("the day %s holds %s of records, more than Athena may scan in one query here (the workgroup's BytesScannedCutoffPerQuery, %s)",
				d.day.Format(time.DateOnly), size(d.bytes), size(cutoff))
		}
		if !cur.from.IsZero() && bytes+d.bytes > budget {
			out = append(out, cur)
			cur, bytes = base, 0
		}
		if cur.from.IsZero() {
			cur.from = d.day
		}
		cur.to = d.day
		bytes += d.bytes
	}
	if !cur.from.IsZero() {
		out = append(out, cur)
	}
	return out, nil
}

// readAthena counts the range into t with Athena: one main query per scope (a single one
// unless the range holds more than the workgroup lets a query scan), then, when a live
// session may have been ended by a later one, one query over those channels alone.
func readAthena(ctx context.Context, a *athenaRunner, r Range, l listing, t *tally, source string) (ReadStats, error) {
	start := time.Now()
	stats := ReadStats{Mode: ModeAthena, Source: source}
	cutoff := a.cutoff
	if cutoff == 0 {
		cutoff = catalog.BytesScannedCutoff
	}
	all, err := scopes(r, l, cutoff)
	if err != nil {
		return stats, err
	}
	for i, s := range all {
		carried := map[string]time.Time{}
		for id, c := range t.channels {
			if !c.applied.Before(s.from) {
				carried[id] = c.applied
			}
		}
		what := "report"
		if len(all) > 1 {
			what = fmt.Sprintf("report %d/%d (%s to %s)", i+1, len(all), s.from.Format(time.DateOnly), s.to.Format(time.DateOnly))
		}
		rows, err := a.query(ctx, what, mainQuery(s, t.grain, t.origin, carried))
		if err != nil {
			return stats, err
		}
		if err := t.addRows(rows); err != nil {
			return stats, fmt.Errorf("athena: %s query: %w", what, err)
		}
	}
	if cands := t.candidates(); len(cands) > 0 && len(all) > 0 {
		whole := scope{from: all[0].from, to: all[len(all)-1].to}
		rows, err := a.query(ctx, "next sessions", nextQuery(whole, cands))
		if err != nil {
			return stats, err
		}
		t.addNext(rows)
	}
	stats.Records, stats.Objects, stats.Undecodable = t.records, t.records+t.undecodable, t.undecodable
	stats.Bytes = a.stats.ScannedBytes
	stats.Seconds = roundTo(time.Since(start).Seconds(), 3)
	s := a.stats
	s.WorkGroup, s.Database = a.workGroup, a.database
	stats.Athena = &s
	return stats, nil
}

// addRows counts the rows of a main query (one scope of days) into t.
func (t *tally) addRows(rows []row) error {
	grouped := func(r row, col string) bool {
		g := r.int("g")
		for i, c := range groupingColumns {
			if c == col {
				return g&(1<<(len(groupingColumns)-1-i)) == 0
			}
		}
		return false
	}
	applied := map[string]time.Time{}
	after := map[string]map[string]*afterCount{}
	for _, r := range rows {
		n := r.int("n")
		switch {
		case grouped(r, "bucket"):
			if r.null("bucket") {
				continue // not a session record
			}
			b := t.bucket(r.int64("bucket"))
			b.sessions += n
			b.refused += r.int("refused")
			b.withTracks += r.int("withtracks")
			b.multitrack += r.int("multitrack")
			if !r.null("vkey") {
				b.verdicts[r.str("vkey")] += n
			}
			continue
		case !grouped(r, "ch"):
			return fmt.Errorf("a row of no grouping set (g=%s)", r.str("g"))
		case r.null("ch"):
			if grouped(r, "vkey") {
				t.undecodable += n
			}
			continue
		}
		id := r.str("ch")
		c := t.channel(id)
		switch {
		case grouped(r, "vkey"):
			t.records += n
			c.place(r.str("account"), r.str("region"))
			c.sessions += n
			c.refused += r.int("refused")
			c.ended += r.int("ended")
			c.withTracks += r.int("withtracks")
			c.multitrack += r.int("multitrack")
			c.recovered += r.int("recovered")
			c.leftForAds += r.int("leftforads")
			c.liveMillis += r.int64("livems")
			if !r.null("vkey") {
				c.verdicts[r.str("vkey")] += n
			}
			if k := r.str("namekey"); k != "" {
				st, rest, _ := strings.Cut(k, "|")
				stream, name, _ := strings.Cut(rest, "|")
				if key := st + "|" + stream; key > c.nameKey {
					c.nameKey, c.name = key, name
				}
			}
			c.seenStart(r.time("firststart"))
			c.seenStart(r.time("laststart"))
			if at := r.time("applied"); !r.null("applied") {
				applied[id] = later(applied[id], at)
			}
		case grouped(r, "rcode"):
			if !r.null("rcode") {
				c.refusals[r.str("rcode")] += n
			}
		case grouped(r, "corr"):
			if !r.null("corr") {
				c.corrections[r.str("corr")] += n
			}
		case grouped(r, "ladder"):
			if !r.null("ladder") {
				c.ladders[r.str("ladder")] += n
			}
		case grouped(r, "livestream"):
			if !r.null("livestream") {
				t.live = append(t.live, &liveSession{channel: id, stream: r.str("livestream"), key: keyOfPath(r.str("path")),
					start: r.time("firststart"), seen: r.time("seen"), account: r.str("account"), region: r.str("region")})
			}
		case grouped(r, "aftercode"):
			if !r.null("aftercode") {
				if after[id] == nil {
					after[id] = map[string]*afterCount{}
				}
				after[id][r.str("aftercode")] = &afterCount{n: n, last: r.time("laststart")}
			}
		}
	}
	for id := range t.channels {
		if _, ok := applied[id]; ok || after[id] != nil {
			t.channel(id).mergeSegment(applied[id], after[id])
		}
	}
	return nil
}

// candidates are the live sessions whose channel has a session that started after they were
// last heard of: only a query can say which one came first.
func (t *tally) candidates() []candidate {
	var out []candidate
	for _, l := range t.live {
		if c := t.channels[l.channel]; c != nil && c.last.After(l.seen) && l.next == nil {
			out = append(out, candidate{channel: l.channel, stream: l.stream, account: l.account, region: l.region, seen: l.seen})
		}
	}
	return out
}

// addNext records the next sessions a nextQuery found.
func (t *tally) addNext(rows []row) {
	for _, r := range rows {
		st, stream, ok := strings.Cut(r.str("next"), "|")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, st)
		if err != nil {
			continue
		}
		for _, l := range t.live {
			if l.channel == r.str("ch") && l.stream == r.str("livestream") {
				l.next = &startAt{start: at.UTC(), stream: stream}
			}
		}
	}
}

// keyOfPath is the object key of an s3://bucket/key path ("$path").
func keyOfPath(p string) string {
	rest, ok := strings.CutPrefix(p, "s3://")
	if !ok {
		return p
	}
	_, key, _ := strings.Cut(rest, "/")
	return key
}

// scanCost writes what a run scanned and what it costs.
func scanCost(s *AthenaStats) string {
	queries := "1 query"
	if len(s.Queries) != 1 {
		queries = fmt.Sprintf("%d queries", len(s.Queries))
	}
	return fmt.Sprintf("Athena scanned %s in %s: $%.4f at $%.0f per TB (billed %s, 10 MB at least per query: $%.4f)",
		size(s.ScannedBytes), queries, s.CostUSD, PricePerTB, size(s.BilledBytes), s.BilledUSD)
}
