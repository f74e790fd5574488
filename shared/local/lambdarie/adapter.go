package lambdarie

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
)

// Adapter returns a localbus handler that invokes a function with each SQS batch, as an SQS
// event source mapping does, and decodes its events.SQSEventResponse. A function error, or a
// response that is not valid JSON, fails the whole batch (as Lambda treats them); an empty or
// null response succeeds.
func Adapter(inv Invoker) localbus.HandlerFunc {
	return func(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		payload, err := json.Marshal(batch)
		if err != nil {
			return resp, fmt.Errorf("encode SQS batch: %w", err)
		}
		out, err := inv.Invoke(ctx, payload)
		if err != nil {
			return resp, err
		}
		out = bytes.TrimSpace(out)
		if len(out) == 0 || bytes.Equal(out, []byte("null")) {
			return resp, nil
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			return resp, fmt.Errorf("decode the function's SQSEventResponse %.200q: %w", out, err)
		}
		return resp, nil
	}
}
