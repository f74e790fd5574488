package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// PatternError reports which part of a pattern is invalid, what was expected there and what was
// found. Path is a JSON path such as "detail.code[0]"; it is empty for the pattern as a whole.
type PatternError struct {
	Path string // JSON path, e.g. "detail.code[0]"
	Want string // what is accepted there
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

// node is an object in a pattern: every field must match.
type node struct {
	fields []field
}

// field is one key of a pattern object: a nested object, or the exact strings it may hold, or
// whether it exists.
type field struct {
	key    string
	child  *node
	values []string
	exists *bool // an exists filter: {"exists": true} or {"exists": false}
}

// Compile parses and validates an event pattern. It returns a *PatternError naming the
// offending path when the pattern is not a JSON object of nested objects and non-empty lists of
// strings (see the package doc).
func Compile(pattern []byte) (*Pattern, error) {
	v, err := decode(pattern)
	if err != nil {
		return nil, &PatternError{Want: "a JSON object", Got: redact.Quote(pattern) + " (" + err.Error() + ")"}
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
	obj, ok := v.(map[string]any)
	if !ok {
		return false, &EventError{}
	}
	return p.root.match(obj), nil
}

// MatchValue reports whether an event already decoded by encoding/json (objects as
// map[string]any) matches the pattern.
func (p *Pattern) MatchValue(event map[string]any) bool {
	return p.root.match(event)
}

// decode parses one JSON value and rejects trailing data. Numbers stay json.Number, which no
// pattern string matches.
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

// wantValue is what a pattern's value list may hold.
const wantValue = `an exact string, or {"exists": true|false} alone (the filters the suite's patterns use)`

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
		p := join(path, k)
		switch v := obj[k].(type) {
		case map[string]any:
			child, err := compileObject(p, v)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: k, child: child})
		case []any:
			if len(v) == 0 {
				return nil, &PatternError{Path: p, Want: "a non-empty array of values", Got: "[]"}
			}
			f := field{key: k}
			if exists, ok := existsFilter(v); ok {
				f.exists = &exists
				n.fields = append(n.fields, f)
				continue
			}
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, &PatternError{Path: fmt.Sprintf("%s[%d]", p, i), Want: wantValue, Got: jsonText(e)}
				}
				f.values = append(f.values, s)
			}
			n.fields = append(n.fields, f)
		default:
			return nil, &PatternError{Path: p, Want: "an array of values or a nested object", Got: jsonText(v)}
		}
	}
	return n, nil
}

// match reports whether the event value v satisfies the pattern object n: v is an object
// holding every field of n, or an array with an element that does.
func (n *node) match(v any) bool {
	switch v := v.(type) {
	case []any:
		return slices.ContainsFunc(v, n.match)
	case map[string]any:
		for _, f := range n.fields {
			ev, ok := v[f.key]
			if f.exists != nil {
				if ok != *f.exists {
					return false
				}
				continue
			}
			if !ok {
				// An absent object matches a pattern object that asks only for absent fields
				// (EventBridge matches on the flattened leaf paths).
				if f.child != nil && f.child.absent() {
					continue
				}
				return false
			}
			if f.child != nil {
				if !f.child.match(ev) {
					return false
				}
			} else if !matchValues(f.values, ev) {
				return false
			}
		}
		return true
	}
	return false
}

// absent reports whether n matches where its object is missing: every field of n asks for an
// absent field ({"exists": false}), directly or in an object of its own.
func (n *node) absent() bool {
	for _, f := range n.fields {
		switch {
		case f.exists != nil && !*f.exists:
		case f.child != nil && f.child.absent():
		default:
			return false
		}
	}
	return true
}

// existsFilter reads a value list that is exactly one {"exists": <bool>} filter. EventBridge's
// exists filter stands alone in its list and applies to leaf fields.
func existsFilter(v []any) (exists, ok bool) {
	if len(v) != 1 {
		return false, false
	}
	m, isObject := v[0].(map[string]any)
	if !isObject || len(m) != 1 {
		return false, false
	}
	exists, ok = m["exists"].(bool)
	return exists, ok
}

// matchValues reports whether the event value v is one of values, or an array holding one.
func matchValues(values []string, v any) bool {
	switch v := v.(type) {
	case string:
		return slices.Contains(values, v)
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { return matchValues(values, e) })
	}
	return false
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
	return redact.Quote(b)
}
