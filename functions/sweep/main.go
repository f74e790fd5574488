package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("init failed", "err", err)
		os.Exit(1)
	}
}

// sweepers returns the Sweepers of the deployment, each base with its IVS client: base (the
// function's own account and region) in a single-region deployment; in a fleet one per account
// and region, each with the IVS of its own region (a member's through its role), each paced apart
// and each listing its own live index and keeping its own state.
func sweepers(base sweep.Sweeper, cfg Config, awsCfg aws.Config, pacer *ivsquota.Pacer) ([]*sweep.Sweeper, error) {
	if !cfg.Fleet.Enabled() {
		sw := base
		sw.IVS = ivs.NewFromConfig(awsCfg, pacer.ClientOptions(awsCfg.RetryMaxAttempts))
		return []*sweep.Sweeper{&sw}, nil
	}
	clients := fleet.NewIVS(cfg.Fleet, cfg.Account, suite.FunctionSweep, awsCfg, pacer).Clients
	var out []*sweep.Sweeper
	for _, t := range clients.Targets() {
		c, err := clients.For(t.Account, t.Region)
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		sw := base
		sw.IVS, sw.Account, sw.Region = c, t.Account, t.Region
		out = append(out, &sw)
	}
	return out, nil
}

// run is the composition root: configuration, clients (once per cold start), the runtime loop.
func run(ctx context.Context) error {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	awsCfg, err := awsenv.Load(os.Getenv, suite.Name)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	// One live run and one window run at a time (reserved concurrency suite.SweepConcurrency),
	// each paced to its part of the sweep's share (suite.InstanceRate).
	pacer := ivsquota.NewPacer(cfg.CallsPerSecond)
	log := lambdacontext.NewLogger()
	rec := metrics.New(suite.MetricNamespace, os.Stdout)
	s3Client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = awsenv.S3PathStyle(os.Getenv)
	})
	base := sweep.Sweeper{
		S3: s3Client, Bus: eventbridge.NewFromConfig(awsCfg), Bucket: cfg.ArchiveBucket, BusName: cfg.EventBusName,
		Account: cfg.Account, Region: awsCfg.Region,
		Correction: cfg.Correction, Log: log, Metrics: rec,
	}
	h := &Handler{Log: log, Metrics: rec, Throttles: pacer}
	if h.Sweepers, err = sweepers(base, cfg, awsCfg, pacer); err != nil {
		return err
	}
	// The Handler itself, not h.Handle: the runtime then hands it the payload as it arrived, so
	// that ParseInput decodes it strictly (Handler.Invoke).
	lambda.StartWithOptions(h, lambda.WithEnableSIGTERM())
	return nil
}
