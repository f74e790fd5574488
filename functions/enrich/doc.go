// Command enrich is the Lambda function that turns each Amazon IVS EventBridge event into the
// record of its stream session and publishes it on the suite's bus as an "IVS Session Enriched"
// event (suite.DetailTypeSessionEnriched, detail session.Enriched).
//
// For each event (from the enrich queue, or a bare event): the event is parsed
// (ivsevent.Parse; a malformed or unknown event is rejected: logged, counted, acknowledged; a
// display field out of its bounds, such as a channel name IVS would not allow, is kept bounded
// and escaped, noted in the record's event and counted as FieldsOutOfBounds{Field}); an
// account-level event (no channel) is published as it is, without an IVS call. GetStreamSession
// is called at most once per phase of a session (phase.go): when it goes live (its Stream
// Start; ENRICH_LIVE_PHASE=false turns this off) and when it ends (its Session Ended), always
// as GetStreamSession(channelArn, streamId), never the "latest session" form, which would
// enrich a late event with the wrong session. Every other event is published from the event
// alone and merged into the record by the archive. Events of one session in one SQS batch
// share one call, and a repeated event whose phase the archive (ARCHIVE_BUCKET, read only)
// already holds, enriched, costs an S3 read instead of a call. The answer becomes the record
// (session.FromStreamSession; its truncatedEvents bring in the events EventBridge never
// delivered), the correction policy decides on the event's code (multitrack.Decide, with the
// channel as it was at go-live; a refusal the answer does not confirm is decided unverified
// and changes nothing), the record is trimmed to fit an EventBridge entry, and one PutEvents
// entry is published. An event of an EventBridge replay (its replay-name: the suite archives
// every IVS event so that it can be replayed) is published the same way, marked in its trigger
// (detail.trigger.replayName) and counted (ReplayedEvents{Function=enrich}): the corrector
// changes no channel for it and the notification rules do not page for it again.
//
// A session that GetStreamSession does not show yet (ResourceNotFoundException), or that has no
// endTime although the event says it ended, is retried (a batch item failure: SQS delivers the
// message again after its visibility timeout) until the message has been received
// ENRICH_MAX_ATTEMPTS times; then the record is published anyway, with a note saying what was
// missing, so nothing is lost. Throttling and 5xx errors that outlast the SDK's retries, and
// every failure to publish, are batch item failures.
//
// GetStreamSession: https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_GetStreamSession.html
// PutEvents: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
package main
