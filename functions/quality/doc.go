// Command quality is the Lambda function that measures how each track of an ended IVS session
// really streamed and publishes it as an "IVS Session Quality" event
// (suite.DetailTypeSessionQuality, detail session.Measured), which archive merges into the
// session's record and a team can route with suite.DegradedSessions.
//
// Its queue receives the "IVS Session Enriched" event of every session that ended
// (suite.EndedSessions) with a delivery delay (suite.DefaultQualityDelay), so CloudWatch has the
// session's metrics when the function first reads them and no function waits for them. For each
// message it makes one GetMetricData call (quality.NewQuery: every track and metric of the
// session, at the finest period CloudWatch still keeps; the call is paced by its datapoints
// under CloudWatch's quota), computes the per-track statistics and the verdict
// (quality.Compute) and publishes one PutEvents entry.
//
// When CloudWatch does not have the end of the session yet, the message is retried after
// QUALITY_RETRY_DELAY, until it has been received QUALITY_MAX_ATTEMPTS times; then what there is
// is published (verdict unknown, with a note, when there is nothing), so a session is never
// lost and never measured twice. Throttling and 5xx errors that outlast the SDK's retries, and
// failures to publish, are batch item failures; a malformed event is rejected.
//
// A session measured for an EventBridge replay (the enriched event's replay-name, or the replay
// mark enrich carried in its trigger) is published with the mark (detail.trigger.replayName),
// so suite.DegradedSessions does not route it again, and counted
// (ReplayedEvents{Function=quality}).
//
// GetMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
// IVS metrics: https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/stream-health.html
package main
