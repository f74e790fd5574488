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
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	fleetclients "github.com/ivs-sessions/ivs-sessions/shared/fleet"
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
	awsCfg, err := awsenv.Load(os.Getenv, suite.Name)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	// Each of the (at most suite.MaxConcurrency) concurrent instances paces itself to its part
	// of the suite's share of IVS's per-operation quota (suite.InstanceRate);
	// AWS_MAX_ATTEMPTS, when set, overrides the retryer's attempts.
	pacer := ivsquota.NewPacer(cfg.CallsPerSecond)
	var ivsClient streamSessionGetter = ivs.NewFromConfig(awsCfg, pacer.ClientOptions(awsCfg.RetryMaxAttempts))
	if cfg.Fleet.Enabled() {
		// A fleet: each session is enriched in its channel's region and account, each paced
		// apart (the same rate per region and account: each has its own quota).
		ivsClient = fleetclients.NewIVS(cfg.Fleet, cfg.Account, suite.FunctionEnrich, awsCfg, pacer)
	}
	log := lambdacontext.NewLogger()
	rec := metrics.New(suite.MetricNamespace, os.Stdout)
	h := &Handler{
		IVS:       ivsClient,
		Bus:       eventbridge.NewFromConfig(awsCfg),
		Throttles: pacer,
		Archive: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.UsePathStyle = awsenv.S3PathStyle(os.Getenv)
		}),
		Log:     log,
		Metrics: rec,
		Cfg:     cfg,
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	p := &batch.Processor{Function: suite.FunctionEnrich, Log: log, Metrics: rec, Do: h.Handle, Queue: sqsClient, Requeue: sqsClient}
	lambda.StartWithOptions(memoized{p}, lambda.WithEnableSIGTERM())
	return nil
}

// memoized gives each invocation (one SQS batch) its own memo of GetStreamSession answers, so
// the events of one session in one batch cost one call; the payload reaches the batch
// Processor as the runtime handed it.
type memoized struct{ *batch.Processor }

// Invoke implements lambda.Handler.
func (m memoized) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return m.Processor.Invoke(withMemo(ctx), payload)
}
