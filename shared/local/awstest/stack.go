package awstest

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/local/locals3"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The region and account of a Stack's peers: those of the sample events.
const (
	Region  = ivstest.DefaultRegion
	Account = ivstest.DefaultAccount
)

// The credentials every client of a Stack signs with; no peer checks them.
const (
	AccessKeyID     = "AKIDTEST"
	SecretAccessKey = "test-secret"
)

// Credentials returns the static test credentials (AccessKeyID, SecretAccessKey).
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
}

// Options choose the peers of a Stack; a Stack without a peer has a nil field for it.
type Options struct {
	// IVS, when set, starts a local IVS (ivstest) with these options: a fake clock, faults.
	IVS *ivstest.Options
	// Bus, when set, starts a local bus (localbus) with this configuration; Region and Account
	// default to the stack's.
	Bus *localbus.Config
	// Bucket, when set, starts a local S3 in memory (locals3) with this bucket.
	Bucket string
	// WrapBus and WrapS3, when set, stand between the peer's httptest server and the peer (for
	// the bus, behind its Wire): fault injection, request counting.
	WrapBus, WrapS3 func(http.Handler) http.Handler
}

// Stack is the local AWS one test runs against. Each peer is served by its own httptest
// server; the URLs are what a function's clients (or its AWS_ENDPOINT_URL_* variables) point
// at. Everything is closed when the test ends, and then the test fails if a secret added to
// Secrets appears in the logs, the metrics or an event published on the bus.
type Stack struct {
	IVS     *ivstest.Server // the local IVS
	IVSURL  string          // the functions' IVS endpoint, through IVSWire
	IVSWire *Wire           // the IVS calls made through IVSURL, by operation (ByPath)
	Admin   *ivs.Client     // the test's own IVS client, straight to the server (not recorded)

	Bus     *localbus.Bus // the local EventBridge and SQS
	BusURL  string        // the EventBridge and SQS endpoint, through BusWire
	BusWire *Wire         // the EventBridge and SQS calls, by X-Amz-Target (ByTarget)

	S3     *locals3.Server // the local S3, with Bucket created
	S3URL  string
	Bucket string

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

	if o.IVS != nil {
		s.IVS = ivstest.NewServer(*o.IVS)
		tb.Cleanup(s.IVS.Close)
		s.Admin = ivstest.Client(tb, s.IVS)
		s.IVSWire = NewWire(s.IVS.Handler(), ByPath)
		s.IVSURL = serve(tb, s.IVSWire)
	}
	if o.Bus != nil {
		cfg := *o.Bus
		if cfg.Region == "" {
			cfg.Region = Region
		}
		if cfg.Account == "" {
			cfg.Account = Account
		}
		bus, err := localbus.New(cfg)
		if err != nil {
			tb.Fatalf("awstest: local bus: %v", err)
		}
		tb.Cleanup(func() { _ = bus.Close() })
		s.Bus = bus
		s.BusWire = NewWire(wrap(bus, o.WrapBus), ByTarget)
		s.BusURL = serve(tb, s.BusWire)
	}
	if o.Bucket != "" {
		s.S3 = locals3.NewMemory()
		if err := s.S3.CreateBucket(o.Bucket); err != nil {
			tb.Fatalf("awstest: local S3: %v", err)
		}
		s.Bucket = o.Bucket
		s.S3URL = serve(tb, wrap(s.S3.Handler(), o.WrapS3))
	}
	return s
}

func wrap(h http.Handler, with func(http.Handler) http.Handler) http.Handler {
	if with == nil {
		return h
	}
	return with(h)
}

// serve starts an httptest server for h, closed when the test ends, and returns its URL.
func serve(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// must panics when a client is asked for a peer the stack does not have: it would reach AWS.
func must(url, peer string) {
	if url == "" {
		panic("awstest: the stack has no local " + peer + " (see Options)")
	}
}

// IVSClient returns a real IVS client for IVSURL: static test credentials and aws.NopRetryer,
// so a test sees each error once; optFns adjust the options (a retryer, a pacer).
func (s *Stack) IVSClient(optFns ...func(*ivs.Options)) *ivs.Client {
	must(s.IVSURL, "IVS")
	return ivs.New(ivs.Options{Region: Region, BaseEndpoint: aws.String(s.IVSURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}}, optFns...)
}

// EventBridgeClient returns a real EventBridge client for BusURL, like IVSClient.
func (s *Stack) EventBridgeClient(optFns ...func(*eventbridge.Options)) *eventbridge.Client {
	must(s.BusURL, "bus")
	return eventbridge.New(eventbridge.Options{Region: Region, BaseEndpoint: aws.String(s.BusURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}}, optFns...)
}

// SQSClient returns a real SQS client for BusURL, like IVSClient.
func (s *Stack) SQSClient(optFns ...func(*sqs.Options)) *sqs.Client {
	must(s.BusURL, "bus")
	return sqs.New(sqs.Options{Region: Region, BaseEndpoint: aws.String(s.BusURL), Credentials: Credentials(), Retryer: aws.NopRetryer{}}, optFns...)
}

// S3Client returns a real S3 client for S3URL with path-style addressing, like IVSClient. It
// does not log the skipped checksum validation of objects written without a checksum.
func (s *Stack) S3Client(optFns ...func(*s3.Options)) *s3.Client {
	must(s.S3URL, "S3")
	return s3.New(s3.Options{
		Region: Region, BaseEndpoint: aws.String(s.S3URL), UsePathStyle: true, Credentials: Credentials(), Retryer: aws.NopRetryer{},
		DisableLogOutputChecksumValidationSkipped: true,
	}, optFns...)
}

// Env returns the environment of a function that runs against the stack, as Lambda would set
// it apart from the endpoints: the region, the test credentials, no instance metadata, JSON
// logs, and AWS_ENDPOINT_URL_<service> for each peer the stack has. extra (the suite's
// settings) is added last.
func (s *Stack) Env(extra map[string]string) map[string]string {
	env := map[string]string{
		"AWS_REGION":                Region,
		"AWS_ACCESS_KEY_ID":         AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_LAMBDA_LOG_FORMAT":     "JSON",
	}
	if s.IVSURL != "" {
		env["AWS_ENDPOINT_URL_IVS"] = s.IVSURL
	}
	if s.BusURL != "" {
		env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = s.BusURL
		env["AWS_ENDPOINT_URL_SQS"] = s.BusURL
	}
	if s.S3URL != "" {
		env["AWS_ENDPOINT_URL_S3"] = s.S3URL
	}
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
