// Command ivs-server runs the local Amazon IVS of package shared/local/ivstest as a standalone HTTP
// server, for the local stack and for people: the IVS REST-JSON API that the real
// aws-sdk-go-v2 client talks to through AWS_ENDPOINT_URL_IVS, and the admin API under /_admin/
// (GET /_admin/state dumps the state, without secrets; POST /_admin/broadcasts connects a
// simulated encoder; see ivstest's documentation).
//
//	go run ./scripts/ivs-server --addr 127.0.0.1:4566 --quota 5 \
//	    --events-endpoint http://127.0.0.1:4567
//
// Events go to the EventBridge PutEvents endpoint given by --events-endpoint (the local bus),
// or are only kept in memory (GET /_admin/events). The server stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "ivs-server:", err)
		os.Exit(1)
	}
}

// config is the command line, parsed and checked.
type config struct {
	addr           string
	opts           ivstest.Options
	eventsEndpoint string
	eventBus       string
	logLevel       slog.Level
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("ivs-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:4566", "listen address (host:port; port 0 picks one)")
	fs.IntVar(&cfg.opts.Quota, "quota", ivstest.DefaultQuota, "calls per second each operation accepts before 429 ThrottlingException; 0 turns quotas off")
	fs.StringVar(&cfg.opts.Region, "region", ivstest.DefaultRegion, "region of the ARNs and events")
	fs.StringVar(&cfg.opts.Account, "account", ivstest.DefaultAccount, "account ID of the ARNs and events")
	fs.StringVar(&cfg.eventsEndpoint, "events-endpoint", "", "EventBridge endpoint URL to PutEvents to (the local bus); empty keeps events in memory only")
	fs.StringVar(&cfg.eventBus, "event-bus", "default", "event bus name for PutEvents")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return config{}, fmt.Errorf("--log-level: want debug, info, warn or error, got %q", *level)
	}
	if err := cfg.opts.Validate(); err != nil {
		return config{}, fmt.Errorf("flags: %w", err)
	}
	return cfg, nil
}

// run serves until ctx is done, then shuts down gracefully. ready, if not nil, is called with
// the address the server listens on.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	cfg.opts.Logger = log
	if cfg.eventsEndpoint != "" {
		cfg.opts.Sink = ivstest.EventBridgeSink{
			Client: eventbridge.New(eventbridge.Options{
				Region:       cfg.opts.Region,
				BaseEndpoint: aws.String(cfg.eventsEndpoint),
				Credentials:  credentials.NewStaticCredentialsProvider("ivs-server", "local", ""),
				HTTPClient:   sdkhttp.New(),
			}),
			EventBusName: cfg.eventBus,
		}
	}
	srv := ivstest.NewUnstartedServer(cfg.opts)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	addr := ln.Addr().String()
	log.Info("ivs-server listening", "url", "http://"+addr, "region", srv.Region(), "account", srv.Account(),
		"quota", cfg.opts.Quota, "eventsEndpoint", cfg.eventsEndpoint)
	if ready != nil {
		ready(addr)
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("ivs-server stopped")
	return nil
}
