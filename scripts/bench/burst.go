package main

import (
	"context"
	"flag"
	"fmt"
)

func burst(ctx context.Context, tmp string, args []string) error {
	fs := flag.NewFlagSet("burst", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return fmt.Errorf("burst: not yet")
}
