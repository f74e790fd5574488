// Command report reads the archive of ivs-sessions and shows its sessions: a report in the
// terminal (or JSON with -json) and the same as one self-contained HTML page with charts
// (Chart.js, inlined from the repository's node_modules).
//
//	make report                                    the local stack's archive (make local), the last 30 days
//	make report ARGS='-bucket <ArchiveBucketName>' a deployed stack's bucket (the SDK's usual credentials)
//	go run ./scripts/report -from 2026-11-01 -to 2026-11-30 -channels abcdABCDefgh -json
//
// It reads the session records of the range (sessions/year=/month=/day=/account=/region=/channel=/, one listing
// per day and channel) with concurrent readers and says how many it read and how fast. It reads
// every record of the range on each run, which is right up to about MaxRecords records; past
// that, the saved Athena queries of the stack's workgroup answer the same questions
// (infra/README.md).
package main
