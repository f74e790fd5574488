// Command invoke runs one function of the suite the way `sam local invoke -e <event>` would, with
// no AWS account: `make invoke FN=<name> EVENT=<file>` (or `go run ./scripts/invoke -fn <name>
// -event <file>`).
//
// It builds the function's real bootstrap for this host (shared/local/lambdarie) and the AWS Lambda
// Runtime Interface Emulator (the version go.mod pins), starts the local AWS the function talks
// to (shared/local/localaws) — the local IVS (shared/local/ivstest), the local EventBridge and SQS (shared/local/localbus,
// routing with the suite's rules), the local S3 (shared/local/locals3) and the local CloudWatch
// (shared/local/cloudwatchtest, fed by the local IVS's broadcast simulator) — and invokes the bootstrap
// under the emulator once, with the event as it is (-sqs: inside an SQS batch), configured only
// through its environment (localaws.AWS.FunctionEnv: the suite's variables as the CDK app sets
// them, from suite.Settings.Environment, and AWS_ENDPOINT_URL_*). Then it
// prints the function's response, its log lines, the IVS calls it made, the events it
// published (and the queues the suite's rules route them to) and the objects it archived.
//
// The local IVS gets a channel and a stream session matching the event: for an IVS event
// (events/*.json) the channel of resources[0] and the session of detail.stream_id, set up so
// that the session ends the way the event says (a multitrack refusal for the codes the local IVS
// simulates; a single-track session, ended when the event ends it, otherwise). For a suite event
// (an "IVS Session Enriched" or "IVS Channel Multitrack Corrected", events/suite/*.json) the
// channel takes the configuration the record carries. The local IVS names its channels and
// streams itself, so an HTTP shim in front of it translates the event's channel ARN and stream
// ID to the local ones and back: the function sees the event's identifiers only. A channel name
// the local IVS refuses (as IVS would) is replaced by "invoke", with a note quoting the refusal.
//
// enrich reads IVS events; correct and archive read the suite's own events
// (events/suite/session-enriched.json, channel-corrected.json, or what enrich published, which
// -save writes to a directory, one file per event, for the next function). The quality function
// reads an "IVS Session Enriched" event of an ended session; the local CloudWatch holds no series
// for a session the simulator did not run, so it asks to be retried (CloudWatch does not have the
// metrics yet), or publishes unknown when the session cannot be measured at all. An event that is
// not valid (e.g. events/invalid/*.json) is invoked anyway, with a note, to show how the function
// rejects it.
//
// The exit status is 0 when the function used the event, 1 when it failed, rejected the event
// (the reason and, for an event of the wrong kind, which file to give it instead, are printed) or
// asked for it to be delivered again, and when invoke itself could not run it.
package main
