// Package multitrack is the suite's correction policy: given the code a session ended with
// and the channel's configuration, Decide says whether and how to change the channel's
// multitrack input configuration with UpdateChannel. It is pure: no I/O, no clock, no logging.
//
// The policy (README.md, "What it archives and decides"):
//
//   - MultitrackInputNotAllowed on a STANDARD channel: enable multitrack input with policy
//     ALLOW, maximumResolution from the configuration, else from the session's highest video
//     track, else FULL_HD, and containerFormat FRAGMENTED_MP4 (a configured permission, since
//     it also changes the format of recordings).
//   - MultitrackInputNotAllowed on any other type: change the type to STANDARD (clearing an
//     ADVANCED_* channel's preset) as above, only if the configuration allows it; else manual.
//   - MultitrackInputRequired on a channel whose policy is REQUIRE: policy ALLOW.
//   - InvalidMultitrackInputVideoTrackMediaProperties with a top track above maximumResolution:
//     raise maximumResolution to cover it (never above FULL_HD); else the broadcaster's tracks
//     do not match GetClientConfiguration.
//   - Stream-key, track-count and takeover codes: the broadcaster must act.
//   - A channel with an ad configuration (adConfigurationArn) is never given containerFormat
//     FRAGMENTED_MP4 or multitrack input: IVS server-side ad insertion needs TS, so the change
//     would silently end the channel's ads. Whatever the mode and the permissions, a rule that
//     would make either change is manual, with Conflict ConflictAdInsertion and a reason that
//     says what a person can do (a single-track setup for the broadcaster, or removing the ad
//     configuration to choose multitrack). A change that touches neither (REQUIRE relaxed to
//     ALLOW, a higher maximumResolution on a channel that already has both) is made as usual.
//     https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/server-side-ad-insertion.html
//   - An opted-out channel, or correction mode off: skipped. Mode dry-run: the same decision,
//     marked DryRun, which the corrector publishes and archives without calling UpdateChannel.
//
// Corrections only move toward ALLOW, higher resolutions, multitrack enabled, FRAGMENTED_MP4
// and STANDARD, so deciding again on a corrected channel never asks for another change: they
// converge and never flap.
//
// The Go SDK omits empty enums when it serializes, so it cannot send "preset":"", which a
// change of type from ADVANCED_* to STANDARD needs (aws/aws-sdk-go-v2#2262). Change.ClientOptions
// adds the middleware that writes it into the UpdateChannel request body.
//
// API rules: https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_UpdateChannel.html
// and https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/multitrack-video-setup.html.
//
// Every function in this package is safe for concurrent use.
package multitrack
