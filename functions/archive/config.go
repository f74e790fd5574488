package main

import "github.com/ivs-sessions/ivs-sessions/shared/suite"

// Config is archive's configuration, read once per cold start.
type Config struct {
	// Bucket is the archive bucket (ARCHIVE_BUCKET, required).
	Bucket string
}

// LoadConfig reads the configuration from getenv (os.Getenv in main). It returns a
// *invalid.FieldError naming the variable that is missing.
func LoadConfig(getenv suite.Getenv) (Config, error) {
	bucket, err := suite.Required(getenv, suite.EnvArchiveBucket, "the name of the archive's S3 bucket")
	if err != nil {
		return Config{}, err
	}
	return Config{Bucket: bucket}, nil
}
