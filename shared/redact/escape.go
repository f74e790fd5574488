package redact

import (
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character a terminal, a log viewer or an editor would act on
// written as its Go escape, so that text from outside prints as data: control characters (C0,
// DEL and C1: "\x1b" starts a terminal escape sequence, "\n" splits a line), the Unicode line
// and paragraph separators, the bidirectional formatting characters (which reorder what
// follows them on screen) and bytes that are not UTF-8 ("\xff"). Everything else, non-ASCII
// letters included, is kept. A string that needs no escape is returned as it is.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case escaped(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Cut returns s cut to at most n bytes on a UTF-8 boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// needsEscape reports whether Escape would change s.
func needsEscape(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.IndexFunc(s, escaped) >= 0
}

// escaped reports whether Escape writes r as an escape.
func escaped(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// Terminal returns a writer that writes what it is given to w line by line, each line printed
// as data (Escape): the line breaks written are kept, a terminal escape sequence or another
// control character in a line is written as its escape. Commands that print what an event, a
// function or the archive says wrap their output in it. A line is escaped as one Write hands it
// over: write whole lines (fmt.Fprintf, fmt.Fprintln do).
func Terminal(w io.Writer) io.Writer { return terminal{w} }

type terminal struct{ w io.Writer }

// Write escapes each line of p and writes it to the underlying writer. It reports len(p) when
// everything was written.
func (t terminal) Write(p []byte) (int, error) {
	var b strings.Builder
	for line := range strings.SplitAfterSeq(string(p), "\n") {
		body, nl := strings.CutSuffix(line, "\n")
		b.WriteString(Escape(body))
		if nl {
			b.WriteByte('\n')
		}
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
