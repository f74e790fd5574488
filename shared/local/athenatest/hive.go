package athenatest

import (
	"fmt"
	"strconv"
	"strings"
)

// hiveType is a column's Hive type (catalog.Column.Type), parsed: a primitive (string, bigint,
// int, double, boolean), array<elem>, map<string,elem> or struct<name:type,...>.
type hiveType struct {
	kind   string // "string", "bigint", "int", "double", "boolean", "array", "map" or "struct"
	elem   *hiveType
	fields []hiveField
}

type hiveField struct {
	name string // the JSON key, in the case the record writes it
	typ  *hiveType
}

// duckPrimitives are the Hive primitives a catalog column uses, as DuckDB types.
var duckPrimitives = map[string]string{
	"string":  "VARCHAR",
	"bigint":  "BIGINT",
	"int":     "INTEGER",
	"double":  "DOUBLE",
	"boolean": "BOOLEAN",
}

// parseHive parses a Hive type string; an error names the position and what was expected.
func parseHive(s string) (*hiveType, error) {
	p := &hiveParser{s: s}
	t, err := p.parse()
	if err != nil {
		return nil, err
	}
	if p.i != len(s) {
		return nil, fmt.Errorf("hive type %q: unexpected %q at %d", s, s[p.i:], p.i)
	}
	return t, nil
}

type hiveParser struct {
	s string
	i int
}

func (p *hiveParser) word() string {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '<' && p.s[p.i] != '>' && p.s[p.i] != ',' && p.s[p.i] != ':' {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *hiveParser) expect(c byte) error {
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("hive type %q: want %q at %d", p.s, c, p.i)
	}
	p.i++
	return nil
}

func (p *hiveParser) parse() (*hiveType, error) {
	kind := strings.ToLower(p.word())
	switch kind {
	case "array":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		elem, err := p.parse()
		if err != nil {
			return nil, err
		}
		return &hiveType{kind: kind, elem: elem}, p.expect('>')
	case "map":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		if key := strings.ToLower(p.word()); key != "string" {
			return nil, fmt.Errorf("hive type %q: map keys are %q, want string (JSON object keys)", p.s, key)
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		elem, err := p.parse()
		if err != nil {
			return nil, err
		}
		return &hiveType{kind: kind, elem: elem}, p.expect('>')
	case "struct":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		t := &hiveType{kind: kind}
		for {
			name := p.word()
			if name == "" {
				return nil, fmt.Errorf("hive type %q: want a field name at %d", p.s, p.i)
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			ft, err := p.parse()
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, hiveField{name: name, typ: ft})
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			return t, p.expect('>')
		}
	}
	if _, ok := duckPrimitives[kind]; !ok {
		return nil, fmt.Errorf("hive type %q: unknown type %q at %d", p.s, kind, p.i)
	}
	return &hiveType{kind: kind}, nil
}

// duckType is t as a DuckDB type: VARCHAR, BIGINT[], STRUCT("a" VARCHAR), MAP(VARCHAR, ...).
func (t *hiveType) duckType() string {
	switch t.kind {
	case "array":
		return t.elem.duckType() + "[]"
	case "map":
		return "MAP(VARCHAR, " + t.elem.duckType() + ")"
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = quoteIdent(f.name) + " " + f.typ.duckType()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return duckPrimitives[t.kind]
}

// structure is t as DuckDB's json_transform structure (JSON text): a struct is an object of its
// fields in order, an array a one-element array, anything else its DuckDB type as a string.
// json_transform then reads a JSON document the way the OpenX JSON SerDe does: keys it does
// not know are ignored, a value of another type is NULL.
func (t *hiveType) structure() string {
	switch t.kind {
	case "array":
		return "[" + t.elem.structure() + "]"
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = strconv.Quote(f.name) + ":" + f.typ.structure()
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return strconv.Quote(t.duckType())
}

// quoteIdent quotes an identifier for DuckDB's SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes a string literal for DuckDB's SQL.
func quoteString(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
