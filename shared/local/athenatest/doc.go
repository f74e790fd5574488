// Package athenatest is a local Amazon Athena over the local archive: the workgroup and Glue
// database of the CDK app, with its tables (infra/catalog: the same columns, partition keys,
// partition projection and SerDe settings) and its saved queries, answering the real
// aws-sdk-go-v2 Athena client (github.com/aws/aws-sdk-go-v2/service/athena, v1.68) on its wire
// protocol, awsJson1_1: POST / with X-Amz-Target AmazonAthena.<Operation>, JSON in and out,
// errors as an HTTP 4xx or 5xx with X-Amzn-ErrorType and {"__type", "Message"} (and
// InvalidRequestException's AthenaErrorCode), so the SDK returns its typed errors.
//
// Operations: StartQueryExecution (idempotent on ClientRequestToken; QueryString at most
// 262,144 characters; the workgroup must be the server's), GetQueryExecution (QUEUED, RUNNING,
// then SUCCEEDED, FAILED with StateChangeReason and AthenaError, or CANCELLED; Statistics with
// DataScannedInBytes), GetQueryResults (a header row, then up to 1,000 rows a page, NextToken;
// "Query has not yet finished. Current state: RUNNING" before the end), StopQueryExecution,
// ListNamedQueries and GetNamedQuery (the catalog's saved queries). Faults (InjectFault) answer
// the errors Athena documents for every call: TooManyRequestsException (with its Reason),
// InternalServerException.
//
// Queries run on DuckDB (github.com/duckdb/duckdb-go/v2, embedded through cgo), which Athena
// itself offers as an engine and which reads nested JSON with Trino's types (arrays, rows,
// maps, lambdas). Each query is parsed by DuckDB (json_serialize_sql) and:
//   - partition projection: for each table it reads, its WHERE conditions on the partition
//     keys (and only those) select the partitions, among the archive's objects whose keys match
//     the table's location template with values the projection produces (an integer's range and
//     digits; any value of an injected key); a table with injected keys refuses a query that does
//     not give each as a static equality or IN list, with Athena's CONSTRAINT_VIOLATION.
//     DataScannedInBytes is the size of the objects of the partitions read, as Athena counts a
//     JSON table's (whole objects, uncompressed); a query that would scan more than the
//     workgroup's BytesScannedCutoffPerQuery is CANCELLED before it runs;
//   - the SerDe: each line of an object is read as the OpenX JSON SerDe reads it (keys it does
//     not know ignored, a value of another type NULL, a line that is not JSON a row of NULLs with
//     ignore.malformed.json and HIVE_CURSOR_ERROR without); "$path" is the object's s3:// path;
//   - translation from Athena's SQL (Trino) to DuckDB's, where they differ on what the suite's
//     queries use: transform, element_at (on arrays), array_join, array_max, array_min,
//     cardinality and to_unixtime are renamed to DuckDB's functions; lambdas (x -> e) are
//     rewritten in DuckDB's syntax; from_iso8601_timestamp is a cast; current_date,
//     current_timestamp and now() are the server's clock (Options.Now) in UTC.
//
// Not Athena (write queries in the common subset): DuckDB's / divides integers as doubles
// (Trino's truncates: write CAST(x AS double) / y); element_at on a map is not translated;
// "$path" also appears in SELECT *; a partition condition is seen only in the WHERE of the
// SELECT that reads the table (Trino also pushes one down from an enclosing query);
// JSON keys are matched to columns in the case the catalog gives them (the OpenX SerDe ignores
// case; the archive writes exactly those names); error messages after the error name
// (SYNTAX_ERROR, COLUMN_NOT_FOUND...) are DuckDB's, and positions DuckDB's; only SELECT runs
// (no DDL, no ExecutionParameters); query results are kept in memory, not written to S3.
//
// StartQueryExecution: https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html
// Partition projection: https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
// Athena's DuckDB engine and its SQL differences: https://docs.aws.amazon.com/athena/latest/ug/duckdb-functions-and-schemas.html
//
// A Server is safe for concurrent use.
package athenatest
