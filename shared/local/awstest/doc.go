// Package awstest holds what the functions' tests need around the one local AWS
// (shared/local/localaws: a local IVS, a local EventBridge bus with its SQS queues and a local
// S3, with real aws-sdk-go-v2 clients aimed at them): a Stack that starts it for one test; a Wire that records the requests a function makes; a
// Buffer for the logs and metrics written from many goroutines; a Secrets checker that fails a
// test when a stream key or SRT passphrase leaves the function; SQS batches as the event source
// mapping delivers them; and the function's real bootstrap started under the Lambda Runtime
// Interface Emulator (shared/local/lambdarie) against the stack, configured only through its
// environment.
//
// It is an ordinary package so that every function's tests can share it, but only tests import
// it: its helpers take a testing.TB and fail the test on setup errors.
package awstest
