// Command report shows the sessions of the archive of ivs-sessions: a report in the terminal (or
// JSON with -json) and the same as one self-contained HTML page with charts (Chart.js, inlined
// from the repository's node_modules).
//
//	make report                                        the local stack's archive (make local), the last 30 days
//	make report ARGS='-athena'                         the same, counted by the local Athena
//	make report ARGS='-outputs .local/cdk-outputs.json' a deployed stack (make deploy writes its outputs there)
//	make report ARGS='-bucket <ArchiveBucketName>'     a deployed stack's bucket, read directly (the SDK's usual credentials)
//	go run ./scripts/report -from 2026-11-01 -to 2026-11-30 -channels abcdABCDefgh -json
//
// First it lists the range's objects (sessions/year=/month=/day=/..., one listing per day),
// reading none, and decides how to count them:
//   - directly (-direct, or up to -athena-above objects): it says what it expects to take, then
//     reads the records with concurrent readers, a day at a time and in the order of the days,
//     and counts each as it is read: memory holds the figures (per channel, label, timeline
//     bucket, live session), never the records;
//   - with Athena (-athena, or past -athena-above objects when it knows the stack's workgroup
//     and database, from -outputs or -workgroup and -database; the local archive always has the
//     local Athena of shared/local/athenatest): one query counts everything in one scan of the
//     range's partitions (its days and, with -channels, its channels' partitions of the
//     sessions_by_channel table), split by days when the range holds more than the workgroup's
//     per-query cutoff; it prints what the queries scanned and what that costs.
//
// The figures are the same either way (TestSameFiguresEitherWay).
package main
