package ivstest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/smithy-go"
)

// fakeQuotaTime replaces the quota's wall clock with one the test moves.
type fakeQuotaTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeQuotaTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeQuotaTime) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func newQuotaServer(t *testing.T, perSecond int) (*Server, *fakeQuotaTime, string) {
	t.Helper()
	srv := NewServer(Options{Quota: perSecond})
	t.Cleanup(srv.Close)
	qt := &fakeQuotaTime{now: time.Unix(1_800_000_000, 0)}
	srv.quota.now = qt.Now
	out, err := Client(srv).CreateChannel(context.Background(), &ivs.CreateChannelInput{})
	if err != nil {
		t.Fatal(err)
	}
	return srv, qt, aws.ToString(out.Channel.Arn)
}

// TestThrottlingRetriedByStandardRetryer: the SDK's standard retryer recognises the server's
// 429 ThrottlingException as a throttle and retries; its backoff here moves the quota's clock
// by one token's worth instead of sleeping, so the test is exact and instant.
func TestThrottlingRetriedByStandardRetryer(t *testing.T) {
	srv, qt, arn := newQuotaServer(t, DefaultQuota)
	backoffs := 0
	client := Client(srv, func(o *ivs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
				if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
					t.Errorf("retried error %v is not a throttle", err)
				}
				backoffs++
				qt.Advance(time.Second / DefaultQuota)
				return 0, nil
			})
		})
	})
	for i := range 10 {
		if _, err := client.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(arn)}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	got := srv.Stats()[OpGetChannel]
	want := OperationStats{Calls: 15, Throttled: 5, Errors: 5}
	if got != want || backoffs != 5 {
		t.Errorf("stats: got %+v after %d backoffs, want %+v after 5", got, backoffs, want)
	}
	if c := srv.Stats()[OpCreateChannel]; c.Throttled != 0 {
		t.Errorf("CreateChannel has its own quota: got %+v", c)
	}
}

func TestThrottlingWithoutRetries(t *testing.T) {
	srv, qt, arn := newQuotaServer(t, 2)
	client := Client(srv) // aws.NopRetryer
	ctx := context.Background()
	for range 2 {
		if _, err := client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)}); err == nil {
			t.Fatal("GetStream on an offline channel: got no error")
		}
	}
	_, err := client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != CodeThrottling {
		t.Fatalf("third call: got %v, want ThrottlingException", err)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusTooManyRequests {
		t.Errorf("got %v, want HTTP 429", err)
	}
	if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		t.Errorf("the SDK does not classify %v as a throttle", err)
	}
	qt.Advance(time.Second / 2)
	if _, err := client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)}); errors.As(err, &apiErr) && apiErr.ErrorCode() == CodeThrottling {
		t.Errorf("after half a second: got %v, want a token back", err)
	}
	// Tag operations get twice the quota.
	for i := range 4 {
		if _, err := client.ListTagsForResource(ctx, &ivs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}); err != nil {
			t.Fatalf("ListTagsForResource %d: %v", i, err)
		}
	}
	if _, err := client.ListTagsForResource(ctx, &ivs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != CodeThrottling {
		t.Errorf("fifth ListTagsForResource: got %v, want ThrottlingException", err)
	}
}

func TestQuotaOff(t *testing.T) {
	q := newQuotas(0)
	for range 1000 {
		if !q.allow(OpGetChannel) {
			t.Fatal("quota 0 throttled a call")
		}
	}
}
