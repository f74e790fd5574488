// Package s3doc reads and conditionally writes the suite's JSON documents in its S3 bucket:
// session records and corrections (archive, enrich, the sweep), leases and intent records (the
// corrector), the sweep's state. It is the one place that calls GetObject and PutObject on that
// bucket and decides what S3's answers mean (TestOnlyThisPackageTouchesTheBucket keeps it so).
//
// The operations, as S3 documents its conditional writes
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
//
//   - Get reads a document, at most its Kind's MaxBytes, decodes it and returns its ETag. A
//     missing key is ErrNotFound (404 NoSuchKey, or NotFound); a body that is not the kind's JSON
//     or is larger than its limit is ErrUnreadable (with the ETag, so a caller may overwrite it).
//   - Create writes a document only if the key has none (If-None-Match: *). 412
//     PreconditionFailed means one exists: ErrExists. 409 ConditionalRequestConflict means
//     another conditional write to the key is in progress, which may still fail: Create writes
//     again after a pause, until it succeeds or S3 proves the object exists (412); when every
//     attempt meets a 409, the error wraps ErrConflict (transient: try again later).
//   - Replace writes a document only over the ETag it was read with (If-Match). 412 means the
//     ETag moved, 404 that the object was deleted since: ErrChanged. 409 is retried as in Create.
//   - Put writes a document unconditionally (for a writer that holds a lease).
//   - Update is the one compare-and-swap loop: Get, the caller's change, Create or Replace, and
//     again from Get when the write lost the race, at most Attempts times (then ErrChanged).
//
// Every error wraps the S3 error it comes from (errors.As finds the SDK's types) and names the
// operation, bucket and key. "Not found", "lost the race" and "in progress" are decided from the
// SDK's typed errors: *types.NoSuchKey and the codes of the SDK's NoSuchKey and NotFound types,
// and the HTTP status of the SDK's *awshttp.ResponseError (412, 409: S3's PutObject has no
// modelled error type for them).
package s3doc
