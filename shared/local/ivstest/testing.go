package ivstest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

// Client returns a real aws-sdk-go-v2 IVS client for the started server srv: BaseEndpoint
// srv.URL, the server's region, static test credentials (requests are signed; the server does
// not check signatures), the suite's HTTP client (sdkhttp) and aws.NopRetryer, so a test sees
// each error once. optFns adjust the options, e.g. to put the standard retryer back for a test
// about retries.
func Client(tb testing.TB, srv *Server, optFns ...func(*ivs.Options)) *ivs.Client {
	tb.Helper()
	if srv.URL == "" {
		tb.Fatal("ivstest.Client: the server is not started (use NewServer or Start)")
	}
	return ivs.New(ivs.Options{
		Region:       srv.Region(),
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDIVSTEST", "ivstest-secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	}, optFns...)
}

// LoadEvent returns the sample event events/<name> of the module (".json" may be left out),
// failing the test when it cannot be read. Samples are plain EventBridge events, as IVS sends
// them.
func LoadEvent(tb testing.TB, name string) []byte {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("ivstest.LoadEvent %s: %v", name, err)
	}
	data, err := loadEvent(dir, name)
	if err != nil {
		tb.Fatalf("ivstest.LoadEvent: %v", err)
	}
	return data
}

// loadEvent finds the module root at or above dir (the directory with go.mod) and reads
// events/<name>[.json] there.
func loadEvent(dir, name string) ([]byte, error) {
	if name == "" || strings.Contains(name, "..") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("event name: want a file name under events/, got %q", name)
	}
	if !strings.HasSuffix(name, ".json") {
		name += ".json"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			data, err := os.ReadFile(filepath.Join(d, "events", name))
			if err != nil {
				return nil, fmt.Errorf("read sample event: %w", err)
			}
			return data, nil
		}
		if filepath.Dir(d) == d {
			return nil, errors.New("read sample event " + name + ": no go.mod at or above " + dir)
		}
	}
}
