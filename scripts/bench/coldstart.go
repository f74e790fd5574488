package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/internal/machine"
	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/local/lambdarie"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// minimalName names the yardstick in the table.
const minimalName = "minimal"

// emptyBatch is the event of every cold start: an SQS batch of no message, which each function
// answers without calling AWS, so what is timed is start, init and the runtime loop.
var emptyBatch = []byte(`{"Records":[]}`)

// benchEnv is the environment of function fn: what the CDK app gives it, with endpoints that
// nothing reaches (an empty batch calls no AWS API) and no shared AWS files.
func benchEnv(fn string) map[string]string {
	env := suite.DefaultSettings().Environment(fn, suite.Resources{EventBus: suite.BusSessions, ArchiveBucket: "bench-bucket", Account: "123456789012",
		DeadLetterQueueURL: "http://127.0.0.1:9/000000000000/correct-dlq"})
	for k, v := range map[string]string{
		"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench-not-a-secret",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
	} {
		env[k] = v
	}
	return env
}

// sample is one cold start.
type sample struct {
	launch time.Duration // the emulator's start to the first response
	invoke time.Duration // the first invoke alone (the bootstrap's start, init and the invoke)
	cpu    time.Duration // CPU time the bootstrap used up to its first response (every thread)
}

func coldStart(ctx context.Context, tmp string, args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	runs := fs.Int("runs", 21, "cold starts per bootstrap (the median is reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("-runs: want at least 1, got %d", *runs)
	}
	root, err := engine.ModuleRoot(".")
	if err != nil {
		return err
	}
	rie, err := lambdarie.BuildRIE(ctx, root, tmp)
	if err != nil {
		return err
	}
	names := append([]string{minimalName}, suite.Functions...)
	bins := map[string]string{}
	for _, name := range names {
		pkg := "./functions/" + name
		if name == minimalName {
			pkg = "./scripts/bench/minimal"
		}
		bins[name] = filepath.Join(tmp, name, "bootstrap")
		if err := lambdarie.BuildBootstrap(ctx, root, pkg, bins[name]); err != nil {
			return err
		}
	}
	samples := map[string][]sample{}
	// One start of each first, not counted: it loads the executables into the page cache.
	for round := -1; round < *runs; round++ {
		for _, name := range names {
			s, err := oneColdStart(ctx, rie, bins[name], name)
			if err != nil {
				return err
			}
			if round >= 0 {
				samples[name] = append(samples[name], s)
			}
		}
	}
	fmt.Printf("cold start under the Lambda RIE, median of %d interleaved runs (%s/%s, stripped, lambda.norpc)\n", *runs, runtime.GOOS, runtime.GOARCH)
	fmt.Printf("%-10s %16s %7s %14s %7s %14s %7s\n", "bootstrap", "launch->response", "ratio", "invoke alone", "ratio", "bootstrap CPU", "ratio")
	base := medians(samples[minimalName])
	for _, name := range names {
		m := medians(samples[name])
		fmt.Printf("%-10s %13.1f ms %6.2fx %11.1f ms %6.2fx %11.1f ms %6.2fx\n", name, ms(m.launch), ratio(m.launch, base.launch),
			ms(m.invoke), ratio(m.invoke, base.invoke), ms(m.cpu), ratio(m.cpu, base.cpu))
	}
	fmt.Printf("(load average %s when it ended: wall-clock times grow with the machine's load, CPU time does not)\n", machine.LoadAverage())
	return nil
}

func oneColdStart(ctx context.Context, rie, bootstrap, name string) (sample, error) {
	fn := name
	if name == minimalName {
		fn = suite.FunctionArchive // any environment will do for the minimal handler
	}
	var errLines []string
	t0 := time.Now()
	inst, err := lambdarie.Start(ctx, lambdarie.Config{
		RIE: rie, Bootstrap: bootstrap, FunctionName: name, Env: benchEnv(fn),
		OnLog: func(l lambdarie.Line) {
			if strings.Contains(l.Text, `"level":"ERROR"`) {
				errLines = append(errLines, l.Text)
			}
		},
	})
	if err != nil {
		return sample{}, err
	}
	defer inst.Close()
	t1 := time.Now()
	if _, err := inst.Invoke(ctx, emptyBatch); err != nil {
		return sample{}, fmt.Errorf("%s: first invoke: %w (%s)", name, err, strings.Join(errLines, " | "))
	}
	t2 := time.Now()
	var cpu time.Duration
	for _, pid := range inst.BootstrapPIDs() {
		cpu += cpuTime(pid)
	}
	return sample{launch: t2.Sub(t0), invoke: t2.Sub(t1), cpu: cpu}, nil
}

// cpuTime returns the CPU time process pid has used, summed over its threads
// (/proc/<pid>/task/<tid>/schedstat: nanoseconds on a CPU first). Unlike the wall-clock times it
// does not grow when other processes load the machine. 0 when it cannot be read.
func cpuTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err == nil {
			total += time.Duration(ns)
		}
	}
	return total
}

func medians(ss []sample) sample {
	var l, i, c []time.Duration
	for _, s := range ss {
		l = append(l, s.launch)
		i = append(i, s.invoke)
		c = append(c, s.cpu)
	}
	return sample{launch: median(l), invoke: median(i), cpu: median(c)}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
