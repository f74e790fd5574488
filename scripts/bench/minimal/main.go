// Command minimal is the smallest aws-lambda-go function: the yardstick make bench compares
// each real bootstrap's cold start with (built the same way, run under the same emulator).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (struct{}, error) { return struct{}{}, nil })
}
