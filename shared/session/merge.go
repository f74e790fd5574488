package session

import (
	"cmp"
	"encoding/json"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// Merge combines two records of the same session (same channel and stream ID; Merge does not
// check) into one that knows everything either knew. It is commutative, associative and
// idempotent, so records may be merged in any order, any number of times:
//
//   - identifiers, channel fields, track fields: the non-empty value (the greater one if both
//     are set and differ, which records of one session never do);
//   - startTime the earliest, endTime and updatedAt the latest;
//   - outcome by precedence refused > ended > live; code a refusal code first;
//   - tracks by track name, events by (second, detail-type, name, code), limit breaches and
//     recording stream IDs: unions;
//   - enriched if either was (and the enriched one's note), eventsTruncated if either was,
//     eventsDropped the larger;
//   - correction: the one furthest along (applied > unchanged > dry-run > failed > decided),
//     then the later; nextSession: the one that started first;
//   - quality: a measurement with data over an unknown one, then the later.
//
// The derived fields are recomputed and every string is scrubbed of stream keys
// (Record.Scrubbed). Neither argument is modified.
func Merge(a, b Record) Record {
	// Every string of both sides is scrubbed of stream keys first (Record.Scrubbed): whatever
	// field a crafted message hides one in, the archive never keeps it, and the merge picks
	// among scrubbed values only, so it stays associative.
	a, b = a.Scrubbed(), b.Scrubbed()
	r := Record{
		SchemaVersion:   max(a.SchemaVersion, b.SchemaVersion),
		ChannelARN:      pick(a.ChannelARN, b.ChannelARN),
		ChannelID:       pick(a.ChannelID, b.ChannelID),
		Region:          pick(a.Region, b.Region),
		Account:         pick(a.Account, b.Account),
		StreamID:        pick(a.StreamID, b.StreamID),
		Channel:         mergeChannel(a.Channel, b.Channel),
		ChannelAsOf:     pick(a.ChannelAsOf, b.ChannelAsOf),
		StartTime:       earliest(a.StartTime, b.StartTime),
		EndTime:         latest(a.EndTime, b.EndTime),
		Outcome:         maxOutcome(a.Outcome, b.Outcome),
		Code:            bestCode(a.Code, b.Code),
		Video:           concat(a.Video, b.Video),
		Audio:           concat(a.Audio, b.Audio),
		Events:          concat(a.Events, b.Events),
		EventsTruncated: a.EventsTruncated || b.EventsTruncated,
		EventsDropped:   max(a.EventsDropped, b.EventsDropped),
		Recording:       mergeRecording(a.Recording, b.Recording),
		LimitBreaches:   concat(a.LimitBreaches, b.LimitBreaches),
		Enriched:        a.Enriched || b.Enriched,
		Correction:      mergeCorrection(a.Correction, b.Correction),
		NextSession:     firstLink(a.NextSession, b.NextSession),
		Quality:         mergeQuality(a.Quality, b.Quality),
		UpdatedAt:       latest(a.UpdatedAt, b.UpdatedAt),
	}
	// The note of an enriched record wins: it supersedes "could not enrich".
	switch {
	case a.Enriched == b.Enriched:
		r.EnrichmentNote = pick(a.EnrichmentNote, b.EnrichmentNote)
	case a.Enriched:
		r.EnrichmentNote = a.EnrichmentNote
	default:
		r.EnrichmentNote = b.EnrichmentNote
	}
	r.derive()
	return r
}

// derive scrubs the record (see Merge), puts the collections in canonical form (deduplicated,
// sorted, empty as nil) and recomputes every derived field. It is idempotent and builds new
// slices: the record's slices and pointed-to values may be shared with another record, and are
// never modified.
func (r *Record) derive() {
	*r = r.Scrubbed()
	r.Video = canonical(r.Video, func(v VideoTrack) string { return v.Track }, mergeVideo, func(a, b VideoTrack) int { return compareTracks(a.Track, b.Track) })
	r.Audio = canonical(r.Audio, func(a AudioTrack) string { return a.Track }, mergeAudio, func(a, b AudioTrack) int { return compareTracks(a.Track, b.Track) })
	r.Events = canonical(r.Events, eventKey, mergeEvent, compareEvents)
	r.LimitBreaches = canonical(r.LimitBreaches, breachKey, mergeBreach, compareBreaches)
	r.inUTC() // the events and limit breaches are the canonical slices: the record's own
	if r.Recording != nil {
		r.Recording = mergeRecording(r.Recording, r.Recording)
	}
	if r.Channel != nil {
		r.Channel = mergeChannel(r.Channel, r.Channel)
	}

	ended := !r.EndTime.IsZero()
	start, end := r.StartTime, r.EndTime
	for _, e := range r.Events {
		if e.Unconfirmed == "" { // a claim IVS does not confirm is no code of the session's
			r.Code = bestCode(r.Code, e.Code)
		}
		if r.StartTime.IsZero() {
			start = earliest(start, e.Time)
		}
		switch e.Name {
		case ivsevent.EventSessionEnded, ivsevent.EventStreamEnd, ivsevent.RecordingEnd:
			ended = true
			if r.EndTime.IsZero() {
				end = latest(end, e.Time)
			}
		}
	}
	// A correction is decided only for a session that ended, for the code it ended with: a
	// correction archived before any event of its session does not leave a live record.
	if r.Correction != nil {
		ended = true
		if r.Correction.Decision.Action != multitrack.ActionUnverified {
			r.Code = bestCode(r.Code, r.Correction.Decision.Code)
		}
	}
	if r.NextSession != nil {
		ended = true // another session of the channel went live after it
	}
	r.Outcome = maxOutcome(r.Outcome, OutcomeLive)
	if ended {
		r.Outcome = maxOutcome(r.Outcome, OutcomeEnded)
	}
	if IsRefusal(r.Code) {
		r.Outcome = OutcomeRefused
	}

	r.DurationSeconds = 0
	if ended && !start.IsZero() && !end.IsZero() && !end.Before(start) {
		r.DurationSeconds = math.Round(end.Sub(start).Seconds()*1000) / 1000
	}

	r.VideoTrackCount, r.AudioTrackCount = len(r.Video), len(r.Audio)
	r.Multitrack = r.VideoTrackCount > 1
	r.TopResolution, r.TopHeight, r.TopFrameRate = "", 0, 0
	r.VideoTargetBitrate, r.TotalTargetBitrate = 0, 0
	var top *VideoTrack
	for i, v := range r.Video {
		r.VideoTargetBitrate = addBounded(r.VideoTargetBitrate, v.TargetBitrate)
		if top == nil || v.pixels() > top.pixels() || (v.pixels() == top.pixels() && v.FrameRate > top.FrameRate) {
			top = &r.Video[i]
		}
	}
	if top != nil && top.Width > 0 && top.Height > 0 {
		r.TopResolution = strconv.FormatInt(top.Width, 10) + "x" + strconv.FormatInt(top.Height, 10)
		r.TopHeight, r.TopFrameRate = top.Height, top.FrameRate
	}
	r.TotalTargetBitrate = r.VideoTargetBitrate
	for _, a := range r.Audio {
		r.TotalTargetBitrate = addBounded(r.TotalTargetBitrate, a.TargetBitrate)
	}
}

// Unconfirm returns r with every event carrying code marked as a claim IVS does not confirm
// (Event.Unconfirmed = why), and the record's code and outcome derived again without them: the
// record keeps what IVS confirms, and the claim beside it, as such. It is for a record built
// from one event (FromEvent, FromStreamSession) whose refusal IVS does not confirm; a code
// merged from another record (Merge) is kept.
func (r Record) Unconfirm(code, why string) Record {
	if code == "" || why == "" {
		return r
	}
	r.Events = slices.Clone(r.Events)
	for i, e := range r.Events {
		if e.Code == code {
			r.Events[i].Unconfirmed = why
		}
	}
	r.Code, r.Outcome = "", ""
	r.derive()
	return r
}

// pixels is the track's width times height, 0 when either is not positive, and at most
// math.MaxUint64: a track of MaxInt64 x MaxInt64 (what a record from outside may claim) does
// not wrap around to a small or negative number.
func (v VideoTrack) pixels() uint64 {
	if v.Width <= 0 || v.Height <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(v.Width), uint64(v.Height))
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// addBounded returns a + b, held within the int64 range instead of wrapping around.
func addBounded(a, b int64) int64 {
	sum := a + b
	switch {
	case a > 0 && b > 0 && sum < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && sum >= 0:
		return math.MinInt64
	}
	return sum
}

// canonical returns a new slice with the items of in that share a key merged, sorted by cmp;
// nil when empty.
func canonical[T any, K comparable](in []T, key func(T) K, merge func(T, T) T, cmp func(T, T) int) []T {
	if len(in) == 0 {
		return nil
	}
	index := make(map[K]int, len(in))
	out := make([]T, 0, len(in))
	for _, item := range in {
		k := key(item)
		if i, ok := index[k]; ok {
			out[i] = merge(out[i], item)
			continue
		}
		index[k] = len(out)
		out = append(out, merge(item, item))
	}
	slices.SortFunc(out, cmp)
	return out
}

func concat[T any](a, b []T) []T {
	out := make([]T, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func mergeVideo(a, b VideoTrack) VideoTrack {
	return VideoTrack{
		Track:         pick(a.Track, b.Track),
		Codec:         pick(a.Codec, b.Codec),
		Profile:       pick(a.Profile, b.Profile),
		Level:         pick(a.Level, b.Level),
		Encoder:       pick(a.Encoder, b.Encoder),
		Width:         max(a.Width, b.Width),
		Height:        max(a.Height, b.Height),
		FrameRate:     max(a.FrameRate, b.FrameRate),
		TargetBitrate: max(a.TargetBitrate, b.TargetBitrate),
	}
}

func mergeAudio(a, b AudioTrack) AudioTrack {
	return AudioTrack{
		Track:         pick(a.Track, b.Track),
		Codec:         pick(a.Codec, b.Codec),
		Channels:      max(a.Channels, b.Channels),
		SampleRate:    max(a.SampleRate, b.SampleRate),
		TargetBitrate: max(a.TargetBitrate, b.TargetBitrate),
	}
}

// eventKey identifies an event across its sources: EventBridge and GetStreamSession give the
// same event with times that may differ below the second.
type eventID struct {
	second                 int64
	detailType, name, code string
}

func eventKey(e Event) eventID {
	return eventID{e.Time.Unix(), e.DetailType, e.Name, e.Code}
}

func mergeEvent(a, b Event) Event {
	return Event{Time: minTime(a.Time, b.Time), DetailType: a.DetailType, Name: a.Name, Code: a.Code, Reason: pick(a.Reason, b.Reason), Note: pick(a.Note, b.Note),
		Unconfirmed: pick(a.Unconfirmed, b.Unconfirmed)}
}

func compareEvents(a, b Event) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.DetailType, b.DetailType), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Note, b.Note), cmp.Compare(a.Unconfirmed, b.Unconfirmed))
}

type breachID struct {
	second            int64
	name, unit        string
	value, exceededBy float64
}

func breachKey(l LimitBreach) breachID {
	return breachID{l.Time.Unix(), l.LimitName, l.LimitUnit, l.LimitValue, l.ExceededBy}
}

func mergeBreach(a, b LimitBreach) LimitBreach {
	a.Time = minTime(a.Time, b.Time)
	return a
}

func compareBreaches(a, b LimitBreach) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.LimitName, b.LimitName), cmp.Compare(a.LimitValue, b.LimitValue), cmp.Compare(a.ExceededBy, b.ExceededBy), cmp.Compare(a.LimitUnit, b.LimitUnit))
}

// compareTracks orders track names naturally: Track2 before Track10.
func compareTracks(a, b string) int {
	ap, an := splitTrack(a)
	bp, bn := splitTrack(b)
	return cmp.Or(cmp.Compare(ap, bp), cmp.Compare(an, bn), cmp.Compare(a, b))
}

func splitTrack(s string) (string, int) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(s[i:])
	if err != nil {
		return s, -1
	}
	return s[:i], n
}

func mergeChannel(a, b *Channel) *Channel {
	if a == nil && b == nil {
		return nil
	}
	if a == nil {
		a = b
	}
	if b == nil {
		b = a
	}
	c := &Channel{
		Name:                         pick(a.Name, b.Name),
		Type:                         pick(a.Type, b.Type),
		LatencyMode:                  pick(a.LatencyMode, b.LatencyMode),
		ContainerFormat:              pick(a.ContainerFormat, b.ContainerFormat),
		Preset:                       pick(a.Preset, b.Preset),
		MultitrackInputConfiguration: a.MultitrackInputConfiguration,
		RecordingConfigurationARN:    pick(a.RecordingConfigurationARN, b.RecordingConfigurationARN),
		AdConfigurationARN:           pick(a.AdConfigurationARN, b.AdConfigurationARN),
		Authorized:                   mergeBool(a.Authorized, b.Authorized),
		InsecureIngest:               mergeBool(a.InsecureIngest, b.InsecureIngest),
	}
	switch am, bm := a.MultitrackInputConfiguration, b.MultitrackInputConfiguration; {
	case am == nil && bm == nil:
	case am == nil || (bm != nil && jsonString(bm) > jsonString(am)):
		m := *bm
		c.MultitrackInputConfiguration = &m
	default:
		m := *am
		c.MultitrackInputConfiguration = &m
	}
	for _, tags := range []map[string]string{a.Tags, b.Tags} {
		for k, v := range tags {
			if c.Tags == nil {
				c.Tags = map[string]string{}
			}
			if old, ok := c.Tags[k]; !ok || v > old {
				c.Tags[k] = v
			}
		}
	}
	return c
}

func mergeBool(a, b *bool) *bool {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		return ptr(*b)
	case b == nil:
		return ptr(*a)
	}
	return ptr(*a || *b)
}

// recordingRank orders the recording statuses along a recording's life.
var recordingRank = map[string]int{
	ivsevent.RecordingStart:        1,
	ivsevent.RecordingStartFailure: 2,
	ivsevent.RecordingEnd:          3,
	ivsevent.RecordingEndFailure:   4,
}

func mergeRecording(a, b *Recording) *Recording {
	if a == nil && b == nil {
		return nil
	}
	if a == nil {
		a = b
	}
	if b == nil {
		b = a
	}
	status := a.Status
	if r, s := recordingRank[b.Status], recordingRank[a.Status]; r > s || (r == s && b.Status > a.Status) {
		status = b.Status
	}
	ids := slices.Compact(slices.Sorted(slices.Values(concat(a.SessionStreamIDs, b.SessionStreamIDs))))
	if len(ids) == 0 {
		ids = nil
	}
	return &Recording{
		Status:           status,
		StatusReason:     pick(a.StatusReason, b.StatusReason),
		S3BucketName:     pick(a.S3BucketName, b.S3BucketName),
		S3KeyPrefix:      pick(a.S3KeyPrefix, b.S3KeyPrefix),
		DurationMs:       max(a.DurationMs, b.DurationMs),
		SessionID:        pick(a.SessionID, b.SessionID),
		SessionStreamIDs: ids,
	}
}

var correctionRank = map[CorrectionOutcome]int{
	CorrectionDecided:   1,
	CorrectionFailed:    2,
	CorrectionDryRun:    3,
	CorrectionUnchanged: 4,
	CorrectionApplied:   5,
}

func mergeCorrection(a, b *Correction) *Correction {
	if a == nil && b == nil {
		return nil
	}
	if a == nil || (b != nil && compareCorrections(*b, *a) > 0) {
		a = b
	}
	c := *a
	if a.Decision.Change != nil {
		ch := *a.Decision.Change
		if ch.Multitrack != nil {
			m := *ch.Multitrack
			ch.Multitrack = &m
		}
		c.Decision.Change = &ch
	}
	return &c
}

func compareCorrections(a, b Correction) int {
	return cmp.Or(
		cmp.Compare(correctionRank[a.Outcome], correctionRank[b.Outcome]),
		a.At.Compare(b.At),
		cmp.Compare(string(a.Outcome), string(b.Outcome)),
		cmp.Compare(jsonString(a.Decision), jsonString(b.Decision)),
		cmp.Compare(a.Detail, b.Detail),
	)
}

// firstLink returns the link to the session that started first (then the lesser stream ID).
func firstLink(a, b *SessionLink) *SessionLink {
	if a == nil && b == nil {
		return nil
	}
	if a == nil || (b != nil && cmp.Or(b.StartTime.Compare(a.StartTime), cmp.Compare(b.StreamID, a.StreamID), cmp.Compare(b.Key, a.Key)) < 0) {
		a = b
	}
	l := *a
	return &l
}

var outcomeRank = map[Outcome]int{OutcomeLive: 1, OutcomeEnded: 2, OutcomeRefused: 3}

func maxOutcome(a, b Outcome) Outcome {
	if ra, rb := outcomeRank[a], outcomeRank[b]; rb > ra || (rb == ra && b > a) {
		return b
	}
	return a
}

// codeRank orders codes by how well they explain a session's outcome.
func codeRank(code string) int {
	switch {
	case code == "":
		return 0
	case IsRefusal(code):
		return 3
	case takeoverCodes[code]:
		return 1
	}
	return 2 // unknown: possibly a new refusal code
}

func bestCode(a, b string) string {
	if ra, rb := codeRank(a), codeRank(b); rb > ra || (rb == ra && b > a) {
		return b
	}
	return a
}

// pick returns the non-empty one of a and b, the greater if both are set.
func pick(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return max(a, b)
}

// earliest returns the earlier of the non-zero times a and b (zero if both are zero).
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// minTime returns the earlier of a and b, zero counting as the earliest.
func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
