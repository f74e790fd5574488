// Package redact keeps secrets out of logs, events and the archive: a Secret type that prints
// as REDACTED through log/slog, fmt and encoding/json alike, a scrubber for IVS stream keys in
// free text, and copies of the IVS SDK's outputs with srt.passphrase removed, fit to log.
//
// The secrets of the suite's domain are the channel's SRT passphrase (returned by GetChannel,
// UpdateChannel and inside GetStreamSession's channel) and stream keys (never returned by the
// APIs the suite calls, but easily pasted into a tag or an RTMP URL).
//
// Every function in this package is safe for concurrent use and never modifies its input.
package redact
