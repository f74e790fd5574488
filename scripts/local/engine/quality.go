package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// health runs a starve or recover step on every channel of its group.
func (r *runner) health(ctx context.Context, st Step) (string, error) {
	group, verb := st.Starve, "stops sending data (starving)"
	do := func(name string) error { return r.server(name).Starve(ctx, r.res.Channels[name]) }
	if st.Recover != "" {
		group, verb = st.Recover, "sends data again"
		do = func(name string) error { return r.server(name).Recover(ctx, r.res.Channels[name]) }
	}
	members := r.groups[group]
	var errs []error
	for _, name := range members {
		if err := do(name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	text := "the encoder of " + groupLabel(group, len(members)) + " " + verb
	r.s.Note(ActorEncoder, LevelKey, text)
	return text, errors.Join(errs...)
}

// qualityMatches reports whether rec's quality matches re's verdict and reason.
func qualityMatches(re RecordExpect, rec session.Record) bool {
	if re.Verdict == "" && re.Reason == "" {
		return true
	}
	q := rec.Quality
	if q == nil || (re.Verdict != "" && string(q.Verdict) != re.Verdict) {
		return false
	}
	return re.Reason == "" || slices.ContainsFunc(q.Reasons, func(r quality.Reason) bool { return string(r.Code) == re.Reason })
}

// maxLocalDeliveryDelay caps a queue's delivery delay locally: the quality queue's 5 minutes
// wait for CloudWatch, which the local CloudWatch does not need (the simulator puts a session's
// series when it ends, before its Session Ended event), and 15 s (300 SQS seconds of 50 ms)
// would double a run. Two SQS seconds keep the delay visible in the timeline.
const maxLocalDeliveryDelay = 100 * time.Millisecond

func localDeliveryDelay(d time.Duration) time.Duration { return min(d, maxLocalDeliveryDelay) }

// countQuality adds the record's verdict to tally, and each reason of a degraded one as
// "degraded: <reason>".
func countQuality(tally map[string]int, r session.Record) {
	if r.Quality == nil {
		return
	}
	tally[string(r.Quality.Verdict)]++
	seen := map[quality.ReasonCode]bool{}
	for _, reason := range r.Quality.Reasons {
		if !seen[reason.Code] {
			seen[reason.Code] = true
			tally["degraded: "+string(reason.Code)]++
		}
	}
}
