package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Errors of an invocation that answered but did not do its job; run wraps them with the reason.
var (
	// errRejected: the function rejected the event as one it cannot use (logged, counted,
	// acknowledged: deployed, SQS would not deliver it again).
	errRejected = errors.New("the function rejected the event")
	// errRedeliver: the function reported a transient failure; deployed, SQS delivers the
	// message again.
	errRedeliver = errors.New("the function asked for the message to be delivered again")
)

// verdict is what the function made of the event, from its response and its output.
type verdict struct {
	rejected   int      // events rejected (the RejectedEvents metric, or a bare "rejected" outcome)
	reasons    []string // why, from the rejection log lines
	redelivery int      // batch item failures
}

// judge reads the response of an invocation (an SQS batch response or a bare batch.Result) and
// the function's output lines.
func judge(response []byte, sqs bool, lines []string) verdict {
	var v verdict
	if sqs {
		var r events.SQSEventResponse
		if json.Unmarshal(response, &r) == nil {
			v.redelivery = len(r.BatchItemFailures)
		}
	} else {
		var r batch.Result
		if json.Unmarshal(response, &r) == nil && r.Outcome == "rejected" {
			v.rejected = 1
			v.reasons = append(v.reasons, r.Reason)
		}
	}
	metric := 0
	for _, l := range lines {
		var doc map[string]any
		if json.Unmarshal([]byte(strings.TrimSpace(l)), &doc) != nil {
			continue
		}
		if n, ok := doc[suite.MetricRejected].(float64); ok {
			if _, emf := doc["_aws"]; emf {
				metric += int(n)
			}
		}
		if sqs && strings.EqualFold(fmt.Sprint(doc["level"]), "ERROR") && doc[suite.LogKeyMessageID] != nil {
			if r, ok := doc[suite.LogKeyReason].(string); ok {
				v.reasons = append(v.reasons, r)
			}
		}
	}
	v.rejected = max(v.rejected, metric)
	return v
}

// err returns the verdict as an error (nil when the event was used), with a hint for event, the
// file the person gave fn.
func (v verdict) err(fn string, event []byte) error {
	switch {
	case v.rejected > 0:
		msg := strings.Join(v.reasons, "; ")
		if msg == "" {
			msg = "see the log above"
		}
		err := fmt.Errorf("%w: %s", errRejected, msg)
		if h := hint(fn, event); h != "" {
			err = fmt.Errorf("%w\n%s", err, h)
		}
		return err
	case v.redelivery > 0:
		return fmt.Errorf("%w (%d batch item failure(s)): see the log above", errRedeliver, v.redelivery)
	}
	return nil
}

// hint says which events fn reads when it was given one it does not.
func hint(fn string, event []byte) string {
	var head struct {
		Source string `json:"source"`
	}
	_ = json.Unmarshal(event, &head)
	switch {
	case fn == suite.FunctionCorrect && head.Source != suite.EventSource:
		return "correct reads the suite's own \"" + suite.DetailTypeSessionEnriched + "\" events (what enrich publishes), not IVS events: " +
			"try EVENT=events/suite/session-enriched.json, or run enrich on this event with SAVE=<dir> and give correct the file it saves"
	case fn == suite.FunctionArchive && head.Source != suite.EventSource && head.Source != ivsevent.Source:
		return "archive reads the suite's own events: try EVENT=events/suite/session-enriched.json or events/suite/channel-corrected.json"
	case fn == suite.FunctionArchive && head.Source == ivsevent.Source:
		return "archive keeps what enrich publishes: try EVENT=events/suite/session-enriched.json or events/suite/channel-corrected.json, " +
			"or run enrich on this event with SAVE=<dir> and give archive the file it saves"
	case head.Source != ivsevent.Source && fn == suite.FunctionEnrich:
		return "enrich reads IVS events (source aws.ivs): try EVENT=events/session-ended-multitrack-input-not-allowed.json"
	}
	return ""
}
