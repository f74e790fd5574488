package session

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
)

// samples returns records of one session, as the archive may receive them in any order: from
// single events, from GetStreamSession at different phases, trimmed, with corrections, and
// read back from JSON.
func samples(t testing.TB) map[string]Record {
	t.Helper()
	fromSS := func(edit func(*Record), ev *ivsevent.Event) Record {
		ss := singleTrackSession()
		r, err := FromStreamSession(ss, ev)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(&r)
			r.derive() // as Merge would: the edit may change what is derived
		}
		return r
	}
	live := singleTrackSession()
	live.EndTime = nil
	live.TruncatedEvents = live.TruncatedEvents[2:]
	liveRecord, err := FromStreamSession(live, stateEvent(t, at(6*time.Second), ivsevent.EventStreamStart, ""))
	if err != nil {
		t.Fatal(err)
	}
	refused, err := FromStreamSession(refusedSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	decision := multitrack.Decision{Action: multitrack.ActionApply, Reason: "enable", Code: ivsevent.CodeMultitrackInputNotAllowed,
		Change: &multitrack.Change{ContainerFormat: "FRAGMENTED_MP4", Multitrack: &multitrack.MultitrackInput{Enabled: true, Policy: "ALLOW", MaximumResolution: "FULL_HD"}}}
	trimmed := fromSS(nil, nil)
	trimmed.Trim(trimmed.Size() - 1)
	var roundTrip Record
	b, _ := json.Marshal(fromSS(func(r *Record) { r.UpdatedAt = at(4 * time.Hour) }, nil))
	if err := json.Unmarshal(b, &roundTrip); err != nil {
		t.Fatal(err)
	}
	return map[string]Record{
		"session created event":  FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), "GetStreamSession: ResourceNotFoundException"),
		"stream start event":     FromEvent(stateEvent(t, at(6*time.Second), ivsevent.EventStreamStart, ""), ""),
		"session ended event":    FromEvent(stateEvent(t, at(time.Hour+2*time.Minute+4*time.Second), ivsevent.EventSessionEnded, ""), "not enriched: gave up"),
		"stream end event":       FromEvent(stateEvent(t, at(time.Hour+2*time.Minute+3*time.Second), ivsevent.EventStreamEnd, ""), ""),
		"refused event":          FromEvent(stateEvent(t, at(time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed), ""),
		"takeover failure event": FromEvent(stateEvent(t, at(time.Minute), ivsevent.EventStreamTakeoverFailure, ivsevent.CodeStreamTakeoverInvalidPriority), ""),
		"stream failure event":   FromEvent(event(t, at(2*time.Minute), ivsevent.DetailTypeStreamStateChange, map[string]any{"event_name": "Stream Failure", "channel_name": "", "stream_id": testStreamID, "reason": "Transcode capacity exceeded. Please try again."}), ""),
		"recording start event":  FromEvent(recordingEvent(t, at(7*time.Second), ivsevent.RecordingStart, 0, nil), ""),
		"recording end event":    FromEvent(recordingEvent(t, at(time.Hour+3*time.Minute), ivsevent.RecordingEnd, 3717000, []string{"st-254sopYUvi6F78ghpO9vn0A", testStreamID}), ""),
		"limit breach event":     FromEvent(limitEvent(t, at(10*time.Minute), 8500000, 120000), ""),
		"enriched live":          liveRecord,
		"enriched ended":         fromSS(nil, nil),
		"enriched refused":       refused,
		"trimmed":                trimmed,
		"read back from JSON":    roundTrip,
		"correction decided": fromSS(func(r *Record) {
			r.Correction = &Correction{Decision: decision, Outcome: CorrectionDecided, At: at(time.Minute)}
		}, nil),
		"correction applied": FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), "").withCorrection(&Correction{Decision: decision, Outcome: CorrectionApplied, At: at(time.Hour)}),
		"correction dry-run": FromEvent(stateEvent(t, t0, ivsevent.EventSessionCreated, ""), "").withCorrection(&Correction{Decision: decision, Outcome: CorrectionDryRun, At: at(2 * time.Hour)}),
		"next session linked": Merge(Record{SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID,
			NextSession: &SessionLink{StreamID: "st-2BbbbbbbbbbbbbbbbbbbbbB", Key: "sessions/k2.json", StartTime: at(time.Hour)}}, Record{}),
		"next session linked, a later one": Merge(Record{SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID,
			NextSession: &SessionLink{StreamID: "st-3CccccccccccccccccccccC", Key: "sessions/k3.json", StartTime: at(2 * time.Hour)}}, Record{}),
		"updated later, no event": {SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID, Outcome: OutcomeLive, UpdatedAt: at(5 * time.Hour)},
		"quality unknown":         measuredRecord(quality.VerdictUnknown, at(2*time.Hour)),
		"quality degraded":        measuredRecord(quality.VerdictDegraded, at(90*time.Minute)),
		"quality healthy later":   measuredRecord(quality.VerdictHealthy, at(3*time.Hour)),
	}
}

func (r Record) withCorrection(c *Correction) Record {
	r.Correction = c
	r.derive()
	return r
}

func recordingEvent(t testing.TB, when time.Time, status string, durationMs int64, ids []string) *ivsevent.Event {
	t.Helper()
	d := map[string]any{
		"channel_name": "main-stage", "stream_id": testStreamID, "recording_status": status, "recording_status_reason": "",
		"recording_s3_bucket_name": "r2s3-dev-channel-1-recordings", "recording_s3_key_prefix": "ivs/v1/123456789012/abcdABCDefgh/2024/9/9/16/17/j8Z9O91ndcVs",
		"recording_duration_ms": durationMs, "recording_session_id": "a6RfV23ES97iyfoQ",
	}
	if ids != nil {
		d["recording_session_stream_ids"] = ids
	}
	return event(t, when, ivsevent.DetailTypeRecordingStateChange, d)
}

func limitEvent(t testing.TB, when time.Time, limit, exceeded float64) *ivsevent.Event {
	t.Helper()
	return event(t, when, ivsevent.DetailTypeLimitBreach, map[string]any{
		"limit_name": ivsevent.LimitIngestBitrate, "limit_value": limit, "exceeded_by": exceeded, "limit_unit": "bits per second",
		"channel_name": "main-stage", "stream_id": testStreamID,
	})
}

// TestMergeLaws checks that Merge is commutative, associative and idempotent, and that it
// loses nothing, over every pair and triple of sample records.
func TestMergeLaws(t *testing.T) {
	s := samples(t)
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	for _, a := range names {
		ra := s[a]
		if got := Merge(ra, ra); !reflect.DeepEqual(got, ra) {
			t.Errorf("Merge(%s, itself) differs from it:\n got %+v\nwant %+v", a, got, ra)
		}
		if got := Merge(ra, Record{}); !reflect.DeepEqual(got, ra) {
			t.Errorf("Merge(%s, empty) differs from it", a)
		}
		for _, b := range names {
			rb := s[b]
			ab, ba := Merge(ra, rb), Merge(rb, ra)
			if !reflect.DeepEqual(ab, ba) {
				t.Errorf("Merge(%s, %s) != Merge(%s, %s):\n%s\n%s", a, b, b, a, mustJSON(t, ab), mustJSON(t, ba))
			}
			checkKeeps(t, a+"+"+b, ab, ra)
			checkKeeps(t, a+"+"+b, ab, rb)
			for _, c := range names {
				rc := s[c]
				if l, r := Merge(ab, rc), Merge(ra, Merge(rb, rc)); !reflect.DeepEqual(l, r) {
					t.Errorf("merge of %s, %s, %s is not associative:\n%s\n%s", a, b, c, mustJSON(t, l), mustJSON(t, r))
				}
			}
		}
	}
}

// checkKeeps checks that merged knows everything part knew.
func checkKeeps(t *testing.T, name string, merged, part Record) {
	t.Helper()
	events := map[eventID]bool{}
	for _, e := range merged.Events {
		events[eventKey(e)] = true
	}
	for _, e := range part.Events {
		if !events[eventKey(e)] {
			t.Errorf("%s: lost event %+v", name, e)
		}
	}
	tracks := map[string]bool{}
	for _, v := range merged.Video {
		tracks[v.Track] = true
	}
	for _, v := range part.Video {
		if !tracks[v.Track] {
			t.Errorf("%s: lost video track %s", name, v.Track)
		}
	}
	if len(merged.LimitBreaches) < len(part.LimitBreaches) || len(merged.Audio) < len(part.Audio) {
		t.Errorf("%s: lost limit breaches or audio tracks", name)
	}
	if part.Enriched && !merged.Enriched || part.EventsTruncated && !merged.EventsTruncated || merged.EventsDropped < part.EventsDropped {
		t.Errorf("%s: lost enrichment or truncation flags", name)
	}
	if outcomeRank[merged.Outcome] < outcomeRank[part.Outcome] || codeRank(merged.Code) < codeRank(part.Code) {
		t.Errorf("%s: outcome %s/%s went back from %s/%s", name, merged.Outcome, merged.Code, part.Outcome, part.Code)
	}
	if !part.StartTime.IsZero() && (merged.StartTime.IsZero() || merged.StartTime.After(part.StartTime)) {
		t.Errorf("%s: start time %v, want at or before %v", name, merged.StartTime, part.StartTime)
	}
	if merged.EndTime.Before(part.EndTime) || merged.UpdatedAt.Before(part.UpdatedAt) {
		t.Errorf("%s: end or update time went back", name)
	}
	if part.Channel != nil && (merged.Channel == nil || part.Channel.Name != "" && merged.Channel.Name == "" || part.Channel.Type != "" && merged.Channel.Type == "") {
		t.Errorf("%s: lost channel data", name)
	}
	if part.Recording != nil && (merged.Recording == nil || recordingRank[merged.Recording.Status] < recordingRank[part.Recording.Status]) {
		t.Errorf("%s: lost the recording", name)
	}
	if part.Correction != nil && (merged.Correction == nil || correctionRank[merged.Correction.Outcome] < correctionRank[part.Correction.Outcome]) {
		t.Errorf("%s: lost the correction", name)
	}
	if part.Quality != nil && (merged.Quality == nil || verdictRank[merged.Quality.Verdict] < verdictRank[part.Quality.Verdict]) {
		t.Errorf("%s: lost the quality measurement", name)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMergeScenarios checks what the archive sees for the orders of delivery IVS produces.
func TestMergeScenarios(t *testing.T) {
	s := samples(t)
	tests := map[string]struct {
		parts       []string
		wantOutcome Outcome
		wantCode    string
		wantEvents  []string
		check       func(t *testing.T, r Record)
	}{
		"Session Ended then Stream End": {
			parts:       []string{"session ended event", "stream end event"},
			wantOutcome: OutcomeEnded,
			wantEvents:  []string{ivsevent.EventStreamEnd, ivsevent.EventSessionEnded},
		},
		"Stream End then Session Ended": {
			parts:       []string{"stream end event", "session ended event"},
			wantOutcome: OutcomeEnded,
			wantEvents:  []string{ivsevent.EventStreamEnd, ivsevent.EventSessionEnded},
		},
		"not enriched, then enriched": {
			parts:       []string{"session created event", "enriched ended"},
			wantOutcome: OutcomeEnded,
			wantEvents:  []string{ivsevent.EventSessionCreated, ivsevent.EventStreamStart, ivsevent.EventStreamEnd, ivsevent.EventSessionEnded},
			check: func(t *testing.T, r Record) {
				if !r.Enriched || r.EnrichmentNote != "" {
					t.Errorf("enriched %v, note %q; want true and the enriched record's empty note", r.Enriched, r.EnrichmentNote)
				}
				if r.Channel == nil || r.Channel.Type != "STANDARD" || r.Channel.Name != "main-stage" || r.VideoTrackCount != 1 {
					t.Errorf("channel %+v, %d video tracks: want the enriched channel and track", r.Channel, r.VideoTrackCount)
				}
			},
		},
		"live, then ended": {
			parts:       []string{"enriched live", "stream end event"},
			wantOutcome: OutcomeEnded,
			wantEvents:  []string{ivsevent.EventSessionCreated, ivsevent.EventStreamStart, ivsevent.EventStreamEnd},
		},
		"refused wins over ended": {
			parts:       []string{"session ended event", "refused event"},
			wantOutcome: OutcomeRefused, wantCode: ivsevent.CodeMultitrackInputNotAllowed,
			wantEvents: []string{ivsevent.EventSessionEnded, ivsevent.EventSessionEnded},
		},
		"a takeover failure does not refuse the session": {
			parts:       []string{"enriched live", "takeover failure event"},
			wantOutcome: OutcomeLive, wantCode: ivsevent.CodeStreamTakeoverInvalidPriority,
			wantEvents: []string{ivsevent.EventSessionCreated, ivsevent.EventStreamStart, ivsevent.EventStreamTakeoverFailure},
		},
		"recording start, then end": {
			parts:       []string{"recording end event", "recording start event"},
			wantOutcome: OutcomeEnded,
			wantEvents:  []string{ivsevent.RecordingStart, ivsevent.RecordingEnd},
			check: func(t *testing.T, r Record) {
				want := &Recording{Status: ivsevent.RecordingEnd, S3BucketName: "r2s3-dev-channel-1-recordings", S3KeyPrefix: "ivs/v1/123456789012/abcdABCDefgh/2024/9/9/16/17/j8Z9O91ndcVs",
					DurationMs: 3717000, SessionID: "a6RfV23ES97iyfoQ", SessionStreamIDs: []string{testStreamID, "st-254sopYUvi6F78ghpO9vn0A"}}
				if !reflect.DeepEqual(r.Recording, want) {
					t.Errorf("recording = %+v, want %+v", r.Recording, want)
				}
			},
		},
		"limit breach and stream failure": {
			parts:       []string{"limit breach event", "stream failure event", "limit breach event"},
			wantOutcome: OutcomeLive,
			wantEvents:  []string{"Stream Failure", ivsevent.LimitIngestBitrate},
			check: func(t *testing.T, r Record) {
				want := []LimitBreach{{Time: at(10 * time.Minute), LimitName: ivsevent.LimitIngestBitrate, LimitValue: 8500000, ExceededBy: 120000, LimitUnit: "bits per second"}}
				if !reflect.DeepEqual(r.LimitBreaches, want) {
					t.Errorf("limit breaches = %+v, want %+v", r.LimitBreaches, want)
				}
				if r.Events[0].Reason != "Transcode capacity exceeded. Please try again." {
					t.Errorf("stream failure reason = %q", r.Events[0].Reason)
				}
			},
		},
		"trimmed copy, then the full one": {
			parts:       []string{"trimmed", "enriched ended"},
			wantOutcome: OutcomeEnded,
			wantEvents:  []string{ivsevent.EventSessionCreated, ivsevent.EventStreamStart, ivsevent.EventStreamEnd, ivsevent.EventSessionEnded},
			check: func(t *testing.T, r Record) {
				if r.EventsDropped == 0 {
					t.Error("eventsDropped = 0, want the trimmed copy's count kept")
				}
			},
		},
		"corrections: applied wins over decided and dry-run": {
			parts:       []string{"correction dry-run", "correction decided", "correction applied"},
			wantOutcome: OutcomeRefused, // the corrections' code (a correction is decided only for the code a session ended with)
			wantCode:    ivsevent.CodeMultitrackInputNotAllowed,
			wantEvents:  []string{ivsevent.EventSessionCreated, ivsevent.EventStreamStart, ivsevent.EventStreamEnd, ivsevent.EventSessionEnded},
			check: func(t *testing.T, r Record) {
				if r.Correction == nil || r.Correction.Outcome != CorrectionApplied || !r.Correction.At.Equal(at(time.Hour)) {
					t.Errorf("correction = %+v, want the applied one", r.Correction)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var r Record
			for _, p := range tc.parts {
				part, ok := s[p]
				if !ok {
					t.Fatalf("no sample %q", p)
				}
				r = Merge(r, part)
			}
			if r.Outcome != tc.wantOutcome || r.Code != tc.wantCode {
				t.Errorf("outcome %s, code %q; want %s, %q", r.Outcome, r.Code, tc.wantOutcome, tc.wantCode)
			}
			var names []string
			for _, e := range r.Events {
				names = append(names, e.Name)
			}
			if !reflect.DeepEqual(names, tc.wantEvents) {
				t.Errorf("events = %q, want %q", names, tc.wantEvents)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if err := r.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// TestMergeDoesNotModify checks that Merge leaves both arguments as they were.
func TestMergeDoesNotModify(t *testing.T) {
	s := samples(t)
	for _, pair := range [][2]string{{"enriched ended", "read back from JSON"}, {"recording end event", "recording start event"}, {"correction decided", "correction applied"}} {
		a, b := s[pair[0]], s[pair[1]]
		before := mustJSON(t, []Record{a, b})
		_ = Merge(a, b)
		_ = Merge(b, a)
		if after := mustJSON(t, []Record{a, b}); after != before {
			t.Errorf("Merge(%s, %s) modified an argument", pair[0], pair[1])
		}
	}
}

func TestCodeAndOutcomeOrder(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"", ivsevent.CodeStreamTakeoverLimitBreached, ivsevent.CodeStreamTakeoverLimitBreached},
		{ivsevent.CodeStreamTakeoverLimitBreached, "SomethingNew", "SomethingNew"},
		{"SomethingNew", ivsevent.CodeMultitrackInputRequired, ivsevent.CodeMultitrackInputRequired},
		{ivsevent.CodeMultitrackInputRequired, ivsevent.CodeMultitrackInputNotAllowed, ivsevent.CodeMultitrackInputRequired},
	}
	for _, tc := range tests {
		if got, back := bestCode(tc.a, tc.b), bestCode(tc.b, tc.a); got != tc.want || back != tc.want {
			t.Errorf("bestCode(%q, %q) = %q / %q, want %q", tc.a, tc.b, got, back, tc.want)
		}
	}
	outcomes := []Outcome{"", OutcomeLive, OutcomeEnded, OutcomeRefused}
	for i, a := range outcomes {
		for _, b := range outcomes[i:] {
			if got := maxOutcome(a, b); got != b {
				t.Errorf("maxOutcome(%q, %q) = %q, want %q", a, b, got, b)
			}
		}
	}
	for _, code := range ivsevent.Codes {
		want := code != ivsevent.CodeStreamTakeoverMediaMismatch && code != ivsevent.CodeStreamTakeoverInvalidPriority && code != ivsevent.CodeStreamTakeoverLimitBreached
		if IsRefusal(code) != want {
			t.Errorf("IsRefusal(%s) = %v, want %v", code, !want, want)
		}
	}
}

func ExampleMerge() {
	// Session Ended may arrive before Stream End, and either may come twice.
	ended := mustParse(`{"version":"0","id":"1","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"123456789012",
		"time":"2024-09-09T17:00:04Z","region":"us-west-2","resources":["arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"],
		"detail":{"event_name":"Session Ended","channel_name":"main-stage","stream_id":"st-1AuTyMDASvHUTSb8p5PvbsO"}}`)
	end := mustParse(`{"version":"0","id":"2","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"123456789012",
		"time":"2024-09-09T17:00:03Z","region":"us-west-2","resources":["arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"],
		"detail":{"event_name":"Stream End","channel_name":"main-stage","stream_id":"st-1AuTyMDASvHUTSb8p5PvbsO"}}`)

	a := FromEvent(ended, "not enriched yet")
	b := FromEvent(end, "")
	r := Merge(Merge(a, b), a)
	fmt.Println(r.Key())
	fmt.Println(r.Outcome, len(r.Events), r.Events[0].Name, "->", r.Events[1].Name)
	fmt.Println(reflect.DeepEqual(r, Merge(b, a)))
	// Output:
	// sessions/year=2024/month=09/day=09/account=123456789012/region=us-west-2/channel=abcdABCDefgh/st-1AuTyMDASvHUTSb8p5PvbsO.json
	// ended 2 Stream End -> Session Ended
	// true
}

func mustParse(s string) *ivsevent.Event {
	ev, err := ivsevent.Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return ev
}

// TestHugeTracksDoNotWrapAround: a record from outside may claim a track of MaxInt64 x MaxInt64
// at MaxInt64 bps. Its pixels and the bitrate totals saturate instead of wrapping around (the
// product of two MaxInt64 is 1 in int64): the huge track is the top track, the totals stay
// positive, and the height handed to the correction policy is clamped.
func TestHugeTracksDoNotWrapAround(t *testing.T) {
	const huge = math.MaxInt64
	r := Merge(Record{
		SchemaVersion: SchemaVersion, ChannelARN: "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij", StreamID: "st-1A2b3c4D5e6F78ghij9Klmn",
		Video: []VideoTrack{
			{Track: "Track0", Width: 1920, Height: 1080, TargetBitrate: 6_000_000},
			{Track: "Track1", Width: huge, Height: huge, TargetBitrate: huge},
		},
		Audio: []AudioTrack{{Track: "Track2", TargetBitrate: huge}},
	}, Record{})
	if want := "9223372036854775807x9223372036854775807"; r.TopResolution != want {
		t.Errorf("TopResolution %q, want %q", r.TopResolution, want)
	}
	if r.VideoTargetBitrate != huge || r.TotalTargetBitrate != huge {
		t.Errorf("bitrates %d video, %d total: want both held at MaxInt64", r.VideoTargetBitrate, r.TotalTargetBitrate)
	}
	if got := r.TopVideoHeight(); got != math.MaxInt32 {
		t.Errorf("TopVideoHeight %d, want MaxInt32", got)
	}
	neg := Merge(Record{Video: []VideoTrack{{Track: "Track0", Width: -1920, Height: -1080}, {Track: "Track1", Width: 640, Height: 360}}}, Record{})
	if neg.TopResolution != "640x360" {
		t.Errorf("TopResolution %q with a negative track, want 640x360", neg.TopResolution)
	}
}

// TestUnconfirmedClaimKeptAsSuch: a Session Ended that claims a refusal IVS does not confirm
// is kept in the record, marked, but the record's code and outcome are what IVS confirms: a
// session that ended normally stays ended, in every merge order.
func TestUnconfirmedClaimKeptAsSuch(t *testing.T) {
	const arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	start := time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)
	base := Record{SchemaVersion: SchemaVersion, ChannelARN: arn, StreamID: "st-1A2b3c4D5e6F78ghij9Klmn", StartTime: start, EndTime: start.Add(time.Hour), Enriched: true,
		Events: []Event{{Time: start, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionCreated}}}
	claim := Record{SchemaVersion: SchemaVersion, ChannelARN: arn, StreamID: base.StreamID,
		Events:     []Event{{Time: start.Add(time.Hour), DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded, Code: ivsevent.CodeMultitrackInputNotAllowed}},
		Correction: &Correction{Decision: multitrack.Decision{Action: multitrack.ActionUnverified, Code: ivsevent.CodeMultitrackInputNotAllowed}, Outcome: CorrectionUnchanged}}
	claim = Merge(claim, Record{})
	if claim.Outcome != OutcomeRefused {
		t.Fatalf("the claim alone is %s; the test wants it refused before Unconfirm", claim.Outcome)
	}
	marked := claim.Unconfirm(ivsevent.CodeMultitrackInputNotAllowed, "the stream session's events carry no MultitrackInputNotAllowed")
	if marked.Outcome != OutcomeEnded || marked.Code != "" {
		t.Errorf("unconfirmed claim: outcome %s, code %q; want ended, no code", marked.Outcome, marked.Code)
	}
	for name, r := range map[string]Record{"base, claim": Merge(base, marked), "claim, base": Merge(marked, base), "twice": Merge(Merge(base, marked), marked)} {
		if r.Outcome != OutcomeEnded || r.Code != "" || len(r.Events) != 2 || r.Events[1].Unconfirmed == "" || r.Correction == nil ||
			r.Correction.Decision.Action != multitrack.ActionUnverified {
			t.Errorf("%s: outcome %s, code %q, events %+v, correction %+v; want ended, no code, the claim marked beside it", name, r.Outcome, r.Code, r.Events, r.Correction)
		}
	}
	if same := marked.Unconfirm("", "x"); !reflect.DeepEqual(same, marked) {
		t.Error("Unconfirm without a code changed the record")
	}
}
