package catalog

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

func TestRecordColumns(t *testing.T) {
	cols := map[string]string{}
	for _, c := range RecordColumns() {
		if _, dup := cols[c.Name]; dup {
			t.Errorf("column %s twice", c.Name)
		}
		cols[c.Name] = c.Type
	}
	for name, want := range map[string]string{
		"schemaVersion":   "bigint",
		"channelId":       "string",
		"streamId":        "string",
		"startTime":       "string",
		"durationSeconds": "double",
		"outcome":         "string",
		"multitrack":      "boolean",
		"videoTrackCount": "bigint",
	} {
		if cols[name] != want {
			t.Errorf("column %s: type %q, want %q", name, cols[name], want)
		}
	}
	for name, prefix := range map[string]string{
		"video":      "array<struct<track:string,",
		"correction": "struct<decision:struct<action:string,",
		"channel":    "struct<",
	} {
		if !strings.HasPrefix(cols[name], prefix) {
			t.Errorf("column %s: type %q, want %s...", name, cols[name], prefix)
		}
	}
	// The ad guard's facts reach Athena: the channel's ad configuration and the decision's
	// conflict (the report's count of refusals left alone because of ads).
	for name, part := range map[string]string{"channel": "adConfigurationArn:string", "correction": "conflict:string"} {
		if !strings.Contains(cols[name], part) {
			t.Errorf("column %s: type %q lacks %s", name, cols[name], part)
		}
	}
	corrections := map[string]bool{}
	for _, c := range CorrectionColumns() {
		corrections[c.Name] = true
		if (c.Name == "before" || c.Name == "after") && !strings.Contains(c.Type, "adConfigurationArn:string") {
			t.Errorf("corrections column %s: type %q lacks adConfigurationArn", c.Name, c.Type)
		}
	}
	for name := range columnComments {
		if _, ok := cols[name]; !ok && !corrections[name] {
			t.Errorf("comment for %s, which is not a column", name)
		}
	}
	for _, name := range []string{"channelArn", "streamId", "sessionKey", "correction", "before", "after", "trigger"} {
		if !corrections[name] {
			t.Errorf("corrections table lacks %s", name)
		}
	}
	lower := map[string]bool{}
	for name := range cols {
		lower[strings.ToLower(name)] = true
	}
	for _, q := range NamedQueries() {
		for _, c := range q.Columns {
			if !lower[c] || !strings.Contains(q.SQL, c) {
				t.Errorf("query %q: column %s is not a record column, or not in its SQL", q.Name, c)
			}
		}
	}
}

func TestHiveType(t *testing.T) {
	type inner struct {
		A int64  `json:"a"`
		B string `json:"bName,omitempty"`
	}
	type embedded struct {
		E bool `json:"e"`
	}
	type outer struct {
		embedded
		Skip  string    `json:"-"`
		Plain float64   // no tag: the Go name
		When  time.Time `json:"when"`
		Ptr   *inner    `json:"ptr"`
		List  []inner   `json:"list"`
		Tags  map[string]string
	}
	tests := map[string]struct {
		typ  reflect.Type
		want string
	}{
		"string kinds":  {reflect.TypeFor[multitrack.Action](), "string"},
		"bool":          {reflect.TypeFor[bool](), "boolean"},
		"ints":          {reflect.TypeFor[int](), "bigint"},
		"floats":        {reflect.TypeFor[float32](), "double"},
		"time":          {reflect.TypeFor[*time.Time](), "string"},
		"slice":         {reflect.TypeFor[[]string](), "array<string>"},
		"map":           {reflect.TypeFor[map[string]int](), "map<string,bigint>"},
		"nested struct": {reflect.TypeFor[outer](), "struct<e:boolean,Plain:double,when:string,ptr:struct<a:bigint,bName:string>,list:array<struct<a:bigint,bName:string>>,Tags:map<string,string>>"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := hiveType(tc.typ); got != tc.want {
				t.Errorf("hiveType(%s) = %s, want %s", tc.typ, got, tc.want)
			}
		})
	}
}

// The names of the app's database and workgroup, as infra/README.md gives them.
func TestNames(t *testing.T) {
	if got := DatabaseName(AppPath); got != "ivssessions_suite" {
		t.Errorf("DatabaseName(%q) = %q, want ivssessions_suite", AppPath, got)
	}
	if got := WorkGroupName(AppPath); got != "IvsSessions-Suite" {
		t.Errorf("WorkGroupName(%q) = %q, want IvsSessions-Suite", AppPath, got)
	}
}

// Each table's template is its prefix followed by one <segment>=${<partition>}/ per partition,
// in order, and its parameters project every partition.
func TestTables(t *testing.T) {
	for _, tb := range Tables() {
		if !strings.HasPrefix(tb.Template, tb.Prefix) {
			t.Errorf("%s: template %s is not under %s", tb.Name, tb.Template, tb.Prefix)
		}
		rest := strings.TrimPrefix(tb.Template, tb.Prefix)
		for _, p := range tb.Partitions {
			_, after, ok := strings.Cut(rest, "=${"+p.Name+"}/")
			if !ok {
				t.Errorf("%s: template %s lacks partition %s (in order)", tb.Name, tb.Template, p.Name)
			}
			rest = after
		}
		if rest != "" {
			t.Errorf("%s: template %s ends in %q after its partitions", tb.Name, tb.Template, rest)
		}
		params := tb.Parameters("bucket")
		for _, p := range tb.Partitions {
			if params["projection."+p.Name+".type"] == "" {
				t.Errorf("%s: partition %s is not projected", tb.Name, p.Name)
			}
		}
		if got := params["storage.location.template"]; got != "s3://bucket/"+tb.Template {
			t.Errorf("%s: storage.location.template %s", tb.Name, got)
		}
	}
}
