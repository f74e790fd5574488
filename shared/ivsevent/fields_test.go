package ivsevent

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// documented reads the "Event fields" list of doc.go: Go type -> (detail-type, JSON fields).
func documented(t *testing.T) map[string]struct {
	detailType string
	fields     []string
} {
	t.Helper()
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entry := regexp.MustCompile(`^//   - ([A-Za-z]+) \(([^)]+)\): (.+)$`)
	out := map[string]struct {
		detailType string
		fields     []string
	}{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := entry.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var fields []string
		for _, part := range strings.Split(m[3], "; ") {
			name, _, ok := strings.Cut(part, " → ")
			if !ok {
				t.Errorf("doc.go, %s: %q does not say where the field goes (name → where)", m[1], part)
			}
			fields = append(fields, name)
		}
		out[m[1]] = struct {
			detailType string
			fields     []string
		}{m[2], fields}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonNames returns the JSON names of a struct's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// detailTypes are the structs of the details the suite decodes, by detail-type.
var detailTypes = map[string]reflect.Type{
	DetailTypeStreamStateChange:    reflect.TypeFor[StreamStateChange](),
	DetailTypeStreamHealthChange:   reflect.TypeFor[StreamHealthChange](),
	DetailTypeLimitBreach:          reflect.TypeFor[LimitBreach](),
	DetailTypeRecordingStateChange: reflect.TypeFor[RecordingStateChange](),
}

// TestEventFieldsListed: doc.go lists exactly the JSON fields of the envelope and of each
// detail type the suite decodes, and every sample event's envelope and detail have no field
// those types lack.
func TestEventFieldsListed(t *testing.T) {
	doc := documented(t)
	types := map[string]reflect.Type{"wireEvent": reflect.TypeFor[wireEvent]()}
	for dt, typ := range detailTypes {
		types[typ.Name()] = typ
		if d, ok := doc[typ.Name()]; !ok || d.detailType != dt {
			t.Errorf("doc.go lists %s as %+v, want it for detail-type %q", typ.Name(), d, dt)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(DetailTypes)), slices.Sorted(func(yield func(string) bool) {
		for dt := range detailTypes {
			if !yield(dt) {
				return
			}
		}
	})) {
		t.Errorf("DetailTypes %v: the test's detailTypes does not cover them", DetailTypes)
	}
	for name, typ := range types {
		d, ok := doc[name]
		if !ok {
			t.Errorf("doc.go does not list %s", name)
			continue
		}
		if got, want := slices.Sorted(slices.Values(d.fields)), jsonNames(typ); !slices.Equal(got, want) {
			t.Errorf("doc.go lists %s's fields %v, the type has %v", name, got, want)
		}
	}
	for name := range doc {
		if _, ok := types[name]; !ok {
			t.Errorf("doc.go lists %s, which is not a type the suite decodes", name)
		}
	}

	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("want the sample events, got %d (%v)", len(files), err)
	}
	envelope := jsonNames(reflect.TypeFor[wireEvent]())
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]json.RawMessage
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for k := range ev {
			if !slices.Contains(envelope, k) {
				t.Errorf("%s: envelope field %q is not modelled", filepath.Base(file), k)
			}
		}
		var dt string
		var detail map[string]json.RawMessage
		if json.Unmarshal(ev["detail-type"], &dt) != nil || json.Unmarshal(ev["detail"], &detail) != nil {
			t.Fatalf("%s: no detail-type or detail", file)
		}
		typ, ok := detailTypes[dt]
		if !ok {
			t.Errorf("%s: detail-type %q is not decoded", filepath.Base(file), dt)
			continue
		}
		names := jsonNames(typ)
		for k := range detail {
			if !slices.Contains(names, k) {
				t.Errorf("%s: detail field %q is not in %s", filepath.Base(file), k, typ.Name())
			}
		}
	}
}
