package athenatest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
)

// table is a catalog table as the server reads it: its columns parsed, its location template
// as a pattern over object keys.
type table struct {
	catalog.Table
	columns []column
	// pattern matches the key of an object of the table: the template with each ${partition}
	// a group named for it, then anything (Athena reads every object under a partition's
	// location).
	pattern *regexp.Regexp
	// ignoreMalformed is the SerDe's ignore.malformed.json.
	ignoreMalformed bool
}

// column is one column of a table: its name (lower case, as Glue has it), the JSON key it
// reads and its type.
type column struct {
	name, key string
	typ       *hiveType
}

func newTable(t catalog.Table) (table, error) {
	tb := table{Table: t, ignoreMalformed: t.SerDeParameters()[catalog.IgnoreMalformedJSON] == "true"}
	for _, c := range t.Columns {
		typ, err := parseHive(c.Type)
		if err != nil {
			return table{}, fmt.Errorf("table %s, column %s: %w", t.Name, c.Name, err)
		}
		tb.columns = append(tb.columns, column{name: strings.ToLower(c.Name), key: c.Name, typ: typ})
	}
	var re strings.Builder
	re.WriteString("^")
	rest := t.Template
	for {
		before, after, ok := strings.Cut(rest, "${")
		re.WriteString(regexp.QuoteMeta(before))
		if !ok {
			break
		}
		name, after, ok := strings.Cut(after, "}")
		if !ok {
			return table{}, fmt.Errorf("table %s: template %q: unclosed ${", t.Name, t.Template)
		}
		if _, ok := tb.partition(name); !ok {
			return table{}, fmt.Errorf("table %s: template %q names %s, which is not a partition", t.Name, t.Template, name)
		}
		re.WriteString("(?P<" + name + ">[^/]+)")
		rest = after
	}
	re.WriteString(".+$")
	var err error
	if tb.pattern, err = regexp.Compile(re.String()); err != nil {
		return table{}, fmt.Errorf("table %s: template %q: %w", t.Name, t.Template, err)
	}
	return tb, nil
}

func (t table) partition(name string) (catalog.Partition, bool) {
	for _, p := range t.Partitions {
		if p.Name == name {
			return p, true
		}
	}
	return catalog.Partition{}, false
}

// object is one object of a table: its key, file, size and partition values.
type object struct {
	key, file string
	size      int64
	values    map[string]string // partition name -> its value (an integer's without padding)
}

// list returns the objects of the table in the archive dir (the bucket's objects as files):
// those whose key matches the location template with values the projection produces. An
// integer projection produces the integers of its range written with its digits, so a
// day=3/ folder is not a partition of a table that projects day=03/; objects whose name starts
// with _ or . are not read (Hive's hidden files).
func (t table) list(dir string) ([]object, error) {
	var out []object
	root := filepath.Join(dir, filepath.FromSlash(t.Prefix))
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		m := t.pattern.FindStringSubmatch(key)
		if m == nil {
			return nil
		}
		o := object{key: key, file: p, values: map[string]string{}}
		for i, name := range t.pattern.SubexpNames() {
			if name == "" {
				continue
			}
			v, ok := t.projected(name, m[i])
			if !ok {
				return nil
			}
			o.values[name] = v
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		o.size = info.Size()
		out = append(out, o)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return out, err
}

// projected returns the value of partition name that the location segment raw holds, and
// whether the projection produces it.
func (t table) projected(name, raw string) (string, bool) {
	p, _ := t.partition(name)
	switch p.Projection["type"] {
	case catalog.ProjectionInteger:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return "", false
		}
		if lo, hi, ok := strings.Cut(p.Projection["range"], ","); ok {
			l, err1 := strconv.Atoi(lo)
			h, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || n < l || n > h {
				return "", false
			}
		}
		digits, _ := strconv.Atoi(p.Projection["digits"])
		if fmt.Sprintf("%0*d", digits, n) != raw {
			return "", false
		}
		return strconv.Itoa(n), true
	case catalog.ProjectionInjected:
		return raw, raw != ""
	}
	return "", false
}
