package athenatest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
)

// engine runs queries on DuckDB, embedded, over the archive folder.
type engine struct {
	db       *sql.DB
	dir      string // the archive: the bucket's objects as files (absolute)
	bucket   string
	database string
	tables   map[string]table // by name
	cutoff   int64
}

// queryResult is a query's answer: its columns, its rows as Athena writes values, and how
// many bytes it scanned.
type queryResult struct {
	columns []resultColumn
	rows    [][]*string
	scanned int64
}

type resultColumn struct {
	name, typ        string // the column's label (lower case) and its Athena type
	precision, scale int32
}

// queryError is why a query failed, as Athena says it: an error name (SYNTAX_ERROR,
// TABLE_NOT_FOUND...) and a message.
type queryError struct {
	name, msg string
	// cancelled: the workgroup cancelled the query (its data usage control), rather than the
	// query failing.
	cancelled bool
	// system: the engine failed, not the query (Athena's error category 1).
	system bool
}

func (e *queryError) Error() string { return e.name + ": " + e.msg }

func userError(name, format string, a ...any) *queryError {
	return &queryError{name: name, msg: fmt.Sprintf(format, a...)}
}

// run runs query for execution id in database at now.
func (e *engine) run(ctx context.Context, id, query, database string, now time.Time) (*queryResult, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
	defer conn.Close()
	schema := "q_" + strings.ReplaceAll(id, "-", "")
	defer func() {
		_, _ = conn.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+quoteIdent(schema)+" CASCADE")
	}()

	tree, err := parseSQL(ctx, conn, query)
	if se := (*syntaxError)(nil); errors.As(err, &se) {
		return nil, userError("SYNTAX_ERROR", "line %s: %s", lineColumn(query, se.position), se.msg)
	}
	if err != nil {
		return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
	consts, err := newConstants(ctx, conn, now)
	if err != nil {
		return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
	translate(tree, consts)
	refs, err := tableRefs(statement(tree))
	if err != nil {
		return nil, userError("NOT_SUPPORTED", "%v", err)
	}

	// Which table each reference reads.
	read := map[string]table{}
	for _, r := range refs {
		cat := strings.ToLower(fmt.Sprint(r.ref["catalog_name"]))
		db := strings.ToLower(r.schema)
		if db == "" {
			db = strings.ToLower(database)
		}
		if cat != "" && cat != catalogName {
			return nil, userError("CATALOG_NOT_FOUND", "line %s: Catalog '%s' does not exist", lineColumn(query, r.location), cat)
		}
		if db != e.database {
			return nil, userError("SCHEMA_NOT_FOUND", "line %s: Schema '%s' does not exist", lineColumn(query, r.location), db)
		}
		t, ok := e.tables[strings.ToLower(r.name)]
		if !ok {
			return nil, userError("TABLE_NOT_FOUND", "line %s: Table '%s.%s.%s' does not exist", lineColumn(query, r.location), catalogName, db, strings.ToLower(r.name))
		}
		read[t.Name] = t
	}
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+quoteIdent(schema)); err != nil {
		return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}

	// The partitions each reference reads: those its WHERE conditions on the partition keys
	// select (partition projection), all of them when it has none.
	objects := map[string][]object{}
	for name, t := range read {
		objs, err := t.list(e.dir)
		if err != nil {
			return nil, &queryError{name: "HIVE_FILESYSTEM_ERROR", msg: err.Error(), system: true}
		}
		objects[name] = objs
		if err := loadPartitions(ctx, conn, schema, t, objs); err != nil {
			return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
		}
	}
	files := map[string]map[string]bool{}
	var scanned int64
	for _, r := range refs {
		t, ok := e.tables[strings.ToLower(r.name)]
		if !ok {
			continue
		}
		conds, err := partitionConditions(t, r)
		if err != nil {
			return nil, err
		}
		picked, bytes, err := prune(ctx, conn, schema, t, r.alias, conds, objects[t.Name])
		if err != nil {
			return nil, err
		}
		scanned += bytes
		if files[t.Name] == nil {
			files[t.Name] = map[string]bool{}
		}
		for _, f := range picked {
			files[t.Name][f] = true
		}
	}
	if e.cutoff > 0 && scanned > e.cutoff {
		return &queryResult{scanned: e.cutoff}, &queryError{cancelled: true, name: "QUERY_CANCELLED",
			msg: fmt.Sprintf("the query would scan %d bytes, more than the workgroup's data usage control allows per query (BytesScannedCutoffPerQuery %d)", scanned, e.cutoff)}
	}

	for name, t := range read {
		if err := createView(ctx, conn, schema, e.dir, e.bucket, t, slices.Sorted(mapsKeys(files[name]))); err != nil {
			return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
		}
	}
	for _, r := range refs {
		if _, ok := e.tables[strings.ToLower(r.name)]; ok {
			r.ref["catalog_name"], r.ref["schema_name"], r.ref["table_name"] = "", schema, strings.ToLower(r.name)
			r.ref["qualified_name"] = node{"path": []any{schema, strings.ToLower(r.name)}}
		}
	}
	text, err := deparse(ctx, conn, tree)
	if err != nil {
		return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
	for _, m := range macros {
		if _, err := conn.ExecContext(ctx, m); err != nil {
			return nil, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
		}
	}
	res, err := collect(ctx, conn, text)
	if err != nil {
		return nil, engineError(err, query)
	}
	res.scanned = scanned
	return res, nil
}

// catalogName is the only catalog: the AWS Glue Data Catalog.
const catalogName = "awsdatacatalog"

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// partitionConditions returns the WHERE conditions of r that name only t's partition keys (the
// ones partition projection evaluates), and refuses, as Athena does, a reference to a table
// with injected partitions that does not give each of them as static equalities.
func partitionConditions(t table, r tableRef) ([]node, error) {
	isPartition := func(parts []string) (string, bool) {
		var col string
		switch len(parts) {
		case 1:
			col = parts[0]
		case 2:
			if parts[0] != strings.ToLower(r.alias) {
				return "", false
			}
			col = parts[1]
		default:
			return "", false
		}
		_, ok := t.partition(col)
		return col, ok
	}
	var out []node
	for _, c := range r.conditions {
		refs, opaque := columnRefs(c)
		if opaque || len(refs) == 0 {
			continue
		}
		only := true
		for _, parts := range refs {
			if _, ok := isPartition(parts); !ok {
				only = false
			}
		}
		if only {
			out = append(out, c)
		}
	}
	for _, p := range t.Partitions {
		if p.Projection["type"] != catalog.ProjectionInjected {
			continue
		}
		given := false
		for _, c := range r.conditions {
			refs, _ := columnRefs(c)
			names := false
			for _, parts := range refs {
				if col, ok := isPartition(parts); ok && col == p.Name {
					names = true
				}
			}
			if !names {
				continue
			}
			if !staticEquality(c, p.Name) {
				given = false
				break
			}
			given = true
		}
		if !given {
			return nil, userError("CONSTRAINT_VIOLATION", "For the injected projected partition column %s, the WHERE clause must contain only static equality conditions, and at least one such condition must be present.", p.Name)
		}
	}
	return out, nil
}

// loadPartitions loads t's objects and their partition values into <schema>.parts_<table>,
// where the partition conditions are evaluated.
func loadPartitions(ctx context.Context, conn *sql.Conn, schema string, t table, objs []object) error {
	cols := []string{"file VARCHAR", "bytes BIGINT"}
	for _, p := range t.Partitions {
		typ := "VARCHAR"
		if p.Type == "int" {
			typ = "INTEGER"
		}
		cols = append(cols, quoteIdent(p.Name)+" "+typ)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s.%s (%s)", quoteIdent(schema), quoteIdent("parts_"+t.Name), strings.Join(cols, ", "))); err != nil {
		return fmt.Errorf("partitions of %s: %w", t.Name, err)
	}
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), schema, "parts_"+t.Name)
		if err != nil {
			return fmt.Errorf("partitions of %s: %w", t.Name, err)
		}
		for _, o := range objs {
			row := []driver.Value{o.file, o.size}
			for _, p := range t.Partitions {
				v := o.values[p.Name]
				if p.Type == "int" {
					var n int32
					fmt.Sscan(v, &n)
					row = append(row, n)
				} else {
					row = append(row, v)
				}
			}
			if err := a.AppendRow(row...); err != nil {
				_ = a.Close()
				return fmt.Errorf("partitions of %s: %w", t.Name, err)
			}
		}
		return a.Close()
	})
}

// prune returns the files (and their total size) of the partitions conds select, evaluated on
// <schema>.parts_<table> under the reference's alias. With no condition it returns every file.
// A condition that does not bind there (a column qualified by catalog and schema) is left out:
// more is read, never less.
func prune(ctx context.Context, conn *sql.Conn, schema string, t table, alias string, conds []node, objs []object) ([]string, int64, error) {
	all := func() ([]string, int64, error) {
		var files []string
		var total int64
		for _, o := range objs {
			files = append(files, o.file)
			total += o.size
		}
		return files, total, nil
	}
	if len(conds) == 0 {
		return all()
	}
	tree, err := parseSQL(ctx, conn, fmt.Sprintf("SELECT file, bytes FROM %s.%s AS %s WHERE true AND true",
		quoteIdent(schema), quoteIdent("parts_"+t.Name), quoteIdent(strings.ToLower(alias))))
	if err != nil {
		return nil, 0, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
	where, _ := statement(tree)["where_clause"].(node)
	children := make([]any, len(conds))
	for i, c := range conds {
		children[i] = clone(c)
	}
	where["children"] = append(children, true_(where))
	text, err := deparse(ctx, conn, tree)
	if err != nil {
		return all()
	}
	rows, err := conn.QueryContext(ctx, text)
	if err != nil {
		return all()
	}
	defer rows.Close()
	var files []string
	var total int64
	for rows.Next() {
		var f string
		var n int64
		if err := rows.Scan(&f, &n); err != nil {
			return nil, 0, &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
		}
		files = append(files, f)
		total += n
	}
	if err := rows.Err(); err != nil {
		return all()
	}
	return files, total, nil
}

// true_ returns the template's own constant true (its first child), so an AND of one condition
// stays an AND.
func true_(and node) any {
	children, _ := and["children"].([]any)
	return children[0]
}

// createView creates <schema>.<table>: the records of files, read as the table's SerDe reads
// them, with the partition keys from each object's key and Athena's "$path".
func createView(ctx context.Context, conn *sql.Conn, schema, dir, bucket string, t table, files []string) error {
	var structure strings.Builder
	structure.WriteString("{")
	for i, c := range t.columns {
		if i > 0 {
			structure.WriteString(",")
		}
		fmt.Fprintf(&structure, "%q:%s", c.key, c.typ.structure())
	}
	structure.WriteString("}")
	record := "json_transform(line, " + quoteString(structure.String()) + ")"
	if t.ignoreMalformed {
		record = "try(" + record + ")"
	}
	variable := schema + "_" + t.Name
	source := "SELECT NULL::VARCHAR AS filename, NULL::VARCHAR AS line WHERE false"
	if len(files) > 0 {
		if _, err := conn.ExecContext(ctx, "SET VARIABLE "+quoteIdent(variable)+" = ?", files); err != nil {
			return fmt.Errorf("view of %s: %w", t.Name, err)
		}
		source = "SELECT filename, unnest(string_split(content, chr(10))) AS line FROM read_text(getvariable(" + quoteString(variable) + "))"
	}
	key := "substr(filename, " + fmt.Sprint(len(dir)+2) + ")"
	var cols []string
	for _, c := range t.columns {
		cols = append(cols, "r."+quoteIdent(c.key)+" AS "+quoteIdent(c.name))
	}
	for i, name := range t.pattern.SubexpNames() {
		if name == "" {
			continue
		}
		v := fmt.Sprintf("regexp_extract(%s, %s, %d)", key, quoteString(t.pattern.String()), i)
		if p, _ := t.partition(name); p.Type == "int" {
			v = "CAST(" + v + " AS INTEGER)"
		}
		cols = append(cols, v+" AS "+quoteIdent(name))
	}
	cols = append(cols, quoteString("s3://"+bucket+"/")+" || "+key+` AS "$path"`)
	view := fmt.Sprintf("CREATE VIEW %s.%s AS SELECT %s FROM (SELECT filename, %s AS r FROM (%s) WHERE trim(line) <> '')",
		quoteIdent(schema), quoteIdent(t.Name), strings.Join(cols, ", "), record, source)
	if _, err := conn.ExecContext(ctx, view); err != nil {
		return fmt.Errorf("view of %s: %w", t.Name, err)
	}
	return nil
}

// collect runs the query and renders its answer as Athena does.
func collect(ctx context.Context, conn *sql.Conn, text string) (*queryResult, error) {
	rows, err := conn.QueryContext(ctx, text)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &queryResult{}
	duckTypes := make([]*duckType, len(types))
	for i, ct := range types {
		dt := parseDuckType(ct.DatabaseTypeName())
		duckTypes[i] = dt
		c := resultColumn{name: strings.ToLower(ct.Name()), typ: dt.athena()}
		if p, s, ok := ct.DecimalSize(); ok {
			c.precision, c.scale = int32(p), int32(s)
		}
		res.columns = append(res.columns, c)
	}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				s := render(v, duckTypes[i])
				row[i] = &s
			}
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

// engineError names a DuckDB error as Athena would name the same mistake.
func engineError(err error, query string) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
	msg, _, _ := strings.Cut(de.Msg, "\n")
	switch {
	case strings.Contains(msg, "Malformed JSON"):
		return userError("HIVE_CURSOR_ERROR", "Row is not a valid JSON Object - %s", msg)
	case de.Type == duckdb.ErrorTypeParser:
		return userError("SYNTAX_ERROR", "%s", msg)
	case de.Type == duckdb.ErrorTypeBinder && strings.Contains(msg, "not found"):
		return userError("COLUMN_NOT_FOUND", "%s", msg)
	case de.Type == duckdb.ErrorTypeCatalog && strings.Contains(msg, "Function"):
		return userError("FUNCTION_NOT_FOUND", "%s", msg)
	case de.Type == duckdb.ErrorTypeConversion:
		return userError("INVALID_CAST_ARGUMENT", "%s", msg)
	case de.Type == duckdb.ErrorTypeInterrupt:
		return context.Canceled
	}
	return userError("GENERIC_USER_ERROR", "%s", msg)
}
