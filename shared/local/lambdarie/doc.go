// Package lambdarie runs real Lambda bootstrap binaries locally under the AWS Lambda Runtime
// Interface Emulator (github.com/aws/aws-lambda-runtime-interface-emulator, pinned by go.mod's
// tool line), the runtime API that `sam local invoke` uses inside its container.
//
// An Instance is one emulator process (and the bootstrap it starts on the first invoke) with
// the environment a deployed function gets; it takes one invoke at a time, because the emulator
// crashes on concurrent invokes. A Pool of N instances gives a function concurrency N. Adapter
// turns an Invoker into a localbus.HandlerFunc, so the local SQS queues feed real bootstraps.
//
// The emulator reports a function error (the handler returned an error, panicked, exited, or
// timed out) with HTTP 200 or 502 and a {"errorMessage","errorType"} body, never with the
// X-Amz-Function-Error header; Invoke turns each into a *FunctionError.
//
// The function's stdout and stderr (which the emulator merges) and the emulator's own lines are
// captured line by line for a timeline (Config.OnLog, Instance.Logs).
//
// The bootstraps must be built for the host (GOOS=linux, GOARCH=runtime.GOARCH, see
// BuildBootstrap): the arm64 Lambda artifacts run here only under qemu. Linux only.
//
// Instances and Pools are safe for concurrent use.
package lambdarie
