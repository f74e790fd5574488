// Package awsenv builds the functions' aws.Config from the Lambda environment alone, instead of
// config.LoadDefaultConfig, which links every credential provider the SDK has (SSO, SSO OIDC,
// STS, sign-in: four more service clients) and runs their package initialization on every cold
// start. In Lambda the execution role's credentials, the region and any endpoint override are
// environment variables, which is all a function reads here. BENCHMARKS.md measures the
// difference: 1.7 MB less per bootstrap and less init.
package awsenv

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The environment variables Load reads (the SDK's names; Lambda sets the first four).
const (
	EnvRegion          = "AWS_REGION"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	EnvMaxAttempts     = "AWS_MAX_ATTEMPTS"
	// EnvEndpointURL is every service's endpoint; EnvEndpointURL + "_" + the service's SDK ID
	// in upper case with underscores (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_EVENTBRIDGE) one
	// service's, which wins.
	EnvEndpointURL = "AWS_ENDPOINT_URL"
	// EnvIgnoreEndpoints set to true ignores both.
	EnvIgnoreEndpoints = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
)

// Load returns the configuration the functions' SDK clients are built from: the region, the
// static credentials of the execution role, AWS_MAX_ATTEMPTS as RetryMaxAttempts, appID as the
// user agent's app ID and the endpoint overrides, read through getenv (os.Getenv in main), and
// the suite's HTTP client (sdkhttp). It returns a *invalid.FieldError naming the variable that
// is missing or invalid.
func Load(getenv suite.Getenv, appID string) (aws.Config, error) {
	region, err := suite.Required(getenv, EnvRegion, "the AWS region (Lambda sets it)")
	if err != nil {
		return aws.Config{}, err
	}
	key, err := suite.Required(getenv, EnvAccessKeyID, "the access key ID of the execution role (Lambda sets it)")
	if err != nil {
		return aws.Config{}, err
	}
	// The secret is never echoed back in an error.
	secret := getenv(EnvSecretAccessKey)
	if secret == "" {
		return aws.Config{}, &invalid.FieldError{Field: EnvSecretAccessKey, Want: "the secret access key of the execution role (Lambda sets it)"}
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv(EnvSessionToken))),
		AppID:       appID,
		HTTPClient:  sdkhttp.New(),
	}
	// 0 (unset) leaves each client its default.
	if cfg.RetryMaxAttempts, err = suite.PositiveInt(getenv, EnvMaxAttempts, 0); err != nil {
		return aws.Config{}, err
	}
	endpoints := endpointSource{getenv: getenv}
	if ignore, _, _ := endpoints.GetIgnoreConfiguredEndpoints(context.Background()); !ignore {
		if u := getenv(EnvEndpointURL); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	cfg.ConfigSources = []any{endpoints}
	return cfg, nil
}

// endpointSource gives each client its service's endpoint override: the SDK's clients ask the
// aws.Config's ConfigSources for GetServiceBaseEndpoint (and GetIgnoreConfiguredEndpoints), as
// they ask the environment source config.LoadDefaultConfig puts there.
type endpointSource struct{ getenv suite.Getenv }

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SDK ID> when it is set.
func (e endpointSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := EnvEndpointURL + "_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	if u := e.getenv(name); u != "" {
		return u, true, nil
	}
	return "", false, nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e endpointSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	v := e.getenv(EnvIgnoreEndpoints)
	if v == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(v)
	return b && err == nil, true, nil
}

// S3PathStyle reports whether S3 clients must address buckets in the path
// (http://host:port/<bucket>/<key>) rather than in the host name: true when an endpoint
// override for S3 is in force (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), which is a local S3 server; the real S3 takes
// the bucket in the host name. Every S3 client of the suite sets UsePathStyle from it.
func S3PathStyle(getenv suite.Getenv) bool {
	endpoints := endpointSource{getenv: getenv}
	if ignore, _, _ := endpoints.GetIgnoreConfiguredEndpoints(context.Background()); ignore {
		return false
	}
	_, s3Set, _ := endpoints.GetServiceBaseEndpoint(context.Background(), "S3")
	return s3Set || getenv(EnvEndpointURL) != ""
}
