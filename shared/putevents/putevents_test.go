package putevents_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/putevents"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

// entry is one of the suite's entries; what it holds does not matter to the policy.
var entry = suiteevent.Entry{EventBus: "bus", Source: suite.EventSource, DetailType: suite.DetailTypeChannelCorrected, Detail: `{}`}

// putter answers PutEvents from a list of answers, one per call, and counts the calls.
type putter struct {
	answers []func() (*eventbridge.PutEventsOutput, error)
	calls   int
}

func (p *putter) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	a := p.answers[min(p.calls, len(p.answers)-1)]
	p.calls++
	return a()
}

func refused(code string) func() (*eventbridge.PutEventsOutput, error) {
	return func() (*eventbridge.PutEventsOutput, error) {
		return &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []types.PutEventsResultEntry{{ErrorCode: aws.String(code), ErrorMessage: aws.String("no")}}}, nil
	}
}

func accepted() (*eventbridge.PutEventsOutput, error) {
	return &eventbridge.PutEventsOutput{Entries: []types.PutEventsResultEntry{{EventId: aws.String("ev-1")}}}, nil
}

func TestPublish(t *testing.T) {
	tests := map[string]struct {
		answers   []func() (*eventbridge.PutEventsOutput, error)
		wantCalls int
		wantErr   string // "" for success
	}{
		"accepted":                   {[]func() (*eventbridge.PutEventsOutput, error){accepted}, 1, ""},
		"throttled, then accepted":   {[]func() (*eventbridge.PutEventsOutput, error){refused("ThrottlingException"), accepted}, 2, ""},
		"internal failure, thrice":   {[]func() (*eventbridge.PutEventsOutput, error){refused("InternalFailure")}, putevents.Attempts, "InternalFailure"},
		"invalid argument, no retry": {[]func() (*eventbridge.PutEventsOutput, error){refused("InvalidArgument")}, 1, "InvalidArgument"},
		"no entries":                 {[]func() (*eventbridge.PutEventsOutput, error){func() (*eventbridge.PutEventsOutput, error) { return &eventbridge.PutEventsOutput{}, nil }}, putevents.Attempts, "without entries"},
		"call failed (no bus)": {[]func() (*eventbridge.PutEventsOutput, error){func() (*eventbridge.PutEventsOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Event bus bus does not exist."}
		}}, 1, "does not exist"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := &putter{answers: tc.answers}
			id, err := putevents.Publisher{Client: p, Backoff: time.Millisecond}.Publish(context.Background(), entry)
			if p.calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", p.calls, tc.wantCalls)
			}
			if tc.wantErr == "" {
				if err != nil || id != "ev-1" {
					t.Errorf("Publish = %q, %v; want ev-1", id, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !retryable.Is(err) {
				t.Errorf("err = %v, want a transient error saying %q", err, tc.wantErr)
			}
		})
	}
}

// TestPublishStopsWithTheContext: a refused entry is not retried past the invocation's end.
func TestPublishStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := &putter{answers: []func() (*eventbridge.PutEventsOutput, error){func() (*eventbridge.PutEventsOutput, error) {
		cancel()
		return refused("ThrottlingException")()
	}}}
	_, err := putevents.Publisher{Client: p, Backoff: time.Hour}.Publish(ctx, entry)
	if p.calls != 1 || !errors.Is(err, context.Canceled) || !retryable.Is(err) {
		t.Errorf("calls %d, err %v: want one call and a transient error wrapping context.Canceled", p.calls, err)
	}
}
