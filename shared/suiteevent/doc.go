// Package suiteevent is the one codec of the events the suite publishes on its own bus,
// "IVS Session Enriched" (session.Enriched), "IVS Channel Multitrack Corrected"
// (session.Corrected) and "IVS Session Quality" (session.Measured).
//
// Encoding: EnrichedEntry, CorrectedEntry and QualityEntry build the PutEvents entry (source
// suite.EventSource, the detail-type, the channel in resources); an enriched record is trimmed,
// oldest events first, so that the entry fits EventBridge's 256 KB limit as EventBridge counts it
// (Entry.Size,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
//
// Decoding: Decode reads what a target receives, aws-lambda-go's events.EventBridgeEvent, and
// its detail, with a *invalid.FieldError naming what is wrong.
//
// Publishing the entries follows the one PutEvents policy, shared/putevents.
//
// Every function is safe for concurrent use.
package suiteevent
