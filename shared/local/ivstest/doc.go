// Package ivstest is a local Amazon IVS (low-latency streaming): an HTTP server that answers the
// IVS REST-JSON API exactly as github.com/aws/aws-sdk-go-v2/service/ivs sends it, and a
// broadcast simulator that connects encoders to channels and emits the EventBridge events IVS
// emits. Tests start it in-process (NewServer, Client); the local stack runs it as
// scripts/ivs-server. Facts come from the IVS API reference and the Smithy model
// (https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/Welcome.html) and the
// EventBridge guide (https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/eventbridge.html).
//
// # API
//
// Channels (CreateChannel, GetChannel, BatchGetChannel, UpdateChannel, DeleteChannel,
// ListChannels), streams (GetStream, ListStreams, StopStream, GetStreamSession,
// ListStreamSessions), stream keys (ListStreamKeys, GetStreamKey: one key per channel; its value
// is returned by GetStreamKey, as IVS does, and never logged), ad configurations for
// server-side ad insertion (CreateAdConfiguration, GetAdConfiguration, ListAdConfigurations,
// DeleteAdConfiguration: ARN arn:aws:ivs:<region>:<account>:ad-configuration/<id>, exactly one
// MediaTailor playback configuration ARN, checked against its pattern; a channel created or
// updated with an adConfigurationArn that does not exist is refused with 404
// ResourceNotFoundException, an ad configuration a channel references cannot be deleted: 409
// ConflictException) and tags (TagResource,
// UntagResource, ListTagsForResource on /tags/{resourceArn}). Errors have IVS's wire shape: the model's HTTP status, the
// x-amzn-ErrorType header and {"exceptionMessage": "..."}, so the SDK returns its typed errors
// (*types.ValidationException, *types.ConflictException, ...). Timestamps are RFC 3339 strings.
// Requests are not authenticated.
//
// Validation follows the model (patterns, lengths, enums, page sizes) and the member docs:
// multitrack input only on STANDARD channels, with policy and maximumResolution when enabled
// and containerFormat FRAGMENTED_MP4 on the resulting channel; preset only on ADVANCED_SD and
// ADVANCED_HD (changing the type to STANDARD or BASIC without "preset":"" fails with
// "preset: HIGHER_BANDWIDTH_DELIVERY not match channel type: STANDARD", as
// aws/aws-sdk-go-v2#2262 reports, because the Go SDK omits empty enums). UpdateChannel is a
// partial update; its multitrackInputConfiguration replaces the stored one, and "enabled"
// absent means false, so the {} the SDK sends for Enabled:false disables multitrack. A live
// channel cannot be updated or deleted (409 ConflictException). A channel may have both an ad
// configuration and containerFormat FRAGMENTED_MP4: whether IVS refuses that is not documented
// (server-side ad insertion needs TS), so the server accepts it silently, the worst case for a
// corrector that must not break a channel's ads.
//
// # Quotas and faults
//
// Options.Quota limits each operation to that many calls per second (IVS: 5, tag operations
// twice that), answering 429 with x-amzn-ErrorType ThrottlingException, which the SDK's
// standard retryer retries. SetFault (or POST /_admin/faults) makes an operation fail with any
// IVS error, for the next N calls or at a rate, and adds latency. Stats counts calls, throttles
// and errors per operation.
//
// # Broadcasts and events
//
// Connect connects an Encoder (a stream key and a track ladder: one video track, or 2 to 5 for
// multitrack, plus audio). Admission, in order: a multitrack encoder on a channel without
// multitrack ends with MultitrackInputNotAllowed; a single-track encoder on a channel whose
// policy is REQUIRE ends with MultitrackInputRequired; more than 5 tracks end with
// InvalidMultitrackInputTrackCount; a track that is not H.264/H.265 or exceeds the channel's
// maximumResolution (shorter edge: SD 480, HD 720, FULL_HD 1080), 60 fps or 6 Mbps ends with
// InvalidMultitrackInputVideoTrackMediaProperties; a single track beyond the channel type's
// input limits (1080p, 8.5 Mbps; BASIC 3.5 Mbps, 1.5 Mbps up to 480p) is disconnected with an
// IVS Limit Breach event (Ingest Resolution, Ingest Bitrate). Every connection with a valid
// stream key is a stream session (GetStreamSession shows the offered tracks and the events,
// newest first, at most 500), kept 60 days of simulated time after it ends. Accepted encoders
// are live until Disconnect, StopStream or FailStream; Starve and Recover toggle starvation.
//
// Events are IVS's EventBridge events (source aws.ivs, snake_case detail, the channel ARN in
// resources, a fresh UUID id, the server's account and region): Session Created, Stream Start,
// Session Ended (with the code of a refusal), Stream End, Stream Failure, Starvation Start and
// End, Limit Breach. They go, in order, to Options.Sink: a SinkFunc or an EventBridgeSink that
// calls PutEvents; Events keeps the latest 10,000.
//
// # Time
//
// Options.Clock is the simulated time of resources, sessions and events (FakeClock for tests;
// by default wall-clock time that Advance moves forward). Quotas and fault latency use
// wall-clock time.
//
// # Admin API
//
// Under /_admin/ (not counted, not throttled): GET state (no secrets), stats and events;
// faults; broadcasts (connect, stop, starve, recover, fail); clock. See the Server methods of
// the same names.
//
// A Server is safe for concurrent use.
package ivstest
