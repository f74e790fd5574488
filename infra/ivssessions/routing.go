package ivssessions

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// EventBridge retries delivery to a target for up to 24 hours and 185 attempts (both the
// service maximum) before the event goes to the target's dead-letter queue. Delivery to SQS
// fails only when the queue policy or the queue itself is broken, so waiting long is right.
const (
	targetRetryAttempts = 185
	targetMaxEventAgeH  = 24
)

// newEventBus creates the suite's own bus and an EventBridge archive of every event the suite
// publishes on it, so users can replay them.
func newEventBus(scope constructs.Construct, p IvsSessionsProps) awsevents.EventBus {
	bus := awsevents.NewEventBus(scope, jsii.String("EventBus"), &awsevents.EventBusProps{
		Description: jsii.String(fmt.Sprintf("%s: enriched IVS sessions and channel corrections", suite.Name)),
	})
	bus.Archive(jsii.String("EventArchive"), &awsevents.BaseArchiveProps{
		Description:  jsii.String(fmt.Sprintf("%s: every event the suite publishes, for replay", suite.Name)),
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(suite.EventSource)},
		Retention:    durationDays(p.EventArchiveRetentionDays),
	})
	return bus
}

// newRoutes creates one rule per route of the deployment (fleet.Routes: suite.Routes in a
// single-region deployment), on the default bus, the suite's bus or the fleet bus, with the
// route's pattern, targeting the queue of the route's function for the route's region; an event
// EventBridge cannot deliver goes to that function's dead-letter queue, beside the messages the
// function gave up on (both are the original EventBridge event, so one redrive retries either).
func newRoutes(scope constructs.Construct, bus, fleetBus awsevents.IEventBus, fns map[string]*suiteFunction, fleet suite.Fleet) {
	for _, r := range fleet.Routes() {
		pf, ok := fns[r.Function]
		if !ok {
			panic(fmt.Sprintf("ivssessions: route %s targets unknown function %q", r.Name, r.Function))
		}
		var ruleBus awsevents.IEventBus // nil: the account's default bus
		switch r.Bus {
		case suite.BusDefault:
		case suite.BusSessions:
			ruleBus = bus
		case suite.BusFleet:
			ruleBus = fleetBus
		default:
			panic(fmt.Sprintf("ivssessions: route %s is on unknown bus %q", r.Name, r.Bus))
		}
		pattern, err := eventPattern(r.Pattern)
		if err != nil {
			panic(fmt.Sprintf("ivssessions: route %s: %v", r.Name, err))
		}
		description := fmt.Sprintf("%s: %s events on the %s bus to the %s queue", suite.Name, r.Name, r.Bus, r.Function)
		if q := fleet.QueueName(r.Function, r.Region); q != r.Function {
			description = fmt.Sprintf("%s: %s events on the %s bus to the %s queue of %s", suite.Name, r.Name, r.Bus, r.Function, r.Region)
		}
		rule := awsevents.NewRule(scope, jsii.String(r.Name), &awsevents.RuleProps{
			Description:  jsii.String(description),
			EventBus:     ruleBus,
			EventPattern: pattern,
		})
		rule.AddTarget(awseventstargets.NewSqsQueue(pf.queueOf(fleetQueueRegion(fleet, r)), &awseventstargets.SqsQueueProps{
			DeadLetterQueue: pf.dlq,
			RetryAttempts:   jsii.Number(targetRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(targetMaxEventAgeH)),
		}))
		pf.queueRules = append(pf.queueRules, rule.RuleArn())
		pf.dlqRules = append(pf.dlqRules, rule.RuleArn())
	}
}

// fleetQueueRegion is the region of the function queue route r targets, as suiteFunction's
// queues know it: "" for a function that has a single queue.
func fleetQueueRegion(fleet suite.Fleet, r suite.Route) string {
	if fleet.QueueRegions(r.Function)[0] == "" {
		return ""
	}
	return r.Region
}

// eventPattern converts a shared pattern to CDK's type through its JSON, so every key the shared
// pattern has reaches the template unchanged; a key this function does not map is an error
// rather than a silently dropped condition.
func eventPattern(p ivsevent.Pattern) (*awsevents.EventPattern, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(p.JSON()), &m); err != nil {
		return nil, fmt.Errorf("decode event pattern %s: %w", p.JSON(), err)
	}
	out := &awsevents.EventPattern{}
	for key, v := range m {
		switch key {
		case "source", "detail-type", "region":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("event pattern %s: want a list, got %v", key, v)
			}
			strs := make([]*string, len(list))
			for i, s := range list {
				str, ok := s.(string)
				if !ok {
					return nil, fmt.Errorf("event pattern %s[%d]: want a string, got %v", key, i, s)
				}
				strs[i] = jsii.String(str)
			}
			switch key {
			case "source":
				out.Source = &strs
			case "detail-type":
				out.DetailType = &strs
			default:
				out.Region = &strs
			}
		case "detail":
			detail, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("event pattern detail: want an object, got %v", v)
			}
			out.Detail = &detail
		default:
			return nil, fmt.Errorf("event pattern key %q is not mapped to awsevents.EventPattern", key)
		}
	}
	return out, nil
}
