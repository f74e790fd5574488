package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/lease"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("init failed", "err", err)
		os.Exit(1)
	}
}

// run builds the clients once per cold start and serves invocations.
func run(ctx context.Context) error {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	awsCfg, err := awsenv.Load(os.Getenv, suite.Name)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	// Each of the event source mapping's concurrent instances paces itself to its part of the
	// suite's share of IVS's per-operation quota (suite.InstanceRate, IVS_CALLS_PER_SECOND);
	// the pacer also installs the retryer for ThrottlingException.
	rate, err := suite.Rate(os.Getenv, suite.EnvIVSCallsPerSecond, suite.InstanceRate(suite.FunctionCorrect, suite.DefaultIVSQuotaShare))
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	pacer := ivsquota.NewPacer(rate)
	var ivsClient interface {
		streamSessionGetter
		channelGetter
		streamGetter
		channelUpdater
	} = ivs.NewFromConfig(awsCfg, pacer.ClientOptions(awsCfg.RetryMaxAttempts))
	if cfg.Fleet.Enabled() {
		// A fleet: each channel is read and corrected in its own region and account, each
		// paced apart (each has its own quota).
		ivsClient = fleet.NewIVS(cfg.Fleet, cfg.Account, suite.FunctionCorrect, awsCfg, pacer)
	}
	s3Client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = awsenv.S3PathStyle(os.Getenv)
		// Leases written without a checksum (local servers) would log a warning on every read.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	sqsClient := sqs.NewFromConfig(awsCfg)
	log := lambdacontext.NewLogger()
	rec := metrics.New(suite.MetricNamespace, os.Stdout)
	h := &Handler{
		Sessions:    ivsClient,
		Channels:    ivsClient,
		Streams:     ivsClient,
		Updater:     ivsClient,
		Events:      eventbridge.NewFromConfig(awsCfg),
		Locks:       &lease.Locker{S3: s3Client, Bucket: cfg.LockBucket, TTL: cfg.LeaseTTL},
		Intents:     s3Client,
		DeadLetters: sqsClient,
		Cfg:         cfg,
		Log:         log,
		Metrics:     rec,
		Throttles:   pacer,
	}
	p := &batch.Processor{Function: suite.FunctionCorrect, Log: log, Metrics: rec, Do: h.Handle, Queue: sqsClient, Requeue: sqsClient}
	batch.Start(p)
	return nil
}
