// Command sweep is the scheduled Lambda function that makes the archive whole when IVS's
// events were lost (shared/sweep): EventBridge delivers them best effort.
//
// Its input says what to do (the stack's two schedules send the first two):
//
//	{"mode":"live"}               records left live whose stream IVS no longer lists (ListStreams)
//	                              are fetched and published ended; then an unfinished window resumes
//	{"mode":"daily"}              every session that ended since the last daily run and that the
//	                              archive lacks (ListChannels, ListStreamSessions) is archived
//	{"mode":"backfill","days":N}  the same for the last N days (1 to 60): the first day is not
//	                              the first session
//
// The input is decoded strictly, as every input of the suite (ParseInput): exact member names
// ("Mode" is not "mode"), no member given twice, nothing after the value, no member but mode and
// days; an EventBridge Scheduled Event (a schedule without an input) is the live sweep. Anything
// else fails the invocation with an error naming the field, before any call.
//
// Swept sessions are published exactly as enrich publishes a Session Ended (shared/enrichment),
// so the archive merges them and the corrector acts on them like any other. Progress is kept in
// the archive bucket under sweep/, so a run cut short by its 15 minutes resumes on the next
// invocation, and a rerun changes nothing. Its IVS calls are paced to the sweep's part of the
// suite's quota share (IVS_CALLS_PER_SECOND; one instance at a time).
package main
