package ivssessions

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// analytics is what makes the archive queryable: the Glue database and tables, and the Athena
// workgroup with its saved queries.
type analytics struct {
	database  awsglue.CfnDatabase
	tables    []awsglue.CfnTable
	workGroup awsathena.CfnWorkGroup
	queries   []awsathena.CfnNamedQuery
	dbName    string
}

func newAnalytics(scope constructs.Construct, st *storage) *analytics {
	a := &analytics{}
	stack := awscdk.Stack_Of(scope)
	a.dbName = catalog.DatabaseName(*scope.Node().Path())

	a.database = awsglue.NewCfnDatabase(scope, jsii.String("Database"), &awsglue.CfnDatabaseProps{
		CatalogId: stack.Account(),
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(a.dbName),
			Description: jsii.String(fmt.Sprintf("%s: one row per IVS session archived in S3", suite.Name)),
		},
	})

	// The tables' construct IDs (their logical IDs in the template: changing one replaces the
	// table).
	ids := map[string]string{
		catalog.TableSessions:          "SessionsTable",
		catalog.TableSessionsByChannel: "SessionsByChannelTable",
		catalog.TableCorrections:       "CorrectionsTable",
	}
	for _, t := range catalog.Tables() {
		id, ok := ids[t.Name]
		if !ok { // a new table needs a construct ID here, kept for the life of the stack
			panic(fmt.Sprintf("ivssessions: no construct ID for the Glue table %s", t.Name))
		}
		a.tables = append(a.tables, a.newTable(scope, id, t, *st.archive.BucketName()))
	}

	a.workGroup = awsathena.NewCfnWorkGroup(scope, jsii.String("WorkGroup"), &awsathena.CfnWorkGroupProps{
		Name:        jsii.String(catalog.WorkGroupName(*scope.Node().Path())),
		Description: jsii.String(fmt.Sprintf("%s: queries over the session archive", suite.Name)),
		State:       jsii.String("ENABLED"),
		// Destroying the stack removes the workgroup with its saved queries and history.
		RecursiveDeleteOption: jsii.Bool(true),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			// Clients cannot send results elsewhere or unencrypted.
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      jsii.Number(catalog.BytesScannedCutoff),
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation: jsii.String(fmt.Sprintf("s3://%s/athena/", *st.results.BucketName())),
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
					EncryptionOption: jsii.String("SSE_S3"),
				},
			},
		},
	})

	for _, q := range catalog.NamedQueries() {
		nq := awsathena.NewCfnNamedQuery(scope, jsii.String(q.ID), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.Name),
			Description: jsii.String(q.Description),
			Database:    jsii.String(a.dbName),
			WorkGroup:   a.workGroup.Ref(),
			// The channel query names this stack's account and region; a bucket shared by
			// several accounts or regions holds theirs too.
			QueryString: jsii.String(q.For(*stack.Account(), *stack.Region())),
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

// newTable creates the Glue table t (catalog.Tables) over the JSON records of the archive in
// bucket: its columns, partition keys, partition projection and SerDe as the catalog says.
func (a *analytics) newTable(scope constructs.Construct, id string, t catalog.Table, bucket string) awsglue.CfnTable {
	columns := make([]*awsglue.CfnTable_ColumnProperty, len(t.Columns))
	for i, c := range t.Columns {
		columns[i] = &awsglue.CfnTable_ColumnProperty{
			Name: jsii.String(strings.ToLower(c.Name)),
			Type: jsii.String(strings.ToLower(c.Type)),
		}
		if c.Comment != "" {
			columns[i].Comment = jsii.String(c.Comment)
		}
	}
	partitionKeys := make([]*awsglue.CfnTable_ColumnProperty, len(t.Partitions))
	for i, p := range t.Partitions {
		partitionKeys[i] = &awsglue.CfnTable_ColumnProperty{Name: jsii.String(p.Name), Type: jsii.String(p.Type)}
	}
	params := map[string]*string{}
	for k, v := range t.Parameters(bucket) {
		params[k] = jsii.String(v)
	}
	serde := map[string]*string{}
	for k, v := range t.SerDeParameters() {
		serde[k] = jsii.String(v)
	}
	ct := awsglue.NewCfnTable(scope, jsii.String(id), &awsglue.CfnTableProps{
		CatalogId:    a.database.CatalogId(),
		DatabaseName: jsii.String(a.dbName),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:          jsii.String(t.Name),
			Description:   jsii.String(t.Description),
			TableType:     jsii.String("EXTERNAL_TABLE"),
			Parameters:    &params,
			PartitionKeys: &partitionKeys,
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Columns:      &columns,
				Location:     jsii.String(t.Location(bucket)),
				InputFormat:  jsii.String("org.apache.hadoop.mapred.TextInputFormat"),
				OutputFormat: jsii.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{
					SerializationLibrary: jsii.String(catalog.SerDe),
					Parameters:           &serde,
				},
			},
		},
	})
	ct.AddResourceDependency(a.database, jsii.String("the table is named into this database, not referenced"))
	return ct
}
