// Command archive is the Lambda function that keeps the suite's archive in S3: one JSON record
// per stream session, and the corrections beside them.
//
// It reads the events the suite publishes on its own bus (source suite.EventSource), from the
// archive queue or as a bare event:
//
//   - "IVS Session Enriched" (session.Enriched): the record is merged into the session's object
//     at record.ArchiveKey() (sessions/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/
//     channel=<id>/<stream-id>.json: session.SessionKey, from the record's checked identity) with a
//     read-merge-write loop: GetObject, session.Merge, then PutObject with If-Match (the ETag
//     read) or If-None-Match "*" (a new object). A write that loses to a concurrent writer (412
//     PreconditionFailed, 409 ConditionalRequestConflict) reads again and retries, so no update
//     is lost; events in any order, duplicated or late end in one complete record. A merge that
//     changes nothing writes nothing (no new S3 version on a redelivery). When the session went
//     live, the refused session of its channel whose correction was applied last before it
//     (that day or the day before) gets nextSession pointing at it: the channel's applied
//     corrections are read with one GET of their index (links/account=<account>/region=<region>/
//     channel=<id>.json: session.AppliedCorrections), never listed.
//   - An account-level record (a Concurrent Broadcasts or Concurrent Viewers limit breach: no
//     channel, no stream) is written once, at
//     account-events/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/<trigger event
//     id>.json, dated by the IVS event.
//   - "IVS Channel Multitrack Corrected" (session.Corrected): written once at
//     Corrected.ArchiveKey() (corrections/...; its outcome must be one of the fixed vocabulary;
//     If-None-Match "*", so a duplicate is a no-op), added to its channel's index of applied
//     corrections when it was applied (session.AppliedCorrections.With, s3doc.Update), and
//     merged into the session's record, whose
//     key is rebuilt from the correction's identity and dated by Corrected.SessionKey when that
//     parses as this very session's key (else by the triggering event), so the session's record
//     shows what became of its correction.
//   - "IVS Session Quality" (session.Measured): checked like every input (Measured.Validate: the
//     verdict, reasons and kinds of quality's vocabulary, bounded counts and texts, a window of at
//     most a session, and a sessionKey that is this very session's, dated by the window's start
//     or the day before), then merged into the session's existing record; a measurement never
//     creates a record (one not archived yet is a transient error: the message comes back, and
//     in the end is dead-lettered), so no measurement makes a second record of a session.
//
// No key is ever taken from a message: every key is built by package session from checked
// identifiers, and one that cannot be built is a permanent error naming the field. Events are
// decoded strictly (ivsevent.Unmarshal). Anything else is rejected (logged, counted, acknowledged). Every S3 failure is a batch item
// failure: the message is delivered again and, in the end, dead-lettered, never dropped.
//
// Conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
package main
