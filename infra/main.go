// Command infra is the CDK app that deploys ivs-sessions: one stack holding the IvsSessions
// construct, configured from the CDK context, checked by cdk-nag's AwsSolutions rules. cdk.json
// runs it (`go run ./infra`); `make synth`, `make deploy` and `make destroy` run the CDK CLI.
//
// With -c regions=<home>,<region>,... it is a fleet: the IvsSessions stack in the home region,
// an IvsSessionsForwarder-<region> stack in each other region, and, with -c accounts=..., the
// IvsSessionsMember template that each member account deploys in each region of the fleet (a
// StackSet). infra/README.md ("A fleet") says how to deploy them.
package main

import (
	"fmt"
	"os"
	"strings"

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
	fleet := props.Fleet()
	sp := &awscdk.StackProps{
		Description: jsii.String("ivs-sessions: enriches, corrects and archives Amazon IVS sessions"),
	}
	if fleet.Enabled() {
		// The account stays the deployer's (environment-agnostic); the region is the home one.
		sp.Env = &awscdk.Environment{Region: jsii.String(fleet.Home())}
		sp.Description = jsii.String(fmt.Sprintf("ivs-sessions: enriches, corrects and archives Amazon IVS sessions of the fleet %s (home region %s)",
			strings.Join(fleet.Regions, ", "), fleet.Home()))
	}
	stack := awscdk.NewStack(app, jsii.String(catalog.StackName), sp)
	ivssessions.NewIvsSessions(stack, jsii.String(catalog.SuiteID), props)
	if fleet.Enabled() {
		ivssessions.AddFleetStacks(app, stack, *props)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	return nil
}
