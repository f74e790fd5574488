// Package ivsquota keeps an IVS client under the account's API quota and counts the throttles it
// still meets.
//
// IVS allows 5 calls per second per operation per account and region, shared with everything
// else the customer runs, and the quota cannot be raised
// (https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/service-quotas.html). A Pacer
// spaces every attempt of every operation, retries included, to its share of that quota; the
// standard retryer then backs off on the ThrottlingException that other callers may still cause,
// without a retry token budget that a burst of throttles could exhaust.
package ivsquota
