package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
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
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithAppID(suite.Name))
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	// Each of the (at most suite.MaxConcurrency) concurrent instances takes its share of IVS's
	// per-operation quota; AWS_MAX_ATTEMPTS, when set, overrides the retryer's attempts.
	pacer := ivsquota.NewPacer(float64(suite.IVSCallsPerSecond) / suite.MaxConcurrency)
	log := lambdacontext.NewLogger()
	rec := metrics.New(suite.MetricNamespace, os.Stdout)
	h := &Handler{
		IVS:       ivs.NewFromConfig(awsCfg, pacer.ClientOptions(awsCfg.RetryMaxAttempts)),
		Bus:       eventbridge.NewFromConfig(awsCfg),
		Throttles: pacer,
		Log:       log,
		Metrics:   rec,
		Cfg:       cfg,
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	p := &batch.Processor{Function: suite.FunctionEnrich, Log: log, Metrics: rec, Do: h.Handle, Queue: sqsClient, Requeue: sqsClient}
	batch.Start(p)
	return nil
}
