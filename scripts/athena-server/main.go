// Command athena-server runs the local Amazon Athena of package shared/local/athenatest as a
// standalone HTTP server over an archive folder: the workgroup, Glue database, tables and saved
// queries the CDK app deploys (infra/catalog), answering the real aws-sdk-go-v2 client and the
// AWS CLI (awsJson1_1) through AWS_ENDPOINT_URL_ATHENA or --endpoint-url. make local -keep
// starts it beside the other local services; it is built with cgo (DuckDB), which the rest of
// the local stack is not.
//
//	go run ./scripts/athena-server --dir .local/s3/ivs-sessions-local --addr 127.0.0.1:4570
//
// Once it listens it prints "athena-server listening on http://<addr>" on standard output. It
// stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/workdir"
	"github.com/ivs-sessions/ivs-sessions/shared/local/athenatest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "athena-server:", err)
		os.Exit(1)
	}
}

// Banner starts the line athena-server prints once it listens; the URL follows.
const Banner = "athena-server listening on "

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("athena-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (host:port; port 0 picks one)")
	var opts athenatest.Options
	fs.StringVar(&opts.Dir, "dir", workdir.Archive(workdir.Dir), "the archive: a bucket's objects as files (make local's .local/s3/<bucket>)")
	fs.StringVar(&opts.Bucket, "bucket", "", "the bucket's name (\"$path\" and the tables' locations); default: the folder's name")
	fs.StringVar(&opts.Account, "account", "", "the account the saved queries name")
	fs.StringVar(&opts.Region, "region", "", "the region the saved queries name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if opts.Bucket == "" {
		opts.Bucket = filepath.Base(opts.Dir)
	}
	srv, err := athenatest.New(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "%shttp://%s (workgroup %s, database %s, archive %s)\n", Banner, ln.Addr(), srv.WorkGroup(), srv.Database(), opts.Dir)
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
	return nil
}
