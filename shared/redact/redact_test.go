package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
)

const (
	passphrase = "pp-very-secret-passphrase-123"
	key        = "sk_us-west-2_abcdABCDefgh_567890abcdef"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(passphrase)
	type holder struct {
		Name   string `json:"name"`
		Secret Secret `json:"secret"`
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, holder{"n", s}), fmt.Sprintf(verb, &holder{"n", s}))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s), s.String())
	b, err := json.Marshal(holder{"n", s})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"n","secret":"REDACTED"}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	outs = append(outs, string(b))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		log := slog.New(h)
		log.Info("msg", "secret", s, "holder", holder{"n", s}, slog.Group("g", "s", s))
		log.Info("msg", "any", any(s))
	}
	outs = append(outs, buf.String())
	for _, out := range outs {
		if strings.Contains(out, passphrase) {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if !strings.Contains(buf.String(), Redacted) {
		t.Errorf("log output %q does not say REDACTED", buf.String())
	}
	if s.Reveal() != passphrase {
		t.Errorf("Reveal() = %q, want the value", s.Reveal())
	}
}

func TestScrub(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"a key":             {key, Redacted},
		"in an rtmps url":   {"rtmps://a1b2.global-contribute.live-video.net:443/app/" + key, "rtmps://a1b2.global-contribute.live-video.net:443/app/" + Redacted},
		"two keys":          {key + " " + "sk_eu-central-1_XyZ123abcDEF_q1w2e3r4t5y6u7i8o9p0", Redacted + " " + Redacted},
		"ap-northeast-2":    {"sk_ap-northeast-2_AbC_def", Redacted},
		"not a key: prefix": {"sk_", "sk_"},
		"not a key: words":  {"sk_team_video", "sk_team_video"},
		"plain value":       {"video-team", "video-team"},
		"empty":             {"", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Scrub(tc.in); got != tc.want {
				t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := ContainsStreamKey(tc.in); got != (tc.in != tc.want) {
				t.Errorf("ContainsStreamKey(%q) = %v", tc.in, got)
			}
		})
	}
}

func TestChannel(t *testing.T) {
	ch := &types.Channel{
		Arn:  aws.String("arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh"),
		Srt:  &types.Srt{Endpoint: aws.String("a1b2.srt.live-video.net"), Passphrase: aws.String(passphrase)},
		Tags: map[string]string{"key": key, "team": "video"},
	}
	got := Channel(ch)
	if *got.Srt.Passphrase != Redacted || *got.Srt.Endpoint != "a1b2.srt.live-video.net" {
		t.Errorf("srt = %+v, want the passphrase REDACTED and the endpoint kept", *got.Srt)
	}
	if want := map[string]string{"key": Redacted, "team": "video"}; !reflect.DeepEqual(got.Tags, want) {
		t.Errorf("tags = %v, want %v", got.Tags, want)
	}
	if *ch.Srt.Passphrase != passphrase || ch.Tags["key"] != key {
		t.Error("Channel modified its input")
	}
	b, _ := json.Marshal(got)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("got channel", "channel", got)
	for _, out := range []string{string(b), buf.String()} {
		if strings.Contains(out, passphrase) || strings.Contains(out, key) {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if Channel(nil) != nil || StreamSession(nil) != nil || Tags(nil) != nil || Channels(nil) != nil {
		t.Error("nil input did not give nil")
	}
	noSrt := Channel(&types.Channel{Srt: &types.Srt{Endpoint: aws.String("e")}})
	if noSrt.Srt.Passphrase != nil {
		t.Errorf("a missing passphrase became %q", *noSrt.Srt.Passphrase)
	}
}

func TestStreamSessionAndChannels(t *testing.T) {
	ch := types.Channel{Srt: &types.Srt{Passphrase: aws.String(passphrase)}, Tags: map[string]string{"k": key}}
	ss := &types.StreamSession{
		StreamId:               aws.String("st-1AuTyMDASvHUTSb8p5PvbsO"),
		Channel:                &ch,
		RecordingConfiguration: &types.RecordingConfiguration{Tags: map[string]string{"url": "rtmps://x/app/" + key}},
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("session", "ss", StreamSession(ss))
	log.Info("channels", "channels", Channels([]types.Channel{ch, ch}))
	if out := buf.String(); strings.Contains(out, passphrase) || strings.Contains(out, key) || !strings.Contains(out, "st-1AuTyMDASvHUTSb8p5PvbsO") {
		t.Errorf("log = %s: want the stream ID and no secret", out)
	}
	if *ss.Channel.Srt.Passphrase != passphrase || ss.RecordingConfiguration.Tags["url"] != "rtmps://x/app/"+key {
		t.Error("StreamSession modified its input")
	}
}

// TestStrings: every string of a nested value is scrubbed, in a copy; the input is untouched.
func TestStrings(t *testing.T) {
	key := "sk_us-west-2_abcdABCDefgh_567890abcdef"
	type inner struct {
		Name string
		Tags map[string]string
		n    string
	}
	type outer struct {
		Name   string
		Ptr    *inner
		List   []inner
		Any    any
		Number int
	}
	in := outer{Name: key, Ptr: &inner{Name: "a " + key, n: key}, List: []inner{{Tags: map[string]string{key: "1", "sk_eu-west-1_x_y": "2", "k": key}}},
		Any: key, Number: 7}
	out := Strings(in)
	if in.Name != key || in.Ptr.Name != "a "+key || in.List[0].Tags["k"] != key {
		t.Fatal("Strings modified its input")
	}
	if out.Name != Redacted || out.Ptr.Name != "a "+Redacted || out.Any != Redacted || out.Number != 7 || out.Ptr.n != key {
		t.Errorf("Strings = %+v (ptr %+v)", out, out.Ptr)
	}
	if got := out.List[0].Tags; len(got) != 2 || got[Redacted] != "2" || got["k"] != Redacted {
		t.Errorf("tags = %v, want the greater value kept on a collision and values scrubbed", got)
	}
	if out.Ptr == in.Ptr || &out.List[0] == &in.List[0] {
		t.Error("Strings shares memory with its input")
	}
}

// TestTagsCollisionDeterministic: two tag keys that scrub to one key keep the greater value.
func TestTagsCollisionDeterministic(t *testing.T) {
	for range 20 {
		got := Tags(map[string]string{"sk_us-west-2_a_b": "x", "sk_us-west-2_c_d": "y"})
		if len(got) != 1 || got[Redacted] != "y" {
			t.Fatalf("Tags = %v, want {REDACTED: y}", got)
		}
	}
}
