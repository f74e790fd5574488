package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
)

// The local Athena of make local -keep: scripts/athena-server over the stack's archive
// folder, in a process of its own. It is built with cgo (its engine, DuckDB, is a C++
// library), so it is not linked into this command, which is built as the bootstraps are
// (CGO_ENABLED=0) so that the packages they share compile once.

// athenaPackage is the command's package, built into athenaBinary under the stack's bin/.
const (
	athenaPackage = "./scripts/athena-server"
	athenaBinary  = "athena-server"
	// athenaBanner starts the line the server prints once it listens (scripts/athena-server).
	athenaBanner = "athena-server listening on "
)

// localAthena is a running athena-server.
type localAthena struct {
	url  string
	cmd  *exec.Cmd
	done chan error
}

// startAthena builds athena-server into binDir and starts it over archiveDir, its log in
// logFile; it returns once the server listens.
func startAthena(ctx context.Context, out *printer, root, binDir, archiveDir, logFile, account, region string) (*localAthena, error) {
	bin := filepath.Join(binDir, athenaBinary)
	out.line("building the local Athena (" + athenaPackage + ", with cgo: DuckDB compiles the first time, a few minutes; then seconds) ...")
	began := time.Now()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, athenaPackage)
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the local Athena: %w: %s", err, strings.TrimSpace(string(b)))
	}
	out.line(fmt.Sprintf("  built %s in %s", athenaBinary, time.Since(began).Round(100*time.Millisecond)))

	logs, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("local Athena: %w", err)
	}
	cmd := exec.Command(bin, "--dir", archiveDir, "--account", account, "--region", region)
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logs.Close()
		return nil, fmt.Errorf("local Athena: %w", err)
	}
	if err := cmd.Start(); err != nil {
		logs.Close()
		return nil, fmt.Errorf("start the local Athena: %w", err)
	}
	a := &localAthena{cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = r.WriteTo(logs) // anything more goes to the log
	}()
	go func() {
		a.done <- cmd.Wait()
		logs.Close()
	}()
	select {
	case line := <-lines:
		rest, ok := strings.CutPrefix(line, athenaBanner)
		if !ok {
			a.Close()
			return nil, fmt.Errorf("the local Athena did not start (see %s): %q", logFile, line)
		}
		a.url, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
		return a, nil
	case <-time.After(time.Minute):
		a.Close()
		return nil, fmt.Errorf("the local Athena did not start within a minute (see %s)", logFile)
	}
}

// Close stops the server (SIGINT, then SIGKILL after 5 s) and waits for it.
func (a *localAthena) Close() error {
	_ = a.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-a.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // it was asked to stop
		}
		return err
	case <-time.After(5 * time.Second):
		_ = a.cmd.Process.Kill()
		return <-a.done
	}
}

// athenaLines are the banner's lines for the local Athena at url: the AWS CLI's athena commands
// on the CDK app's workgroup and database, and make report on it.
func athenaLines(url, bucket string) (current, older []string) {
	wg, db := catalog.WorkGroupName(catalog.AppPath), catalog.DatabaseName(catalog.AppPath)
	query := `"SELECT channelid, count(*) AS sessions FROM sessions GROUP BY channelid"`
	current = []string{
		"aws athena list-named-queries --work-group " + wg + "      # then: aws athena get-named-query --named-query-id <id>",
		"aws athena start-query-execution --work-group " + wg + " --query-execution-context Database=" + db + " \\",
		"    --query-string " + query,
		"aws athena get-query-execution --query-execution-id <id>      # state, DataScannedInBytes",
		"aws athena get-query-results --query-execution-id <id>",
	}
	older = []string{
		"aws athena list-named-queries --work-group " + wg + " --endpoint-url " + url,
		"aws athena start-query-execution --work-group " + wg + " --query-execution-context Database=" + db + " --query-string " + query + " --endpoint-url " + url,
		"aws athena get-query-results --query-execution-id <id> --endpoint-url " + url,
	}
	report := []string{
		"make report ARGS='-athena'      # the report, counted by a local Athena of its own over the same archive",
		"make report ARGS='-bucket " + bucket + " -workgroup " + wg + " -database " + db + " -athena'      # by this one (with the exports above)",
	}
	return append(current, report...), older
}
