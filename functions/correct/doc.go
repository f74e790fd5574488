// Command correct is the suite's corrector, a Lambda function (provided.al2023, arm64) behind
// the correct queue: it receives "IVS Session Enriched" events whose correction decision is
// apply (the suite.CorrectionsNeeded rule), re-reads the channel, decides again on what it
// finds, waits for the channel to be offline and changes its multitrack input configuration
// with one UpdateChannel call, then publishes "IVS Channel Multitrack Corrected" on the suite's
// bus. See the correction policy in README.md ("What it archives and decides") and
// https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_UpdateChannel.html.
//
// It trusts nothing for being on its queue (verify.go): the envelope must name exactly the
// record's channel in its resources and come from the account and region of the queue; and
// before it reads or changes a channel it asks IVS whether the refusal happened
// (GetStreamSession(channel, stream): the session exists and one of its events carries the
// code). A message IVS does not confirm is rejected (RejectedEvents, alarmed) and changes
// nothing; a correction's freshness starts when IVS says the refusal happened, not when the
// message says.
//
// Every delivery is safe to repeat: the decision is made again on the channel as GetChannel
// returns it, and a channel that already has the change is left alone, so duplicates and
// redeliveries never call UpdateChannel twice for one needed change. Concurrent deliveries are
// too (the event source mapping runs up to suite.MaxConcurrency invocations, and an encoder's
// reconnects produce several refused sessions of one channel): a delivery first takes the
// channel's lease, an S3 object locks/account=<account>/region=<region>/channel=<id>.json in LOCK_BUCKET (shared/lease), and
// releases it when it is done, whatever the outcome. A delivery that finds the lease held comes
// back a few seconds later and reads the channel the holder corrected.
//
// Before UpdateChannel the delivery writes the session's intent record,
// locks/intent/account=<account>/region=<region>/channel=<id>/<stream-id>.json, and marks it applied, then published: a
// redelivery after a crash or a lost answer publishes "applied" from it (never "unchanged"), a
// duplicate publishes nothing, and a redrive of a correction a person has changed back since
// is never applied again (plan.go, nextStep). An event of an EventBridge replay (the envelope's
// replay-name, or detail.trigger.replayName: enrich made it from a replayed IVS event) touches no
// channel and publishes nothing.
//
// A correction applies only while its trigger is fresh: CORRECTION_MAX_AGE from the IVS
// event's own time, whatever the queue says (a redrive or a late delivery does not make it new
// again). A channel that is live (GetStream answers a stream, or UpdateChannel a
// ConflictException) cannot be updated: the message goes back to its queue with a visibility
// timeout equal to the time since the trigger (at least CORRECTION_RETRY_DELAY, at most
// batch.MaxWait, about 12 hours), so the waits double while nothing else delays the message;
// they depend on time, not on the receive count, which retries for other reasons (a held
// lease, throttling, 5xx) also raise. Past the maximum age the correction is given up on,
// once: a "failed" outcome is published, the message is sent to the function's alarmed
// dead-letter queue (DEAD_LETTER_QUEUE_URL) with a "reason" message attribute, acknowledged,
// and counted as Corrections{Outcome=failed}. So is a correction that fails for good
// (UpdateChannel answers ValidationException, say): a person fixes the cause and redrives it.
// Should either step fail, the message comes back and both are tried again.
//
// handler.go adapts the AWS calls; wait.go, publish.go and deadletter.go hold the waiting,
// publishing and dead-lettering; plan.go the pure rules they follow (table-tested).
//
// Environment: EVENT_BUS_NAME, LOCK_BUCKET, DEAD_LETTER_QUEUE_URL (required), CORRECTION_MODE,
// DEFAULT_MAXIMUM_RESOLUTION, ALLOW_TYPE_CHANGE, ALLOW_CONTAINER_FORMAT_CHANGE, OPT_OUT_TAG,
// CORRECTION_MAX_AGE, CORRECTION_RETRY_DELAY, and the AWS SDK's own variables (AWS_REGION,
// AWS_ENDPOINT_URL_IVS, AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_S3).
//
// IAM: ivs:GetStreamSession, ivs:GetChannel, ivs:GetStream, ivs:UpdateChannel on the account's
// channels;
// events:PutEvents on the suite's bus; sqs:ChangeMessageVisibility on the correct queue;
// sqs:SendMessage on its dead-letter queue; s3:GetObject and s3:PutObject on
// <LOCK_BUCKET>/locks/* (leases and intent records; no delete: a lease is released by overwriting it),
// and s3:ListBucket on LOCK_BUCKET for the prefix locks/ (a missing intent record is then 404,
// not 403); never ivs:UpdateChannel on a channel with the opt-out tag (an IAM Deny).
package main
