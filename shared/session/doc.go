// Package session builds, merges and keys the archived record of one IVS stream session: the
// channel's configuration at go-live, the video and audio track ladder the encoder sent, what
// happened (events, recording, limit breaches), how it ended and the correction decided for it.
// It is pure: no I/O, no clock.
//
// A record is built from GetStreamSession (FromStreamSession: enriched) or, when that is not
// possible, from one EventBridge event (FromEvent: not enriched). IVS events arrive at least
// once, unordered and sometimes hours late, and one session gives several records, so Merge
// combines any two records of a session without losing what either knew; it is commutative,
// associative and idempotent, which makes the archive's read-merge-write converge whatever the
// order of deliveries.
//
// A session's identity is (account, region, channel, stream) (Identity), and every archive key
// is built in key.go from checked identifiers alone, with account and region in it, so several
// accounts and regions can share one bucket. Every string of a record is scrubbed of stream keys
// (redact.Strings) whenever it is built or merged.
//
// The record's JSON is its contract (schema version SchemaVersion): camelCase keys, times in
// UTC RFC 3339, empty values omitted. It never holds srt.passphrase or a stream key: channel
// tags are scrubbed with package redact.
//
// GetStreamSession: https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_GetStreamSession.html
// IVS events: https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/eventbridge.html
//
// Every function in this package is safe for concurrent use; none modifies its arguments.
package session
