// Package fleet gives a function of a fleet deployment (suite.Fleet) the SDK clients of each
// account and region it serves. IVS is regional: a channel, its sessions, its quota and its
// UpdateChannel live in one region of one account, and so do its CloudWatch metrics. So every
// call for a channel is made with a client of the channel's own region, signed with the
// function's own role for the deployment's account and with the role the member template
// creates (suite.FleetRoleName) for a member account's, assumed through STS
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). Each client has
// its own pacing, so each region's and account's quota is spent apart, and a region whose calls
// fail delays only its own work.
//
// A single-region deployment (no suite.EnvFleetRegions) uses none of this: its functions keep
// their one client of their own region.
package fleet

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Target is one account and region of a fleet.
type Target struct {
	Account string // 12-digit account ID
	Region  string // e.g. eu-west-1
}

// String returns "<account>/<region>".
func (t Target) String() string { return t.Account + "/" + t.Region }

// Clients builds, on first use, and keeps one client of type T per target of a fleet. It is
// safe for concurrent use.
type Clients[T any] struct {
	fleet suite.Fleet
	own   string // the deployment's account
	fn    string // the function: its role in a member account is suite.FleetRoleName(fn, region)
	base  aws.Config
	sts   stscreds.AssumeRoleAPIClient
	build func(Target, aws.Config) T

	mu      sync.Mutex
	clients map[Target]T
}

// New returns the Clients of function fn (one of suite.FleetFunctions) for fleet, whose own
// account is own. base is the function's configuration (awsenv.Load); for a target, build gets
// a copy in the target's region, with, for a member account, credentials that assume the
// function's role there through sts (an STS client of base), refreshed before they expire.
func New[T any](fleet suite.Fleet, own, fn string, base aws.Config, sts stscreds.AssumeRoleAPIClient, build func(Target, aws.Config) T) *Clients[T] {
	return &Clients[T]{fleet: fleet, own: own, fn: fn, base: base, sts: sts, build: build, clients: map[Target]T{}}
}

// Targets lists the fleet's targets: the deployment's own account in each region, then each
// member account in each region.
func (c *Clients[T]) Targets() []Target {
	var out []Target
	for _, a := range append([]string{c.own}, c.fleet.Accounts...) {
		for _, r := range c.fleet.Regions {
			out = append(out, Target{Account: a, Region: r})
		}
	}
	return out
}

// For returns the client of account and region. It returns suite.Fleet.CheckCovers's
// *invalid.FieldError (permanent: a redelivery would ask again) when they are not the fleet's: a
// region not in its regions, an account neither its own nor a member. Nothing is called there.
func (c *Clients[T]) For(account, region string) (T, error) {
	var zero T
	if err := c.fleet.CheckCovers(c.own, account, region); err != nil {
		return zero, err
	}
	t := Target{Account: account, Region: region}
	c.mu.Lock()
	defer c.mu.Unlock()
	if client, ok := c.clients[t]; ok {
		return client, nil
	}
	cfg := c.base.Copy()
	cfg.Region = region
	if account != c.own {
		role := RoleARN(account, c.fn, region)
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(c.sts, role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = suite.Name + "-" + c.fn
		}))
	}
	client := c.build(t, cfg)
	c.clients[t] = client
	return client, nil
}

// RoleARN is the ARN of function fn's role in region of a member account (suite.FleetRoleName).
func RoleARN(account, fn, region string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, suite.FleetRoleName(fn, region))
}

// IVS routes each IVS call the suite makes for a channel to the client of the channel's
// account and region, read from the channel ARN of the call's input. It satisfies the
// one-operation interfaces of enrich (GetStreamSession) and correct (GetChannel, GetStream,
// UpdateChannel), so their handlers are the same in a fleet. A call whose ARN is malformed or
// outside the fleet returns a *invalid.FieldError and reaches no IVS endpoint.
type IVS struct {
	Clients *Clients[*ivs.Client]
}

func (f IVS) client(arn *string) (*ivs.Client, error) {
	a, err := ivsevent.ParseChannelARN(aws.ToString(arn))
	if err != nil {
		return nil, fmt.Errorf("fleet: channel ARN: %w", err)
	}
	return f.Clients.For(a.Account, a.Region)
}

// GetStreamSession calls GetStreamSession in the region and account of in.ChannelArn.
func (f IVS) GetStreamSession(ctx context.Context, in *ivs.GetStreamSessionInput, optFns ...func(*ivs.Options)) (*ivs.GetStreamSessionOutput, error) {
	c, err := f.client(in.ChannelArn)
	if err != nil {
		return nil, err
	}
	return c.GetStreamSession(ctx, in, optFns...)
}

// GetChannel calls GetChannel in the region and account of in.Arn.
func (f IVS) GetChannel(ctx context.Context, in *ivs.GetChannelInput, optFns ...func(*ivs.Options)) (*ivs.GetChannelOutput, error) {
	c, err := f.client(in.Arn)
	if err != nil {
		return nil, err
	}
	return c.GetChannel(ctx, in, optFns...)
}

// GetStream calls GetStream in the region and account of in.ChannelArn.
func (f IVS) GetStream(ctx context.Context, in *ivs.GetStreamInput, optFns ...func(*ivs.Options)) (*ivs.GetStreamOutput, error) {
	c, err := f.client(in.ChannelArn)
	if err != nil {
		return nil, err
	}
	return c.GetStream(ctx, in, optFns...)
}

// UpdateChannel calls UpdateChannel in the region and account of in.Arn.
func (f IVS) UpdateChannel(ctx context.Context, in *ivs.UpdateChannelInput, optFns ...func(*ivs.Options)) (*ivs.UpdateChannelOutput, error) {
	c, err := f.client(in.Arn)
	if err != nil {
		return nil, err
	}
	return c.UpdateChannel(ctx, in, optFns...)
}

// targetKey is the context key of WithTarget.
type targetKey struct{}

// WithTarget returns ctx carrying the account and region a call is for: a call whose input
// names no channel (CloudWatch's GetMetricData) is routed by it.
func WithTarget(ctx context.Context, account, region string) context.Context {
	return context.WithValue(ctx, targetKey{}, Target{Account: account, Region: region})
}

// TargetOf returns the target WithTarget put in ctx, if any.
func TargetOf(ctx context.Context) (Target, bool) {
	t, ok := ctx.Value(targetKey{}).(Target)
	return t, ok
}

// NewIVS returns the IVS of function fn (enrich, correct) for fleet, whose own account is own:
// a client per target, built from base (the function's configuration) as New builds it, each
// paced by pacer in a scope of its own (ivsquota.Pacer.ScopedOptions), with base's
// RetryMaxAttempts.
func NewIVS(fleet suite.Fleet, own, fn string, base aws.Config, pacer *ivsquota.Pacer) IVS {
	return IVS{Clients: New(fleet, own, fn, base, sts.NewFromConfig(base), func(t Target, cfg aws.Config) *ivs.Client {
		return ivs.NewFromConfig(cfg, pacer.ScopedOptions(t.String(), cfg.RetryMaxAttempts))
	})}
}
