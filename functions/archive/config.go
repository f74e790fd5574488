package main

import "github.com/ivs-sessions/ivs-sessions/shared/suite"

// The AWS SDK's endpoint variables; when one is set, the S3 endpoint is a local server that
// wants path-style addressing (http://host:port/<bucket>/<key>).
const (
	envEndpointURLS3 = "AWS_ENDPOINT_URL_S3"
	envEndpointURL   = "AWS_ENDPOINT_URL"
)

// Config is archive's configuration, read once per cold start.
type Config struct {
	// Bucket is the archive bucket (ARCHIVE_BUCKET, required).
	Bucket string
	// PathStyle makes the S3 client address the bucket in the path, as local S3 servers want:
	// true when AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL is set.
	PathStyle bool
}

// LoadConfig reads the configuration from getenv (os.Getenv in main). It returns a
// *ivsevent.FieldError naming the variable that is missing.
func LoadConfig(getenv suite.Getenv) (Config, error) {
	bucket, err := suite.Required(getenv, suite.EnvArchiveBucket, "the name of the archive's S3 bucket")
	if err != nil {
		return Config{}, err
	}
	return Config{Bucket: bucket, PathStyle: getenv(envEndpointURLS3) != "" || getenv(envEndpointURL) != ""}, nil
}
