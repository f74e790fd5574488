package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
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
	h := &Handler{
		Sweeper: &sweep.Sweeper{
			IVS: ivs.NewFromConfig(awsCfg, pacer.ClientOptions(awsCfg.RetryMaxAttempts)), S3: s3Client,
			Bus: eventbridge.NewFromConfig(awsCfg), Bucket: cfg.ArchiveBucket, BusName: cfg.EventBusName,
			Account: cfg.Account, Region: awsCfg.Region,
			Correction: cfg.Correction, Log: log, Metrics: rec,
		},
		Log: log, Metrics: rec, Throttles: pacer,
	}
	// The Handler itself, not h.Handle: the runtime then hands it the payload as it arrived, so
	// that ParseInput decodes it strictly (Handler.Invoke).
	lambda.StartWithOptions(h, lambda.WithEnableSIGTERM())
	return nil
}
