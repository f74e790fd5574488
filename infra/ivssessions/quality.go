package ivssessions

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// qualityActions are the calls the quality function makes, on Resource *.
var qualityActions = []string{"cloudwatch:GetMetricData"}

// grantQuality gives the quality function exactly what it calls: PutEvents on the suite's bus
// and cloudwatch:GetMetricData (in a fleet, in the fleet's regions only: IVS's metrics are in
// each channel's region), in a policy of its own so that its cdk-nag suppression says why its
// resource is "*" (and nothing else's).
func (s *ivsSessions) grantQuality(pf *suiteFunction) {
	s.bus.GrantPutEventsTo(pf.role, nil)
	policy := awsiam.NewPolicy(s.Construct, jsii.String("QualityMetricsPolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{pf.role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(s.inFleetRegions(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadIvsMetrics"),
			Actions:   jsii.Strings(qualityActions...),
			Resources: jsii.Strings("*"),
		}))},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("cloudwatch:GetMetricData has no resource-level permissions (the Service Authorization Reference lists no " +
			"resource type and no condition key for it): Resource * is the only form AWS accepts. The action only reads metrics; " +
			"the function asks for the AWS/IVS series of the sessions it measures."),
		AppliesTo: &[]any{jsii.String("Resource::*")},
	}}, jsii.Bool(true))
}

// degradedLogQuery counts degraded sessions per hour and channel from the quality function's
// log lines ("quality measured" with verdict and channelId), so the dashboard shows them by
// channel without a custom metric per channel.
var degradedLogQuery = []string{
	`filter msg = "quality measured" and verdict = "` + string(quality.VerdictDegraded) + `"`,
	`stats count(*) as degraded by bin(1h) as hour, channelId`,
	`sort hour desc`,
}

// qualityWidgets is the dashboard's quality row: verdicts per hour, and degraded sessions per
// hour by channel.
func qualityWidgets(fns []*suiteFunction, hour awscdk.Duration) *[]awscloudwatch.IWidget {
	var q *suiteFunction
	for _, pf := range fns {
		if pf.name == suite.FunctionQuality {
			q = pf
		}
	}
	row := []awscloudwatch.IWidget{graph("Session quality verdicts (per hour)", searchByDimension(suite.MetricQualityVerdicts, suite.DimensionVerdict, hour))}
	if q != nil {
		row = append(row, awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
			Title:         jsii.String("Degraded sessions per hour, by channel"),
			LogGroupNames: &[]*string{q.logGroup.LogGroupName()},
			QueryString:   jsii.String(strings.Join(degradedLogQuery, "\n| ")),
			View:          awscloudwatch.LogQueryVisualizationType_TABLE,
			Width:         jsii.Number(12),
			Height:        jsii.Number(6),
		}))
	}
	return &row
}
