// Command correct is the suite's corrector, a Lambda function (provided.al2023, arm64) behind
// the correct queue: it receives "IVS Session Enriched" events whose correction decision is
// apply (the suite.CorrectionsNeeded rule), re-reads the channel, decides again on what it
// finds, waits for the channel to be offline and changes its multitrack input configuration
// with one UpdateChannel call, then publishes "IVS Channel Multitrack Corrected" on the suite's
// bus. See shared/DESIGN.md, "The correction policy", and
// https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_UpdateChannel.html.
//
// Every delivery is safe to repeat: the decision is made again on the channel as GetChannel
// returns it, and a channel that already has the change is left alone, so duplicates and
// redeliveries never call UpdateChannel twice for one needed change.
//
// A channel that is live (GetStream answers a stream, or UpdateChannel a ConflictException)
// cannot be updated: the message goes back to its queue with a visibility timeout that doubles
// with every receive (CORRECTION_RETRY_DELAY × 2^(receives-1), at most SQS's 12 hours), until
// the channel is offline or CORRECTION_MAX_AGE has passed since the message was sent. Then the
// correction is given up on: a "failed" outcome is published and the message is made visible at
// once and failed again on every receive, so that the queue's maxReceiveCount moves it to the
// alarmed dead-letter queue.
//
// Environment: EVENT_BUS_NAME (required), CORRECTION_MODE, DEFAULT_MAXIMUM_RESOLUTION,
// ALLOW_TYPE_CHANGE, ALLOW_CONTAINER_FORMAT_CHANGE, OPT_OUT_TAG, CORRECTION_MAX_AGE,
// CORRECTION_RETRY_DELAY, and the AWS SDK's own variables (AWS_REGION,
// AWS_ENDPOINT_URL_IVS, AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL_SQS).
//
// IAM: ivs:GetChannel, ivs:GetStream, ivs:UpdateChannel on the account's channels;
// events:PutEvents on the suite's bus; sqs:ChangeMessageVisibility on the correct queue.
package main
