// Package ivssessions is the reusable CDK construct that deploys the ivs-sessions suite: the
// enrich, correct and archive functions (each fed by its own SQS queue with a dead-letter
// queue), the EventBridge rules of shared/suite on the default bus and on the suite's own bus
// (with an EventBridge archive), the S3 archive with its Glue tables and Athena workgroup, the
// alarms with their SNS topic, and a CloudWatch dashboard.
//
// Every fact the functions also depend on (function names, routes and their event patterns,
// environment variable names and defaults, metric names, the IVS quota) comes from
// shared/suite; nothing is retyped here.
//
// Use it from any Go CDK app:
//
//	props, err := ivssessions.PropsFromContext(app.Node())
//	if err != nil { ... }
//	stack := awscdk.NewStack(app, jsii.String("IvsSessions"), nil)
//	ivssessions.NewIvsSessions(stack, jsii.String("IvsSessions"), props)
//	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(nil), nil)
//
// The suppressions of cdk-nag AwsSolutions findings are made next to the resources they concern,
// each with its rule and reason; with them the construct synthesizes with no unsuppressed
// finding.
//
// Architecture: infra/README.md ("What it deploys"). CDK Go API: https://pkg.go.dev/github.com/aws/aws-cdk-go/awscdk/v2
package ivssessions
