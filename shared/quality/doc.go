// Package quality measures how each track of an IVS session really streamed: from the
// session's targets (GetStreamSession's tracks), the series IVS keeps in CloudWatch (namespace
// AWS/IVS: IngestVideoBitrate, IngestFramerate, KeyframeInterval per video track,
// IngestAudioBitrate per audio track, ConcurrentViews per channel) and the session's health
// events (Starvation Start/End), it computes per-track statistics against the targets and a
// verdict a person can filter on: healthy, degraded (with the reasons) or unknown (no metrics).
//
// It also builds the one GetMetricData request a session needs (Query): every track and metric
// in one call, at the finest period CloudWatch still keeps for the session's age (1 s for data
// younger than 3 h, 60 s younger than 15 days, 300 s younger than 63 days, 3600 s after), made
// coarser only when the series would not fit one response (MaxDatapoints).
//
// The package is pure: no I/O, no clock (the caller passes "now"). Its functions are safe for
// concurrent use and never modify their arguments.
//
// IVS metrics: https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/stream-health.html
// GetMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
package quality
