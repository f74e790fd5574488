package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

func TestGolden(t *testing.T) {
	cfg := multitrack.Config{Mode: multitrack.ModeApply, AllowContainerFormatChange: true, OptOutTag: "ivs-sessions:opt-out"}
	tests := map[string]struct {
		ss     *types.StreamSession
		ev     func(t *testing.T) *ivsevent.Event
		decide bool
		check  func(t *testing.T, r Record)
	}{
		"single-track": {
			ss: singleTrackSession(),
			ev: func(t *testing.T) *ivsevent.Event {
				return stateEvent(t, at(time.Hour+2*time.Minute+3*time.Second), ivsevent.EventStreamEnd, "")
			},
			check: func(t *testing.T, r Record) {
				want := Record{Outcome: OutcomeEnded, VideoTrackCount: 1, AudioTrackCount: 1, TopResolution: "1920x1080", TopHeight: 1080, TopFrameRate: 60,
					VideoTargetBitrate: 6000000, TotalTargetBitrate: 6160000, DurationSeconds: 3723.456}
				checkDerived(t, r, want)
			},
		},
		"multitrack": {
			ss: multitrackSession(),
			check: func(t *testing.T, r Record) {
				want := Record{Outcome: OutcomeEnded, Multitrack: true, VideoTrackCount: 5, AudioTrackCount: 2, TopResolution: "1920x1080", TopHeight: 1080, TopFrameRate: 60,
					VideoTargetBitrate: 10200000, TotalTargetBitrate: 10520000, DurationSeconds: 8100}
				checkDerived(t, r, want)
			},
		},
		"refused": {
			ss: refusedSession(),
			ev: func(t *testing.T) *ivsevent.Event {
				return stateEvent(t, at(time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed)
			},
			decide: true,
			check: func(t *testing.T, r Record) {
				checkDerived(t, r, Record{Outcome: OutcomeRefused, Code: ivsevent.CodeMultitrackInputNotAllowed, DurationSeconds: 1.5})
				if r.Correction == nil || r.Correction.Decision.Action != multitrack.ActionApply {
					t.Errorf("correction = %+v, want an apply decision", r.Correction)
				}
				if len(r.Events) != 2 {
					t.Errorf("%d events, want 2: the event and its copy in truncatedEvents are one", len(r.Events))
				}
			},
		},
		"refused-ad-channel": {
			ss: refusedAdSession(),
			ev: func(t *testing.T) *ivsevent.Event {
				return stateEvent(t, at(time.Second), ivsevent.EventSessionEnded, ivsevent.CodeMultitrackInputNotAllowed)
			},
			decide: true,
			check: func(t *testing.T, r Record) {
				if r.Channel == nil || r.Channel.AdConfigurationARN != testAdARN {
					t.Errorf("channel = %+v, want adConfigurationArn %s", r.Channel, testAdARN)
				}
				if c := r.Correction; c == nil || c.Decision.Action != multitrack.ActionManual || c.Decision.Conflict != multitrack.ConflictAdInsertion {
					t.Errorf("correction = %+v, want manual for ad insertion", r.Correction)
				}
			},
		},
		"truncated-events": {
			ss: truncatedSession(),
			check: func(t *testing.T, r Record) {
				if len(r.Events) != MaxTruncatedEvents || !r.EventsTruncated {
					t.Errorf("%d events, truncated %v; want %d, true", len(r.Events), r.EventsTruncated, MaxTruncatedEvents)
				}
				if !sortedEvents(r.Events) {
					t.Error("events are not oldest first")
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var ev *ivsevent.Event
			if tc.ev != nil {
				ev = tc.ev(t)
			}
			r, err := FromStreamSession(tc.ss, ev)
			if err != nil {
				t.Fatalf("FromStreamSession: %v", err)
			}
			if tc.decide {
				d := multitrack.Decide(multitrack.Input{Code: r.Code, TopVideoHeight: r.TopVideoHeight(), Channel: *tc.ss.Channel}, cfg)
				r.Correction = &Correction{Decision: d, Outcome: CorrectionDecided, At: at(5 * time.Second)}
			}
			r.UpdatedAt = at(3 * time.Hour)
			if err := r.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			tc.check(t, r)
			golden.CheckJSON(t, filepath.Join("testdata", name+".golden.json"), r)
			checkRoundTrip(t, r)
		})
	}
}

func checkDerived(t *testing.T, r Record, want Record) {
	t.Helper()
	got := Record{Outcome: r.Outcome, Code: r.Code, Multitrack: r.Multitrack, VideoTrackCount: r.VideoTrackCount, AudioTrackCount: r.AudioTrackCount,
		TopResolution: r.TopResolution, TopHeight: r.TopHeight, TopFrameRate: r.TopFrameRate, VideoTargetBitrate: r.VideoTargetBitrate,
		TotalTargetBitrate: r.TotalTargetBitrate, DurationSeconds: r.DurationSeconds}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("derived fields:\n got %+v\nwant %+v", got, want)
	}
}

func checkRoundTrip(t *testing.T, r Record) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("JSON round trip changed the record:\n got %+v\nwant %+v", back, r)
	}
}

func sortedEvents(events []Event) bool {
	for i := 1; i < len(events); i++ {
		if events[i].Time.Before(events[i-1].Time) {
			return false
		}
	}
	return true
}

// TestNoSecrets builds a record from a session whose channel has an SRT passphrase and tags
// holding stream keys, and checks that neither reaches its JSON or a slog JSON log line.
func TestNoSecrets(t *testing.T) {
	r, err := FromStreamSession(singleTrackSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("archived", "record", r)
	log.Info("archived", "record", &r, "channel", r.Channel)
	for name, out := range map[string]string{"json": string(b), "log": logs.String()} {
		for _, secret := range []string{passphrase, streamKey} {
			if strings.Contains(out, secret) {
				t.Errorf("%s holds the secret %q:\n%s", name, secret, out)
			}
		}
	}
	if !strings.Contains(logs.String(), testStreamID) || !strings.Contains(string(b), `"team":"video"`) {
		t.Errorf("the record lost what is not secret: %s / %s", b, logs.String())
	}
	if got := r.Channel.Tags["backup-key"]; got != "REDACTED" {
		t.Errorf("tag holding a stream key = %q, want REDACTED", got)
	}
}

func TestFromStreamSessionErrors(t *testing.T) {
	edit := func(f func(ss *types.StreamSession)) *types.StreamSession {
		ss := singleTrackSession()
		f(ss)
		return ss
	}
	tests := map[string]struct {
		ss        *types.StreamSession
		ev        func(t *testing.T) *ivsevent.Event
		wantField string
	}{
		"nil session":   {ss: nil, wantField: "streamSession"},
		"no stream ID":  {ss: edit(func(ss *types.StreamSession) { ss.StreamId = nil }), wantField: "streamSession.streamId"},
		"bad stream ID": {ss: edit(func(ss *types.StreamSession) { ss.StreamId = aws.String("mystream1") }), wantField: "streamSession.streamId"},
		"no channel":    {ss: edit(func(ss *types.StreamSession) { ss.Channel = nil }), wantField: "streamSession.channel"},
		"bad channel ARN": {ss: edit(func(ss *types.StreamSession) {
			ss.Channel.Arn = aws.String("arn:aws:ivs:us-west-2:123456789012:stage/x")
		}), wantField: "streamSession.channel.arn"},
		"no start time":    {ss: edit(func(ss *types.StreamSession) { ss.StartTime = nil }), wantField: "streamSession.startTime"},
		"end before start": {ss: edit(func(ss *types.StreamSession) { ss.EndTime = aws.Time(t0.Add(-time.Second)) }), wantField: "streamSession.endTime"},
		"event of another channel": {
			ss: singleTrackSession(),
			ev: func(t *testing.T) *ivsevent.Event {
				ev := stateEvent(t, t0, ivsevent.EventSessionCreated, "")
				ev.Channel.ID = "otherChannel"
				return ev
			},
			wantField: "resources[0]",
		},
		"event of another stream": {
			ss: singleTrackSession(),
			ev: func(t *testing.T) *ivsevent.Event {
				ev := stateEvent(t, t0, ivsevent.EventSessionCreated, "")
				ev.StreamState.StreamID = "st-0000000000000000000000A"
				return ev
			},
			wantField: "detail.stream_id",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var ev *ivsevent.Event
			if tc.ev != nil {
				ev = tc.ev(t)
			}
			_, err := FromStreamSession(tc.ss, ev)
			var fe *invalid.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *invalid.FieldError", err)
			}
			if fe.Field != tc.wantField {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tc.wantField, err)
			}
		})
	}
}

func TestFromStreamSessionTracks(t *testing.T) {
	tests := map[string]struct {
		edit      func(ss *types.StreamSession)
		wantVideo []VideoTrack
		wantAudio []AudioTrack
	}{
		"deprecated ingestConfiguration, avc profile and level": {
			edit: func(ss *types.StreamSession) {
				ss.IngestConfigurations = nil
				ss.IngestConfiguration = &types.IngestConfiguration{
					Video: &types.VideoConfiguration{AvcProfile: aws.String("Baseline"), AvcLevel: aws.String("4.2"), Codec: aws.String("avc1.42C02A"), VideoWidth: 1920, VideoHeight: 1080, TargetFramerate: 60, TargetBitrate: 8789062},
					Audio: &types.AudioConfiguration{Codec: aws.String("mp4a.40.2"), Channels: 2, SampleRate: 8000, TargetBitrate: 46875},
				}
			},
			wantVideo: []VideoTrack{{Track: "Track0", Codec: "avc1.42C02A", Profile: "Baseline", Level: "4.2", Width: 1920, Height: 1080, FrameRate: 60, TargetBitrate: 8789062}},
			wantAudio: []AudioTrack{{Track: "Track0", Codec: "mp4a.40.2", Channels: 2, SampleRate: 8000, TargetBitrate: 46875}},
		},
		"no ingest data": {
			edit: func(ss *types.StreamSession) { ss.IngestConfigurations = nil },
		},
		"tracks in natural order, unnamed ones by position": {
			edit: func(ss *types.StreamSession) {
				ss.IngestConfigurations = &types.IngestConfigurations{VideoConfigurations: []types.VideoConfiguration{
					{Track: aws.String("Track10"), VideoHeight: 160}, {Track: aws.String("Track1"), VideoHeight: 360}, {VideoHeight: 1080},
				}}
			},
			wantVideo: []VideoTrack{{Track: "Track1", Height: 360}, {Track: "Track2", Height: 1080}, {Track: "Track10", Height: 160}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ss := singleTrackSession()
			tc.edit(ss)
			r, err := FromStreamSession(ss, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Video, tc.wantVideo) {
				t.Errorf("video = %+v, want %+v", r.Video, tc.wantVideo)
			}
			if !reflect.DeepEqual(r.Audio, tc.wantAudio) {
				t.Errorf("audio = %+v, want %+v", r.Audio, tc.wantAudio)
			}
		})
	}
}
