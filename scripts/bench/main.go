// Command bench measures what make bench reports besides the artifact sizes and the Go
// benchmarks (scripts/bench.sh runs it):
//
//	go run ./scripts/bench coldstart [-runs 21]
//	go run ./scripts/bench burst [-sessions 1000] [-refused 0.2] [-quota 5]
//
// coldstart: each function's real bootstrap and a minimal aws-lambda-go handler (scripts/bench/
// minimal), built the same way (linux, this host's architecture, -tags lambda.norpc, stripped),
// each started under the Lambda Runtime Interface Emulator (shared/local/lambdarie) -runs times,
// interleaved; one empty SQS batch each. It prints, per bootstrap, the median of launch to
// first response (the emulator's start, the bootstrap's start and init, one invoke), the
// median of the invoke alone (the bootstrap's start and init, and the invoke), and the ratio
// of each to the minimal handler's.
//
// burst: the whole suite on the local stack (scripts/local/engine) with IVS's quota enforced;
// -sessions channels each end a session at once (a share -refused of them refused at connect,
// the others live sessions that end), and it reports the drain time, the quota bound (the most
// calls of one IVS operation divided by the quota) and their ratio, and the IVS calls per
// session by phase and operation.
//
// Everything it builds goes into a temporary directory that is removed before it exits. The
// exit status is 0 when the measurement ran (whatever the figures), 1 when it could not.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: bench coldstart|burst [flags]")
	}
	tmp, err := os.MkdirTemp("", "ivs-sessions-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	switch args[0] {
	case "coldstart":
		return coldStart(ctx, tmp, args[1:])
	case "burst":
		return burst(ctx, tmp, args[1:])
	}
	return fmt.Errorf("unknown measurement %q: want coldstart or burst", args[0])
}
