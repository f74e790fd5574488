package awstest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// Delivered returns entry as EventBridge delivers it to a target: an events.EventBridgeEvent
// with id, the stack's account and region, the time at (whole seconds, UTC) and, for resources,
// an empty list rather than null. The detail is not checked: a test may deliver a malformed
// one. Build entry with suiteevent.EnrichedEntry or CorrectedEntry to deliver what the functions
// publish.
func Delivered(tb testing.TB, id string, at time.Time, entry suiteevent.Entry) []byte {
	tb.Helper()
	resources := entry.Resources
	if resources == nil {
		resources = []string{}
	}
	b, err := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: id, DetailType: entry.DetailType, Source: entry.Source,
		AccountID: Account, Time: at.UTC().Truncate(time.Second), Region: Region, Resources: resources,
		Detail: json.RawMessage(entry.Detail),
	})
	if err != nil {
		tb.Fatalf("awstest: deliver %s: %v", entry.DetailType, err)
	}
	return b
}
