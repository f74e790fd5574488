package main

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// buildInterval is how often, off a terminal, a long build says what it is still building.
const buildInterval = 15 * time.Second

// build builds the executables the stack runs, showing what is being built and for how long:
// a line per executable started and finished, and, while it lasts, a progress line on a
// terminal or a "still building" line every buildInterval elsewhere.
func build(ctx context.Context, out *printer, root, binDir string) (engine.Artifacts, time.Duration, error) {
	began := time.Now()
	out.line(fmt.Sprintf("ivs-sessions, locally: building the functions (%s, linux/%s) and the Lambda Runtime Interface Emulator into %s",
		strings.Join(suite.Functions, ", "), runtime.GOARCH, rel(binDir)))
	out.line("  (seconds when Go's build cache is warm; a few minutes the first time on a machine: modules download, the AWS SDK compiles)")
	var (
		mu      sync.Mutex
		running = map[string]time.Time{}
	)
	status := func() string {
		mu.Lock()
		defer mu.Unlock()
		var names []string
		for name := range running {
			names = append(names, name)
		}
		sort.Strings(names)
		return fmt.Sprintf("building %s", strings.Join(names, ", "))
	}
	progress := func(s engine.BuildStep) {
		mu.Lock()
		if s.Done {
			delete(running, s.Target)
		} else {
			running[s.Target] = time.Now()
		}
		mu.Unlock()
		switch {
		case !s.Done:
			out.line(fmt.Sprintf("  building %s ...", s.Target))
		case s.Err != nil:
			out.line(fmt.Sprintf("  %s did not build (after %s)", s.Target, s.Took.Round(100*time.Millisecond)))
		default:
			out.line(fmt.Sprintf("  built %s in %s", s.Target, s.Took.Round(100*time.Millisecond)))
		}
	}

	stop := make(chan struct{})
	done := make(chan struct{})
	if out.tty {
		out.startProgress("build", status)
		close(done)
	} else {
		go func() {
			defer close(done)
			t := time.NewTicker(buildInterval)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					out.line(fmt.Sprintf("  ... %s (%s so far)", status(), time.Since(began).Round(time.Second)))
				}
			}
		}()
	}
	art, err := engine.BuildWithProgress(ctx, root, binDir, progress)
	close(stop)
	<-done
	out.stopProgress()
	took := time.Since(began)
	if err == nil {
		out.line(fmt.Sprintf("built in %s", took.Round(100*time.Millisecond)))
	}
	return art, took, err
}
