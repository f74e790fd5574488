// Package retryable is the one place that decides whether a failure is transient (retry it:
// SQS redelivers the message, and after maxReceiveCount it lands in the alarmed dead-letter
// queue) or permanent (log it, count it, acknowledge it: no retry can fix it).
//
// AWS errors are classified with the SDK's own retry rules (throttling codes, 5xx statuses,
// connection errors, timeouts), plus the IVS codes that mean "later" (ConflictException on a
// live channel) or "fix the deployment, then redrive" (AccessDeniedException). Conditions of our
// own that mean "later" (a channel live again, a session not visible yet) are wrapped with
// Later. Everything else is permanent.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html.
package retryable
