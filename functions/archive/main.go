package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("init failed", "err", err)
		os.Exit(1)
	}
}

// run is the composition root: configuration, the S3 client (once per cold start), the
// runtime loop.
func run(ctx context.Context) error {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	awsCfg, err := awsenv.Load(os.Getenv, suite.Name)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = awsenv.S3PathStyle(os.Getenv)
		// Objects written without a checksum (local servers) would log a warning on every read.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	log := lambdacontext.NewLogger()
	rec := metrics.New(suite.MetricNamespace, os.Stdout)
	h := &Handler{S3: client, Log: log, Metrics: rec, Cfg: cfg, Now: time.Now}
	p := &batch.Processor{Function: suite.FunctionArchive, Log: log, Metrics: rec, Do: h.Handle, Requeue: sqs.NewFromConfig(awsCfg)}
	batch.Start(p)
	return nil
}
