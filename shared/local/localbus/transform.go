package localbus

import (
	"encoding/json"
	"strings"
)

// render returns the message t makes of an event (decoded with UseNumber; body is its JSON): the
// template with every <name> of InputPaths replaced by the value at its path. Without a
// transformer the message is the event itself.
func (t *InputTransformer) render(event map[string]any, body []byte) string {
	if t == nil {
		return string(body)
	}
	pairs := make([]string, 0, 2*len(t.InputPaths))
	for name, path := range t.InputPaths {
		pairs = append(pairs, "<"+name+">", valueText(lookup(event, path)))
	}
	return strings.NewReplacer(pairs...).Replace(t.Template)
}

// lookup returns the value at a JSON path of the form $.a.b.c, or nil.
func lookup(event map[string]any, path string) any {
	rest, ok := strings.CutPrefix(path, "$")
	if !ok {
		return nil
	}
	var v any = event
	for _, member := range strings.Split(strings.TrimPrefix(rest, "."), ".") {
		if member == "" {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[member]
	}
	return v
}

// valueText is how a value fills a text template: a string as it is, nothing for a missing
// value, anything else as JSON.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
