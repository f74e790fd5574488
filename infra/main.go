// Command infra is the CDK app that deploys ivs-sessions: one stack holding the IvsSessions
// construct, configured from the CDK context, checked by cdk-nag's AwsSolutions rules. cdk.json
// runs it (`go run ./infra`); `make synth`, `make deploy` and `make destroy` run the CDK CLI.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/infra/ivssessions"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ivs-sessions infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	props, err := ivssessions.PropsFromContext(app.Node())
	if err != nil {
		return fmt.Errorf("context: %w", err)
	}
	stack := awscdk.NewStack(app, jsii.String(catalog.StackName), &awscdk.StackProps{
		Description: jsii.String("ivs-sessions: enriches, corrects and archives Amazon IVS sessions"),
	})
	ivssessions.NewIvsSessions(stack, jsii.String(catalog.SuiteID), props)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	return nil
}
