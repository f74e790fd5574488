package lambdarie

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakefileBuildsWithBootstrapFlags: make build (the deployed bootstraps) and BuildBootstrap
// (the bootstraps the tests, make local and the benchmarks run) build with the same flags.
func TestMakefileBuildsWithBootstrapFlags(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	makefile := string(b)
	variable := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + ` *\??:?= *(.*)$`).FindStringSubmatch(makefile)
		if m == nil {
			t.Fatalf("the Makefile sets no %s", name)
		}
		return m[1]
	}
	line := strings.ReplaceAll(variable("GOBUILD_LAMBDA"), "$(LAMBDA_LDFLAGS)", variable("LAMBDA_LDFLAGS"))
	_, flags, ok := strings.Cut(line, "$(GO) build ")
	if !ok {
		t.Fatalf("GOBUILD_LAMBDA = %s: no $(GO) build", line)
	}
	var want []string
	for _, f := range BootstrapFlags {
		if strings.Contains(f, " ") {
			f = `"` + f + `"`
		}
		want = append(want, f)
	}
	if flags != strings.Join(want, " ") {
		t.Errorf("the Makefile builds with %s, BuildBootstrap with %s", flags, strings.Join(want, " "))
	}
}
