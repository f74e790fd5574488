package ivsevent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// envelope returns a valid event with the given detail-type, detail and resources, so a test
// can vary one part of it.
func envelope(detailType, resources, detail string) string {
	return `{"version":"0","id":"0d9e4b1c-5f7a-4e2b-9c3d-8a1b2c3d4e5f","detail-type":"` + detailType +
		`","source":"aws.ivs","account":"123456789012","time":"2026-11-03T18:00:05Z","region":"us-west-2",` +
		`"resources":` + resources + `,"detail":` + detail + `}`
}

const channelResources = `["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"]`

func TestParseAccepts(t *testing.T) {
	tests := map[string]struct {
		in      string
		name    string
		stream  string
		code    string
		channel ivsevent.ChannelARN
	}{
		// The doc's Session Ended sample, verbatim: channel_name "", and an envelope region that
		// disagrees with the ARN. Region and account come from the ARN.
		"doc sample with region mismatch": {
			in:      `{"version":"0","id":"6f2723f3-ee31-9e48-b030-ac865e261a8e","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"535011710559","time":"2024-09-09T16:17:26Z","region":"us-east-1","resources":["arn:aws:ivs:us-west-2:535011710559:channel/UCGaMPGLCbcE"],"detail":{"event_name":"Session Ended","channel_name":"","code":"MultitrackInputNotAllowed","stream_id":"st-1AuTyMDASvHUTSb8p5PvbsO"}}`,
			name:    ivsevent.EventSessionEnded,
			stream:  "st-1AuTyMDASvHUTSb8p5PvbsO",
			code:    ivsevent.CodeMultitrackInputNotAllowed,
			channel: ivsevent.ChannelARN{Region: "us-west-2", Account: "535011710559", ID: "UCGaMPGLCbcE"},
		},
		"unknown extra fields are ignored": {
			in:      envelope(ivsevent.DetailTypeStreamHealthChange, channelResources, `{"event_name":"Starvation Start","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","future_field":{"a":[1,2]}}`),
			name:    ivsevent.EventStarvationStart,
			stream:  "st-1A2b3c4D5e6F78ghij9Klmn",
			channel: ivsevent.ChannelARN{Region: "us-west-2", Account: "123456789012", ID: "AbCdef1G2hij"},
		},
		"extra resources after the channel": {
			in:      envelope(ivsevent.DetailTypeStreamStateChange, `["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij","arn:aws:s3:::bucket"]`, `{"event_name":"Stream Start","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`),
			name:    ivsevent.EventStreamStart,
			stream:  "st-1A2b3c4D5e6F78ghij9Klmn",
			channel: ivsevent.ChannelARN{Region: "us-west-2", Account: "123456789012", ID: "AbCdef1G2hij"},
		},
		"account-level limit without resources key": {
			in:   strings.Replace(envelope(ivsevent.DetailTypeLimitBreach, `[]`, `{"limit_name":"Concurrent Viewers","limit_value":15000,"exceeded_by":250,"limit_unit":"viewers"}`), `"resources":[],`, "", 1),
			name: ivsevent.LimitConcurrentViewers,
		},
		"fractional limit values": {
			in:      envelope(ivsevent.DetailTypeLimitBreach, channelResources, `{"limit_name":"Ingest Bitrate","limit_value":8.5e6,"exceeded_by":0.5,"limit_unit":"bits per second","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`),
			name:    ivsevent.LimitIngestBitrate,
			stream:  "st-1A2b3c4D5e6F78ghij9Klmn",
			channel: ivsevent.ChannelARN{Region: "us-west-2", Account: "123456789012", ID: "AbCdef1G2hij"},
		},
		"Stream Takeover Failure without code": {
			in:      envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Takeover Failure","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`),
			name:    ivsevent.EventStreamTakeoverFailure,
			stream:  "st-1A2b3c4D5e6F78ghij9Klmn",
			channel: ivsevent.ChannelARN{Region: "us-west-2", Account: "123456789012", ID: "AbCdef1G2hij"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev := mustParse(t, name, []byte(tc.in))
			if ev.Name() != tc.name || ev.StreamID() != tc.stream || ev.Code() != tc.code || ev.Channel != tc.channel {
				t.Errorf("(Name, StreamID, Code, Channel) = (%q, %q, %q, %+v), want (%q, %q, %q, %+v)",
					ev.Name(), ev.StreamID(), ev.Code(), ev.Channel, tc.name, tc.stream, tc.code, tc.channel)
			}
			if ev.AccountLevel() != tc.channel.IsZero() {
				t.Errorf("AccountLevel() = %v with Channel %+v", ev.AccountLevel(), ev.Channel)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-11-03T18:00:05Z":           time.Date(2026, 11, 3, 18, 0, 5, 0, time.UTC),
		"2026-11-03T18:00:05.123Z":       time.Date(2026, 11, 3, 18, 0, 5, 123e6, time.UTC),
		"2026-11-03T20:00:05+02:00":      time.Date(2026, 11, 3, 18, 0, 5, 0, time.UTC),
		"2026-11-03T18:00:05.000000001Z": time.Date(2026, 11, 3, 18, 0, 5, 1, time.UTC),
	} {
		in2 := strings.Replace(envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Start","channel_name":"","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`), "2026-11-03T18:00:05Z", in, 1)
		ev := mustParse(t, in, []byte(in2))
		if !ev.Time.Equal(want) {
			t.Errorf("time %q: got %v, want %v", in, ev.Time, want)
		}
	}
}

// TestParseRejects covers malformed inputs that are not worth a file in events/invalid/.
func TestParseRejects(t *testing.T) {
	startDetail := `{"event_name":"Stream Start","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`
	valid := envelope(ivsevent.DetailTypeStreamStateChange, channelResources, startDetail)
	tests := map[string]struct {
		in      string
		field   string
		unknown bool
		message string // the whole message, when set
	}{
		"empty input":         {in: "", field: ""},
		"JSON null":           {in: "null", field: "id"},
		"JSON array":          {in: "[]", field: ""},
		"trailing garbage":    {in: valid + "}", field: ""},
		"missing source":      {in: strings.Replace(valid, `"source":"aws.ivs",`, "", 1), field: "source", unknown: false},
		"source case differs": {in: strings.Replace(valid, `"aws.ivs"`, `"AWS.IVS"`, 1), field: "source", unknown: true},
		"CloudTrail event":    {in: strings.Replace(valid, ivsevent.DetailTypeStreamStateChange, "AWS API Call via CloudTrail", 1), field: "detail-type", unknown: true},
		"time null":           {in: strings.Replace(valid, `"2026-11-03T18:00:05Z"`, "null", 1), field: "time", message: `time: want an RFC 3339 timestamp, got ""`},
		"time zero":           {in: strings.Replace(valid, `"2026-11-03T18:00:05Z"`, `"0001-01-01T00:00:00Z"`, 1), field: "time"},
		"time without zone":   {in: strings.Replace(valid, `"2026-11-03T18:00:05Z"`, `"2026-11-03T18:00:05"`, 1), field: "time"},
		"time object":         {in: strings.Replace(valid, `"2026-11-03T18:00:05Z"`, `{}`, 1), field: "time"},
		"detail null":         {in: envelope(ivsevent.DetailTypeStreamStateChange, channelResources, "null"), field: "detail"},
		"detail array":        {in: envelope(ivsevent.DetailTypeStreamStateChange, channelResources, "[]"), field: "detail"},
		"missing detail":      {in: strings.Replace(valid, `,"detail":`+startDetail, "", 1), field: "detail"},
		"resources null":      {in: envelope(ivsevent.DetailTypeStreamStateChange, "null", startDetail), field: "resources"},
		"resources of numbers": {
			in: envelope(ivsevent.DetailTypeStreamStateChange, "[1]", startDetail), field: "resources[0]",
		},
		"event name missing": {in: envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`), field: "detail.event_name", unknown: true},
		"health event with a stream-state name": {
			in: envelope(ivsevent.DetailTypeStreamHealthChange, channelResources, startDetail), field: "detail.event_name", unknown: true,
		},
		"health event without stream": {
			in: envelope(ivsevent.DetailTypeStreamHealthChange, channelResources, `{"event_name":"Starvation End"}`), field: "detail.stream_id",
			message: `detail.stream_id: want an IVS stream ID (st- and 23 letters or digits), got ""`,
		},
		"channel limit without stream": {
			in: envelope(ivsevent.DetailTypeLimitBreach, channelResources, `{"limit_name":"Ingest Bitrate","limit_value":1,"exceeded_by":1,"limit_unit":"bits per second"}`), field: "detail.stream_id",
		},
		"channel limit without resources": {
			in: envelope(ivsevent.DetailTypeLimitBreach, `[]`, `{"limit_name":"Ingest Resolution","limit_value":1920,"exceeded_by":640,"limit_unit":"pixels per edge","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`), field: "resources",
		},
		"recording duration fractional": {
			in: envelope(ivsevent.DetailTypeRecordingStateChange, channelResources, `{"channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","recording_status":"Recording End","recording_duration_ms":1.5}`), field: "detail.recording_duration_ms",
		},
		"recording session stream IDs not a list": {
			in: envelope(ivsevent.DetailTypeRecordingStateChange, channelResources, `{"channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","recording_status":"Recording End","recording_session_stream_ids":"st-1A2b3c4D5e6F78ghij9Klmn"}`), field: "detail.recording_session_stream_ids",
		},
		"second recording session stream ID bad": {
			in: envelope(ivsevent.DetailTypeRecordingStateChange, channelResources, `{"channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","recording_status":"Recording End","recording_session_stream_ids":["st-1A2b3c4D5e6F78ghij9Klmn","st-x"]}`), field: "detail.recording_session_stream_ids[1]",
		},
		"code not a string": {
			in: envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Session Ended","channel_name":"studio-a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","code":7}`), field: "detail.code",
			message: `detail.code: want a JSON string, got "a JSON number"`,
		},
		// Issue 10: strict decoding and the bounds of the IVS API.
		"duplicate detail-type": {
			in:    strings.Replace(valid, `"source":"aws.ivs",`, `"source":"aws.ivs","detail-type":"IVS Limit Breach",`, 1),
			field: "detail-type", message: `detail-type: want the member once (a duplicate is ambiguous), got "detail-type": duplicate object member name`,
		},
		"duplicate stream_id in detail": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Start","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","stream_id":"st-1A2b3c4D5e6F78ghij9Klmo"}`),
			field: "detail.stream_id",
		},
		"upper-case STREAM_ID is not stream_id": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Start","STREAM_ID":"st-1A2b3c4D5e6F78ghij9Klmn"}`),
			field: "detail.stream_id",
		},
		"trailing data after the event": {in: valid + ` {"id":"x"}`, field: "", message: ""},
		"code of 1,100 characters": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Session Ended","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","code":"`+strings.Repeat("X", 1100)+`"}`),
			field: "detail.code",
		},
		"code with a path": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Session Ended","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","code":"../x"}`),
			field: "detail.code",
		},
		"time in 1970": {
			in: strings.Replace(valid, `"2026-11-03T18:00:05Z"`, `"1970-01-01T00:00:01Z"`, 1), field: "time",
			message: `time: want a time in the years 2024 to 2099 (the archive's partitions), got "1970-01-01T00:00:01Z"`,
		},
		"time in 2999":  {in: strings.Replace(valid, `"2026-11-03T18:00:05Z"`, `"2999-01-01T00:00:00Z"`, 1), field: "time"},
		"account words": {in: strings.Replace(valid, `"account":"123456789012"`, `"account":"aws_account_id"`, 1), field: "account"},
		"region path":   {in: strings.Replace(valid, `"region":"us-west-2"`, `"region":"us-west-2/../x"`, 1), field: "region"},
		"event ID with a slash": {
			in: strings.Replace(valid, `"id":"`, `"id":"../`, 1), field: "id",
		},
		"event ID of 1 MB": {
			in: strings.Replace(valid, `"id":"`, `"id":"`+strings.Repeat("a", 1<<20), 1), field: "id",
		},
		"replay name with a slash": {
			in: strings.Replace(valid, `{"version"`, `{"replay-name":"a/b","version"`, 1), field: "replay-name",
		},
		"replay name of 65 characters": {
			in: strings.Replace(valid, `{"version"`, `{"replay-name":"`+strings.Repeat("r", 65)+`","version"`, 1), field: "replay-name",
		},
		"replay name not a string": {
			in: strings.Replace(valid, `{"version"`, `{"replay-name":1,"version"`, 1), field: "replay-name",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := ivsevent.Parse([]byte(tc.in))
			if ev != nil || err == nil {
				t.Fatalf("Parse = %v, %v; want nil and an error", ev, err)
			}
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			if fe.Field != tc.field {
				t.Errorf("Field = %q, want %q (error: %v)", fe.Field, tc.field, err)
			}
			if got := errors.Is(err, invalid.ErrUnknown); got != tc.unknown {
				t.Errorf("errors.Is(err, ErrUnknown) = %v, want %v (error: %v)", got, tc.unknown, err)
			}
			if tc.message != "" && err.Error() != tc.message {
				t.Errorf("message:\n got %s\nwant %s", err.Error(), tc.message)
			}
			if n := len(err.Error()); n > 1024 {
				t.Errorf("a message of %d bytes: an error quotes at most 200 bytes of the input", n)
			}
		})
	}
}

// TestParseKeepsDisplayFields: a field that feeds no key, no identity and no decision never
// costs the event. Out of its bounds, it is kept bounded and escaped, and reported.
func TestParseKeepsDisplayFields(t *testing.T) {
	const stream = `"stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"`
	tests := map[string]struct {
		in    string
		field string
		check func(*ivsevent.Event) bool
	}{
		"channel name of 129 characters": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Start","channel_name":"`+strings.Repeat("a", 129)+`",`+stream+`}`),
			field: "detail.channel_name", check: func(ev *ivsevent.Event) bool { return ev.ChannelName() == strings.Repeat("a", 128) },
		},
		"channel name with a slash": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Start","channel_name":"a/../b",`+stream+`}`),
			field: "detail.channel_name", check: func(ev *ivsevent.Event) bool { return ev.ChannelName() == "a/../b" },
		},
		"channel name with terminal escapes": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Session Ended","channel_name":"x\u001b]0;t\u0007\ny",`+stream+`,"code":"MultitrackInputNotAllowed"}`),
			field: "detail.channel_name",
			check: func(ev *ivsevent.Event) bool {
				return ev.ChannelName() == `x\x1b]0;t\a\ny` && ev.Code() == ivsevent.CodeMultitrackInputNotAllowed
			},
		},
		"health event, channel name of 1 MB": {
			in:    envelope(ivsevent.DetailTypeStreamHealthChange, channelResources, `{"event_name":"Starvation Start","channel_name":"`+strings.Repeat(`\u001b`, 1<<18)+`",`+stream+`}`),
			field: "detail.channel_name", check: func(ev *ivsevent.Event) bool { return len(ev.ChannelName()) <= ivsevent.MaxChannelNameLength },
		},
		"reason with a line break": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Failure",`+stream+`,"reason":"a\n{\"level\":\"ERROR\"}"}`),
			field: "detail.reason", check: func(ev *ivsevent.Event) bool { return ev.StreamState.Reason == `a\n{"level":"ERROR"}` },
		},
		"negative limit value": {
			in:    envelope(ivsevent.DetailTypeLimitBreach, `[]`, `{"limit_name":"Concurrent Viewers","limit_value":-1,"exceeded_by":1,"limit_unit":"viewers"}`),
			field: "detail.limit_value", check: func(ev *ivsevent.Event) bool { return ev.Limit.LimitValue == -1 },
		},
		"null limit value": {
			in:    envelope(ivsevent.DetailTypeLimitBreach, `[]`, `{"limit_name":"Concurrent Viewers","limit_value":null,"exceeded_by":1,"limit_unit":"viewers"}`),
			field: "detail.limit_value", check: func(ev *ivsevent.Event) bool { return ev.Limit.LimitValue == 0 },
		},
		"missing exceeded_by": {
			in:    envelope(ivsevent.DetailTypeLimitBreach, `[]`, `{"limit_name":"Concurrent Viewers","limit_value":5,"limit_unit":"viewers"}`),
			field: "detail.exceeded_by", check: func(ev *ivsevent.Event) bool { return ev.Limit.ExceededBy == 0 && ev.Limit.LimitValue == 5 },
		},
		"negative recording duration": {
			in:    envelope(ivsevent.DetailTypeRecordingStateChange, channelResources, `{"channel_name":"studio-a",`+stream+`,"recording_status":"Recording End","recording_duration_ms":-5}`),
			field: "detail.recording_duration_ms", check: func(ev *ivsevent.Event) bool { return ev.Recording.RecordingDurationMs == -5 },
		},
		"recording bucket not a bucket name": {
			in:    envelope(ivsevent.DetailTypeRecordingStateChange, channelResources, `{"channel_name":"studio-a",`+stream+`,"recording_status":"Recording Start","recording_s3_bucket_name":"Bucket\twith tab"}`),
			field: "detail.recording_s3_bucket_name", check: func(ev *ivsevent.Event) bool { return ev.Recording.RecordingS3BucketName == `Bucket\twith tab` },
		},
		"second resource": {
			in:    envelope(ivsevent.DetailTypeStreamStateChange, `["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij","x","y"]`, `{"event_name":"Stream Start",`+stream+`}`),
			field: "resources[1]", check: func(ev *ivsevent.Event) bool { return ev.Channel.ID == "AbCdef1G2hij" },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := ivsevent.Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v; want the event kept", err)
			}
			if len(ev.OutOfBounds) != 1 || ev.OutOfBounds[0].Field != tc.field {
				t.Fatalf("OutOfBounds %+v, want %s only", ev.OutOfBounds, tc.field)
			}
			if !tc.check(ev) {
				t.Errorf("kept %+v / %+v / %+v / %+v", ev.StreamState, ev.StreamHealth, ev.Limit, ev.Recording)
			}
			if note := ev.Note(); !strings.Contains(note, tc.field) || len(note) > 1024 {
				t.Errorf("note %q: want the field named, in a bounded note", ev.Note())
			}
		})
	}
}

// TestParseReplayName: an event EventBridge replays says which replay delivered it.
func TestParseReplayName(t *testing.T) {
	in := envelope(ivsevent.DetailTypeStreamStateChange, channelResources, `{"event_name":"Stream Start","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn"}`)
	if ev := mustParse(t, "fresh", []byte(in)); ev.ReplayName != "" {
		t.Errorf("ReplayName %q, want none", ev.ReplayName)
	}
	replayed := strings.Replace(in, `{"version"`, `{"replay-name":"rebuild.2026-11_a","version"`, 1)
	if ev := mustParse(t, "replayed", []byte(replayed)); ev.ReplayName != "rebuild.2026-11_a" || len(ev.OutOfBounds) != 0 {
		t.Errorf("ReplayName %q (out of bounds %v), want rebuild.2026-11_a", ev.ReplayName, ev.OutOfBounds)
	}
}

// TestInvalidSampleMessages pins the whole message of some invalid samples: what an operator
// reads in the logs.
func TestInvalidSampleMessages(t *testing.T) {
	samples := readSamples(t, invalidDir)
	for name, want := range map[string]string{
		"stream-id-wrong-length.json":      `detail.stream_id: want an IVS stream ID (st- and 23 letters or digits), got "st-1A2b3c4D5e6F78ghij9Klm"`,
		"channel-arn-without-channel.json": `resources[0]: want an IVS channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>), got "arn:aws:ivs:us-west-2:123456a7-ab1c-2d34-e5f6-1a2b3c4d5678"`,
		"unknown-detail-type.json":         `detail-type: want one of "IVS Stream State Change", "IVS Stream Health Change", "IVS Limit Breach", "IVS Recording State Change", got "IVS Stage Update"`,
		"wrong-source.json":                `source: want "aws.ivs", got "aws.medialive"`,
		"missing-time.json":                `time: want an RFC 3339 timestamp, got ""`,
		"resources-empty.json":             `resources: want the channel ARN of a channel-scoped event, got "[]"`,
		"limit-value-string.json":          `detail.limit_value: want a JSON number, got "a JSON string"`,
	} {
		data, ok := samples[name]
		if !ok {
			t.Errorf("%s/%s is missing", invalidDir, name)
			continue
		}
		_, err := ivsevent.Parse(data)
		if err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", name, err, want)
		}
	}
}

func TestEventAccessorsOnEmptyEvent(t *testing.T) {
	var ev ivsevent.Event
	if ev.Name() != "" || ev.StreamID() != "" || ev.ChannelName() != "" || ev.Code() != "" || !ev.AccountLevel() {
		t.Errorf("empty Event: Name %q, StreamID %q, ChannelName %q, Code %q, AccountLevel %v",
			ev.Name(), ev.StreamID(), ev.ChannelName(), ev.Code(), ev.AccountLevel())
	}
}
