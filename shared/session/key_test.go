package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestKey(t *testing.T) {
	base := Record{ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID}
	withTimes := func(start time.Time, events ...time.Time) Record {
		r := base
		r.StartTime = start
		for _, e := range events {
			r.Events = append(r.Events, Event{Time: e, DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventStreamEnd})
		}
		return r
	}
	est := time.FixedZone("EST", -5*3600)
	tests := map[string]struct {
		r    Record
		want string
	}{
		"dated by startTime": {
			r:    withTimes(t0, at(48*time.Hour)),
			want: "sessions/year=2024/month=09/day=09/account=123456789012/region=us-west-2/channel=abcdABCDefgh/st-1AuTyMDASvHUTSb8p5PvbsO.json",
		},
		"startTime in another zone is dated in UTC": {
			r:    withTimes(time.Date(2024, 12, 31, 21, 30, 0, 0, est)),
			want: "sessions/year=2025/month=01/day=01/account=123456789012/region=us-west-2/channel=abcdABCDefgh/st-1AuTyMDASvHUTSb8p5PvbsO.json",
		},
		"no startTime: the earliest event": {
			r:    withTimes(time.Time{}, at(30*24*time.Hour), at(24*time.Hour)),
			want: "sessions/year=2024/month=09/day=10/account=123456789012/region=us-west-2/channel=abcdABCDefgh/st-1AuTyMDASvHUTSb8p5PvbsO.json",
		},
		"no startTime, no events: a limit breach": {
			r: func() Record {
				r := base
				r.LimitBreaches = []LimitBreach{{Time: at(time.Hour), LimitName: ivsevent.LimitIngestResolution}}
				return r
			}(),
			want: "sessions/year=2024/month=09/day=09/account=123456789012/region=us-west-2/channel=abcdABCDefgh/st-1AuTyMDASvHUTSb8p5PvbsO.json",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.r.Key(); got != tc.want {
				t.Errorf("Key() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := Record{ChannelARN: testARN, ChannelID: "abcdABCDefgh", StreamID: testStreamID, StartTime: t0}
	tests := map[string]struct {
		edit      func(r *Record)
		wantField string
	}{
		"no channel ARN":       {func(r *Record) { r.ChannelARN = "" }, "channelArn"},
		"bad channel ARN":      {func(r *Record) { r.ChannelARN = "arn:aws:ivs:us-west-2:123456789012:channel/" }, "channelArn"},
		"channel ID mismatch":  {func(r *Record) { r.ChannelID = "other" }, "channelId"},
		"no stream ID":         {func(r *Record) { r.StreamID = "" }, "streamId"},
		"bad stream ID":        {func(r *Record) { r.StreamID = "st-short" }, "streamId"},
		"no time at all":       {func(r *Record) { r.StartTime = time.Time{} }, "startTime"},
		"events without times": {func(r *Record) { r.StartTime = time.Time{}; r.Events = []Event{{Name: "Stream End"}} }, "startTime"},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := good
			tc.edit(&r)
			err := r.Validate()
			var fe *invalid.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.wantField {
				t.Errorf("Validate() = %v, want a *invalid.FieldError for %s", err, tc.wantField)
			}
			if k := r.Key(); k != "" {
				t.Errorf("Key() = %q for an invalid record, want \"\"", k)
			}
		})
	}
	account := FromEvent(event(t, t0, ivsevent.DetailTypeLimitBreach, map[string]any{"limit_name": ivsevent.LimitConcurrentBroadcasts, "limit_value": 2, "exceeded_by": 1, "limit_unit": "active streams"}), "")
	if account.Validate() == nil {
		t.Error("a record of an account-level event passed Validate")
	}
}

func TestTopVideoHeight(t *testing.T) {
	tests := map[string]struct {
		height int64
		want   int32
	}{
		"unknown": {0, 0}, "1080p": {1080, 1080}, "negative": {-5, 0}, "huge": {math.MaxInt64, math.MaxInt32},
	}
	for name, tc := range tests {
		if got := (Record{TopHeight: tc.height}).TopVideoHeight(); got != tc.want {
			t.Errorf("%s: TopVideoHeight() = %d, want %d", name, got, tc.want)
		}
	}
	// The top track is the one with the most pixels, not the first: a portrait ladder.
	r := Record{Video: []VideoTrack{{Track: "Track0", Width: 720, Height: 1280}, {Track: "Track1", Width: 1080, Height: 1920, FrameRate: 30}, {Track: "Track2", Width: 1080, Height: 1920, FrameRate: 60}}}
	r.derive()
	// IVS classes a track by its shorter edge: portrait 1080x1920 is a 1080p (FULL_HD) track.
	if r.TopVideoHeight() != 1080 || r.TopResolution != "1080x1920" || r.TopFrameRate != 60 {
		t.Errorf("top = %s@%d (%d), want 1080x1920@60 with a shorter edge of 1080", r.TopResolution, r.TopFrameRate, r.TopVideoHeight())
	}
	landscape := Record{Video: []VideoTrack{{Track: "Track0", Width: 1280, Height: 720}, {Track: "Track1", Width: 852, Height: 480}}}
	landscape.derive()
	if got := landscape.TopVideoHeight(); got != 720 {
		t.Errorf("landscape 1280x720 top: TopVideoHeight() = %d, want 720", got)
	}
}

func TestTrim(t *testing.T) {
	full, err := FromStreamSession(truncatedSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fullSize := full.Size()
	emptied := full
	emptied.Events = nil
	emptied.EventsDropped = len(full.Events)
	bare := emptied.Size()
	tests := map[string]struct {
		max         int
		wantDropped func(n int) bool
	}{
		"fits already":         {max: fullSize, wantDropped: func(n int) bool { return n == 0 }},
		"256 KB":               {max: 256 * 1024, wantDropped: func(n int) bool { return n == 0 }},
		"one byte too many":    {max: fullSize - 1, wantDropped: func(n int) bool { return n == 1 }},
		"half":                 {max: fullSize / 2, wantDropped: func(n int) bool { return n > 200 && n < 300 }},
		"only room for none":   {max: bare, wantDropped: func(n int) bool { return n == MaxTruncatedEvents }},
		"smaller than nothing": {max: 100, wantDropped: func(n int) bool { return n == MaxTruncatedEvents }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Merge(full, Record{}) // a copy with its own slices
			dropped := r.Trim(tc.max)
			if !tc.wantDropped(dropped) {
				t.Fatalf("Trim(%d) dropped %d of %d", tc.max, dropped, len(full.Events))
			}
			if r.EventsDropped != dropped || len(r.Events) != len(full.Events)-dropped {
				t.Errorf("eventsDropped %d, %d events left; want %d, %d", r.EventsDropped, len(r.Events), dropped, len(full.Events)-dropped)
			}
			if size := r.Size(); size > tc.max && len(r.Events) > 0 {
				t.Errorf("size after Trim = %d, want <= %d", size, tc.max)
			}
			if dropped > 0 && dropped < len(full.Events) {
				if r.Events[0] != full.Events[dropped] || r.Events[len(r.Events)-1] != full.Events[len(full.Events)-1] {
					t.Error("Trim did not drop the oldest events")
				}
				if bigger := fitsWith(r, full.Events[dropped-1]); bigger <= tc.max {
					t.Errorf("Trim dropped one event too many: with it the record is %d <= %d bytes", bigger, tc.max)
				}
			}
			if again := r.Trim(tc.max); again != 0 && len(r.Events) > 0 {
				t.Errorf("a second Trim dropped %d more", again)
			}
		})
	}
	if len(full.Events) != MaxTruncatedEvents || full.EventsDropped != 0 {
		t.Error("Trim modified the record it was copied from")
	}
}

func fitsWith(r Record, e Event) int {
	r.Events = append([]Event{e}, r.Events...)
	r.EventsDropped--
	return r.Size()
}

func TestFromEvent(t *testing.T) {
	ev := stateEvent(t, at(time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputRequired)
	r := FromEvent(ev, "GetStreamSession: AccessDeniedException")
	want := Record{
		SchemaVersion: SchemaVersion, ChannelARN: testARN, ChannelID: "abcdABCDefgh", Region: "us-west-2", Account: "123456789012", StreamID: testStreamID,
		Channel: &Channel{Name: "main-stage"}, Outcome: OutcomeRefused, Code: ivsevent.CodeMultitrackInputRequired,
		Events:         []Event{{Time: at(time.Second), DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded, Code: ivsevent.CodeMultitrackInputRequired}},
		EnrichmentNote: "GetStreamSession: AccessDeniedException",
	}
	if got, w := mustJSON(t, r), mustJSON(t, want); got != w {
		t.Errorf("FromEvent:\n got %s\nwant %s", got, w)
	}
	if r.Enriched {
		t.Error("a record from an event is enriched")
	}
}

func TestLogValue(t *testing.T) {
	r, err := FromStreamSession(multitrackSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("archived", "record", r)
	var line struct {
		Record map[string]any `json:"record"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line.Record["streamId"] != testStreamID || line.Record["videoTracks"] != float64(5) || line.Record["topResolution"] != "1920x1080" || line.Record["events"] != float64(6) {
		t.Errorf("logged record = %v", line.Record)
	}
	if strings.Contains(buf.String(), `"video":`) {
		t.Error("the log line holds the whole record, want a summary")
	}
}

func TestDays(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	tests := map[string]struct {
		at   time.Time
		back time.Duration
		want []time.Time
	}{
		"a session's whole life":      {at: day(3).Add(10 * time.Hour), back: MaxDuration, want: []time.Time{day(3), day(2), day(1)}},
		"at midnight":                 {at: day(3), back: MaxDuration, want: []time.Time{day(3), day(2), day(1)}},
		"minutes, across midnight":    {at: day(3).Add(5 * time.Minute), back: 10 * time.Minute, want: []time.Time{day(3), day(2)}},
		"minutes, the same day":       {at: day(3).Add(15 * time.Minute), back: 10 * time.Minute, want: []time.Time{day(3)}},
		"another zone is read as UTC": {at: time.Date(2026, 11, 3, 1, 0, 0, 0, time.FixedZone("CET", 3600)), back: 0, want: []time.Time{day(3)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Days(tc.at, tc.back); !slices.Equal(got, tc.want) {
				t.Errorf("Days(%s, %s) = %v, want %v", tc.at, tc.back, got, tc.want)
			}
		})
	}
}

// TestLiveKey: an entry of the live index names its record (ParseLiveKey gives back the
// identity and day of SessionKey), lives under its account's and region's LivePrefix, and
// anything else is refused with the field.
func TestLiveKey(t *testing.T) {
	id := Identity{Account: "123456789012", Region: "us-west-2", ChannelID: "AbCdef1G2hij", StreamID: "st-1A2b3c4D5e6F78ghij9Klmn"}
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	rec, err := SessionKey(id, day.Add(17*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	live, err := LiveKeyOf(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := "live/account=123456789012/region=us-west-2/year=2026/month=11/day=03/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn.json"
	if live != want {
		t.Errorf("LiveKeyOf = %s, want %s", live, want)
	}
	prefix, err := LivePrefix(id.Account, id.Region)
	if err != nil || !strings.HasPrefix(live, prefix) {
		t.Errorf("LivePrefix = %q, %v; want a prefix of %s", prefix, err, live)
	}
	if other, _ := LivePrefix(id.Account, "eu-west-1"); strings.HasPrefix(live, other) {
		t.Errorf("another region's prefix %s covers %s", other, live)
	}
	gotID, gotDay, err := ParseLiveKey(live)
	if err != nil || gotID != id || !gotDay.Equal(day) {
		t.Fatalf("ParseLiveKey = %+v, %v, %v", gotID, gotDay, err)
	}
	if again, _ := SessionKey(gotID, gotDay); again != rec {
		t.Errorf("the entry names %s, want %s", again, rec)
	}
	for _, bad := range []string{
		"live/account=123456789012/region=us-west-2/year=2026/month=11/day=03/channel=AbCdef1G2hij/../x.json",
		"live/account=1/region=us-west-2/year=2026/month=11/day=03/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn.json",
		"live/account=123456789012/region=us-west-2/year=2026/month=02/day=30/channel=AbCdef1G2hij/st-1A2b3c4D5e6F78ghij9Klmn.json",
		rec,
	} {
		var fe *invalid.FieldError
		if _, _, err := ParseLiveKey(bad); !errors.As(err, &fe) || fe.Field != "liveKey" {
			t.Errorf("ParseLiveKey(%s) = %v, want a FieldError for liveKey", bad, err)
		}
	}
	if k, err := SweepStateKey(id.Account, id.Region, "live"); err != nil || k != "sweep/account=123456789012/region=us-west-2/live.json" {
		t.Errorf("SweepStateKey = %s, %v", k, err)
	}
	if _, err := SweepStateKey(id.Account, id.Region, "../x"); err == nil {
		t.Error("SweepStateKey took a kind with a path in it")
	}
}
