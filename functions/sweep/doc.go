// Command sweep is the scheduled Lambda function that makes the archive whole when IVS's
// events were lost (shared/sweep): EventBridge delivers them best effort.
//
// Its input says what to do (the stack's two schedules send the first two):
//
//	{"mode":"live"}               sessions of the live index whose stream IVS no longer lists
//	                              (ListStreams) are fetched and published ended
//	{"mode":"daily"}              an unfinished backfill goes on; else the daily window: every
//	                              session that ended since the last window and that the archive
//	                              lacks (ListChannels, ListStreamSessions) is archived; a window
//	                              starts once a day and runs on over as many calls as it needs
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
// the archive bucket under sweep/account=<account>/region=<region>/ (ACCOUNT_ID and AWS_REGION:
// the account and region swept), one object per kind of run, so a run cut short resumes on the
// next invocation of its schedule, and a rerun changes nothing. Its IVS calls are paced to the
// sweep's part of the suite's quota share, halved between the live run and the window run that
// may run at once (IVS_CALLS_PER_SECOND).
package main
