package ivsquota

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// retryerWithBackoff keeps r's attempts and retry rules but backs off 1 ms, for fast tests.
func retryerWithBackoff(r aws.Retryer) aws.Retryer {
	return &fastBackoff{RetryerV2: r.(aws.RetryerV2)}
}

type fastBackoff struct{ aws.RetryerV2 }

func (fastBackoff) RetryDelay(int, error) (time.Duration, error) { return time.Millisecond, nil }
