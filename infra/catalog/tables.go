package catalog

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// The Glue tables over the archive.
const (
	// TableSessions reads every session record; its partitions are year, month and day, so a
	// query that filters on them reads only those days. Filter on channelid for one channel.
	TableSessions = "sessions"
	// TableSessionsByChannel reads the same records with the channel's account, region and ID
	// as injected partitions (key_account, key_region, key_channel: the key's segments, named
	// apart from the record's own account, region and channel columns): every query must say
	// which channel(s) (WHERE key_account = '...' AND key_region = '...' AND key_channel =
	// '...'), and reads only theirs.
	TableSessionsByChannel = "sessions_by_channel"
	// TableCorrections reads the correction records (one per correction outcome), partitioned
	// like TableSessions.
	TableCorrections = "corrections"
)

// The partition keys. The date keys are the key's year=, month= and day= segments; the
// channel keys of TableSessionsByChannel its account=, region= and channel= segments.
const (
	PartitionYear    = "year"
	PartitionMonth   = "month"
	PartitionDay     = "day"
	PartitionAccount = "key_account"
	PartitionRegion  = "key_region"
	PartitionChannel = "key_channel"
)

// The projection types this catalog uses (projection.<key>.type).
const (
	// ProjectionInteger: the values are the integers of projection.<key>.range, written with
	// projection.<key>.digits digits (zero-padded) in the location.
	ProjectionInteger = "integer"
	// ProjectionInjected: the values come from the query itself, which must give each one as a
	// static equality (or IN list); Athena refuses a query that does not.
	ProjectionInjected = "injected"
)

// The SerDe of every table: one JSON document per line, the archive writes each record on one
// line. IgnoreMalformedJSON makes a line that is not JSON a row of NULLs instead of a failed
// query: one damaged object must not stop every query over its day (make report counts such
// rows, as it counts objects it cannot decode).
const (
	SerDe               = "org.openx.data.jsonserde.JsonSerDe"
	IgnoreMalformedJSON = "ignore.malformed.json"
)

// The years the projection covers are the years the suite accepts at all (ivsevent.FirstYear
// to LastYear): a time outside them is rejected at the border, so no object lies outside the
// projection.
const (
	firstArchiveYear = ivsevent.FirstYear
	lastArchiveYear  = ivsevent.LastYear
)

// Partition is one partition key of a table and its projection.
type Partition struct {
	// Name is the partition key (lower case, as Glue stores it) and Type its Hive type.
	Name, Type string
	// Projection is how Athena computes the key's values: its projection.<Name>.* table
	// properties without that prefix ("type", "range", "digits").
	Projection map[string]string
}

// Table is one Glue table over the archive.
type Table struct {
	Name, Description string
	// Prefix is the archive's key prefix under which the table's objects lie.
	Prefix string
	// Columns are the record's columns, in the order of its fields (RecordColumns,
	// CorrectionColumns).
	Columns []Column
	// Partitions are the partition keys, in order.
	Partitions []Partition
	// Template is storage.location.template below the bucket: Prefix, then one
	// <segment>=${<partition>}/ per partition, as the archive's keys are laid out
	// (session.SessionKey, session.CorrectionKey). Athena reads every object under a
	// partition's location.
	Template string
}

var (
	dayPartitions = []Partition{
		{Name: PartitionYear, Type: "int", Projection: map[string]string{"type": ProjectionInteger, "range": fmt.Sprintf("%d,%d", firstArchiveYear, lastArchiveYear)}},
		{Name: PartitionMonth, Type: "int", Projection: map[string]string{"type": ProjectionInteger, "range": "1,12", "digits": "2"}},
		{Name: PartitionDay, Type: "int", Projection: map[string]string{"type": ProjectionInteger, "range": "1,31", "digits": "2"}},
	}
	channelPartitions = []Partition{
		{Name: PartitionAccount, Type: "string", Projection: map[string]string{"type": ProjectionInjected}},
		{Name: PartitionRegion, Type: "string", Projection: map[string]string{"type": ProjectionInjected}},
		{Name: PartitionChannel, Type: "string", Projection: map[string]string{"type": ProjectionInjected}},
	}
)

// The location segments, as the archive's keys write them.
const (
	daySegments     = "year=${" + PartitionYear + "}/month=${" + PartitionMonth + "}/day=${" + PartitionDay + "}/"
	channelSegments = "account=${" + PartitionAccount + "}/region=${" + PartitionRegion + "}/channel=${" + PartitionChannel + "}/"
)

// Tables returns the Glue tables over the archive: TableSessions, TableSessionsByChannel and
// TableCorrections.
func Tables() []Table {
	return []Table{
		{
			Name: TableSessions, Description: "IVS sessions, one row per archived record; filter on year, month and day",
			Prefix: session.KeyPrefix, Columns: RecordColumns(), Partitions: dayPartitions,
			Template: session.KeyPrefix + daySegments,
		},
		{
			Name:        TableSessionsByChannel,
			Description: "IVS sessions of the channels named in the query (WHERE key_account = '<account>' AND key_region = '<region>' AND key_channel = '<channel id>')",
			Prefix:      session.KeyPrefix, Columns: RecordColumns(), Partitions: append(append([]Partition{}, dayPartitions...), channelPartitions...),
			Template: session.KeyPrefix + daySegments + channelSegments,
		},
		{
			Name: TableCorrections, Description: "Channel corrections, one row per outcome; filter on year, month and day",
			Prefix: session.CorrectionKeyPrefix, Columns: CorrectionColumns(), Partitions: dayPartitions,
			Template: session.CorrectionKeyPrefix + daySegments,
		},
	}
}

// Parameters returns the table's properties with the archive in bucket: the classification,
// partition projection (projection.enabled and each key's projection.<key>.*) and
// storage.location.template.
func (t Table) Parameters(bucket string) map[string]string {
	p := map[string]string{
		"classification":            "json",
		"projection.enabled":        "true",
		"storage.location.template": "s3://" + bucket + "/" + t.Template,
	}
	for _, pk := range t.Partitions {
		for k, v := range pk.Projection {
			p["projection."+pk.Name+"."+k] = v
		}
	}
	return p
}

// Location is the table's location in bucket: s3://<bucket>/<Prefix>.
func (t Table) Location(bucket string) string { return "s3://" + bucket + "/" + t.Prefix }

// SerDeParameters returns the parameters of the table's SerDe: the JSON keys of its columns
// (paths) and IgnoreMalformedJSON.
func (t Table) SerDeParameters() map[string]string {
	paths := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		paths[i] = c.Name
	}
	return map[string]string{"paths": strings.Join(paths, ","), IgnoreMalformedJSON: "true"}
}

// The CDK app's stack and the suite's construct in it (infra/main.go). Their path names the
// Glue database and the Athena workgroup (DatabaseName, WorkGroupName), so the local Athena
// serves the names a deployment of the app has.
const (
	StackName = "IvsSessions"
	SuiteID   = "Suite"
	// AppPath is the suite construct's path in the app.
	AppPath = StackName + "/" + SuiteID
)

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

// DatabaseName is the Glue database of the suite construct at path (its node path, e.g.
// AppPath): unique per stack (stack names are unique in an account and region) and valid in
// Glue and Athena.
func DatabaseName(path string) string {
	return strings.ToLower(strings.Trim(nonWord.ReplaceAllString(path, "_"), "_"))
}

// WorkGroupName is the Athena workgroup of the suite construct at path, like DatabaseName.
func WorkGroupName(path string) string { return strings.Trim(nonWord.ReplaceAllString(path, "-"), "-") }

// BytesScannedCutoff stops any query of the workgroup that would scan more than 10 GiB
// (about $0.05 at Athena's price): the records are small, so a bigger scan is a missing
// filter. make report splits a range that holds more into several queries.
const BytesScannedCutoff = 10 * 1024 * 1024 * 1024

// The IDs of the stack outputs that name the archive's bucket, the Glue database and the
// Athena workgroup. CloudFormation's output keys are the CDK's logical IDs, which prefix the
// construct's path and end with a hash (SuiteArchiveBucketName46A7C8A7): a reader of `cdk
// deploy --outputs-file` finds an output by the ID within its key.
const (
	OutputArchiveBucket = "ArchiveBucketName"
	OutputDatabase      = "GlueDatabaseName"
	OutputWorkGroup     = "AthenaWorkGroupName"
)
