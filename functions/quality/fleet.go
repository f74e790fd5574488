package main

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
)

// regionalCloudWatch sends each GetMetricData to the CloudWatch of the session's account and
// region, which the context carries (fleet.WithTarget): IVS publishes its metrics there.
type regionalCloudWatch struct {
	clients *fleet.Clients[*cloudwatch.Client]
}

// errNoTarget is a call without the session's target: a bug, never a fallback to the
// function's own region, where the metrics are not.
var errNoTarget = errors.New("quality: GetMetricData without the session's account and region")

// GetMetricData calls GetMetricData in the account and region of ctx's target.
func (r regionalCloudWatch) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	t, ok := fleet.TargetOf(ctx)
	if !ok {
		return nil, errNoTarget
	}
	c, err := r.clients.For(t.Account, t.Region)
	if err != nil {
		return nil, err
	}
	return c.GetMetricData(ctx, in, optFns...)
}
