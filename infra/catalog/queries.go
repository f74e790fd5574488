package catalog

import (
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// NamedQuery is one saved query of the workgroup.
type NamedQuery struct {
	// ID is the query's construct ID in the CDK app; Name and Description what Athena shows.
	ID, Name, Description string
	// SQL is the query, in Athena's SQL (Trino). It names the deploying stack's account and
	// region as ThisAccount and ThisRegion (For replaces them).
	SQL string
	// Columns lists the record columns the SQL uses (lower case), so a test can hold them to
	// RecordColumns.
	Columns []string
}

// Placeholders of a saved query for the deploying stack's account and region, and for the
// channel a person fills in.
const (
	ThisAccount        = "${THIS_ACCOUNT}"
	ThisRegion         = "${THIS_REGION}"
	ChannelPlaceholder = "REPLACE-WITH-CHANNEL-ID"
)

// For returns the query's SQL for the stack of account and region.
func (q NamedQuery) For(account, region string) string {
	return strings.NewReplacer(ThisAccount, account, ThisRegion, region).Replace(q.SQL)
}

// thisMonth restricts a query to the current month's partitions.
const thisMonth = PartitionYear + " = year(current_date) AND " + PartitionMonth + " = month(current_date)"

// NamedQueries returns the queries saved in the workgroup, so that the archive answers
// questions the day it is deployed: sessions per channel, refusals by code, one channel's
// sessions and degraded sessions, each of the current month.
func NamedQueries() []NamedQuery {
	return []NamedQuery{
		{
			ID:          "SessionsPerChannelQuery",
			Name:        "sessions per channel (this month)",
			Description: "Sessions, multitrack sessions and broadcast hours per channel in the current month",
			SQL: `SELECT channelid,
       count(*) AS sessions,
       count_if(multitrack) AS multitrack_sessions,
       round(sum(durationseconds) / 3600.0, 1) AS hours
FROM ` + TableSessions + `
WHERE ` + thisMonth + `
GROUP BY channelid
ORDER BY sessions DESC`,
			Columns: []string{"channelid", "multitrack", "durationseconds"},
		},
		{
			ID:          "RefusalsByCodeQuery",
			Name:        "refusals by code (this month)",
			Description: "Refused sessions per IVS code in the current month, with how many channels had them",
			SQL: `SELECT code,
       count(*) AS refusals,
       count(DISTINCT channelid) AS channels
FROM ` + TableSessions + `
WHERE ` + thisMonth + `
  AND outcome = '` + string(session.OutcomeRefused) + `'
GROUP BY code
ORDER BY refusals DESC`,
			Columns: []string{"code", "channelid", "outcome"},
		},
		{
			ID:          "ChannelSessionsQuery",
			Name:        "one channel's sessions (this month)",
			Description: "The sessions of one channel of this account and region in the current month, with their corrections; replace the channel ID",
			SQL: `SELECT streamid, starttime, endtime, outcome, code, videotrackcount, topresolution,
       correction.decision.action AS correction_action,
       correction.outcome AS correction_outcome
FROM ` + TableSessionsByChannel + `
WHERE ` + PartitionAccount + ` = '` + ThisAccount + `'
  AND ` + PartitionRegion + ` = '` + ThisRegion + `'
  AND ` + PartitionChannel + ` = '` + ChannelPlaceholder + `'
  AND ` + thisMonth + `
ORDER BY starttime DESC`,
			Columns: []string{"streamid", "starttime", "endtime", "outcome", "code", "videotrackcount", "topresolution", "correction"},
		},
		{
			ID:          "DegradedSessionsQuery",
			Name:        "degraded sessions (this month)",
			Description: "Sessions whose ingest quality was degraded in the current month, with the reasons and the worst track's figures",
			SQL: `SELECT channelid, streamid, starttime,
       array_join(transform(quality.reasons, r -> r.code || ' ' || coalesce(r.track, 'session')), ', ') AS reasons,
       quality.worsttrack AS worst_track,
       worst.targetbitrate AS worst_target_bps,
       worst.bitrate.p5 AS worst_p5_bps,
       worst.bitratelowshare AS worst_bitrate_low_share,
       worst.frameratelowshare AS worst_frame_rate_low_share,
       worst.keyframeoffshare AS worst_keyframe_off_share,
       quality.starvationseconds AS starvation_seconds
FROM (
  SELECT *, element_at(filter(quality.tracks, t -> t.track = quality.worsttrack), 1) AS worst
  FROM ` + TableSessions + `
  WHERE ` + thisMonth + `
    AND quality.verdict = '` + string(quality.VerdictDegraded) + `'
)
ORDER BY starttime DESC`,
			Columns: []string{"channelid", "streamid", "starttime", "quality"},
		},
	}
}
