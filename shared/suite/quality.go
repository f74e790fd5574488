package suite

import (
	"strconv"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// FunctionQuality measures each ended session's ingest quality from CloudWatch
// (functions/quality).
const FunctionQuality = "quality"

// DetailTypeSessionQuality carries a session's measured quality (session.Measured): archive
// merges it into the record, and a team routes degraded sessions with DegradedSessions.
const DetailTypeSessionQuality = "IVS Session Quality"

// Environment variables of the quality function.
const (
	// EnvQualityMaxAttempts is how many deliveries quality waits for CloudWatch to have a
	// session's metrics before it publishes what it has (verdict unknown when there is nothing).
	EnvQualityMaxAttempts = "QUALITY_MAX_ATTEMPTS"
	// EnvQualityRetryDelay is the wait between two reads of a session whose metrics are not all
	// in CloudWatch yet (a Go duration).
	EnvQualityRetryDelay = "QUALITY_RETRY_DELAY"
	// EnvMetricsPerSecond is the GetMetricData datapoints per second one quality process may
	// ask for (it paces its calls by their size).
	EnvMetricsPerSecond = "METRICS_DATAPOINTS_PER_SECOND"
)

// Defaults of the quality function.
const (
	// DefaultQualityDelay is how long a session's quality message waits in its queue (SQS
	// DeliveryDelay) before the first read: IVS's high-resolution metrics reach CloudWatch
	// within seconds and the others within a minute, so 5 minutes leaves margin.
	DefaultQualityDelay = 5 * time.Minute
	// DefaultQualityMaxAttempts reads: the last about 5 + 4 × 2 = 13 minutes after the session.
	DefaultQualityMaxAttempts = 5
	DefaultQualityRetryDelay  = 2 * time.Minute
	// GetMetricDataTPS is CloudWatch's GetMetricData quota (per account and region, adjustable)
	// and GetMetricDataDPS its datapoint quota for requests whose StartTime is within 3 h.
	GetMetricDataTPS = 50
	GetMetricDataDPS = 180_000
	// DefaultMetricsPerSecond is a quarter of GetMetricDataDPS for each of the
	// FunctionQuality's MaxConcurrency processes, so the suite uses at most half the quota and
	// leaves the rest to dashboards and other readers of the account.
	DefaultMetricsPerSecond = GetMetricDataDPS / 4
)

// EndedSessions matches the enriched event of a session that ended (not refused: a refused
// session never streamed): the quality function's input.
var EndedSessions = ivsevent.Pattern{
	Source:     []string{EventSource},
	DetailType: []string{DetailTypeSessionEnriched},
	Detail: map[string]any{
		"trigger": map[string]any{"name": []string{ivsevent.EventSessionEnded}},
		"record":  map[string]any{"outcome": []string{"ended"}},
	},
}

// SessionQuality matches every quality measurement (archive merges it into the record).
var SessionQuality = ivsevent.Pattern{Source: []string{EventSource}, DetailType: []string{DetailTypeSessionQuality}}

// DegradedSessions matches the quality events of degraded sessions, except those measured again
// for a replay (NotReplayed): the pattern of a rule a team adds to the suite's bus to route them
// (to the broadcaster, to support). It is documented, not deployed.
var DegradedSessions = ivsevent.Pattern{
	Source:     []string{EventSource},
	DetailType: []string{DetailTypeSessionQuality},
	Detail:     map[string]any{"quality": map[string]any{"verdict": []string{"degraded"}}, "trigger": NotReplayed},
}

// qualityFunction is how FunctionQuality is deployed and fed.
func qualityFunction() FunctionSettings {
	return FunctionSettings{
		MemoryMB: 256,
		// One GetMetricData call (at most 100,800 datapoints) and one PutEvents per record.
		Timeout:     30 * time.Second,
		BatchSize:   10,
		BatchWindow: 5 * time.Second,
		// Two processes at most, each pacing itself to DefaultMetricsPerSecond: the suite
		// stays inside CloudWatch's GetMetricData quota whatever the burst.
		MaxConcurrency: MaxConcurrency,
		// quality publishes after DefaultQualityMaxAttempts deliveries at most; three more ride
		// out throttling and 5xx.
		MaxReceiveCount: DefaultQualityMaxAttempts + 3,
		Retention:       4 * 24 * time.Hour,
		DeliveryDelay:   DefaultQualityDelay,
	}
}

// qualityEnvironment is the environment of FunctionQuality.
func qualityEnvironment(eventBusName string) map[string]string {
	return map[string]string{
		EnvEventBusName:       eventBusName,
		EnvQualityMaxAttempts: strconv.Itoa(DefaultQualityMaxAttempts),
		EnvQualityRetryDelay:  DefaultQualityRetryDelay.String(),
		EnvMetricsPerSecond:   strconv.Itoa(DefaultMetricsPerSecond),
	}
}

// Metrics of the quality function (namespace MetricNamespace).
const (
	MetricQualityVerdicts  = "QualityVerdicts"    // dimension Verdict: sessions measured
	MetricGetMetricData    = "GetMetricDataCalls" // GetMetricData calls made
	MetricMetricsRequested = "MetricsRequested"   // metrics requested (GetMetricData's billing unit)
	DimensionVerdict       = "Verdict"
)
