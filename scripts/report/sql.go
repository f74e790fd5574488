package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// The Athena mode's SQL. It is written in the subset of SQL that Athena (Trino) and the local
// Athena's engine (DuckDB, through the translation shared/local/athenatest documents) read the
// same way: no integer division (CAST to double first), no greatest() over a NULL (Trino's is
// NULL, DuckDB's skips it), timestamps parsed with from_iso8601_timestamp and subtracted with
// date_diff. Every query names the partitions of its days (year, month, day: one UNION ALL
// branch per month, each a plain conjunction, so Trino prunes them as exactly as the local
// Athena does) and, for channels, its account, region and channel (the injected partitions of
// sessions_by_channel), so it scans only the objects the direct reader would read.

// scope is what one query reads: consecutive days, and when the report names channels, their
// places (from the listing).
type scope struct {
	from, to time.Time
	channels []string
	places   map[string][][2]string
}

// partitions returns the FROM ... WHERE ... of each month of the scope, one per UNION ALL
// branch, selecting cols.
func (s scope) branches(cols string) []string {
	table := catalog.TableSessions
	var channel string
	if len(s.channels) > 0 {
		table = catalog.TableSessionsByChannel
		accounts, regions := map[string]bool{}, map[string]bool{}
		for _, c := range s.channels {
			for _, p := range s.places[c] {
				accounts[p[0]], regions[p[1]] = true, true
			}
		}
		channel = fmt.Sprintf(" AND %s IN (%s) AND %s IN (%s) AND %s IN (%s)",
			catalog.PartitionAccount, sqlList(keys(accounts)), catalog.PartitionRegion, sqlList(keys(regions)), catalog.PartitionChannel, sqlList(s.channels))
	}
	var out []string
	for d := s.from; !d.After(s.to); {
		end := time.Date(d.Year(), d.Month()+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		if end.After(s.to) {
			end = s.to
		}
		out = append(out, fmt.Sprintf("SELECT %s\n  FROM %s\n  WHERE %s = %d AND %s = %d AND %s BETWEEN %d AND %d%s",
			cols, table, catalog.PartitionYear, d.Year(), catalog.PartitionMonth, int(d.Month()), catalog.PartitionDay, d.Day(), end.Day(), channel))
		d = end.AddDate(0, 0, 1)
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sqlList writes strings as a list of SQL string literals.
func sqlList(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = sqlString(s)
	}
	return strings.Join(parts, ", ")
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// startSQL is a session's start, as startOf: the earliest of its start time and its events'
// times (times are session.TimeLayout strings, which sort as the times do; no least(), whose
// NULL Trino and DuckDB treat apart).
const startSQL = "CASE WHEN starttime IS NULL THEN array_min(transform(events, e -> e.time)) " +
	"WHEN array_min(transform(events, e -> e.time)) IS NULL OR starttime <= array_min(transform(events, e -> e.time)) THEN starttime " +
	"ELSE array_min(transform(events, e -> e.time)) END"

// recordColumns are what the main query reads of each record.
var recordColumns = `CASE WHEN channelid <> '' AND streamid <> '' THEN channelid END AS ch,
    streamid, outcome, code, account, region, "$path" AS path,
    ` + startSQL + ` AS st,
    endtime, array_max(transform(events, e -> e.time)) AS lastevent,
    durationseconds, videotrackcount, multitrack,
    CASE WHEN videotrackcount > 0 THEN coalesce(array_join(transform(video, v -> CAST(v.width AS varchar) || 'x' || CAST(v.height AS varchar) || '@' || CAST(v.targetbitrate AS varchar)), ' '), '') END AS ladder,
    CASE WHEN correction IS NOT NULL THEN coalesce(correction.outcome, '') END AS corr, correction."at" AS corrat,
    correction.decision.conflict AS conflict,
    nextsession IS NOT NULL AS nextsession,
    quality.verdict AS verdict, channel.name AS name`

// The grouping sets of the main query, in the order of grouping()'s bits (the first argument
// is the most significant bit; a bit is 1 when its column is not in the set).
var groupingColumns = []string{"ch", "vkey", "rcode", "corr", "ladder", "livestream", "aftercode", "bucket"}

// mainQuery is the query of one scope: everything the report counts, in one scan, as grouping
// sets: per channel and verdict (the channel's totals, summed over its verdicts), per channel
// and refusal code, correction outcome, ladder, live session, and refusal code after the
// channel's last applied correction; and per timeline bucket (of grain, from origin) and
// verdict. carried are the last applied corrections of earlier scopes that a refusal of this
// one may precede (a correction is applied up to the corrector's maximum age after its
// session started).
func mainQuery(s scope, grain time.Duration, origin time.Time, carried map[string]time.Time) string {
	fix := "max(CASE WHEN corr = 'applied' THEN corrat END) OVER (PARTITION BY ch)"
	from := "r"
	if len(carried) > 0 {
		var vals []string
		for _, ch := range slices.Sorted(func(yield func(string) bool) {
			for k := range carried {
				if !yield(k) {
					return
				}
			}
		}) {
			vals = append(vals, fmt.Sprintf("(%s, %s)", sqlString(ch), sqlString(session.FormatTime(carried[ch]))))
		}
		from = "r LEFT JOIN (VALUES " + strings.Join(vals, ", ") + ") AS carried(cch, cfix) ON r.ch = carried.cch"
		fix = "CASE WHEN cfix IS NOT NULL AND (" + fix + " IS NULL OR cfix > " + fix + ") THEN cfix ELSE " + fix + " END"
	}
	return `WITH r AS (
  ` + strings.Join(s.branches(recordColumns), "\n  UNION ALL\n  ") + `
),
s AS (
  SELECT ch, streamid, outcome, code, account, region, path, st, durationseconds, videotrackcount, multitrack, ladder, corr, corrat, conflict, nextsession, name,
    CASE WHEN ch IS NULL OR coalesce(outcome, '') = 'refused' THEN NULL ELSE coalesce(nullif(verdict, ''), '` + notMeasured + `') END AS vkey,
    greatest(st, coalesce(lastevent, st), coalesce(endtime, st)) AS seen,
    ` + fix + ` AS fix
  FROM ` + from + `
),
t AS (
  SELECT s.*,
    CASE WHEN outcome = 'refused' THEN coalesce(code, '') END AS rcode,
    CASE WHEN outcome = 'live' THEN streamid END AS livestream,
    CASE WHEN outcome = 'refused' AND (fix IS NULL OR st > fix) THEN coalesce(code, '') END AS aftercode,
    CASE WHEN ch IS NOT NULL THEN CAST(floor(CAST(date_diff('millisecond', from_iso8601_timestamp(` + sqlString(session.FormatTime(origin)) + `), from_iso8601_timestamp(st)) AS double) / ` + fmt.Sprint(grain.Milliseconds()) + `) AS bigint) END AS bucket
  FROM s
)
SELECT grouping(` + strings.Join(groupingColumns, ", ") + `) AS g, ` + strings.Join(groupingColumns, ", ") + `,
  count(*) AS n,
  count_if(outcome = 'refused') AS refused,
  count_if(outcome = 'ended') AS ended,
  count_if(videotrackcount > 0 AND coalesce(outcome, '') <> 'refused') AS withtracks,
  count_if(videotrackcount > 0 AND coalesce(outcome, '') <> 'refused' AND multitrack) AS multitrack,
  count_if(outcome = 'refused' AND nextsession) AS recovered,
  count_if(outcome = 'refused' AND conflict = ` + sqlString(string(multitrack.ConflictAdInsertion)) + `) AS leftforads,
  sum(CASE WHEN coalesce(outcome, '') <> 'refused' THEN CAST(round(coalesce(durationseconds, 0) * 1000) AS bigint) ELSE 0 END) AS livems,
  max(CASE WHEN name <> '' THEN st || '|' || streamid || '|' || name END) AS namekey,
  min(st) AS firststart, max(st) AS laststart,
  max(CASE WHEN corr = 'applied' THEN corrat END) AS applied,
  max(path) AS path, max(seen) AS seen, max(account) AS account, max(region) AS region
FROM t
GROUP BY GROUPING SETS ((ch, vkey), (ch, rcode), (ch, corr), (ch, ladder), (ch, livestream), (ch, aftercode), (bucket, vkey))`
}

// candidate is a live session a later session of its channel may have ended.
type candidate struct {
	channel, stream, account, region string
	seen                             time.Time
}

// nextQuery finds, for each candidate, the first session of its channel that started after it
// was last heard of, in the scope's days from the earliest candidate's (a session is dated by
// its start, so no earlier day holds one), reading only the candidates' channels.
func nextQuery(s scope, cands []candidate) string {
	earliest := cands[0].seen
	channels, accounts, regions := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var vals []string
	for _, c := range cands {
		if c.seen.Before(earliest) {
			earliest = c.seen
		}
		channels[c.channel], accounts[c.account], regions[c.region] = true, true, true
		vals = append(vals, fmt.Sprintf("(%s, %s, %s)", sqlString(c.channel), sqlString(c.stream), sqlString(session.FormatTime(c.seen))))
	}
	day := earliest.UTC().Truncate(24 * time.Hour)
	if day.After(s.from) {
		s.from = day
	}
	s.channels = keys(channels)
	s.places = map[string][][2]string{}
	for ch := range channels {
		for a := range accounts {
			for r := range regions {
				s.places[ch] = append(s.places[ch], [2]string{a, r})
			}
		}
	}
	return `SELECT c.channelid AS ch, c.streamid AS livestream, min(s.st || '|' || s.streamid) AS next
FROM (
  ` + strings.Join(s.branches("channelid, streamid, "+startSQL+" AS st"), "\n  UNION ALL\n  ") + `
) AS s
JOIN (VALUES ` + strings.Join(vals, ", ") + `) AS c(channelid, streamid, seen) ON s.channelid = c.channelid AND s.st > c.seen
GROUP BY c.channelid, c.streamid`
}
