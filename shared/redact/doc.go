// Package redact keeps stream keys out of logs, events, error messages and the archive: a
// scrubber for IVS stream keys in free text (Scrub, Tags) and the one way to quote an input in
// an error message (Quote: scrubbed, then cut to 200 bytes); and the one way to print text from
// outside as data (Escape: control, line-separator and bidirectional characters escaped).
//
// The secrets of the suite's domain are the channel's SRT passphrase and stream keys. The
// passphrase never reaches this package: the session record copies a channel field by field
// (session.ChannelOf) and leaves it out. Stream keys are never returned by the APIs the suite
// calls, but are easily pasted into a tag or an RTMP URL, so free text is scrubbed.
//
// Every function in this package is safe for concurrent use and never modifies its input.
package redact
