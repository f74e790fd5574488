package session

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// Every time the record writes has one format and precision, so that its text sorts as time.
func TestTimesHaveOneFormat(t *testing.T) {
	r, err := FromStreamSession(refusedSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Correction = &Correction{Outcome: CorrectionApplied, At: at(time.Minute)}
	r.StartTime = time.Date(2024, 9, 9, 16, 17, 26, 0, time.FixedZone("CEST", 2*3600))
	r.EndTime = r.StartTime.Add(1500*time.Millisecond + 999*time.Microsecond)
	r.UpdatedAt = r.StartTime.Add(time.Hour)
	r.LimitBreaches = []LimitBreach{{Time: r.StartTime.Add(time.Second), LimitName: "x"}}
	// The quality block's times too (its type lives in shared/quality): nanoseconds on purpose.
	r.Quality = &quality.Report{Verdict: quality.VerdictHealthy, WindowStart: r.StartTime, WindowEnd: r.EndTime,
		MeasuredAt: r.EndTime.Add(5*time.Minute + 23*time.Nanosecond)}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	timeLike := regexp.MustCompile(`"(\d{4}-\d\d-\d\dT[^"]*)"`)
	exact := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	var seen []string
	for _, m := range timeLike.FindAllStringSubmatch(string(b), -1) {
		if !exact.MatchString(m[1]) {
			t.Errorf("time %q: want the layout %s", m[1], TimeLayout)
		}
		seen = append(seen, m[1])
	}
	if len(seen) < 6 {
		t.Fatalf("found %d times in %s; want start, end, updated, events, breach, correction", len(seen), b)
	}
	if want := `"endTime":"2024-09-09T14:17:27.500Z"`; !regexp.MustCompile(regexp.QuoteMeta(want)).Match(b) {
		t.Errorf("want %s (UTC, truncated to the millisecond) in %s", want, b)
	}
	// Round trip: the times decode to the same instants (to the millisecond).
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.EndTime.Equal(r.EndTime.Truncate(time.Millisecond)) {
		t.Errorf("endTime: got %v, want %v", back.EndTime, r.EndTime.Truncate(time.Millisecond))
	}
	// Text order is time order.
	times := []time.Time{r.StartTime, r.StartTime.Add(500 * time.Millisecond), r.StartTime.Add(time.Second), r.StartTime.Add(10 * time.Second)}
	var texts []string
	for _, tm := range times {
		texts = append(texts, FormatTime(tm))
	}
	if !slices.IsSorted(texts) {
		t.Errorf("formatted times do not sort as time: %v", texts)
	}
}
