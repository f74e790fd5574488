package awstest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Delivered returns entry as EventBridge delivers it to a target: an events.EventBridgeEvent
// with id, the stack's account and region, the time at (whole seconds, UTC) and, for resources,
// an empty list rather than null. The detail is not checked: a test may deliver a malformed
// one. Build entry with shared/suiteevent to deliver what the functions publish.
func Delivered(tb testing.TB, id string, at time.Time, entry ebtypes.PutEventsRequestEntry) []byte {
	tb.Helper()
	resources := entry.Resources
	if resources == nil {
		resources = []string{}
	}
	b, err := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: id, DetailType: aws.ToString(entry.DetailType), Source: aws.ToString(entry.Source),
		AccountID: Account, Time: at.UTC().Truncate(time.Second), Region: Region, Resources: resources,
		Detail: json.RawMessage(aws.ToString(entry.Detail)),
	})
	if err != nil {
		tb.Fatalf("awstest: deliver %s: %v", aws.ToString(entry.DetailType), err)
	}
	return b
}
