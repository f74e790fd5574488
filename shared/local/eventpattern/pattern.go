package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// PatternError reports which part of a pattern is invalid, what was expected there and what was
// found. Path is a JSON path such as "detail.code[0]"; it is empty for the pattern as a whole.
type PatternError struct {
	Path string // JSON path, e.g. "detail.limit_value[0].numeric"
	Want string // what EventBridge accepts there
	Got  string // what the pattern holds, as JSON
}

// Error returns "event pattern <path>: want <want>, got <got>".
func (e *PatternError) Error() string {
	path := e.Path
	if path == "" {
		path = "(root)"
	}
	return fmt.Sprintf("event pattern %s: want %s, got %s", path, e.Want, e.Got)
}

// EventError reports an event that is not a JSON object.
type EventError struct {
	Err error // the JSON syntax error, or nil when the JSON is valid but not an object
}

// Error describes why the event cannot be matched.
func (e *EventError) Error() string {
	if e.Err != nil {
		return "event: want a JSON object: " + e.Err.Error()
	}
	return "event: want a JSON object"
}

// Unwrap returns the JSON error, if any.
func (e *EventError) Unwrap() error { return e.Err }

// Pattern is a compiled event pattern. The zero value is not usable; build one with Compile.
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	root *node
	src  string
}

// node is an object in a pattern: every field must match, and each $or group must have one
// matching alternative.
type node struct {
	fields []field
	ors    [][]*node
}

// field is one key of a pattern object: either a nested object or a list of alternatives.
type field struct {
	key    string
	child  *node
	leaves []matcher
}

// Compile parses and validates an EventBridge event pattern. It returns a *PatternError naming
// the offending path when the pattern is not one EventBridge would accept (within the filters
// this package implements).
func Compile(pattern []byte) (*Pattern, error) {
	v, err := decode(pattern)
	if err != nil {
		return nil, &PatternError{Want: "a JSON object", Got: abbreviate(string(pattern)) + " (" + err.Error() + ")"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &PatternError{Want: "a JSON object", Got: jsonText(v)}
	}
	root, err := compileObject("", obj)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root, src: string(bytes.TrimSpace(pattern))}, nil
}

// MustCompile is Compile for patterns known to be valid, such as package-level constants. It
// panics if the pattern does not compile.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic("eventpattern: " + err.Error())
	}
	return p
}

// Match reports whether event matches pattern. It compiles the pattern on every call: compile
// once with Compile when matching many events.
func Match(pattern, event []byte) (bool, error) {
	p, err := Compile(pattern)
	if err != nil {
		return false, err
	}
	return p.Match(event)
}

// String returns the pattern's JSON as it was given to Compile.
func (p *Pattern) String() string { return p.src }

// Match reports whether the JSON event matches the pattern. It returns an *EventError when the
// event is not a JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decode(event)
	if err != nil {
		return false, &EventError{Err: err}
	}
	if _, ok := v.(map[string]any); !ok {
		return false, &EventError{}
	}
	return p.root.match(v, true), nil
}

// MatchValue reports whether an event already decoded by encoding/json (objects as
// map[string]any, numbers as float64 or json.Number) matches the pattern.
func (p *Pattern) MatchValue(event map[string]any) bool {
	return p.root.match(event, true)
}

// decode parses one JSON value, keeping numbers exact, and rejects trailing data.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func compileObject(path string, obj map[string]any) (*node, error) {
	if len(obj) == 0 {
		return nil, &PatternError{Path: path, Want: "a non-empty object", Got: "{}"}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := &node{}
	for _, k := range keys {
		v := obj[k]
		p := join(path, k)
		if k == "$or" {
			alts, err := compileOr(p, v)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, alts)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			child, err := compileObject(p, v)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: k, child: child})
		case []any:
			leaves, err := compileLeaves(p, v)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: k, leaves: leaves})
		default:
			return nil, &PatternError{Path: p, Want: "an array of values or a nested object", Got: jsonText(v)}
		}
	}
	return n, nil
}

func compileOr(path string, v any) ([]*node, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, &PatternError{Path: path, Want: "a non-empty array of pattern objects", Got: jsonText(v)}
	}
	alts := make([]*node, 0, len(list))
	for i, e := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, &PatternError{Path: p, Want: "a pattern object", Got: jsonText(e)}
		}
		alt, err := compileObject(p, obj)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
	}
	return alts, nil
}

func compileLeaves(path string, list []any) ([]matcher, error) {
	if len(list) == 0 {
		return nil, &PatternError{Path: path, Want: "a non-empty array of values", Got: "[]"}
	}
	ms := make([]matcher, 0, len(list))
	for i, e := range list {
		m, err := compileLeaf(fmt.Sprintf("%s[%d]", path, i), e)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// match reports whether the event value v (present or absent) satisfies the pattern object n.
func (n *node) match(v any, present bool) bool {
	if arr, ok := v.([]any); ok && present {
		if len(arr) == 0 {
			return n.match(nil, false)
		}
		for _, e := range arr {
			if n.match(e, true) {
				return true
			}
		}
		return false
	}
	obj, _ := v.(map[string]any)
	for _, f := range n.fields {
		ev, ok := obj[f.key]
		if f.child != nil {
			if !f.child.match(ev, ok) {
				return false
			}
			continue
		}
		if !matchLeaves(f.leaves, ev, ok) {
			return false
		}
	}
	for _, alts := range n.ors {
		matched := false
		for _, alt := range alts {
			if alt.match(v, present) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// matchLeaves reports whether any of the alternatives matches the event field.
func matchLeaves(ms []matcher, v any, present bool) bool {
	var values []any
	if present {
		values = leafValues(v, values)
	}
	for _, m := range ms {
		if e, ok := m.(existsMatcher); ok {
			if bool(e) == (len(values) > 0) {
				return true
			}
			continue
		}
		for _, ev := range values {
			if m.match(ev) {
				return true
			}
		}
	}
	return false
}

// leafValues appends the leaf values of v: v itself, or the elements of an array (recursively);
// objects are not leaves.
func leafValues(v any, out []any) []any {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			out = leafValues(e, out)
		}
	case map[string]any:
	default:
		out = append(out, v)
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonText renders a decoded pattern value for an error message.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return abbreviate(string(b))
}

func abbreviate(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "..."
	}
	if strings.TrimSpace(s) == "" {
		return `""`
	}
	return s
}
