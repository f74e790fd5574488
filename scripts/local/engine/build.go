package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Artifacts are the executables a Stack runs: the Lambda Runtime Interface Emulator and one
// bootstrap per function, built for this host.
type Artifacts struct {
	RIE        string
	Bootstraps map[string]string // function name -> path of its bootstrap
}

// BuildStep reports one executable of Build starting (Done false) or finished (Done true, with
// how long it took and its error, if any).
type BuildStep struct {
	Target string // a function's name, or "aws-lambda-rie"
	Done   bool
	Took   time.Duration
	Err    error
}

// RIETarget is the BuildStep.Target of the emulator.
const RIETarget = "aws-lambda-rie"

// Build builds the emulator (the version go.mod pins) and the bootstrap of every function
// (functions/<name>, for this host: GOOS=linux, GOARCH of the host, -tags lambda.norpc) into
// binDir/aws-lambda-rie and binDir/<function>/bootstrap. moduleDir is the module's root (see
// ModuleRoot). The first bootstrap is built alone, so it fills the build cache the others use;
// the rest are built in parallel. Errors name what did not build, with the compiler's output.
//
// Extra build tags are added to the bootstraps' (the soak's "soak": shared/batch's
// poison_soak.go).
func Build(ctx context.Context, moduleDir, binDir string, tags ...string) (Artifacts, error) {
	return BuildWithProgress(ctx, moduleDir, binDir, nil, tags...)
}

// BuildWithProgress is Build, reporting each executable as it starts and finishes to progress
// (when not nil), which is called from several goroutines and must be safe for concurrent use.
func BuildWithProgress(ctx context.Context, moduleDir, binDir string, progress func(BuildStep), tags ...string) (Artifacts, error) {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return Artifacts{}, fmt.Errorf("engine: build: %w", err)
	}
	if progress == nil {
		progress = func(BuildStep) {}
	}
	step := func(target string, build func() error) error {
		progress(BuildStep{Target: target})
		began := time.Now()
		err := build()
		progress(BuildStep{Target: target, Done: true, Took: time.Since(began), Err: err})
		return err
	}
	art := Artifacts{Bootstraps: map[string]string{}}
	for _, fn := range suite.AllFunctions() {
		art.Bootstraps[fn] = filepath.Join(binDir, fn, "bootstrap")
	}
	build := func(fn string) error {
		return step(fn, func() error {
			return lambdarie.BuildBootstrap(ctx, moduleDir, "./functions/"+fn, art.Bootstraps[fn], tags...)
		})
	}
	if err := build(suite.Functions[0]); err != nil {
		return Artifacts{}, fmt.Errorf("engine: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	add := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, fn := range suite.AllFunctions()[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := build(fn); err != nil {
				add(err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := step(RIETarget, func() error {
			rie, err := lambdarie.BuildRIE(ctx, moduleDir, binDir)
			art.RIE = rie
			return err
		})
		if err != nil {
			add(err)
		}
	}()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Artifacts{}, fmt.Errorf("engine: %w", err)
	}
	return art, nil
}

// ModuleRoot returns the directory at or above dir that holds go.mod, or an error.
func ModuleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("engine: module root: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("engine: no go.mod at or above %s", abs)
		}
	}
}

// validate checks that every executable is there.
func (a Artifacts) validate() error {
	if a.RIE == "" {
		return errors.New("engine: artifacts: RIE is required (see Build)")
	}
	for _, fn := range suite.Functions {
		if a.Bootstraps[fn] == "" {
			return fmt.Errorf("engine: artifacts: no bootstrap for function %s (see Build)", fn)
		}
	}
	return nil
}
