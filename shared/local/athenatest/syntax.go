package athenatest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The server reads a query with DuckDB's own parser (json_serialize_sql, which gives the
// syntax tree as JSON), changes the tree, and turns it back into SQL (json_deserialize_sql).
// On the tree it finds the tables the query reads and the WHERE conditions on their partition
// keys (partition projection), points each table at the query's own view of the archive, and
// translates what Athena's SQL (Trino) spells differently (translations).

// node is an object of DuckDB's syntax tree.
type node = map[string]any

// translations are the functions whose Athena (Trino) name DuckDB spells otherwise. Those on
// arrays are DuckDB's list functions: element_at is list_extract, so element_at on a map is not
// translated (DuckDB's element_at on a map returns a list, Trino's the value).
var translations = map[string]string{
	"transform":   "list_transform",
	"element_at":  "list_extract",
	"array_join":  "array_to_string",
	"array_max":   "list_max",
	"array_min":   "list_min",
	"cardinality": "len",
	"to_unixtime": "epoch",
}

// macros define, for the query's connection, the Athena functions that are no rename of a
// DuckDB function.
var macros = []string{
	// Trino parses an ISO 8601 string to a timestamp with time zone.
	`CREATE OR REPLACE TEMP MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
}

// syntaxError is DuckDB's parser refusing a query.
type syntaxError struct {
	msg      string
	position int
}

func (e *syntaxError) Error() string { return e.msg }

// parseSQL returns the syntax tree of query: one SELECT statement (json_serialize_sql
// serializes nothing else).
func parseSQL(ctx context.Context, conn *sql.Conn, query string) (node, error) {
	var text string
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_sql(?)::VARCHAR", query).Scan(&text); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	tree, err := decodeTree(text)
	if err != nil {
		return nil, err
	}
	if failed, _ := tree["error"].(bool); failed {
		msg, _ := tree["error_message"].(string)
		pos, _ := strconv.Atoi(fmt.Sprint(tree["position"]))
		if tree["error_type"] == "not implemented" {
			msg = "only SELECT queries run on this local Athena (" + msg + ")"
		}
		return nil, &syntaxError{msg: msg, position: pos}
	}
	if sts, _ := tree["statements"].([]any); len(sts) != 1 {
		return nil, &syntaxError{msg: fmt.Sprintf("want one statement, got %d", len(sts))}
	}
	return tree, nil
}

// decodeTree decodes a syntax tree keeping every number as it was written (query_location is
// a 64-bit unsigned integer).
func decodeTree(text string) (node, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var tree node
	if err := d.Decode(&tree); err != nil {
		return nil, fmt.Errorf("decode the syntax tree: %w", err)
	}
	return tree, nil
}

// deparse turns a syntax tree back into SQL.
func deparse(ctx context.Context, conn *sql.Conn, tree node) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return "", fmt.Errorf("encode the syntax tree: %w", err)
	}
	var out string
	if err := conn.QueryRowContext(ctx, "SELECT json_deserialize_sql(?::JSON)", buf.String()).Scan(&out); err != nil {
		return "", fmt.Errorf("deparse: %w", err)
	}
	return out, nil
}

// statement returns the tree's one statement node (its "node").
func statement(tree node) node {
	sts, _ := tree["statements"].([]any)
	st, _ := sts[0].(node)
	n, _ := st["node"].(node)
	return n
}

// constants are nodes for the values Athena computes once per query: current_date and
// current_timestamp (now()), in UTC as Athena's session time zone.
type constants struct {
	date, timestamp node
}

func newConstants(ctx context.Context, conn *sql.Conn, now time.Time) (constants, error) {
	now = now.UTC()
	tree, err := parseSQL(ctx, conn, fmt.Sprintf("SELECT DATE '%s', TIMESTAMPTZ '%s'", now.Format(time.DateOnly), now.Format("2006-01-02 15:04:05.000")+"+00"))
	if err != nil {
		return constants{}, err
	}
	list, _ := statement(tree)["select_list"].([]any)
	if len(list) != 2 {
		return constants{}, fmt.Errorf("constants: %d expressions", len(list))
	}
	d, _ := list[0].(node)
	ts, _ := list[1].(node)
	return constants{date: d, timestamp: ts}, nil
}

// translate rewrites the tree in place for DuckDB: translations, lambdas in DuckDB's lambda
// syntax (x -> e becomes lambda x: e), current_date, current_timestamp and now() as
// constants.
func translate(v any, c constants) any {
	switch x := v.(type) {
	case node:
		switch x["class"] {
		case "COLUMN_REF":
			if names, _ := x["column_names"].([]any); len(names) == 1 {
				switch strings.ToLower(fmt.Sprint(names[0])) {
				case "current_date":
					return clone(c.date)
				case "current_timestamp", "localtimestamp":
					return clone(c.timestamp)
				}
			}
		case "FUNCTION":
			name := strings.ToLower(fmt.Sprint(x["function_name"]))
			if name == "now" {
				return clone(c.timestamp)
			}
			if to, ok := translations[name]; ok && fmt.Sprint(x["schema"]) == "" {
				x["function_name"] = to
				if q, ok := x["qualified_name"].(node); ok {
					q["path"] = []any{to}
				}
			}
		case "LAMBDA":
			if _, ok := x["syntax_type"]; ok {
				x["syntax_type"] = "LAMBDA_KEYWORD"
			}
		}
		for k, child := range x {
			x[k] = translate(child, c)
		}
		return x
	case []any:
		for i := range x {
			x[i] = translate(x[i], c)
		}
		return x
	}
	return v
}

// clone copies a tree.
func clone(n node) node {
	b, _ := json.Marshal(n)
	out, _ := decodeTree(string(b))
	return out
}

// tableRef is one table a SELECT reads: its node in the tree and the WHERE conditions of that
// SELECT.
type tableRef struct {
	ref        node
	schema     string
	name       string
	alias      string // the alias, else the table's name: how columns are qualified
	conditions []node // the SELECT's WHERE, split at AND
	location   int
}

// tableRefs returns every base table the query reads with the WHERE conditions of the SELECT
// that reads it, leaving out references to the query's WITH names.
func tableRefs(v any) ([]tableRef, error) {
	ctes := map[string]bool{}
	collectCTEs(v, ctes)
	var out []tableRef
	var err error
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case node:
			if x["type"] == "SELECT_NODE" {
				conds := conjuncts(x["where_clause"])
				for _, r := range fromTables(x["from_table"]) {
					if r["type"] == "TABLE_FUNCTION" {
						if err == nil {
							err = fmt.Errorf("table functions are not Athena's: the FROM clause names tables")
						}
						continue
					}
					name := fmt.Sprint(r["table_name"])
					schema := fmt.Sprint(r["schema_name"])
					if schema == "" && ctes[strings.ToLower(name)] {
						continue
					}
					alias := fmt.Sprint(r["alias"])
					if alias == "" {
						alias = name
					}
					loc, _ := strconv.Atoi(fmt.Sprint(r["query_location"]))
					out = append(out, tableRef{ref: r, schema: schema, name: name, alias: alias, conditions: conds, location: loc})
				}
			}
			for _, child := range x {
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(v)
	return out, err
}

func collectCTEs(v any, into map[string]bool) {
	switch x := v.(type) {
	case node:
		if cm, ok := x["cte_map"].(node); ok {
			entries, _ := cm["map"].([]any)
			for _, e := range entries {
				if en, ok := e.(node); ok {
					into[strings.ToLower(fmt.Sprint(en["key"]))] = true
				}
			}
		}
		for _, child := range x {
			collectCTEs(child, into)
		}
	case []any:
		for _, child := range x {
			collectCTEs(child, into)
		}
	}
}

// fromTables returns the base tables and table functions of a FROM clause (through its joins,
// not into its subqueries: those are SELECTs of their own).
func fromTables(v any) []node {
	n, ok := v.(node)
	if !ok {
		return nil
	}
	switch n["type"] {
	case "BASE_TABLE", "TABLE_FUNCTION":
		return []node{n}
	case "JOIN":
		return append(fromTables(n["left"]), fromTables(n["right"])...)
	}
	return nil
}

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(v any) []node {
	n, ok := v.(node)
	if !ok {
		return nil
	}
	if n["type"] == "CONJUNCTION_AND" {
		var out []node
		children, _ := n["children"].([]any)
		for _, c := range children {
			out = append(out, conjuncts(c)...)
		}
		return out
	}
	return []node{n}
}

// columnRefs returns the column names a condition refers to (each as its parts: column, or
// qualifier and column), and whether it holds anything that is not a plain expression of
// columns and constants (a subquery, a lambda).
func columnRefs(v any) (refs [][]string, opaque bool) {
	switch x := v.(type) {
	case node:
		switch x["class"] {
		case "SUBQUERY", "LAMBDA", "WINDOW":
			return nil, true
		case "COLUMN_REF":
			names, _ := x["column_names"].([]any)
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = strings.ToLower(fmt.Sprint(n))
			}
			return [][]string{parts}, false
		}
		for _, child := range x {
			r, o := columnRefs(child)
			refs, opaque = append(refs, r...), opaque || o
		}
	case []any:
		for _, child := range x {
			r, o := columnRefs(child)
			refs, opaque = append(refs, r...), opaque || o
		}
	}
	return refs, opaque
}

// staticEquality reports whether cond is column = <constant> or column IN (<constants>):
// what Athena takes as the value of an injected partition.
func staticEquality(cond node, column string) bool {
	var col any
	var values []any
	switch cond["type"] {
	case "COMPARE_EQUAL":
		l, r := cond["left"], cond["right"]
		if isColumn(l, column) {
			col, values = l, []any{r}
		} else if isColumn(r, column) {
			col, values = r, []any{l}
		}
	case "COMPARE_IN":
		children, _ := cond["children"].([]any)
		if len(children) > 1 {
			col, values = children[0], children[1:]
		}
	}
	if col == nil || !isColumn(col, column) {
		return false
	}
	for _, v := range values {
		if refs, opaque := columnRefs(v); len(refs) > 0 || opaque {
			return false
		}
	}
	return true
}

func isColumn(v any, column string) bool {
	n, ok := v.(node)
	if !ok || n["class"] != "COLUMN_REF" {
		return false
	}
	names, _ := n["column_names"].([]any)
	return len(names) > 0 && strings.EqualFold(fmt.Sprint(names[len(names)-1]), column)
}

// lineColumn is the 1-based line and column of byte offset pos in query, as Athena's messages
// give them ("line 1:15").
func lineColumn(query string, pos int) string {
	if pos < 0 || pos > len(query) {
		return "1:1"
	}
	line := 1 + strings.Count(query[:pos], "\n")
	col := pos - strings.LastIndex(query[:pos], "\n")
	return fmt.Sprintf("%d:%d", line, col)
}
