// Package locals3 is the suite's local Amazon S3: an S3-compatible HTTP server from gofakes3
// (github.com/johannesboyne/gofakes3) whose objects are plain files, so a person can open the
// archived records.
//
// With New(dir), bucket b's object k is the file <dir>/buckets/<b>/<k> (see ObjectPath);
// gofakes3 keeps its metadata (ETags, content types) under <dir>/metadata. The real
// aws-sdk-go-v2 S3 client talks to it with path-style addressing (UsePathStyle, automatic for an
// IP-address endpoint). Conditional writes answer as S3 documents them: If-None-Match "*" on an
// existing key and If-Match with a stale ETag answer 412 PreconditionFailed, If-Match on a
// missing key 404 NoSuchKey, and a conditional write while another one to the same key is in
// progress 409 ConditionalRequestConflict (SetConditionalWriteHook holds one to show it). The
// in-memory server's buckets are versioned, as the deployed archive bucket is; the file-backed
// one keeps the latest version only (its files are what a person opens).
//
// A Server is safe for concurrent use.
package locals3
