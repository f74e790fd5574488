package ivssessions

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The Glue tables over the archive.
const (
	// TableSessions reads every record; partitions are year, month and day, so a query that
	// filters on them reads only those days. Filter on channelid for one channel.
	TableSessions = "sessions"
	// TableSessionsByChannel reads the same records with the channel's account, region and ID as
	// injected partitions (key_account, key_region, key_channel: the key's segments, named apart
	// from the record's own account, region and channel columns): every query must say which
	// channel(s) (WHERE key_account = '...' AND key_region = '...' AND key_channel = '...'), and
	// reads only theirs.
	TableSessionsByChannel = "sessions_by_channel"
	// TableCorrections reads the correction records (one per correction outcome), partitioned
	// like TableSessions.
	TableCorrections = "corrections"
)

// The years the projection covers are the years the suite accepts at all (ivsevent.FirstYear
// to LastYear): a time outside them is rejected at the border, so no object lies outside the
// projection.
const (
	firstArchiveYear = ivsevent.FirstYear
	lastArchiveYear  = ivsevent.LastYear
)

// The injected partitions of TableSessionsByChannel: the account=, region= and channel=
// segments of a session key (session.SessionKey).
const (
	partitionAccount = "key_account"
	partitionRegion  = "key_region"
	partitionChannel = "key_channel"
)

// bytesScannedCutoff stops any query of the workgroup that would scan more than 10 GiB
// (about $0.05 at Athena's price): the records are small, so a bigger scan is a missing filter.
const bytesScannedCutoff = 10 * 1024 * 1024 * 1024

// analytics is what makes the archive queryable: the Glue database and tables, and the Athena
// workgroup with its saved queries.
type analytics struct {
	database  awsglue.CfnDatabase
	tables    []awsglue.CfnTable
	workGroup awsathena.CfnWorkGroup
	queries   []awsathena.CfnNamedQuery
	dbName    string
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

// catalogName makes a Glue or Athena name from the construct's path, unique per stack (stack
// names are unique in an account and region) and valid in both services.
func catalogName(c constructs.Construct, sep string) string {
	return strings.Trim(nonWord.ReplaceAllString(*c.Node().Path(), sep), sep)
}

func newAnalytics(scope constructs.Construct, st *storage) *analytics {
	a := &analytics{}
	stack := awscdk.Stack_Of(scope)
	a.dbName = strings.ToLower(catalogName(scope, "_"))

	a.database = awsglue.NewCfnDatabase(scope, jsii.String("Database"), &awsglue.CfnDatabaseProps{
		CatalogId: stack.Account(),
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(a.dbName),
			Description: jsii.String(fmt.Sprintf("%s: one row per IVS session archived in S3", suite.Name)),
		},
	})

	const days = "year=${year}/month=${month}/day=${day}/"
	sessions := fmt.Sprintf("s3://%s/%s", *st.archive.BucketName(), SessionsPrefix)
	corrections := fmt.Sprintf("s3://%s/%s", *st.archive.BucketName(), CorrectionsPrefix)
	a.tables = append(a.tables,
		a.newTable(scope, "SessionsTable", TableSessions, RecordColumns(), sessions, sessions+days, false,
			"IVS sessions, one row per archived record; filter on year, month and day"),
		a.newTable(scope, "SessionsByChannelTable", TableSessionsByChannel, RecordColumns(), sessions,
			sessions+days+"account=${"+partitionAccount+"}/region=${"+partitionRegion+"}/channel=${"+partitionChannel+"}/", true,
			"IVS sessions of the channels named in the query (WHERE key_account = '<account>' AND key_region = '<region>' AND key_channel = '<channel id>')"),
		a.newTable(scope, "CorrectionsTable", TableCorrections, CorrectionColumns(), corrections, corrections+days, false,
			"Channel corrections, one row per outcome; filter on year, month and day"),
	)

	a.workGroup = awsathena.NewCfnWorkGroup(scope, jsii.String("WorkGroup"), &awsathena.CfnWorkGroupProps{
		Name:        jsii.String(catalogName(scope, "-")),
		Description: jsii.String(fmt.Sprintf("%s: queries over the session archive", suite.Name)),
		State:       jsii.String("ENABLED"),
		// Destroying the stack removes the workgroup with its saved queries and history.
		RecursiveDeleteOption: jsii.Bool(true),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			// Clients cannot send results elsewhere or unencrypted.
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      jsii.Number(bytesScannedCutoff),
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation: jsii.String(fmt.Sprintf("s3://%s/athena/", *st.results.BucketName())),
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
					EncryptionOption: jsii.String("SSE_S3"),
				},
			},
		},
	})

	for _, q := range namedQueries {
		nq := awsathena.NewCfnNamedQuery(scope, jsii.String(q.id), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.name),
			Description: jsii.String(q.description),
			Database:    jsii.String(a.dbName),
			WorkGroup:   a.workGroup.Ref(),
			// The channel query names this stack's account and region; a bucket shared by
			// several accounts or regions holds theirs too.
			QueryString: jsii.String(strings.NewReplacer(thisAccount, *stack.Account(), thisRegion, *stack.Region()).Replace(q.sql)),
		})
		// The query names the database and tables by name, not by reference.
		nq.AddResourceDependency(a.database, jsii.String("the query runs in this database"))
		for _, t := range a.tables {
			nq.AddResourceDependency(t, jsii.String("the query reads this table"))
		}
		a.queries = append(a.queries, nq)
	}
	return a
}

// newTable creates one Glue table over the JSON records under location, with partition
// projection on year, month and day and, when byChannel, injected account, region and channel
// partitions.
func (a *analytics) newTable(scope constructs.Construct, id, name string, record []Column, location, template string, byChannel bool, description string) awsglue.CfnTable {
	columns := make([]*awsglue.CfnTable_ColumnProperty, len(record))
	paths := make([]string, len(record))
	for i, c := range record {
		columns[i] = &awsglue.CfnTable_ColumnProperty{
			Name: jsii.String(strings.ToLower(c.Name)),
			Type: jsii.String(strings.ToLower(c.Type)),
		}
		if c.Comment != "" {
			columns[i].Comment = jsii.String(c.Comment)
		}
		paths[i] = c.Name
	}
	partitionKeys := []*awsglue.CfnTable_ColumnProperty{
		{Name: jsii.String("year"), Type: jsii.String("int")},
		{Name: jsii.String("month"), Type: jsii.String("int")},
		{Name: jsii.String("day"), Type: jsii.String("int")},
	}
	params := map[string]*string{
		"classification":            jsii.String("json"),
		"projection.enabled":        jsii.String("true"),
		"projection.year.type":      jsii.String("integer"),
		"projection.year.range":     jsii.String(fmt.Sprintf("%d,%d", firstArchiveYear, lastArchiveYear)),
		"projection.month.type":     jsii.String("integer"),
		"projection.month.range":    jsii.String("1,12"),
		"projection.month.digits":   jsii.String("2"),
		"projection.day.type":       jsii.String("integer"),
		"projection.day.range":      jsii.String("1,31"),
		"projection.day.digits":     jsii.String("2"),
		"storage.location.template": jsii.String(template),
	}
	if byChannel {
		for _, p := range []string{partitionAccount, partitionRegion, partitionChannel} {
			partitionKeys = append(partitionKeys, &awsglue.CfnTable_ColumnProperty{Name: jsii.String(p), Type: jsii.String("string")})
			params["projection."+p+".type"] = jsii.String("injected")
		}
	}
	t := awsglue.NewCfnTable(scope, jsii.String(id), &awsglue.CfnTableProps{
		CatalogId:    a.database.CatalogId(),
		DatabaseName: jsii.String(a.dbName),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:          jsii.String(name),
			Description:   jsii.String(description),
			TableType:     jsii.String("EXTERNAL_TABLE"),
			Parameters:    &params,
			PartitionKeys: &partitionKeys,
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Columns:      &columns,
				Location:     jsii.String(location),
				InputFormat:  jsii.String("org.apache.hadoop.mapred.TextInputFormat"),
				OutputFormat: jsii.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{
					// One JSON document per line: the archive writes each record on one line.
					SerializationLibrary: jsii.String("org.openx.data.jsonserde.JsonSerDe"),
					Parameters:           &map[string]*string{"paths": jsii.String(strings.Join(paths, ","))},
				},
			},
		},
	})
	t.AddResourceDependency(a.database, jsii.String("the table is named into this database, not referenced"))
	return t
}

// namedQuery is one saved query of the workgroup. columns lists the record columns its SQL
// uses (lower case), so a test can hold them to RecordColumns.
type namedQuery struct {
	id, name, description, sql string
	columns                    []string
}

// Placeholders of a saved query for the deploying stack's account and region.
const (
	thisAccount = "${THIS_ACCOUNT}"
	thisRegion  = "${THIS_REGION}"
)

// thisMonth restricts a query to the current month's partitions.
const thisMonth = "year = year(current_date) AND month = month(current_date)"

// namedQueries are saved in the workgroup so the archive answers questions the day it is
// deployed.
var namedQueries = []namedQuery{
	{
		id:          "SessionsPerChannelQuery",
		name:        "sessions per channel (this month)",
		description: "Sessions, multitrack sessions and broadcast hours per channel in the current month",
		sql: `SELECT channelid,
       count(*) AS sessions,
       count_if(multitrack) AS multitrack_sessions,
       round(sum(durationseconds) / 3600.0, 1) AS hours
FROM ` + TableSessions + `
WHERE ` + thisMonth + `
GROUP BY channelid
ORDER BY sessions DESC`,
		columns: []string{"channelid", "multitrack", "durationseconds"},
	},
	{
		id:          "RefusalsByCodeQuery",
		name:        "refusals by code (this month)",
		description: "Refused sessions per IVS code in the current month, with how many channels had them",
		sql: `SELECT code,
       count(*) AS refusals,
       count(DISTINCT channelid) AS channels
FROM ` + TableSessions + `
WHERE ` + thisMonth + `
  AND outcome = '` + string(session.OutcomeRefused) + `'
GROUP BY code
ORDER BY refusals DESC`,
		columns: []string{"code", "channelid", "outcome"},
	},
	{
		id:          "ChannelSessionsQuery",
		name:        "one channel's sessions (this month)",
		description: "The sessions of one channel of this account and region in the current month, with their corrections; replace the channel ID",
		sql: `SELECT streamid, starttime, endtime, outcome, code, videotrackcount, topresolution,
       correction.decision.action AS correction_action,
       correction.outcome AS correction_outcome
FROM ` + TableSessionsByChannel + `
WHERE ` + partitionAccount + ` = '` + thisAccount + `'
  AND ` + partitionRegion + ` = '` + thisRegion + `'
  AND ` + partitionChannel + ` = 'REPLACE-WITH-CHANNEL-ID'
  AND ` + thisMonth + `
ORDER BY starttime DESC`,
		columns: []string{"streamid", "starttime", "endtime", "outcome", "code", "videotrackcount", "topresolution", "correction"},
	},
	degradedSessionsQuery,
}
