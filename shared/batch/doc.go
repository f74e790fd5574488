// Package batch runs a function's per-event work over one Lambda invocation: an SQS batch of
// EventBridge events (the deployed path, with ReportBatchItemFailures) or a bare EventBridge
// event (`sam local invoke -e events/<case>.json`, or a rule that targets the function directly).
//
// Failures are sorted by shared/retryable: a transient failure becomes a batch item failure, so
// SQS redelivers that message alone (and finally dead-letters it); a permanent failure is logged
// with its reason, counted and acknowledged, because retrying cannot fix it. One bad record never
// fails its neighbours: a panic is caught per record (PanicError, a batch item failure), a record
// that is not an SQS message is a failure of its own (or, without a messageId, of the
// invocation), never acknowledged with the others. Records the deadline leaves unstarted are
// re-enqueued as new messages rather than failed, so they do not spend the receive budget that
// real failures spend (Processor.leftover). Payloads are decoded strictly (ivsevent.Unmarshal),
// from the bytes the runtime received (Processor.Invoke). See
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html.
package batch
