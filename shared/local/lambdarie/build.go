package lambdarie

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// RIEPackage is the emulator's main package, pinned by go.mod's tool line.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// BuildRIE builds the emulator into dir/aws-lambda-rie and returns its path. It runs `go build`
// in moduleDir (a directory of this module; "" means the current directory), so the version is
// the one go.mod pins. The go build cache makes repeated builds fast.
func BuildRIE(ctx context.Context, moduleDir, dir string) (string, error) {
	out := filepath.Join(dir, "aws-lambda-rie")
	// Built as the bootstraps are (static, -trimpath), as its own releases are static: the
	// standard library and shared modules then compile once for both on a cold machine.
	if err := goBuild(ctx, moduleDir, []string{"CGO_ENABLED=0"}, "-trimpath", "-o", out, RIEPackage); err != nil {
		return "", fmt.Errorf("build %s: %w", RIEPackage, err)
	}
	return out, nil
}

// BootstrapFlags are the `go build` flags of a Lambda bootstrap: no RPC shim (provided.al2023
// speaks the Runtime API only), reproducible paths, stripped. The Makefile's GOBUILD_LAMBDA
// builds the deployed bootstraps with the same flags (TestMakefileBuildsWithBootstrapFlags).
var BootstrapFlags = []string{"-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w"}

// BuildBootstrap builds the Go main package pkg (such as ./functions/enrich) as a Lambda
// bootstrap for this host (GOOS=linux, GOARCH=runtime.GOARCH, CGO_ENABLED=0, BootstrapFlags)
// into out, running `go build` in moduleDir ("" means the current directory): what make build
// deploys, for this host's architecture.
func BuildBootstrap(ctx context.Context, moduleDir, pkg, out string) error {
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + runtime.GOARCH}
	args := append(append([]string{}, BootstrapFlags...), "-o", out, pkg)
	if err := goBuild(ctx, moduleDir, env, args...); err != nil {
		return fmt.Errorf("build bootstrap %s: %w", pkg, err)
	}
	return nil
}

func goBuild(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
