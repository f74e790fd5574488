package awstest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
)

// StartFunction builds the Lambda Runtime Interface Emulator (the version go.mod's tool line
// pins) and the real bootstrap of the main package in the current directory (a function's
// tests run in functions/<name>) for this host, and starts the bootstrap under the emulator
// with cfg, whose RIE and Bootstrap it fills in (Env is typically Stack.Env). The instance is
// closed when the test ends. The test is skipped with -short (it builds binaries), on a host
// other than Linux, or where the emulator cannot be built.
func StartFunction(tb testing.TB, cfg lambdarie.Config) *lambdarie.Instance {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds binaries; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		tb.Skip("the Runtime Interface Emulator runs on Linux only")
	}
	ctx := context.Background()
	dir := tb.TempDir()
	rie, err := lambdarie.BuildRIE(ctx, "", dir)
	if err != nil {
		// make test must run this test: a build failure is a failure, not a reason to skip.
		tb.Fatalf("cannot build the Runtime Interface Emulator (go.mod's tool line, module cache): %v", err)
	}
	cfg.RIE, cfg.Bootstrap = rie, filepath.Join(dir, "bootstrap")
	if err := lambdarie.BuildBootstrap(ctx, "", ".", cfg.Bootstrap); err != nil {
		tb.Fatal(err)
	}
	inst, err := lambdarie.Start(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = inst.Close() })
	return inst
}

// FunctionLog checks the lines the function printed (not the emulator's) as Lambda's JSON log
// format wants them: at least one, each a JSON object, and each that is not an EMF document
// (no "_aws") with a requestId. It returns the lines joined by newlines and the distinct
// request IDs, sorted.
func FunctionLog(tb testing.TB, lines []lambdarie.Line) (text string, requestIDs []string) {
	tb.Helper()
	var texts []string
	for _, l := range lines {
		if l.Runtime {
			continue
		}
		texts = append(texts, l.Text)
		var line map[string]any
		if err := json.Unmarshal([]byte(l.Text), &line); err != nil {
			tb.Errorf("log line is not a JSON object: %q", l.Text)
			continue
		}
		if _, emf := line["_aws"]; emf {
			continue
		}
		id, _ := line["requestId"].(string)
		if id == "" {
			tb.Errorf("log line without requestId: %s", l.Text)
			continue
		}
		requestIDs = append(requestIDs, id)
	}
	if len(texts) == 0 {
		tb.Error("the function printed nothing")
	}
	slices.Sort(requestIDs)
	return strings.Join(texts, "\n"), slices.Compact(requestIDs)
}
