package batch

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
)

// visibilityFunc adapts a func to VisibilityChanger (the test is about our loop, not the wire).
type visibilityFunc func(in *sqs.ChangeMessageVisibilityInput) error

func (f visibilityFunc) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	return &sqs.ChangeMessageVisibilityOutput{}, f(in)
}

func TestTransientWaitSetsVisibility(t *testing.T) {
	tests := map[string]struct {
		err       error
		changeErr error
		want      []int32 // visibility timeouts set
	}{
		"wait 90s":   {err: retryable.Later("session not visible", 90*time.Second, nil), want: []int32{90}},
		"rounded up": {err: retryable.Later("x", 1500*time.Millisecond, nil), want: []int32{2}},
		// SQS refuses a visibility that ends more than 12 h after the receipt.
		"capped below 12h": {err: retryable.Later("x", 48*time.Hour, nil), want: []int32{42300}},
		"no wait":          {err: retryable.Later("x", 0, nil), want: nil},
		"permanent":        {err: errors.New("not transient"), want: nil},
		"change fails":     {err: retryable.Later("x", time.Minute, nil), changeErr: errors.New("denied"), want: []int32{60}},
		"done, no change":  {err: nil, want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, _, _ := newProcessor(t)
			var got []int32
			p.Queue = visibilityFunc(func(in *sqs.ChangeMessageVisibilityInput) error {
				if aws.ToString(in.QueueUrl) != "https://sqs.us-west-2.amazonaws.com/123456789012/enrich" || aws.ToString(in.ReceiptHandle) != "rh" {
					t.Errorf("ChangeMessageVisibility(%s, %s)", aws.ToString(in.QueueUrl), aws.ToString(in.ReceiptHandle))
				}
				got = append(got, in.VisibilityTimeout)
				return tc.changeErr
			})
			p.Do = func(context.Context, Message) error { return tc.err }
			out, err := p.Process(context.Background(), sqsPayload(t, `{"detail-type":"x","id":"e"}`))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("visibility set to %v, want %v", got, tc.want)
			}
			failed := len(out.(events.SQSEventResponse).BatchItemFailures) == 1
			if failed != retryable.Is(tc.err) {
				t.Errorf("batch item failure = %v, want %v (a failed visibility change must not lose the retry)", failed, retryable.Is(tc.err))
			}
		})
	}
}

func TestBareEventNeedsNoQueue(t *testing.T) {
	p, _, _ := newProcessor(t)
	p.Queue = visibilityFunc(func(*sqs.ChangeMessageVisibilityInput) error {
		t.Error("ChangeMessageVisibility called for a bare event")
		return nil
	})
	p.Do = func(context.Context, Message) error { return retryable.Later("x", time.Minute, nil) }
	if _, err := p.Process(context.Background(), json.RawMessage(`{"detail-type":"x","id":"e"}`)); !retryable.Is(err) {
		t.Errorf("err = %v, want the transient error", err)
	}
}

func TestBackoff(t *testing.T) {
	tests := map[string]struct {
		base    time.Duration
		receive int
		want    time.Duration
	}{
		"first":             {time.Minute, 1, time.Minute},
		"zero receives":     {time.Minute, 0, time.Minute},
		"third":             {time.Minute, 3, 4 * time.Minute},
		"capped at MaxWait": {time.Minute, 11, MaxWait},
		"huge count":        {time.Minute, 1 << 30, MaxWait},
		"base at the cap":   {MaxWait, 2, MaxWait},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Backoff(tc.base, tc.receive); got != tc.want {
				t.Errorf("Backoff(%v, %d) = %v, want %v", tc.base, tc.receive, got, tc.want)
			}
		})
	}
}

func TestQueueURL(t *testing.T) {
	good := map[string]string{
		"arn:aws:sqs:us-west-2:123456789012:IvsSessions-correct": "https://sqs.us-west-2.amazonaws.com/123456789012/IvsSessions-correct",
	}
	for arn, want := range good {
		if got, err := QueueURL(arn); err != nil || got != want {
			t.Errorf("QueueURL(%q) = %q, %v; want %q", arn, got, err, want)
		}
	}
	for _, arn := range []string{"", "arn:aws:sns:us-west-2:123456789012:x", "arn:aws:sqs:us-west-2:123456789012", "arn:aws:sqs::123456789012:x", "x:aws:sqs:r:a:n"} {
		var fe *invalid.FieldError
		if _, err := QueueURL(arn); !errors.As(err, &fe) || fe.Field != "eventSourceARN" {
			t.Errorf("QueueURL(%q) err = %v, want a FieldError for eventSourceARN", arn, err)
		}
	}
}
