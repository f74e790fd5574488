// Package ivsevent models the Amazon EventBridge events that Amazon IVS (low-latency streaming)
// emits, parses and validates them, and defines, once, the event patterns and routes that the
// suite subscribes to. The CDK app, the functions and the local event bus all read the patterns
// from here.
//
// Event formats: https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/eventbridge.html
// and https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ivs.html.
//
// IVS delivers events at least once, unordered and sometimes hours late; nothing in this package
// assumes an order. Every value in this package is safe for concurrent use.
package ivsevent
