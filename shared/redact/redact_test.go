package redact

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	passphrase = "pp-very-secret-passphrase-123"
	key        = "sk_us-west-2_abcdABCDefgh_567890abcdef"
)

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
		})
	}
}

func TestTags(t *testing.T) {
	tags := map[string]string{"key": key, "team": "video", "url " + key: "x"}
	want := map[string]string{"key": Redacted, "team": "video", "url " + Redacted: "x"}
	if got := Tags(tags); !reflect.DeepEqual(got, want) {
		t.Errorf("Tags = %v, want %v", got, want)
	}
	if tags["key"] != key {
		t.Error("Tags modified its input")
	}
	if Tags(nil) != nil {
		t.Error("Tags(nil) is not nil")
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("x", 190) + key + " " + strings.Repeat("y", 50) // the key straddles the limit
	tests := map[string]struct {
		in   string
		want string
	}{
		"short":            {`{"a":1}`, `{"a":1}`},
		"key scrubbed":     {"rtmps://x/app/" + key, "rtmps://x/app/REDACTED"},
		"cut after scrub":  {long, strings.Repeat("x", 190) + "REDACTED y..."},
		"exactly at limit": {strings.Repeat("z", 200), strings.Repeat("z", 200)},
		"cut on a rune":    {strings.Repeat("z", 199) + "é" + "z", strings.Repeat("z", 199) + "..."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Quote(tc.in); got != tc.want {
				t.Errorf("Quote = %q, want %q", got, tc.want)
			}
			if got := Quote([]byte(tc.in)); got != tc.want {
				t.Errorf("Quote([]byte) = %q, want %q", got, tc.want)
			}
		})
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

// TestEscape: what a terminal or a log viewer acts on prints as an escape; the rest is kept.
func TestEscape(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain":               {"studio-a", "studio-a"},
		"non-ASCII letters":   {"Studio é 東京", "Studio é 東京"},
		"terminal escape":     {"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		"window title (OSC)":  {"\x1b]0;pwned\x07", `\x1b]0;pwned\a`},
		"line break and tab":  {"a\nb\tc\r", `a\nb\tc\r`},
		"DEL and C1":          {"a\x7fb\u0085c\u009bd", `a\x7fb\u0085c\u009bd`},
		"line separator":      {"a\u2028b\u2029c", `a\u2028b\u2029c`},
		"bidi override":       {"abc\u202edef\u2066", `abc\u202edef\u2066`},
		"not UTF-8":           {"a\xffb\xc3", `a\xffb\xc3`},
		"backslash kept":      {`C:\dir`, `C:\dir`},
		"emoji with a joiner": {"👩\u200d💻", "👩\u200d💻"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Escape(tc.in)
			if got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if needsEscape(got) {
				t.Errorf("Escape(%q) = %q still needs an escape", tc.in, got)
			}
		})
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abc", 2, "ab"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"é", 0, ""}} {
		if got := Cut(tc.in, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestTerminal: lines keep their breaks; what is in them prints as data.
func TestTerminal(t *testing.T) {
	var b strings.Builder
	w := Terminal(&b)
	n, err := fmt.Fprintf(w, "name: %s\nnext\n", "studio\x1b]0;x\x07\r")
	if err != nil || n != len("name: studio\x1b]0;x\x07\r\nnext\n") {
		t.Fatalf("Fprintf = %d, %v", n, err)
	}
	if got, want := b.String(), "name: studio\\x1b]0;x\\a\\r\nnext\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
