// Package localaws is the one assembly of the local AWS: a local IVS (ivstest), the local
// EventBridge and SQS (localbus), a local S3 (locals3) and a local CloudWatch (cloudwatchtest,
// fed by the IVS broadcast simulator), each served on a loopback port, with
// the credentials, real aws-sdk-go-v2 clients and environment variables that point at them. The
// functions' tests (shared/local/awstest), the make local engine (scripts/local/engine) and
// make invoke (scripts/invoke) all run on it.
//
// FunctionEnv gives a function the environment the CDK app gives it (suite.Settings.Environment)
// pointed at the local peers through the SDK's own variables (AWS_ENDPOINT_URL_<service>), so a
// function's real bootstrap runs unchanged.
//
// With Config.Fleet, it is a fleet's local AWS (fleet.go): a local IVS and a local CloudWatch
// for each account and region of the fleet, each request served by the one of the region it was
// signed for and the account its access key stands for, and a local STS (localsts) that lets
// each function assume its role in the member accounts, as the member template allows.
//
// An AWS is safe for concurrent use; Close stops its servers.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/awsenv"
	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localsts"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The region and account of the local peers unless Config says otherwise: those of the sample
// events.
const (
	Region  = ivstest.DefaultRegion
	Account = ivstest.DefaultAccount
)

// The credentials every client signs with; no peer checks them.
const (
	AccessKeyID     = "AKIDLOCALAWS"
	SecretAccessKey = "local-aws-not-a-secret"
)

// Credentials returns the static credentials (AccessKeyID, SecretAccessKey).
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
}

// Config chooses the peers; a peer left out is nil in AWS and has no endpoint.
type Config struct {
	// Region and Account of every peer; empty means Region and Account.
	Region, Account string
	// IVS, when set, starts a local IVS with these options (Region and Account are Config's;
	// with CloudWatch and no Metrics of their own, the simulator's series go to the local
	// CloudWatch).
	IVS *ivstest.Options
	// Bus, when set, starts the local bus with this configuration (Region and Account are
	// Config's).
	Bus *localbus.Config
	// Bucket, when set, starts a local S3 with this bucket: in S3Dir when set, else in memory.
	Bucket string
	S3Dir  string
	// CloudWatch, when set, starts a local CloudWatch with these options.
	CloudWatch *cloudwatchtest.Options
	// WrapIVS, WrapBus and WrapS3, when set, stand between a peer's server and the peer: an
	// alias, a recorder, fault injection.
	WrapIVS, WrapBus, WrapS3 func(http.Handler) http.Handler
	// Fleet, when enabled, makes the local AWS a fleet's (fleet.go): an IVS (with IVS's
	// options) and a CloudWatch (with CloudWatch's) for Account and each member account in each
	// of Fleet's regions, and a local STS. Region is then Fleet.Home() and may be left empty.
	Fleet suite.Fleet
}

// AWS is a running local AWS.
type AWS struct {
	Region, Account string

	IVS    *ivstest.Server // the local IVS (also started on IVS.URL, straight, without WrapIVS)
	IVSURL string          // the IVS endpoint, through WrapIVS

	Bus    *localbus.Bus // the local EventBridge and SQS
	BusURL string        // the EventBridge and SQS endpoint, through WrapBus

	S3     *locals3.Server // the local S3, with Bucket created
	S3URL  string
	Bucket string

	CloudWatch    *cloudwatchtest.Server // the local CloudWatch, fed by IVS's broadcast simulator
	CloudWatchURL string

	// Fleet is the fleet the local AWS serves (Config.Fleet); the zero Fleet for one region.
	// In a fleet IVS and CloudWatch are the home target's, and IVSURL and CloudWatchURL serve
	// every target (IVSAt, CloudWatchAt); STS issues the member accounts' credentials.
	Fleet        suite.Fleet
	ivsAt        map[fleet.Target]*ivstest.Server
	cloudWatchAt map[fleet.Target]*cloudwatchtest.Server
	STS          *localsts.Server
	STSURL       string

	servers []*http.Server
}

// Start starts the peers cfg asks for on loopback ports. It returns an error, leaving nothing
// running, when one does not start.
func Start(cfg Config) (_ *AWS, err error) {
	a := &AWS{Region: cfg.Region, Account: cfg.Account, Bucket: cfg.Bucket, Fleet: cfg.Fleet}
	if cfg.Fleet.Enabled() {
		if err := cfg.Fleet.Check(); err != nil {
			return nil, fmt.Errorf("localaws: fleet: %w", err)
		}
		if a.Region != "" && a.Region != cfg.Fleet.Home() {
			return nil, fmt.Errorf("localaws: region %s is not the fleet's home region %s", a.Region, cfg.Fleet.Home())
		}
		a.Region = cfg.Fleet.Home()
	}
	if a.Region == "" {
		a.Region = Region
	}
	if a.Account == "" {
		a.Account = Account
	}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if cfg.Bus != nil {
		bc := *cfg.Bus
		bc.Region, bc.Account = a.Region, a.Account
		if a.Bus, err = localbus.New(bc); err != nil {
			return nil, fmt.Errorf("localaws: %w", err)
		}
		if a.BusURL, err = a.serve(wrap(a.Bus, cfg.WrapBus)); err != nil {
			return nil, err
		}
	}
	if cfg.Bucket != "" {
		if cfg.S3Dir != "" {
			if a.S3, err = locals3.New(cfg.S3Dir); err != nil {
				return nil, fmt.Errorf("localaws: %w", err)
			}
		} else {
			a.S3 = locals3.NewMemory()
		}
		if err := a.S3.CreateBucket(cfg.Bucket); err != nil {
			return nil, fmt.Errorf("localaws: %w", err)
		}
		if a.S3URL, err = a.serve(wrap(a.S3.Handler(), cfg.WrapS3)); err != nil {
			return nil, err
		}
	}
	if cfg.Fleet.Enabled() {
		if err := a.startFleet(cfg); err != nil {
			return nil, err
		}
		return a, nil
	}
	if cfg.CloudWatch != nil {
		a.CloudWatch = cloudwatchtest.New(*cfg.CloudWatch)
		if a.CloudWatchURL, err = a.serve(a.CloudWatch); err != nil {
			return nil, err
		}
	}
	if cfg.IVS != nil {
		o := *cfg.IVS
		o.Region, o.Account = a.Region, a.Account
		if o.Metrics == nil && a.CloudWatch != nil {
			o.Metrics = a.CloudWatch
		}
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("localaws: %w", err)
		}
		a.IVS = ivstest.NewServer(o)
		if a.IVSURL, err = a.serve(wrap(a.IVS.Handler(), cfg.WrapIVS)); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func wrap(h http.Handler, with func(http.Handler) http.Handler) http.Handler {
	if with == nil {
		return h
	}
	return with(h)
}

// serve serves h on a loopback port until Close and returns its URL.
func (a *AWS) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("localaws: listen on a loopback port: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	a.servers = append(a.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the bus and the servers, waiting up to 5 seconds for requests in flight. It
// returns the first error met and is safe to call more than once.
func (a *AWS) Close() error {
	var errs []error
	if a.Bus != nil {
		errs = append(errs, a.Bus.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range a.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	a.servers = nil
	if a.IVS != nil {
		a.IVS.Close()
	}
	for _, srv := range a.ivsAt {
		srv.Close()
	}
	return errors.Join(errs...)
}

// Env returns the variables that point an SDK (a function's, or the AWS CLI v2.13+) at the
// peers: the region, the credentials, no instance metadata, no shared config files, and
// AWS_ENDPOINT_URL_<service> for each peer.
func (a *AWS) Env() map[string]string {
	env := map[string]string{
		"AWS_REGION":                  a.Region,
		"AWS_DEFAULT_REGION":          a.Region, // the AWS CLI v1 reads this one
		"AWS_ACCESS_KEY_ID":           AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull, // nothing from the host's ~/.aws
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
	if a.IVSURL != "" {
		env["AWS_ENDPOINT_URL_IVS"] = a.IVSURL
	}
	if a.BusURL != "" {
		env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = a.BusURL
		env["AWS_ENDPOINT_URL_SQS"] = a.BusURL
	}
	if a.S3URL != "" {
		env["AWS_ENDPOINT_URL_S3"] = a.S3URL
	}
	if a.CloudWatchURL != "" {
		env["AWS_ENDPOINT_URL_CLOUDWATCH"] = a.CloudWatchURL
	}
	if a.STSURL != "" {
		env["AWS_ENDPOINT_URL_STS"] = a.STSURL
	}
	return env
}

// EnvList returns Env as NAME=value lines, sorted.
func (a *AWS) EnvList() []string {
	var out []string
	for k, v := range a.Env() {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Resources returns the local resources function fn's environment names: the suite's bus
// (suite.BusSessions), the bucket, and fn's local dead-letter queue.
func (a *AWS) Resources(fn string) suite.Resources {
	r := suite.Resources{EventBus: suite.BusSessions, ArchiveBucket: a.Bucket, Account: a.Account}
	if a.Bus != nil {
		r.DeadLetterQueueURL = a.Bus.QueueURL(a.BusURL, fn+localbus.DeadLetterSuffix)
	}
	return r
}

// FleetConfig returns what function fn's main loads in a fleet, from the environment the
// deployment gives it (FunctionEnv with the default settings): its AWS configuration
// (awsenv.Load), the fleet and the function's own account (suite.LoadFleet). Tests build the
// function's regional clients from it as its main does.
func (a *AWS) FleetConfig(fn string) (aws.Config, suite.Fleet, string, error) {
	env := a.FunctionEnv(fn, suite.DefaultSettings())
	getenv := func(k string) string { return env[k] }
	cfg, err := awsenv.Load(getenv, suite.Name)
	if err != nil {
		return aws.Config{}, suite.Fleet{}, "", err
	}
	f, account, err := suite.LoadFleet(getenv)
	return cfg, f, account, err
}

// FunctionEnv returns the environment of function fn with settings s, as Lambda would set it
// for the deployment (suite.Settings.Environment, the same function the CDK app calls, with
// Resources(fn)), pointed at the peers (Env), with Lambda's JSON log format. In a fleet the
// settings' fleet is the local AWS's, and the function signs with its own role's access key
// (FunctionAccessKey), which the local STS lets assume the function's roles in the members.
func (a *AWS) FunctionEnv(fn string, s suite.Settings) map[string]string {
	env := a.Env()
	env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
	if a.Fleet.Enabled() {
		s.Fleet = a.Fleet
		env["AWS_ACCESS_KEY_ID"] = FunctionAccessKey(fn)
	}
	for k, v := range s.Environment(fn, a.Resources(fn)) {
		env[k] = v
	}
	return env
}

// must panics when a client is asked for a peer that is not running: it would reach AWS.
func must(url, peer string) {
	if url == "" {
		panic("localaws: no local " + peer + " (see Config)")
	}
}

// IVSClient returns a real IVS client for IVSURL: the credentials, the suite's HTTP client
// (sdkhttp) and aws.NopRetryer, so a caller sees each error once; optFns adjust the options (a
// retryer, a pacer, an endpoint).
func (a *AWS) IVSClient(optFns ...func(*ivs.Options)) *ivs.Client {
	must(a.IVSURL, "IVS")
	return ivs.New(ivs.Options{Region: a.Region, BaseEndpoint: aws.String(a.IVSURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New()}, optFns...)
}

// EventBridgeClient returns a real EventBridge client for BusURL, like IVSClient.
func (a *AWS) EventBridgeClient(optFns ...func(*eventbridge.Options)) *eventbridge.Client {
	must(a.BusURL, "bus")
	return eventbridge.New(eventbridge.Options{Region: a.Region, BaseEndpoint: aws.String(a.BusURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New()}, optFns...)
}

// SQSClient returns a real SQS client for BusURL, like IVSClient.
func (a *AWS) SQSClient(optFns ...func(*sqs.Options)) *sqs.Client {
	must(a.BusURL, "bus")
	return sqs.New(sqs.Options{Region: a.Region, BaseEndpoint: aws.String(a.BusURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New()}, optFns...)
}

// S3Client returns a real S3 client for S3URL with path-style addressing, like IVSClient. It
// does not log the skipped checksum validation of objects written without a checksum.
func (a *AWS) S3Client(optFns ...func(*s3.Options)) *s3.Client {
	must(a.S3URL, "S3")
	return s3.New(s3.Options{
		Region: a.Region, BaseEndpoint: aws.String(a.S3URL), UsePathStyle: true, Credentials: Credentials(), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New(),
		DisableLogOutputChecksumValidationSkipped: true,
	}, optFns...)
}

// CloudWatchClient returns a real CloudWatch client for CloudWatchURL, like IVSClient.
func (a *AWS) CloudWatchClient(optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	must(a.CloudWatchURL, "CloudWatch")
	return cloudwatch.New(cloudwatch.Options{Region: a.Region, BaseEndpoint: aws.String(a.CloudWatchURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New()}, optFns...)
}
