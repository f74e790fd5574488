package eventpattern

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// matcher is one alternative in a pattern's value list, applied to one leaf value of the event.
type matcher interface {
	match(v any) bool
}

type (
	exactString      string
	exactNumber      float64
	exactBool        bool
	exactNull        struct{}
	equalsIgnoreCase string
	existsMatcher    bool
	prefixMatcher    struct {
		s    string
		fold bool
	}
	suffixMatcher struct {
		s    string
		fold bool
	}
	wildcardMatcher struct{ parts []string } // literal runs between '*'
	cidrMatcher     struct{ prefix netip.Prefix }
	numericMatcher  struct{ conds []numericCond }
	numericCond     struct {
		op  string
		val float64
	}
	// anythingBut matches a value that none of its alternatives match; with strings set, only
	// strings can match (anything-but prefix, suffix, equals-ignore-case and wildcard).
	anythingBut struct {
		not     []matcher
		strings bool
	}
)

func (m exactString) match(v any) bool {
	s, ok := v.(string)
	return ok && s == string(m)
}

func (m exactNumber) match(v any) bool {
	f, ok := number(v)
	return ok && f == float64(m)
}

func (m exactBool) match(v any) bool {
	b, ok := v.(bool)
	return ok && b == bool(m)
}

func (exactNull) match(v any) bool { return v == nil }

func (m equalsIgnoreCase) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, string(m))
}

// existsMatcher is decided on the presence of leaf values (see matchLeaves), not per value.
func (m existsMatcher) match(any) bool { return bool(m) }

func (m prefixMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if m.fold {
		return strings.HasPrefix(strings.ToLower(s), strings.ToLower(m.s))
	}
	return strings.HasPrefix(s, m.s)
}

func (m suffixMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if m.fold {
		return strings.HasSuffix(strings.ToLower(s), strings.ToLower(m.s))
	}
	return strings.HasSuffix(s, m.s)
}

func (m wildcardMatcher) match(v any) bool {
	s, ok := v.(string)
	return ok && globMatch(m.parts, s)
}

// globMatch matches s against literal parts separated by '*': the first part is a prefix, the
// last a suffix, and the ones between appear in order.
func globMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}

func (m cidrMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && m.prefix.Contains(addr)
}

func (m numericMatcher) match(v any) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	for _, c := range m.conds {
		var hold bool
		switch c.op {
		case "=":
			hold = f == c.val
		case "<":
			hold = f < c.val
		case "<=":
			hold = f <= c.val
		case ">":
			hold = f > c.val
		case ">=":
			hold = f >= c.val
		}
		if !hold {
			return false
		}
	}
	return true
}

func (m anythingBut) match(v any) bool {
	if m.strings {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	for _, n := range m.not {
		if n.match(v) {
			return false
		}
	}
	return true
}

// number returns the value of a JSON number decoded as json.Number or float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

// compileLeaf compiles one element of a pattern's value list.
func compileLeaf(path string, v any) (matcher, error) {
	switch v := v.(type) {
	case string:
		return exactString(v), nil
	case json.Number:
		f, err := patternNumber(path, v)
		if err != nil {
			return nil, err
		}
		return exactNumber(f), nil
	case bool:
		return exactBool(v), nil
	case nil:
		return exactNull{}, nil
	case map[string]any:
		return compileOperator(path, v)
	}
	return nil, &PatternError{Path: path, Want: "a string, number, boolean, null or a filter object", Got: jsonText(v)}
}

func compileOperator(path string, obj map[string]any) (matcher, error) {
	if len(obj) != 1 {
		return nil, &PatternError{Path: path, Want: "a filter object with exactly one key (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr)", Got: jsonText(obj)}
	}
	for op, arg := range obj {
		p := path + "." + op
		switch op {
		case "prefix", "suffix":
			s, fold, err := affixArg(p, arg)
			if err != nil {
				return nil, err
			}
			if op == "prefix" {
				return prefixMatcher{s: s, fold: fold}, nil
			}
			return suffixMatcher{s: s, fold: fold}, nil
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, &PatternError{Path: p, Want: "a string", Got: jsonText(arg)}
			}
			return equalsIgnoreCase(s), nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, &PatternError{Path: p, Want: "true or false", Got: jsonText(arg)}
			}
			return existsMatcher(b), nil
		case "wildcard":
			return compileWildcard(p, arg)
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, &PatternError{Path: p, Want: "a CIDR block such as 10.0.0.0/24", Got: jsonText(arg)}
			}
			prefix, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, &PatternError{Path: p, Want: "a CIDR block such as 10.0.0.0/24", Got: jsonText(arg)}
			}
			return cidrMatcher{prefix: prefix.Masked()}, nil
		case "numeric":
			return compileNumeric(p, arg)
		case "anything-but":
			return compileAnythingBut(p, arg)
		}
		return nil, &PatternError{Path: path, Want: "a known filter (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr)", Got: strconv.Quote(op)}
	}
	panic("unreachable")
}

// affixArg reads the argument of prefix or suffix: a string, or {"equals-ignore-case": string}.
func affixArg(path string, arg any) (s string, fold bool, err error) {
	switch a := arg.(type) {
	case string:
		return a, false, nil
	case map[string]any:
		if v, ok := a["equals-ignore-case"].(string); ok && len(a) == 1 {
			return v, true, nil
		}
	}
	return "", false, &PatternError{Path: path, Want: `a string or {"equals-ignore-case": string}`, Got: jsonText(arg)}
}

func compileWildcard(path string, arg any) (matcher, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, &PatternError{Path: path, Want: "a string with * wildcards", Got: jsonText(arg)}
	}
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, &PatternError{Path: path, Want: `a wildcard whose backslashes escape only * or \`, Got: jsonText(arg)}
			}
			i++
			cur.WriteByte(s[i])
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return nil, &PatternError{Path: path, Want: "a wildcard without consecutive *", Got: jsonText(arg)}
			}
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	return wildcardMatcher{parts: parts}, nil
}

func compileNumeric(path string, arg any) (matcher, error) {
	const want = `[op, number] or [">" or ">=", low, "<" or "<=", high] with op one of =, <, <=, >, >=`
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return nil, &PatternError{Path: path, Want: want, Got: jsonText(arg)}
	}
	var m numericMatcher
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, &PatternError{Path: path, Want: want, Got: jsonText(arg)}
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, &PatternError{Path: path, Want: want, Got: jsonText(arg)}
		}
		n, ok := list[i+1].(json.Number)
		if !ok {
			return nil, &PatternError{Path: path, Want: want, Got: jsonText(arg)}
		}
		f, err := patternNumber(path, n)
		if err != nil {
			return nil, err
		}
		m.conds = append(m.conds, numericCond{op: op, val: f})
	}
	if len(m.conds) == 2 {
		lo, hi := m.conds[0], m.conds[1]
		if (lo.op != ">" && lo.op != ">=") || (hi.op != "<" && hi.op != "<=") || lo.val >= hi.val {
			return nil, &PatternError{Path: path, Want: "a lower bound (> or >=) below an upper bound (< or <=)", Got: jsonText(arg)}
		}
	}
	return m, nil
}

func compileAnythingBut(path string, arg any) (matcher, error) {
	switch a := arg.(type) {
	case string:
		return anythingBut{not: []matcher{exactString(a)}}, nil
	case json.Number:
		f, err := patternNumber(path, a)
		if err != nil {
			return nil, err
		}
		return anythingBut{not: []matcher{exactNumber(f)}}, nil
	case []any:
		if len(a) == 0 {
			return nil, &PatternError{Path: path, Want: "a non-empty list of strings or numbers", Got: "[]"}
		}
		var not []matcher
		for i, e := range a {
			switch e := e.(type) {
			case string:
				not = append(not, exactString(e))
			case json.Number:
				f, err := patternNumber(path, e)
				if err != nil {
					return nil, err
				}
				not = append(not, exactNumber(f))
			default:
				return nil, &PatternError{Path: path + "[" + strconv.Itoa(i) + "]", Want: "a string or a number", Got: jsonText(e)}
			}
		}
		return anythingBut{not: not}, nil
	case map[string]any:
		const want = `one of {"prefix": string}, {"suffix": string}, {"equals-ignore-case": string or [strings]}, {"wildcard": string or [strings]}`
		if len(a) != 1 {
			return nil, &PatternError{Path: path, Want: want, Got: jsonText(arg)}
		}
		for op, v := range a {
			p := path + "." + op
			switch op {
			case "prefix", "suffix":
				s, ok := v.(string)
				if !ok {
					return nil, &PatternError{Path: p, Want: "a string", Got: jsonText(v)}
				}
				if op == "prefix" {
					return anythingBut{not: []matcher{prefixMatcher{s: s}}, strings: true}, nil
				}
				return anythingBut{not: []matcher{suffixMatcher{s: s}}, strings: true}, nil
			case "equals-ignore-case", "wildcard":
				list, err := stringList(p, v)
				if err != nil {
					return nil, err
				}
				var not []matcher
				for _, s := range list {
					if op == "wildcard" {
						m, err := compileWildcard(p, s)
						if err != nil {
							return nil, err
						}
						not = append(not, m)
						continue
					}
					not = append(not, equalsIgnoreCase(s))
				}
				return anythingBut{not: not, strings: true}, nil
			}
			return nil, &PatternError{Path: path, Want: want, Got: jsonText(arg)}
		}
	}
	return nil, &PatternError{Path: path, Want: "a string, a number, a list of them, or a prefix/suffix/equals-ignore-case/wildcard object", Got: jsonText(arg)}
}

// stringList reads a string or a non-empty list of strings.
func stringList(path string, v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, &PatternError{Path: path, Want: "a string or a list of strings", Got: jsonText(v)}
			}
			out = append(out, s)
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, &PatternError{Path: path, Want: "a string or a non-empty list of strings", Got: jsonText(v)}
}

func patternNumber(path string, n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, &PatternError{Path: path, Want: "a finite number", Got: string(n)}
	}
	return f, nil
}
