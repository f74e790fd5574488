// Command enrich is the Lambda function that turns each Amazon IVS EventBridge event into the
// record of its stream session and publishes it on the suite's bus as an "IVS Session Enriched"
// event (suite.DetailTypeSessionEnriched, detail session.Enriched).
//
// For each event (from the enrich queue, or a bare event): the event is parsed
// (ivsevent.Parse; a malformed or unknown event is rejected: logged, counted, acknowledged); an
// account-level event (no channel) is published as it is, without an IVS call; any other event
// leads to exactly one GetStreamSession(channelArn, streamId) — never the "latest session" form,
// which would enrich a late event with the wrong session. The answer becomes the record
// (session.FromStreamSession), the correction policy decides on the event's code
// (multitrack.Decide, with the channel as it was at go-live), the record is trimmed to fit an
// EventBridge entry, and one PutEvents entry is published.
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
