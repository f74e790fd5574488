package ivsevent_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// The sample events shared by the whole repository, and the values they all agree on.
const (
	eventsDir      = "../../events"
	invalidDir     = eventsDir + "/invalid"
	outOfBoundsDir = eventsDir + "/out-of-bounds"

	sampleAccount     = "123456789012"
	sampleRegion      = "us-west-2"
	sampleChannelID   = "AbCdef1G2hij"
	sampleChannelARN  = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	sampleChannelName = "studio-a"
	sampleStreamID    = "st-1A2b3c4D5e6F78ghij9Klmn"
)

// sampleWant is what one valid sample must decode to.
type sampleWant struct {
	detailType string
	name       string // event name, limit name or recording status
	code       string
	unit       string // limit_unit of a limit breach
}

// wantSamples pins the meaning of every sample in events/. A new sample is still parsed and
// checked by TestSamples without an entry here; add one to pin its meaning.
var wantSamples = map[string]sampleWant{
	"session-created.json":                                                     {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionCreated, "", ""},
	"session-ended.json":                                                       {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, "", ""},
	"session-ended-multitrack-input-not-allowed.json":                          {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed, ""},
	"session-ended-multitrack-input-required.json":                             {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputRequired, ""},
	"session-ended-invalid-get-client-configuration-stream-key.json":           {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, ivsevent.CodeInvalidGetClientConfigurationStreamKey, ""},
	"session-ended-get-client-configuration-stream-key-required.json":          {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, ivsevent.CodeGetClientConfigurationStreamKeyRequired, ""},
	"session-ended-invalid-multitrack-input-track-count.json":                  {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, ivsevent.CodeInvalidMultitrackInputTrackCount, ""},
	"session-ended-invalid-multitrack-input-video-track-media-properties.json": {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, ""},
	"session-ended-unknown-code.json":                                          {ivsevent.DetailTypeStreamStateChange, ivsevent.EventSessionEnded, "InvalidMultitrackInputAudioTrackMediaProperties", ""},
	"stream-start.json":                                                        {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamStart, "", ""},
	"stream-end.json":                                                          {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamEnd, "", ""},
	"stream-failure.json":                                                      {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamFailure, "", ""},
	"stream-takeover.json":                                                     {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamTakeover, "", ""},
	"stream-takeover-failure-stream-takeover-media-mismatch.json":              {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamTakeoverFailure, ivsevent.CodeStreamTakeoverMediaMismatch, ""},
	"stream-takeover-failure-stream-takeover-invalid-priority.json":            {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamTakeoverFailure, ivsevent.CodeStreamTakeoverInvalidPriority, ""},
	"stream-takeover-failure-stream-takeover-limit-breached.json":              {ivsevent.DetailTypeStreamStateChange, ivsevent.EventStreamTakeoverFailure, ivsevent.CodeStreamTakeoverLimitBreached, ""},
	"starvation-start.json":                                                    {ivsevent.DetailTypeStreamHealthChange, ivsevent.EventStarvationStart, "", ""},
	"starvation-end.json":                                                      {ivsevent.DetailTypeStreamHealthChange, ivsevent.EventStarvationEnd, "", ""},
	"limit-breach-ingest-bitrate.json":                                         {ivsevent.DetailTypeLimitBreach, ivsevent.LimitIngestBitrate, "", "bits per second"},
	"limit-breach-ingest-resolution-total-pixels.json":                         {ivsevent.DetailTypeLimitBreach, ivsevent.LimitIngestResolution, "", "total pixels"},
	"limit-breach-ingest-resolution-pixels-per-edge.json":                      {ivsevent.DetailTypeLimitBreach, ivsevent.LimitIngestResolution, "", "pixels per edge"},
	"limit-breach-concurrent-broadcasts.json":                                  {ivsevent.DetailTypeLimitBreach, ivsevent.LimitConcurrentBroadcasts, "", "active streams"},
	"limit-breach-concurrent-viewers.json":                                     {ivsevent.DetailTypeLimitBreach, ivsevent.LimitConcurrentViewers, "", "viewers"},
	"recording-start.json":                                                     {ivsevent.DetailTypeRecordingStateChange, ivsevent.RecordingStart, "", ""},
	"recording-end.json":                                                       {ivsevent.DetailTypeRecordingStateChange, ivsevent.RecordingEnd, "", ""},
	"recording-start-failure.json":                                             {ivsevent.DetailTypeRecordingStateChange, ivsevent.RecordingStartFailure, "", ""},
	"recording-end-failure.json":                                               {ivsevent.DetailTypeRecordingStateChange, ivsevent.RecordingEndFailure, "", ""},
}

// invalidWant is the error one invalid sample must give.
type invalidWant struct {
	field   string // FieldError.Field
	unknown bool   // errors.Is(err, invalid.ErrUnknown)
}

// wantInvalid lists every file in events/invalid/ and the field its error must name.
var wantInvalid = map[string]invalidWant{
	"truncated.json":                             {field: ""},
	"detail-not-object.json":                     {field: "detail"},
	"stream-id-number.json":                      {field: "detail.stream_id"},
	"resources-string.json":                      {field: "resources"},
	"limit-value-string.json":                    {field: "detail.limit_value"},
	"missing-stream-id.json":                     {field: "detail.stream_id"},
	"stream-id-wrong-length.json":                {field: "detail.stream_id"},
	"recording-session-stream-id-too-short.json": {field: "detail.recording_session_stream_ids[0]"},
	"channel-arn-bad-account.json":               {field: "resources[0]"},
	"channel-arn-without-channel.json":           {field: "resources[0]"},
	"resources-empty.json":                       {field: "resources"},
	"unknown-detail-type.json":                   {field: "detail-type", unknown: true},
	"unknown-event-name.json":                    {field: "detail.event_name", unknown: true},
	"unknown-limit-name.json":                    {field: "detail.limit_name", unknown: true},
	"unknown-recording-status.json":              {field: "detail.recording_status", unknown: true},
	"wrong-source.json":                          {field: "source", unknown: true},
	"missing-id.json":                            {field: "id"},
	"missing-time.json":                          {field: "time"},
	"bad-time.json":                              {field: "time"},
	"time-number.json":                           {field: "time"},
	"duplicate-detail-type.json":                 {field: "detail-type"},
	"code-upper-case.json":                       {field: "detail.stream_id"},
	"trailing-data.json":                         {field: ""},
	"time-1970.json":                             {field: "time"},
	"time-2999.json":                             {field: "time"},
}

// wantOutOfBounds lists every file in events/out-of-bounds/ and the fields Parse must report
// out of bounds (ivsevent.OutOfBounds), in order: each event is kept.
var wantOutOfBounds = map[string][]string{
	"channel-name-too-long.json":         {"detail.channel_name"},
	"channel-name-escape-sequences.json": {"detail.channel_name"},
	"limit-value-negative.json":          {"detail.limit_value"},
	"limit-value-null.json":              {"detail.limit_value"},
	"reason-line-break.json":             {"detail.reason"},
	"resources-two-entries.json":         {"resources[1]"},
}

// readSamples returns the *.json files directly in dir, by base name. It fails the test when
// there are none, so that a moved directory cannot make the sample tests pass vacuously.
func readSamples(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no *.json samples in %s", dir)
	}
	samples := make(map[string][]byte, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		samples[filepath.Base(p)] = data
	}
	return samples
}

func mustParse(t *testing.T, name string, data []byte) *ivsevent.Event {
	t.Helper()
	ev, err := ivsevent.Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	if ev == nil {
		t.Fatalf("Parse(%s) returned a nil *Event and a nil error", name)
	}
	return ev
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestSamples parses every events/*.json and checks what any sample must hold: one typed detail
// matching the detail-type, the shared channel and stream, a file name that says what it is,
// and, for the files in wantSamples, the exact name, code and unit.
func TestSamples(t *testing.T) {
	samples := readSamples(t, eventsDir)
	ids := map[string]string{}
	for name, data := range samples {
		t.Run(name, func(t *testing.T) {
			ev := mustParse(t, name, data)

			typed := map[string]bool{
				ivsevent.DetailTypeStreamStateChange:    ev.StreamState != nil,
				ivsevent.DetailTypeStreamHealthChange:   ev.StreamHealth != nil,
				ivsevent.DetailTypeLimitBreach:          ev.Limit != nil,
				ivsevent.DetailTypeRecordingStateChange: ev.Recording != nil,
			}
			for dt, set := range typed {
				if set != (dt == ev.DetailType) {
					t.Errorf("detail-type %q: typed detail for %q set = %v", ev.DetailType, dt, set)
				}
			}

			if !uuidPattern.MatchString(ev.ID) {
				t.Errorf("id = %q, want a lower-case UUID", ev.ID)
			}
			if other, dup := ids[ev.ID]; dup {
				t.Errorf("id %s is also the id of %s", ev.ID, other)
			}
			ids[ev.ID] = name
			if ev.Version != "0" || ev.Account != sampleAccount || ev.Region != sampleRegion {
				t.Errorf("envelope version/account/region = %q/%q/%q, want 0/%s/%s", ev.Version, ev.Account, ev.Region, sampleAccount, sampleRegion)
			}
			if ev.Time.Location() != time.UTC || ev.Time.Year() != 2026 {
				t.Errorf("time = %v, want a UTC time in 2026", ev.Time)
			}

			if ev.AccountLevel() {
				if ev.Limit == nil || !ivsevent.AccountLevel(ev.Limit.LimitName) {
					t.Fatalf("account-level event is not an account-level limit breach: %s", ev.Name())
				}
				if ev.Resources == nil || len(ev.Resources) != 0 {
					t.Errorf("resources = %#v, want [] (present and empty)", ev.Resources)
				}
				if ev.StreamID() != "" || ev.ChannelName() != "" {
					t.Errorf("account-level event has stream %q, channel name %q", ev.StreamID(), ev.ChannelName())
				}
			} else {
				want := ivsevent.ChannelARN{Region: sampleRegion, Account: sampleAccount, ID: sampleChannelID}
				if ev.Channel != want {
					t.Errorf("Channel = %+v, want %+v", ev.Channel, want)
				}
				if got := ev.Channel.String(); got != sampleChannelARN || !slices.Equal(ev.Resources, []string{sampleChannelARN}) {
					t.Errorf("Channel.String() = %q, resources = %q, want %q", got, ev.Resources, sampleChannelARN)
				}
				if ev.StreamID() != sampleStreamID {
					t.Errorf("StreamID() = %q, want %q", ev.StreamID(), sampleStreamID)
				}
				if ev.ChannelName() != sampleChannelName {
					t.Errorf("ChannelName() = %q, want %q", ev.ChannelName(), sampleChannelName)
				}
			}

			if stem, want := strings.TrimSuffix(name, ".json"), sampleStem(ev); !slices.Contains(want, stem) {
				t.Errorf("file name %q does not say what it holds: want one of %q", name, want)
			}

			want, ok := wantSamples[name]
			if !ok {
				return
			}
			if ev.DetailType != want.detailType || ev.Name() != want.name || ev.Code() != want.code {
				t.Errorf("(detail-type, Name, Code) = (%q, %q, %q), want (%q, %q, %q)",
					ev.DetailType, ev.Name(), ev.Code(), want.detailType, want.name, want.code)
			}
			if ev.Limit != nil && ev.Limit.LimitUnit != want.unit {
				t.Errorf("limit_unit = %q, want %q", ev.Limit.LimitUnit, want.unit)
			}
		})
	}
	for name := range wantSamples {
		if _, ok := samples[name]; !ok {
			t.Errorf("wantSamples lists %s, which is not in %s", name, eventsDir)
		}
	}
}

// sampleStem returns the file names (without .json) a sample of ev may have: the kebab-cased
// name, then the kebab-cased code ("unknown-code" for an undocumented one) or, for a limit
// breach, optionally its unit.
func sampleStem(ev *ivsevent.Event) []string {
	if ev.Limit != nil {
		base := "limit-breach-" + kebab(ev.Limit.LimitName)
		return []string{base, base + "-" + kebab(ev.Limit.LimitUnit)}
	}
	base := kebab(ev.Name())
	switch code := ev.Code(); {
	case code == "":
		return []string{base}
	case slices.Contains(ivsevent.Codes, code):
		return []string{base + "-" + kebab(code)}
	default:
		return []string{base + "-unknown-code"}
	}
}

// kebab turns "Session Ended" into "session-ended" and "MultitrackInputNotAllowed" into
// "multitrack-input-not-allowed".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r >= 'A' && r <= 'Z':
			if i > 0 && s[i-1] != ' ' {
				b.WriteByte('-')
			}
			b.WriteRune(r - 'A' + 'a')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"Session Ended":             "session-ended",
		"MultitrackInputNotAllowed": "multitrack-input-not-allowed",
		"pixels per edge":           "pixels-per-edge",
		"Concurrent Broadcasts":     "concurrent-broadcasts",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSamplesCoverage checks that events/ holds a sample of every detail-type, event name,
// limit (both Ingest Resolution units), recording status and documented code, plus a Session
// Ended without a code and one with an undocumented code.
func TestSamplesCoverage(t *testing.T) {
	seen := map[string]bool{}
	for name, data := range readSamples(t, eventsDir) {
		ev := mustParse(t, name, data)
		seen["detail-type "+ev.DetailType] = true
		seen[ev.DetailType+" / "+ev.Name()] = true
		if ev.Limit != nil {
			seen["unit "+ev.Limit.LimitName+" / "+ev.Limit.LimitUnit] = true
		}
		switch code := ev.Code(); {
		case code == "" && ev.Name() == ivsevent.EventSessionEnded:
			seen["Session Ended without code"] = true
		case code != "" && !slices.Contains(ivsevent.Codes, code):
			seen["undocumented code on "+ev.Name()] = true
		case code != "":
			seen["code "+ev.Name()+" / "+code] = true
		}
	}

	var want []string
	for _, dt := range ivsevent.DetailTypes {
		want = append(want, "detail-type "+dt)
		for _, n := range ivsevent.EventNames(dt) {
			want = append(want, dt+" / "+n)
		}
	}
	for _, l := range []string{ivsevent.LimitIngestBitrate, ivsevent.LimitIngestResolution, ivsevent.LimitConcurrentBroadcasts, ivsevent.LimitConcurrentViewers} {
		want = append(want, ivsevent.DetailTypeLimitBreach+" / "+l)
	}
	want = append(want, "unit Ingest Resolution / total pixels", "unit Ingest Resolution / pixels per edge")
	for _, r := range []string{ivsevent.RecordingStart, ivsevent.RecordingEnd, ivsevent.RecordingStartFailure, ivsevent.RecordingEndFailure} {
		want = append(want, ivsevent.DetailTypeRecordingStateChange+" / "+r)
	}
	for _, c := range ivsevent.Codes {
		on := ivsevent.EventSessionEnded
		if strings.HasPrefix(c, "StreamTakeover") {
			on = ivsevent.EventStreamTakeoverFailure
		}
		want = append(want, "code "+on+" / "+c)
	}
	want = append(want, "Session Ended without code", "undocumented code on "+ivsevent.EventSessionEnded)

	for _, w := range want {
		if !seen[w] {
			t.Errorf("no sample in %s for %s", eventsDir, w)
		}
	}
}

// TestInvalidSamples checks that every events/invalid/*.json fails with a *invalid.FieldError naming
// the expected field, wrapping invalid.ErrUnknown exactly when the event names something unknown.
func TestInvalidSamples(t *testing.T) {
	samples := readSamples(t, invalidDir)
	for name, data := range samples {
		t.Run(name, func(t *testing.T) {
			want, ok := wantInvalid[name]
			if !ok {
				t.Fatalf("%s/%s has no entry in wantInvalid: add the field its error must name", invalidDir, name)
			}
			ev, err := ivsevent.Parse(data)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error for field %q", want.field)
			}
			if ev != nil {
				t.Errorf("Parse returned a non-nil *Event with error %v", err)
			}
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			if fe.Field != want.field {
				t.Errorf("Field = %q, want %q (error: %v)", fe.Field, want.field, err)
			}
			if got := errors.Is(err, invalid.ErrUnknown); got != want.unknown {
				t.Errorf("errors.Is(err, ErrUnknown) = %v, want %v (error: %v)", got, want.unknown, err)
			}
			if msg := err.Error(); want.field != "" && !strings.HasPrefix(msg, want.field+": ") {
				t.Errorf("message %q does not start with the field %q", msg, want.field)
			}
		})
	}
	for name := range wantInvalid {
		if _, ok := samples[name]; !ok {
			t.Errorf("wantInvalid lists %s, which is not in %s", name, invalidDir)
		}
	}
}

// TestOutOfBoundsSamples checks that every events/out-of-bounds/*.json is kept, with exactly
// the fields wantOutOfBounds lists reported out of bounds, every text it keeps free of control
// characters and within its bound, and a note that names each field.
func TestOutOfBoundsSamples(t *testing.T) {
	samples := readSamples(t, outOfBoundsDir)
	for name, data := range samples {
		t.Run(name, func(t *testing.T) {
			want, ok := wantOutOfBounds[name]
			if !ok {
				t.Fatalf("%s/%s has no entry in wantOutOfBounds", outOfBoundsDir, name)
			}
			ev := mustParse(t, name, data)
			var got []string
			for _, o := range ev.OutOfBounds {
				got = append(got, o.Field)
				if o.Want == "" || o.Kept == "" {
					t.Errorf("%+v: want and kept must be said", o)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("out of bounds %v, want %v", got, want)
			}
			note := ev.Note()
			for _, f := range want {
				if !strings.Contains(note, f) {
					t.Errorf("note %q does not name %s", note, f)
				}
			}
			reason := ""
			if ev.StreamState != nil {
				reason = ev.StreamState.Reason
			}
			for field, text := range map[string]string{"channel_name": ev.ChannelName(), "reason": reason, "note": note} {
				if strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Errorf("%s %q holds a control character", field, text)
				}
			}
			if n := len(ev.ChannelName()); n > ivsevent.MaxChannelNameLength {
				t.Errorf("channel name of %d bytes kept, bound %d", n, ivsevent.MaxChannelNameLength)
			}
			if ev.Channel.ID != sampleChannelID || ev.StreamID() != sampleStreamID {
				t.Errorf("channel %+v, stream %q: the identity must be the sample's", ev.Channel, ev.StreamID())
			}
		})
	}
	for name := range wantOutOfBounds {
		if _, ok := samples[name]; !ok {
			t.Errorf("wantOutOfBounds lists %s, which is not in %s", name, outOfBoundsDir)
		}
	}
}

// TestMarshalRoundTrip checks that json.Marshal of a parsed Event gives back the envelope as
// received (same keys and values, detail included) and that parsing it again gives the same
// Event.
func TestMarshalRoundTrip(t *testing.T) {
	for name, data := range readSamples(t, eventsDir) {
		t.Run(name, func(t *testing.T) {
			first := mustParse(t, name, data)
			out, err := json.Marshal(first)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			var got, want any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Marshal gave\n%s\nwant the sample\n%s", out, data)
			}
			second := mustParse(t, name+" (marshalled)", out)
			if diff := eventDiff(first, second); diff != "" {
				t.Errorf("Parse(Marshal(Parse(sample))) differs: %s", diff)
			}
		})
	}
}

// eventDiff describes how a and b differ, or returns "". Times are compared with Equal and
// details by their JSON value, since Marshal compacts the raw detail.
func eventDiff(a, b *ivsevent.Event) string {
	if !a.Time.Equal(b.Time) {
		return "time " + a.Time.String() + " != " + b.Time.String()
	}
	var da, db any
	if err := json.Unmarshal(a.Detail, &da); err != nil {
		return "detail a: " + err.Error()
	}
	if err := json.Unmarshal(b.Detail, &db); err != nil {
		return "detail b: " + err.Error()
	}
	if !reflect.DeepEqual(da, db) {
		return "detail " + string(a.Detail) + " != " + string(b.Detail)
	}
	ca, cb := *a, *b
	ca.Time, cb.Time = time.Time{}, time.Time{}
	ca.Detail, cb.Detail = nil, nil
	if !reflect.DeepEqual(ca, cb) {
		ja, _ := json.Marshal(ca)
		jb, _ := json.Marshal(cb)
		return "event " + string(ja) + " != " + string(jb)
	}
	return ""
}

// TestSamplesDecodeAsLambdaEvents checks that every sample is also a valid aws-lambda-go
// events.EventBridgeEvent, the type a function decodes a bare EventBridge event into, and that
// both decoders read the same envelope.
func TestSamplesDecodeAsLambdaEvents(t *testing.T) {
	for name, data := range readSamples(t, eventsDir) {
		t.Run(name, func(t *testing.T) {
			var le events.EventBridgeEvent
			if err := json.Unmarshal(data, &le); err != nil {
				t.Fatalf("decode as events.EventBridgeEvent: %v", err)
			}
			ev := mustParse(t, name, data)
			if le.ID != ev.ID || le.DetailType != ev.DetailType || le.Source != ev.Source ||
				le.AccountID != ev.Account || le.Region != ev.Region || !le.Time.Equal(ev.Time) ||
				!slices.Equal(le.Resources, ev.Resources) || string(le.Detail) != string(ev.Detail) {
				t.Errorf("aws-lambda-go envelope %+v differs from Parse's %+v", le, *ev)
			}
		})
	}
}

// TestEventsREADME checks that events/README.md lists every sample, valid and invalid.
func TestEventsREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(eventsDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{eventsDir, invalidDir, outOfBoundsDir} {
		for name := range readSamples(t, dir) {
			if !strings.Contains(string(readme), "| `"+name+"` |") {
				t.Errorf("%s/README.md has no table row for %s", eventsDir, filepath.Join(dir, name))
			}
		}
	}
}
