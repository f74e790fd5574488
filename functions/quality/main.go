package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
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
	log := lambdacontext.NewLogger()
	rec := metrics.New(suite.MetricNamespace, os.Stdout)
	var cw metricDataGetter = cloudwatch.NewFromConfig(awsCfg)
	if cfg.Fleet.Enabled() {
		// A fleet: each session's metrics are read in its channel's region and account.
		cw = regionalCloudWatch{fleet.New(cfg.Fleet, cfg.Account, suite.FunctionQuality, awsCfg, sts.NewFromConfig(awsCfg),
			func(_ fleet.Target, c aws.Config) *cloudwatch.Client { return cloudwatch.NewFromConfig(c) })}
	}
	h := &Handler{
		CloudWatch: cw,
		Bus:        eventbridge.NewFromConfig(awsCfg),
		Pacer:      NewPacer(cfg.DatapointsPerSecond),
		Log:        log,
		Metrics:    rec,
		Cfg:        cfg,
		Now:        time.Now,
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	p := &batch.Processor{Function: suite.FunctionQuality, Log: log, Metrics: rec, Do: h.Handle, Queue: sqsClient, Requeue: sqsClient}
	batch.Start(p)
	return nil
}
