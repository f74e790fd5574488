package ivstest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

// Client returns a real aws-sdk-go-v2 IVS client for the started server srv (NewServer, or
// Start on an unstarted one): BaseEndpoint srv.URL, the server's region, static test credentials
// (requests are signed; the server does not check signatures), the suite's HTTP client
// (sdkhttp) and aws.NopRetryer, so a caller
// sees each error once. optFns adjust the options, e.g. to put the standard retryer back for a
// test about retries. It panics when srv is not started: its client would reach for AWS.
func Client(srv *Server, optFns ...func(*ivs.Options)) *ivs.Client {
	if srv.URL == "" {
		panic("ivstest.Client: the server is not started (use NewServer or Start)")
	}
	return ivs.New(ivs.Options{
		Region:       srv.Region(),
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDIVSTEST", "ivstest-secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkhttp.New(),
	}, optFns...)
}
