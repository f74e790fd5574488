package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// check evaluates the expectations into r.res.Checks.
func (r *runner) check(ctx context.Context, e Expect) {
	res := r.res
	add := func(name string, ok bool, detail string) {
		res.Checks = append(res.Checks, Check{Name: name, OK: ok, Detail: detail})
	}
	want := func(name string, got, want int) {
		add(name, got == want, fmt.Sprintf("got %d, want %d", got, want))
	}
	sum := res.Summary
	if e.Sessions != nil {
		want("sessions archived", sum.Sessions, *e.Sessions)
	}
	for _, code := range sortedKeys(e.Refusals) {
		want("refusals "+code, sum.Refusals[code], e.Refusals[code])
	}
	for _, outcome := range sortedKeys(e.Corrections) {
		want("corrections "+outcome, sum.Corrections[outcome], e.Corrections[outcome])
	}
	calls := res.Counters.FunctionCalls()
	for _, op := range sortedKeys(e.Calls) {
		want("successful IVS calls "+op, calls[op].OK, e.Calls[op])
	}
	if e.Rejected != nil {
		want("rejected events", int(res.Counters.Metric(suite.MetricRejected)), *e.Rejected)
	}
	for _, key := range sortedKeys(e.Metrics) {
		name, dim, _ := strings.Cut(key, " ")
		var dims []string
		if dim != "" {
			dims = []string{dim}
		}
		got, want := res.Counters.Metric(name, dims...), e.Metrics[key]
		add("metric "+key, got == want, fmt.Sprintf("got %v, want %v", got, want))
	}
	if e.DeadLetters != nil {
		want("dead letters", res.Counters.DeadLetters, *e.DeadLetters)
	}
	for _, re := range e.Records {
		n := 0
		for _, as := range res.Archive.Sessions {
			if r.recordMatches(re, as.Record) {
				n++
			}
		}
		add("record "+describeRecordExpect(re), n > 0, fmt.Sprintf("%d matching of %d records", n, len(res.Archive.Sessions)))
	}
	for _, name := range sortedKeys(e.Channels) {
		ok, detail := r.checkChannels(ctx, name, e.Channels[name])
		add("channel "+groupLabel(name, len(r.groups[name])), ok, detail)
	}
	for _, name := range sortedKeys(e.Notifications) {
		want("notifications "+name, res.Counters.Notifications[name], e.Notifications[name])
	}
	r.checkRegions(e.Regions, add)
}

// checkChannels reads the channels of a group with BatchGetChannel (100 at a time) and
// compares each with the expectation.
func (r *runner) checkChannels(ctx context.Context, group string, e ChannelExpect) (bool, string) {
	members := r.groups[group]
	byARN := map[string]types.Channel{}
	for start := 0; start < len(members); start += 100 {
		var arns []string
		for _, m := range members[start:min(start+100, len(members))] {
			arns = append(arns, r.res.Channels[m])
		}
		// A group's channels are all in the spec's account and region.
		out, err := r.clientAt(r.targets[members[start]]).BatchGetChannel(ctx, &ivs.BatchGetChannelInput{Arns: arns})
		if err != nil {
			return false, "BatchGetChannel: " + err.Error()
		}
		for _, c := range out.Channels {
			byARN[aws.ToString(c.Arn)] = c
		}
	}
	var bad []string
	var desc string
	for _, m := range members {
		c, found := byARN[r.res.Channels[m]]
		if !found {
			bad = append(bad, m+": not found")
			continue
		}
		ok, d := channelMatches(e, c)
		if !ok {
			bad = append(bad, m+": "+d)
		}
		desc = d
	}
	if len(bad) > 0 {
		return false, strings.Join(bad, "; ")
	}
	if len(members) > 1 {
		return true, fmt.Sprintf("all %d: %s", len(members), desc)
	}
	return true, desc
}

// recordMatches reports whether rec matches re.
func (r *runner) recordMatches(re RecordExpect, rec session.Record) bool {
	arns := map[string]bool{}
	for _, m := range r.groups[re.Channel] {
		arns[r.res.Channels[m]] = true
	}
	switch {
	case !arns[rec.ChannelARN] || !recordIn(re, rec):
		return false
	case re.Outcome != "" && string(rec.Outcome) != re.Outcome:
		return false
	case re.Code != "" && rec.Code != re.Code:
		return false
	case re.VideoTracks != nil && rec.VideoTrackCount != *re.VideoTracks:
		return false
	case re.AudioTracks != nil && rec.AudioTrackCount != *re.AudioTracks:
		return false
	}
	if re.Correction != "" {
		c := rec.Correction
		if c == nil || (string(c.Decision.Action) != re.Correction && string(c.Outcome) != re.Correction) {
			return false
		}
	}
	if re.Conflict != "" && (rec.Correction == nil || string(rec.Correction.Decision.Conflict) != re.Conflict) {
		return false
	}
	return qualityMatches(re, rec)
}

func describeRecordExpect(re RecordExpect) string {
	parts := []string{re.Channel}
	if re.Region != "" || re.Account != "" {
		parts = append(parts, strings.TrimSpace("in "+re.Region+" "+re.Account))
	}
	if re.Outcome != "" {
		parts = append(parts, re.Outcome)
	}
	if re.Code != "" {
		parts = append(parts, re.Code)
	}
	if re.VideoTracks != nil {
		parts = append(parts, fmt.Sprintf("%d video", *re.VideoTracks))
	}
	if re.AudioTracks != nil {
		parts = append(parts, fmt.Sprintf("%d audio", *re.AudioTracks))
	}
	if re.Correction != "" {
		parts = append(parts, "correction "+re.Correction)
	}
	if re.Conflict != "" {
		parts = append(parts, "conflict "+re.Conflict)
	}
	if re.Verdict != "" {
		parts = append(parts, "quality "+re.Verdict)
	}
	if re.Reason != "" {
		parts = append(parts, "reason "+re.Reason)
	}
	return strings.Join(parts, ", ")
}

// channelMatches compares a GetChannel answer with an expectation and describes the channel.
func channelMatches(e ChannelExpect, c types.Channel) (bool, string) {
	typ, cf := string(c.Type), string(c.ContainerFormat)
	var enabled bool
	var policy, res string
	if m := c.MultitrackInputConfiguration; m != nil {
		enabled, policy, res = m.Enabled, string(m.Policy), string(m.MaximumResolution)
	}
	var bad []string
	cmp := func(field, want, got string) {
		if want != "" && want != got {
			bad = append(bad, fmt.Sprintf("%s %q, want %q", field, got, want))
		}
	}
	cmp("type", e.Type, typ)
	cmp("containerFormat", e.ContainerFormat, cf)
	cmp("policy", e.Policy, policy)
	cmp("maximumResolution", e.MaximumResolution, res)
	if e.MultitrackEnabled != nil && *e.MultitrackEnabled != enabled {
		bad = append(bad, fmt.Sprintf("multitrack enabled %t, want %t", enabled, *e.MultitrackEnabled))
	}
	ads := aws.ToString(c.AdConfigurationArn) != ""
	if e.AdConfiguration != nil && *e.AdConfiguration != ads {
		bad = append(bad, fmt.Sprintf("ad configuration %t, want %t", ads, *e.AdConfiguration))
	}
	desc := fmt.Sprintf("%s, %s, multitrack off", typ, cf)
	if enabled {
		desc = fmt.Sprintf("%s, %s, multitrack %s up to %s", typ, cf, policy, res)
	}
	if ads {
		desc += ", ad configuration"
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return false, strings.Join(bad, "; ") + " (" + strings.TrimSpace(desc) + ")"
	}
	return true, strings.TrimSpace(desc)
}
