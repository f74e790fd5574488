// Command echo is a tiny Lambda function for the lambdarie tests. It echoes its event, and
// obeys instructions in it:
//
//	{"fail": "message"}      return an error with that message
//	{"panic": "message"}     panic
//	{"exit": 3}              exit the process with that code
//	{"sleep_ms": 50}         sleep before answering, ignoring the deadline
//	{"log": "text"}          print the text on stdout and on stderr
//	{"env": ["NAME", ...]}   answer {"env": {"NAME": value}} (values of unset names are absent)
//	{"deadline": true}       answer {"deadline_ms": milliseconds left}
//	{"barrier": "dir", "n": 2}  create a file in dir, then wait until dir holds n files
//
// An SQS batch ({"Records": [...]}) gets an events.SQSEventResponse listing the records whose
// body contains "fail".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Fail     string          `json:"fail"`
	Panic    string          `json:"panic"`
	Exit     int             `json:"exit"`
	SleepMS  int             `json:"sleep_ms"`
	Log      string          `json:"log"`
	Env      []string        `json:"env"`
	Deadline bool            `json:"deadline"`
	Barrier  string          `json:"barrier"`
	N        int             `json:"n"`
	Records  json.RawMessage `json:"Records"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if req.Log != "" {
		fmt.Fprintln(os.Stdout, "stdout: "+req.Log)
		fmt.Fprintln(os.Stderr, "stderr: "+req.Log)
	}
	if req.SleepMS > 0 {
		// Deaf to its context, like a hung function: past its timeout, the emulator (not the
		// function's own deadline, which would race it) ends the invoke.
		time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
	}
	if req.Barrier != "" {
		if err := barrier(ctx, req.Barrier, req.N); err != nil {
			return nil, err
		}
	}
	switch {
	case req.Fail != "":
		return nil, errors.New(req.Fail)
	case req.Panic != "":
		panic(req.Panic)
	case req.Exit != 0:
		os.Exit(req.Exit)
	case req.Env != nil:
		env := map[string]string{}
		for _, k := range req.Env {
			if v, ok := os.LookupEnv(k); ok {
				env[k] = v
			}
		}
		return map[string]any{"env": env}, nil
	case req.Deadline:
		dl, ok := ctx.Deadline()
		if !ok {
			return nil, errors.New("no deadline")
		}
		return map[string]any{"deadline_ms": time.Until(dl).Milliseconds()}, nil
	case req.Records != nil:
		var batch events.SQSEvent
		if err := json.Unmarshal(raw, &batch); err != nil {
			return nil, fmt.Errorf("decode batch: %w", err)
		}
		var resp events.SQSEventResponse
		for _, r := range batch.Records {
			if strings.Contains(r.Body, "fail") {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
	return raw, nil
}

// barrier adds a file to dir and waits until dir holds n files: n invokes running together.
func barrier(ctx context.Context, dir string, n int) error {
	f, err := os.CreateTemp(dir, "arrived-")
	if err != nil {
		return err
	}
	f.Close()
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(entries) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("barrier: %d of %d arrived: %w", len(entries), n, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func main() {
	lambda.Start(handle)
}
