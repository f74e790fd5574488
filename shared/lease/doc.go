// Package lease is a mutual-exclusion lease held in one Amazon S3 object: whoever creates the
// object, or overwrites it once it has expired, holds the lease until it releases it or its time
// runs out. The corrector holds one per channel (locks/account=<account>/region=<region>/channel=<id>.json in the archive bucket),
// so two concurrent deliveries never correct one channel at once.
//
// The lease is made of S3's conditional writes, and nothing else
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), made and
// read through shared/s3doc:
//
//   - Acquire puts {"owner", "expires"} with If-None-Match: * (create, only if absent). When S3
//     answers 412 Precondition Failed, the object is read: a lease that is live belongs to
//     someone else (*HeldError); an expired or released one is taken over with If-Match: <its
//     ETag>, which only one of several contenders can win. A 409 ConditionalRequestConflict (a
//     contender's conditional write in progress, which may fail) is answered by writing again
//     once it is done; when every attempt meets one, Acquire returns that error.
//   - Release overwrites the lease, If-Match: <the ETag of our write>, with a released one, so
//     the next Acquire takes it over at once. A lease is never deleted: the IAM grant needs only
//     s3:GetObject and s3:PutObject, and a lifecycle rule removes leases no longer used.
//
// Time: a lease expires at the holder's clock plus its TTL; choose a TTL well above the longest
// hold (the corrector uses twice its function timeout) so that clock skew between holders does not
// matter. Without s3:ListBucket, reading a lease that vanished meanwhile (a lifecycle
// expiry) answers AccessDenied rather than NoSuchKey: Acquire returns that error, and the caller
// tries again later.
package lease
