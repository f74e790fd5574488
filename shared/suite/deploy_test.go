package suite

import (
	"testing"
)

func TestDeploymentCoversEveryFunction(t *testing.T) {
	for _, fn := range Functions {
		d, ok := Deployment[fn]
		if !ok {
			t.Fatalf("no deployment settings for %s", fn)
		}
		if d.BatchSize < 1 || (d.MaxConcurrency != 0 && d.MaxConcurrency < 2) || d.MaxReceiveCount < 1 || d.Timeout <= 0 || d.MemoryMB < 128 {
			t.Errorf("%s: implausible settings %+v (Lambda needs MaxConcurrency >= 2)", fn, d)
		}
		if d.Retention < d.VisibilityTimeout() {
			// SQS would expire a message before it could be delivered again.
			t.Errorf("%s: retention %v shorter than the visibility timeout %v", fn, d.Retention, d.VisibilityTimeout())
		}
	}
	if Deployment[FunctionEnrich].MaxReceiveCount <= DefaultEnrichMaxAttempts {
		t.Errorf("enrich MaxReceiveCount %d must exceed EnrichMaxAttempts %d, or unseen sessions reach the DLQ before they are published",
			Deployment[FunctionEnrich].MaxReceiveCount, DefaultEnrichMaxAttempts)
	}
	if max := DefaultSettings().CorrectionMaxAge; Deployment[FunctionCorrect].Retention <= max {
		t.Errorf("correct retention %v must exceed the correction max age %v", Deployment[FunctionCorrect].Retention, max)
	}
}

func TestEnvironmentLoadsBack(t *testing.T) {
	s := DefaultSettings()
	s.CorrectionMode = "dry-run"
	s.DefaultMaximumResolution = "HD"
	res := Resources{EventBus: "bus", ArchiveBucket: "bucket", DeadLetterQueueURL: "https://sqs.us-west-2.amazonaws.com/123456789012/correct-dlq"}
	for _, fn := range []string{FunctionEnrich, FunctionCorrect} {
		env := s.Environment(fn, res)
		cfg, err := LoadCorrection(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%s: the environment does not load: %v", fn, err)
		}
		if string(cfg.Mode) != "dry-run" || cfg.DefaultMaximumResolution != "HD" || cfg.OptOutTag != DefaultOptOutTag || !cfg.AllowContainerFormatChange {
			t.Errorf("%s: loaded %+v", fn, cfg)
		}
		if env[EnvEventBusName] != "bus" {
			t.Errorf("%s: %s = %q", fn, EnvEventBusName, env[EnvEventBusName])
		}
	}
	if got := s.Environment(FunctionCorrect, res)[EnvLockBucket]; got != "bucket" {
		t.Errorf("correct: %s = %q, want the archive bucket", EnvLockBucket, got)
	}
	if got := s.Environment(FunctionCorrect, res)[EnvDeadLetterQueueURL]; got != res.DeadLetterQueueURL {
		t.Errorf("correct: %s = %q, want its dead-letter queue's URL", EnvDeadLetterQueueURL, got)
	}
	for _, fn := range []string{FunctionEnrich, FunctionArchive, FunctionQuality, FunctionSweep} {
		if _, ok := s.Environment(fn, res)[EnvDeadLetterQueueURL]; ok {
			t.Errorf("%s: %s set, want it for correct only", fn, EnvDeadLetterQueueURL)
		}
	}
	if _, ok := s.Environment(FunctionEnrich, res)[EnvLockBucket]; ok {
		t.Errorf("enrich: %s set, want it for correct only", EnvLockBucket)
	}
	if got := s.Environment(FunctionArchive, res); len(got) != 1 || got[EnvArchiveBucket] != "bucket" {
		t.Errorf("archive environment = %v", got)
	}
	if s.Environment("nope", Resources{}) != nil {
		t.Error("unknown function has an environment")
	}
}
