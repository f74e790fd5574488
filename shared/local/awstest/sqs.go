package awstest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// QueueARN returns the ARN of the stack's queue named queue.
func QueueARN(queue string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, queue)
}

// SQSMessage returns body as the event source mapping of queue delivers it for the
// receiveCount-th time: message ID id, a receipt handle of that delivery, the queue's ARN, the
// ApproximateReceiveCount attribute and, unless sent is zero, SentTimestamp and
// ApproximateFirstReceiveTimestamp at sent.
func SQSMessage(queue, id string, body []byte, receiveCount int, sent time.Time) events.SQSMessage {
	attrs := map[string]string{"ApproximateReceiveCount": strconv.Itoa(receiveCount)}
	if !sent.IsZero() {
		ms := strconv.FormatInt(sent.UnixMilli(), 10)
		attrs["SentTimestamp"], attrs["ApproximateFirstReceiveTimestamp"] = ms, ms
	}
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "handle-" + id + "-" + strconv.Itoa(receiveCount), Body: string(body),
		Attributes: attrs, EventSourceARN: QueueARN(queue), EventSource: "aws:sqs", AWSRegion: Region,
	}
}

// SQSMessages returns bodies as SQSMessage makes them, with the message IDs msg-0, msg-1, ...
func SQSMessages(queue string, receiveCount int, sent time.Time, bodies ...[]byte) []events.SQSMessage {
	out := make([]events.SQSMessage, 0, len(bodies))
	for i, b := range bodies {
		out = append(out, SQSMessage(queue, fmt.Sprintf("msg-%d", i), b, receiveCount, sent))
	}
	return out
}

// SQSEvent returns the invocation payload of an SQS batch of records.
func SQSEvent(tb testing.TB, records ...events.SQSMessage) json.RawMessage {
	tb.Helper()
	payload, err := json.Marshal(events.SQSEvent{Records: records})
	if err != nil {
		tb.Fatalf("SQS event: %v", err)
	}
	return payload
}

// ProcessSQS invokes handler (a function's Lambda handler, such as batch.Processor.Process)
// with an SQS batch of records, as the event source mapping does, and returns the IDs of the
// messages it reported as failed. It fails tb when the handler returns an error or an answer
// that is not an events.SQSEventResponse.
func ProcessSQS(tb testing.TB, handler func(context.Context, json.RawMessage) (any, error), records ...events.SQSMessage) []string {
	tb.Helper()
	out, err := handler(context.Background(), SQSEvent(tb, records...))
	if err != nil {
		tb.Fatalf("process an SQS batch: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		tb.Fatalf("process an SQS batch: got %T, want events.SQSEventResponse", out)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}
