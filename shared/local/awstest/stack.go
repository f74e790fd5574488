package awstest

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The region, account and credentials of a Stack's peers: those of the one local AWS.
const (
	Region          = localaws.Region
	Account         = localaws.Account
	AccessKeyID     = localaws.AccessKeyID
	SecretAccessKey = localaws.SecretAccessKey
)

// Options choose the peers of a Stack; a Stack without a peer has a nil field for it.
type Options struct {
	// IVS, when set, starts a local IVS (ivstest) with these options: a fake clock, faults.
	IVS *ivstest.Options
	// Bus, when set, starts a local bus (localbus) with this configuration; Region and Account
	// are the stack's.
	Bus *localbus.Config
	// Bucket, when set, starts a local S3 in memory (locals3) with this bucket.
	Bucket string
	// CloudWatch, when set, starts a local CloudWatch (cloudwatchtest) with these options; a
	// local IVS then publishes its broadcasts' series there.
	CloudWatch *cloudwatchtest.Options
	// WrapBus and WrapS3, when set, stand between the peer's server and the peer (for the bus,
	// behind its Wire): fault injection, request counting.
	WrapBus, WrapS3 func(http.Handler) http.Handler
	// Fleet, when enabled, makes the local AWS a fleet's (localaws.Config.Fleet): an IVS and a
	// CloudWatch per account and region, and a local STS.
	Fleet suite.Fleet
}

// Stack is the local AWS one test runs against: a localaws.AWS (its peers, URLs and real SDK
// clients: IVSClient, EventBridgeClient, SQSClient, S3Client, CloudWatchClient) with the test's wires, logs and
// metrics. Everything is closed when the test ends, and then the test fails if a secret added
// to Secrets appears in the logs, the metrics or an event published on the bus.
type Stack struct {
	*localaws.AWS
	IVSWire *Wire       // the IVS calls made through IVSURL, by operation (ByPath)
	Admin   *ivs.Client // the test's own IVS client, straight to the server (not recorded)
	BusWire *Wire       // the EventBridge and SQS calls through BusURL, by X-Amz-Target (ByTarget)

	Logs    *Buffer           // what Log writes: slog JSON lines
	EMF     *Buffer           // what Metrics writes: EMF documents, one a line
	Log     *slog.Logger      // a logger for the function under test
	Metrics *metrics.Recorder // a recorder for the function under test, in the suite's namespace
	Secrets Secrets           // the secrets that must never leave the function
}

// New starts the peers o asks for and returns the stack; setup errors fail tb.
func New(tb testing.TB, o Options) *Stack {
	tb.Helper()
	s := &Stack{Logs: &Buffer{}, EMF: &Buffer{}}
	s.Log = slog.New(slog.NewJSONHandler(s.Logs, nil))
	s.Metrics = metrics.New(suite.MetricNamespace, s.EMF)
	// Registered first, so it runs last: after the peers have stopped writing.
	tb.Cleanup(func() { s.Secrets.Check(tb, s.Outputs()) })

	a, err := localaws.Start(localaws.Config{
		IVS: o.IVS, Bus: o.Bus, Bucket: o.Bucket, CloudWatch: o.CloudWatch, WrapS3: o.WrapS3, Fleet: o.Fleet,
		WrapIVS: func(h http.Handler) http.Handler {
			s.IVSWire = NewWire(h, ByPath)
			return s.IVSWire
		},
		WrapBus: func(h http.Handler) http.Handler {
			if o.WrapBus != nil {
				h = o.WrapBus(h)
			}
			s.BusWire = NewWire(h, ByTarget)
			return s.BusWire
		},
	})
	if err != nil {
		tb.Fatalf("awstest: %v", err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	s.AWS = a
	if s.IVS != nil {
		s.Admin = ivstest.Client(s.IVS)
	}
	return s
}

// Env returns the environment of a function that runs against the stack, as Lambda would set
// it apart from the endpoints: the region, the test credentials, no instance metadata, JSON
// logs, and AWS_ENDPOINT_URL_<service> for each peer the stack has (localaws.AWS.Env). extra
// (the suite's settings) is added last.
func (s *Stack) Env(extra map[string]string) map[string]string {
	env := s.AWS.Env()
	env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// PublishedBodies returns the bodies of the PutEvents requests made through BusURL, in order;
// nil without a bus.
func (s *Stack) PublishedBodies() [][]byte {
	if s.BusWire == nil {
		return nil
	}
	return s.BusWire.Bodies("AWSEvents.PutEvents")
}

// Outputs returns what a function wrote so far, by name, for Secrets.Check: "logs",
// "metrics" and, with a bus, "published events" (the PutEvents requests).
func (s *Stack) Outputs() map[string]string {
	out := map[string]string{"logs": s.Logs.String(), "metrics": s.EMF.String()}
	if s.BusWire != nil {
		out["published events"] = string(bytes.Join(s.PublishedBodies(), []byte("\n")))
	}
	return out
}

// Metric flushes Metrics and returns the sum of metric name over the EMF documents written so
// far, counting only documents with each of dims (see EMFSum).
func (s *Stack) Metric(tb testing.TB, name string, dims ...metrics.Dim) float64 {
	tb.Helper()
	if err := s.Metrics.Flush(); err != nil {
		tb.Fatalf("flush metrics: %v", err)
	}
	return EMFSum(tb, s.EMF.String(), name, dims...)
}
