// Package catalog is the archive's query catalog as data: the Glue tables over the archive
// (their columns, derived from the record types; their partition keys and partition
// projection; where their objects are), the Athena workgroup's per-query cutoff and its saved
// queries, and the names of the database and workgroup. Nothing here imports the CDK.
//
// Three parts of the repository read it, so each fact is written once:
//   - the CDK app (infra/ivssessions) deploys it: AWS::Glue::Table, AWS::Athena::WorkGroup and
//     AWS::Athena::NamedQuery are built from Tables, BytesScannedCutoff and NamedQueries;
//   - the local Athena (shared/local/athenatest) serves the same tables, with the same columns,
//     partitions and projection, over the local archive, and the same saved queries;
//   - make report (scripts/report) queries the tables in Athena mode.
//
// Partition projection: https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
// The OpenX JSON SerDe: https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html
package catalog
