// Package putevents is the one PutEvents policy every publisher of the suite follows: a
// Publisher sends one entry (built by shared/suiteevent) and reads FailedEntryCount and the
// entry's ErrorCode, which the SDK does not see. An entry EventBridge refuses with a code it
// documents as retryable (retryable.EntryRetryable: InternalFailure, ThrottlingException) is sent
// again, at most Attempts times in all, with a doubling backoff; whatever still fails is returned
// as a transient error (retryable.Own): the message that led to the publication comes back, and
// one that never publishes ends in its dead-letter queue, whose alarm brings a person. Nothing
// is lost.
//
// It is apart from suiteevent so that the archive, which only decodes the suite's events, does
// not link the EventBridge client.
//
// A Publisher holds no state of its own; it is safe for concurrent use when its client is.
package putevents
