// Package localbus is a local Amazon EventBridge and Amazon SQS for the suite's offline stack
// and tests: events put on a bus are routed by the same rules and patterns the CDK app deploys
// and delivered to the functions with the semantics of an SQS queue read by a Lambda event
// source mapping.
//
// What it implements:
//   - EventBridge PutEvents on the real wire protocol (awsJson1_1, X-Amz-Target
//     AWSEvents.PutEvents), with EventBridge's validation (1 to 10 entries; Source, DetailType and
//     Detail required; Detail a JSON object; the 256 KB entry size limit; no "aws." sources) and
//     per-entry results. Matching events are delivered as the full EventBridge envelope, exactly
//     as an EventBridge rule with an SQS target delivers them.
//     https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
//   - rules whose target is an SNS topic with an input transformer (the suite's notifications,
//     suite.Notifications, on AlarmTopic): the message is the template filled from the event's
//     JSON paths, kept in order (Published) and reported (ActivityPublished). SNS itself (its
//     subscriptions, its API) is not simulated.
//   - one SQS queue per target with a dead-letter queue after MaxReceiveCount receives, read like
//     an event source mapping does: batches of BatchSize, a batching window, at most
//     MaxConcurrency batches at once, the visibility timeout, redelivery with
//     ApproximateReceiveCount incremented, partial batch responses (ReportBatchItemFailures) and
//     whole-batch failures when the handler returns an error.
//     https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
//   - the SQS API a function calls on its own queues (awsJson1_0, X-Amz-Target AmazonSQS.*):
//     ChangeMessageVisibility, GetQueueUrl and SendMessage, which also reaches a queue's
//     dead-letter queue (<name>-dlq: the message joins its DeadLetters). A QueueUrl names its
//     queue by its last path segment, so https://sqs.<region>.amazonaws.com/<account>/<name>
//     works too.
//   - the read APIs a person looks around with (the AWS CLI or an SDK): SQS ListQueues,
//     GetQueueUrl and GetQueueAttributes on every queue, and ReceiveMessage, DeleteMessage and
//     PurgeQueue on the dead-letter queues (a function's own queue belongs to its event source
//     mapping), in both SQS wire protocols: AWS JSON 1.0 (aws-sdk-go-v2, AWS CLI v2.13+) and the
//     Query protocol answered in XML (older CLIs, e.g. Debian's awscli 2.9); EventBridge
//     ListEventBuses, ListRules, DescribeRule and ListTargetsByRule (awsJson1_1).
//
// Both APIs are served by one http.Handler (the Bus), so AWS_ENDPOINT_URL_EVENTBRIDGE and
// AWS_ENDPOINT_URL_SQS can point at the same address. Requests are not authenticated.
//
// Time is the bus's Clock: the wall clock by default, where Config.Second scales the seconds the
// SQS API speaks in (a VisibilityTimeout of 30 means 30 × Config.Second), so the local stack's
// waits run faster than deployed. Tests give a ManualClock and drive it with RunUntilIdle (or
// WaitSettled and ManualClock.AdvanceTo): the clock moves only when nothing runs and nothing is
// due, to the next moment something is, so a visibility timeout never ends while the delivery
// that set it is still being handled, however slow the machine.
//
// A Bus is safe for concurrent use.
package localbus
