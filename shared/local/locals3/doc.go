// Package locals3 is the suite's local Amazon S3: an S3-compatible HTTP server from gofakes3
// (github.com/johannesboyne/gofakes3) whose objects are plain files, so a person can open the
// archived records.
//
// With New(dir), bucket b's object k is the file <dir>/buckets/<b>/<k> (see ObjectPath);
// gofakes3 keeps its metadata (ETags, content types) under <dir>/metadata. The real
// aws-sdk-go-v2 S3 client talks to it with path-style addressing (UsePathStyle, automatic for an
// IP-address endpoint). Conditional writes behave as S3's: If-None-Match "*" on an existing key
// and If-Match with a stale ETag answer 412 PreconditionFailed.
//
// A Server is safe for concurrent use.
package locals3
