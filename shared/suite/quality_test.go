package suite

import (
	"strconv"
	"testing"
	"time"
)

func TestQualityDeployment(t *testing.T) {
	d := Deployment[FunctionQuality]
	if d.DeliveryDelay <= 0 || d.DeliveryDelay > 15*time.Minute {
		t.Errorf("delivery delay %v: SQS accepts 0 to 15 minutes", d.DeliveryDelay)
	}
	if d.MaxReceiveCount <= DefaultQualityMaxAttempts {
		t.Errorf("MaxReceiveCount %d must exceed QualityMaxAttempts %d, or a session waiting for its metrics reaches the DLQ instead of being published as unknown",
			d.MaxReceiveCount, DefaultQualityMaxAttempts)
	}
	// Every process at its pace stays inside the datapoints quota, with room for others.
	if total := d.MaxConcurrency * DefaultMetricsPerSecond; total > GetMetricDataDPS/2 {
		t.Errorf("%d processes × %d datapoints/s = %d > half the quota %d", d.MaxConcurrency, DefaultMetricsPerSecond, total, GetMetricDataDPS/2)
	}
	env := DefaultSettings().Environment(FunctionQuality, Resources{EventBus: "bus", ArchiveBucket: "bucket"})
	if env[EnvEventBusName] != "bus" || env[EnvQualityMaxAttempts] != strconv.Itoa(DefaultQualityMaxAttempts) || env[EnvMetricsPerSecond] == "" {
		t.Errorf("quality environment = %v", env)
	}
	for _, fn := range []string{FunctionEnrich, FunctionCorrect, FunctionArchive} {
		if Deployment[fn].DeliveryDelay != 0 {
			t.Errorf("%s: a delivery delay of %v", fn, Deployment[fn].DeliveryDelay)
		}
	}
}

func TestQualityRoutes(t *testing.T) {
	want := map[string]string{"EndedSessions": FunctionQuality, "SessionQuality": FunctionArchive}
	for _, r := range Routes {
		if fn, ok := want[r.Name]; ok {
			if r.Function != fn || r.Bus != BusSessions {
				t.Errorf("route %s → %s on %s, want %s on %s", r.Name, r.Function, r.Bus, fn, BusSessions)
			}
			delete(want, r.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing routes %v", want)
	}
}
