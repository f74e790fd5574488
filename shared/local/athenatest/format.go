package athenatest

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// duckType is a DuckDB type name (database/sql's DatabaseTypeName), parsed far enough to name
// its Athena type and to write nested values with their fields in order.
type duckType struct {
	name   string // upper case: VARCHAR, BIGINT, STRUCT, LIST, MAP, DECIMAL, ...
	elem   *duckType
	key    *duckType
	fields []duckField
}

type duckField struct {
	name string
	typ  *duckType
}

func parseDuckType(s string) *duckType {
	p := &duckParser{s: s}
	return p.parse()
}

type duckParser struct {
	s string
	i int
}

func (p *duckParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// ident reads a name: quoted ("a b") or bare.
func (p *duckParser) ident() string {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		var b strings.Builder
		p.i++
		for p.i < len(p.s) {
			c := p.s[p.i]
			p.i++
			if c == '"' {
				if p.i < len(p.s) && p.s[p.i] == '"' {
					b.WriteByte('"')
					p.i++
					continue
				}
				break
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" (),[]", rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *duckParser) parse() *duckType {
	name := strings.ToUpper(p.ident())
	// Multi-word names: TIMESTAMP WITH TIME ZONE, DOUBLE PRECISION.
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		save := p.i
		p.skipSpace()
		if p.i < len(p.s) && !strings.ContainsRune("(),[]", rune(p.s[p.i])) {
			next := p.ident()
			if next != "" && strings.ToUpper(next) == next {
				name += " " + next
				continue
			}
		}
		p.i = save
		break
	}
	t := &duckType{name: name}
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		switch name {
		case "STRUCT":
			for {
				fname := p.ident()
				ft := p.parse()
				t.fields = append(t.fields, duckField{name: fname, typ: ft})
				p.skipSpace()
				if p.i < len(p.s) && p.s[p.i] == ',' {
					p.i++
					continue
				}
				break
			}
		case "MAP":
			t.key = p.parse()
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
			}
			t.elem = p.parse()
		default: // DECIMAL(18,3), VARCHAR(10), ...
			for p.i < len(p.s) && p.s[p.i] != ')' {
				p.i++
			}
		}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
		}
	}
	// LIST: the element type followed by [] (or [n], a fixed-size ARRAY).
	for p.i < len(p.s) && p.s[p.i] == '[' {
		for p.i < len(p.s) && p.s[p.i] != ']' {
			p.i++
		}
		p.i++
		t = &duckType{name: "LIST", elem: t}
	}
	return t
}

// athena is the type Athena (Trino) names a column of this type in ColumnInfo.Type.
func (t *duckType) athena() string {
	switch t.name {
	case "VARCHAR", "TEXT", "STRING", "UUID", "JSON", "ENUM":
		return "varchar"
	case "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER", "UHUGEINT", "INT8", "LONG":
		return "bigint"
	case "INTEGER", "INT", "INT4", "USMALLINT":
		return "integer"
	case "SMALLINT", "UTINYINT":
		return "smallint"
	case "TINYINT":
		return "tinyint"
	case "DOUBLE", "DOUBLE PRECISION", "FLOAT8":
		return "double"
	case "FLOAT", "REAL", "FLOAT4":
		return "real"
	case "BOOLEAN", "BOOL":
		return "boolean"
	case "DATE":
		return "date"
	case "TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_S":
		return "timestamp"
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return "timestamp with time zone"
	case "DECIMAL", "NUMERIC":
		return "decimal"
	case "LIST", "ARRAY":
		return "array"
	case "STRUCT":
		return "row"
	case "MAP":
		return "map"
	case "BLOB":
		return "varbinary"
	case "INTERVAL":
		return "interval day to second"
	}
	return strings.ToLower(t.name)
}

// render writes a value as Athena's GetQueryResults does: numbers and booleans as Trino
// prints them (a double as Java does: 5.0, 0.25, 1.0E-4), timestamps to the millisecond, an
// array as [a, b], a row as {field=value, ...} with its fields in order and their names in
// lower case, a map as {key=value, ...}, a NULL inside them as null.
func render(v any, t *duckType) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(x)
	case *big.Int:
		return x.String()
	case float32:
		return javaDouble(float64(x))
	case float64:
		return javaDouble(x)
	case duckdb.Decimal:
		return x.String()
	case time.Time:
		switch t.athena() {
		case "date":
			return x.Format(time.DateOnly)
		case "timestamp with time zone":
			return x.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
		}
		return x.UTC().Format("2006-01-02 15:04:05.000")
	case []any:
		elem := t.elem
		if elem == nil {
			elem = &duckType{}
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e, elem)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		var parts []string
		if t != nil && len(t.fields) > 0 {
			for _, f := range t.fields {
				parts = append(parts, strings.ToLower(f.name)+"="+render(x[f.name], f.typ))
			}
		} else {
			for k, e := range x {
				parts = append(parts, strings.ToLower(k)+"="+render(e, &duckType{}))
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case duckdb.OrderedMap:
		keys, vals := x.Keys(), x.Values()
		kt, vt := &duckType{}, &duckType{}
		if t != nil && t.key != nil {
			kt, vt = t.key, t.elem
		}
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = render(keys[i], kt) + "=" + render(vals[i], vt)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []byte:
		return fmt.Sprintf("% x", x)
	}
	return fmt.Sprint(v)
}

// javaDouble writes f as Java's Double.toString, which Trino uses: decimal notation with at
// least one fractional digit from 10^-3 to 10^7, computerized scientific notation (1.0E-4,
// 1.2345E7) outside it.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.2345E+07, 1E-04
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
