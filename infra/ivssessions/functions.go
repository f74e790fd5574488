package ivssessions

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// suiteFunction is one function of the suite with the queue that feeds it and that queue's
// dead-letter queue (which is also the DLQ of the EventBridge targets that fill the queue). In a
// fleet a regional function (suite.RegionalFunctions) has one queue per region, all with the
// same dead-letter queue.
type suiteFunction struct {
	name     string
	spec     suite.FunctionSettings
	fn       awslambda.Function
	role     awsiam.Role
	queue    awssqs.Queue    // the home region's queue (the only one in a single-region deployment)
	queues   []regionalQueue // every queue, queue first
	dlq      awssqs.Queue
	logGroup awslogs.LogGroup
	// queueRules and dlqRules are the ARNs of the EventBridge rules that send to the queue and
	// to the dead-letter queue (the rules whose events EventBridge cannot deliver, and the rule
	// that keeps unknown IVS events): with the roles that send, the only senders the queues'
	// policies let in (restrictQueues).
	queueRules, dlqRules []*string
}

// regionalQueue is a queue of a function and the region whose messages it carries ("" in a
// single-region deployment and for a function that is not regional).
type regionalQueue struct {
	region string
	queue  awssqs.Queue
}

// queueOf returns the queue that carries region's messages (suite.Fleet.QueueName), or the
// home queue.
func (pf *suiteFunction) queueOf(region string) awssqs.Queue {
	for _, q := range pf.queues {
		if q.region == region {
			return q.queue
		}
	}
	return pf.queue
}

// newSuiteFunction creates the queue (one per region for a regional function of a fleet), the
// DLQ, the log group, the role and the function name, built from <assetsDir>/<name>/bootstrap,
// and connects each queue to the function. Its environment is functionEnv's, for the suite's bus
// and archive bucket and its own DLQ.
func newSuiteFunction(scope constructs.Construct, name string, spec suite.FunctionSettings, p IvsSessionsProps, busName, bucketName *string) *suiteFunction {
	c := constructs.NewConstruct(scope, jsii.String(name))
	pf := &suiteFunction{name: name, spec: spec}
	fleet := p.Fleet()

	pf.dlq = awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		// The longest SQS allows: time for a person to look and redrive.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	for _, region := range fleet.QueueRegions(name) {
		id := "Queue"
		if q := fleet.QueueName(name, region); q != name {
			id += strings.TrimPrefix(q, name) // Queue-eu-west-1
		}
		q := awssqs.NewQueue(c, jsii.String(id), &awssqs.QueueProps{
			// SQS-managed keys, not KMS: EventBridge can deliver to SSE-SQS queues without a
			// customer-managed key policy, and the messages are IVS events, not secrets.
			Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(spec.VisibilityTimeout().Seconds())),
			RetentionPeriod:   awscdk.Duration_Seconds(jsii.Number(spec.Retention.Seconds())),
			DeadLetterQueue: &awssqs.DeadLetterQueue{
				Queue:           pf.dlq,
				MaxReceiveCount: jsii.Number(float64(spec.MaxReceiveCount)),
			},
			DeliveryDelay: deliveryDelay(spec),
		})
		pf.queues = append(pf.queues, regionalQueue{region: region, queue: q})
	}
	pf.queue = pf.queues[0].queue

	pf.addFunction(c, p, functionEnv(name, p, busName, bucketName, pf.dlq.QueueUrl()), nil)

	esp := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(spec.BatchSize)),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if spec.BatchWindow > 0 {
		esp.MaxBatchingWindow = awscdk.Duration_Seconds(jsii.Number(spec.BatchWindow.Seconds()))
	}
	if spec.MaxConcurrency > 0 {
		esp.MaxConcurrency = jsii.Number(float64(spec.MaxConcurrency))
	}
	for _, q := range pf.queues {
		// One event source mapping per queue, each with the function's maximum concurrency:
		// a region's batches never wait for another region's.
		pf.fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q.queue, esp))
		// Records a deadline leaves unstarted are sent back to their queue as new messages, so
		// they do not spend a receive of maxReceiveCount (shared/batch: Processor.Requeue).
		q.queue.GrantSendMessages(pf.role)
	}
	return pf
}

// addFunction creates, in c, the function's log group, its role (which may write only to that
// log group), and the function, built from <assetsDir>/<name>/bootstrap, with env. Its reserved
// concurrency is spec's MaxConcurrency: for a queue's function, the event source mapping's
// maximum concurrency, which other functions of the account then cannot take, so the mapping is
// never throttled below it (a throttled batch goes back to the queue and spends a receive of
// every message in it). retryAttempts, when not nil, sets the retries of an asynchronous
// invocation (a schedule's).
func (pf *suiteFunction) addFunction(c constructs.Construct, p IvsSessionsProps, env *map[string]*string, retryAttempts *float64) {
	pf.logGroup = awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention:     logRetentions[p.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// Our own role instead of the one Lambda would create with the AWSLambdaBasicExecutionRole
	// managed policy: this one may write only to its own log group.
	rp := &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("%s %s function", suite.Name, pf.name)),
	}
	if fleet := p.Fleet(); len(fleet.Accounts) > 0 && slices.Contains(suite.FleetFunctions, pf.name) {
		// The member accounts' roles trust this role by name (suite.FleetRoleName).
		rp.RoleName = jsii.String(suite.FleetRoleName(pf.name, fleet.Home()))
	}
	pf.role = awsiam.NewRole(c, jsii.String("Role"), rp)
	pf.logGroup.GrantWrite(pf.role)
	pf.fn = awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		Description:                  jsii.String(fmt.Sprintf("%s %s (functions/%s)", suite.Name, pf.name, pf.name)),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         awslambda.Code_FromAsset(jsii.String(filepath.Join(p.AssetsDir, pf.name)), nil),
		MemorySize:                   jsii.Number(float64(pf.spec.MemoryMB)),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(pf.spec.Timeout.Seconds())),
		ReservedConcurrentExecutions: reserved(pf.spec, max(1, len(pf.queues))),
		RetryAttempts:                retryAttempts,
		Role:                         pf.role,
		LogGroup:                     pf.logGroup,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		Tracing:                      awslambda.Tracing_ACTIVE,
		Environment:                  env,
	})
}

// functionEnv is the environment of function name, from suite.Settings.Environment: the same
// variables the local stacks give the functions. The names and the URL are CDK tokens, which
// survive the round trip through Go strings.
func functionEnv(name string, p IvsSessionsProps, busName, bucketName, dlqURL *string) *map[string]*string {
	env := map[string]*string{}
	r := suite.Resources{EventBus: *busName, ArchiveBucket: *bucketName, DeadLetterQueueURL: *dlqURL, Account: *awscdk.Aws_ACCOUNT_ID()}
	for k, v := range p.Settings().Environment(name, r) {
		env[k] = jsii.String(v)
	}
	return &env
}

// deliveryDelay is the queue's delivery delay, nil (SQS's default, none) when spec has none.
func deliveryDelay(spec suite.FunctionSettings) awscdk.Duration {
	if spec.DeliveryDelay <= 0 {
		return nil
	}
	return awscdk.Duration_Seconds(jsii.Number(spec.DeliveryDelay.Seconds()))
}

// durationDays converts whole days for CDK.
func durationDays(days int) awscdk.Duration {
	return awscdk.Duration_Days(jsii.Number(float64(days)))
}

// reserved is the reserved concurrency of a function fed by queues event source mappings (the
// sweep: 1): each mapping's maximum concurrency, or nil (unreserved) when the mappings have
// none.
func reserved(spec suite.FunctionSettings, queues int) *float64 {
	if spec.MaxConcurrency <= 0 {
		return nil
	}
	return jsii.Number(float64(spec.MaxConcurrency * queues))
}
