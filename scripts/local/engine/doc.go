// Package engine runs the whole ivs-sessions suite on one machine, offline, and plays
// scenarios through it: the engine of scripts/local (`make local`) and of the end-to-end test.
//
// A Stack (Start) wires, as the CDK app deploys them, on the one local AWS (shared/local/localaws):
//   - the local IVS server and broadcast simulator (shared/local/ivstest), with IVS's quota of
//     Config.Quota calls per second per operation; the events it emits enter the default bus
//     as an AWS service's do (localbus.Bus.Inject);
//   - the local EventBridge and SQS (shared/local/localbus) with exactly the rules the CDK app deploys
//     (localbus.SuiteRules) and one queue per function with its deployed settings
//     (suite.Deployment: batch size, batching window, visibility timeout, maximum receive count
//     and DLQ, maximum concurrency, timeout), its waits scaled by Config.Second;
//   - the file-backed S3 (shared/local/locals3) holding the archive bucket under Config.Dir/s3;
//   - the local CloudWatch (shared/local/cloudwatchtest) holding the series the broadcast
//     simulator publishes for every session, which quality reads;
//   - the functions' real bootstraps (suite.AllFunctions: the queue-fed ones and the scheduled sweep)
//     under the Lambda Runtime Interface Emulator
//     (shared/local/lambdarie), as many instances as their maximum concurrency, with the environment
//     the CDK app gives them (suite.Settings.Environment) pointed at the local servers
//     (localaws.AWS.FunctionEnv).
//
// Everything that happens becomes a timeline Entry (Config.Observe and Config.Dir/logs): the
// events IVS emitted, the IVS calls each function made (the IVS server's call log; each
// function reaches IVS through its own path prefix, so calls are attributed), what each function
// logged (their JSON logs; their EMF metrics are counted, see Counters), and what the queues
// did. Build builds the executables; Run plays a Scenario and checks its expectations; Summarize
// and ReadArchive report what the run left in the archive.
//
// Scenarios are JSON (see Scenario); the ten built-in ones (Builtin, Select): a multitrack
// encoder refused and the channel corrected, REQUIRE relaxed to ALLOW, a BASIC channel left to a
// person, a correction that waits for a live channel to go offline, a burst under the quota,
// malformed events, ingest quality, lost events swept up, a multitrack encoder on a channel
// with ads (server-side ad insertion), left TS with a person told, and the border: an
// EventBridge replay (an injected event with replay-name) and forged messages put straight on a
// queue (Step.Send), neither of which changes a channel. A scenario can give channels
// an ad configuration (ChannelSpec.AdConfiguration) and expect the notifications that reached a
// person (Expect.Notifications: the local bus runs the suite's notification rules, their
// messages published to localbus.AlarmTopic, shown on the timeline by actor sns) and the
// functions' metrics (Expect.Metrics).
//
// Linux only (the emulator). A Stack is safe for concurrent use; scenarios on one Stack should
// run one at a time, since each waits for the whole pipeline to be idle.
package engine
