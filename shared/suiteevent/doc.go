// Package suiteevent is the one codec of the events the suite publishes on its own bus,
// "IVS Session Enriched" (session.Enriched), "IVS Channel Multitrack Corrected"
// (session.Corrected) and "IVS Session Quality" (session.Measured), and the one PutEvents policy
// every publisher follows.
//
// Encoding: EnrichedEntry, CorrectedEntry and QualityEntry build the PutEvents entry (source suite.EventSource,
// the detail-type, the channel in resources); an enriched record is trimmed, oldest events first,
// so that the entry fits EventBridge's 256 KB limit as EventBridge counts it (EntrySize,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
//
// Decoding: Decode reads what a target receives, aws-lambda-go's events.EventBridgeEvent, and
// its detail, with a *ivsevent.FieldError naming what is wrong.
//
// Publishing: Publisher.Publish sends one entry. An entry EventBridge refuses with a code it
// documents as retryable (retryable.EntryRetryable: InternalFailure, ThrottlingException) is sent
// again, at most Attempts times in all; whatever still fails is returned as a transient error
// (retryable.Own): the message that led to the publication comes back, and one that never
// publishes ends in its dead-letter queue, whose alarm brings a person. Nothing is lost.
//
// A Publisher holds no state of its own; it is safe for concurrent use when its client is.
package suiteevent
