package session

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
)

// sdkField is one entry of the "IVS fields" list of doc.go.
type sdkField struct {
	mapped bool
	text   string
}

// docFields reads the "IVS fields" list of doc.go: "Type.Field: where it goes" or
// "Type.Field: ignored: why".
func docFields(t *testing.T) map[string]sdkField {
	t.Helper()
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entry := regexp.MustCompile(`^//   - ([A-Z][A-Za-z]*\.[A-Z][A-Za-z]*): (.+)$`)
	out := map[string]sdkField{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := entry.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("doc.go lists %s twice", m[1])
		}
		out[m[1]] = sdkField{mapped: !strings.HasPrefix(m[2], "ignored"), text: m[2]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("read %d fields from doc.go's list: its format changed?", len(out))
	}
	return out
}

var ivsTypesPath = reflect.TypeFor[types.Channel]().PkgPath()

// sdkStruct returns the struct of service/ivs's types that t is, holds or points at, if any.
func sdkStruct(t reflect.Type) (reflect.Type, bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t, t.Kind() == reflect.Struct && t.PkgPath() == ivsTypesPath
}

// TestSDKFieldsAccounted walks every exported field of types.StreamSession and types.Channel
// (the record's sources) and of the service/ivs types they hold: each must be listed in
// doc.go, mapped or ignored, and every listed field must exist. A field ignored as a whole is
// not walked into.
func TestSDKFieldsAccounted(t *testing.T) {
	listed := docFields(t)
	seen := map[string]bool{}
	var walk func(st reflect.Type)
	walk = func(st reflect.Type) {
		for i := range st.NumField() {
			f := st.Field(i)
			if !f.IsExported() {
				continue // noSmithyDocumentSerde
			}
			key := st.Name() + "." + f.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			e, ok := listed[key]
			if !ok {
				t.Errorf("service/ivs has %s (%s), which doc.go's IVS fields neither maps nor ignores: decide what the record does with it", key, f.Type)
				continue
			}
			if inner, ok := sdkStruct(f.Type); ok && e.mapped {
				walk(inner)
			}
		}
	}
	walk(reflect.TypeFor[types.StreamSession]())
	walk(reflect.TypeFor[types.Channel]())
	for key := range listed {
		if !seen[key] {
			t.Errorf("doc.go lists %s, which service/ivs does not have (or the walk does not reach): remove it", key)
		}
	}
}

// filler gives every leaf of a value a distinct value and remembers, per listed field
// (Type.Field), the JSON text each value has in a record.
type filler struct {
	n      int
	values map[string][]string // Type.Field -> the values given, as they appear in JSON
}

func (f *filler) next() int { f.n++; return f.n }

// fill sets every exported field of the struct v points at, recursively.
func (f *filler) fill(v reflect.Value) {
	st := v.Type()
	for i := range st.NumField() {
		sf := st.Field(i)
		if !sf.IsExported() {
			continue
		}
		key := st.Name() + "." + sf.Name
		f.set(key, v.Field(i))
	}
}

var timeType = reflect.TypeFor[time.Time]()

func (f *filler) set(key string, fv reflect.Value) {
	switch t := fv.Type(); {
	case t.Kind() == reflect.Pointer:
		fv.Set(reflect.New(t.Elem()))
		f.set(key, fv.Elem())
	case t == timeType:
		at := time.Date(2026, 11, 3, 17, 0, 0, 0, time.UTC).Add(time.Duration(f.next()) * time.Second)
		fv.Set(reflect.ValueOf(at))
		f.values[key] = append(f.values[key], strconv.Quote(FormatTime(at)))
	case t.Kind() == reflect.String:
		s := fmt.Sprintf("v%03dx", f.next())
		fv.SetString(s)
		f.values[key] = append(f.values[key], strconv.Quote(s))
	case t.Kind() == reflect.Int64 || t.Kind() == reflect.Int32:
		n := 900000 + f.next()
		fv.SetInt(int64(n))
		f.values[key] = append(f.values[key], ":"+strconv.Itoa(n))
	case t.Kind() == reflect.Bool:
		fv.SetBool(true) // not distinctive: a bool's mapping is checked by the list alone
	case t.Kind() == reflect.Map:
		k, val := fmt.Sprintf("k%03dx", f.next()), fmt.Sprintf("v%03dx", f.next())
		fv.Set(reflect.MakeMap(t))
		fv.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(val))
		f.values[key] = append(f.values[key], strconv.Quote(val))
	case t.Kind() == reflect.Slice:
		fv.Set(reflect.MakeSlice(t, 1, 1))
		f.set(key, fv.Index(0))
	case t.Kind() == reflect.Struct:
		f.fill(fv)
	default:
		panic("filler: no value for " + key + " of " + t.String())
	}
}

// TestSDKFieldsReachTheRecord fills every field of a StreamSession (and of everything it holds)
// with a distinct value and builds its record: the value of every mapped string, number, time
// or map field appears in it, in the full session or in one without the fields the deprecated
// ones stand in for; the value of no ignored field does (the SRT passphrase among them).
func TestSDKFieldsReachTheRecord(t *testing.T) {
	listed := docFields(t)
	record := func(edit func(ss *types.StreamSession)) (string, *filler) {
		t.Helper()
		f := &filler{values: map[string][]string{}}
		var ss types.StreamSession
		f.fill(reflect.ValueOf(&ss).Elem())
		// What FromStreamSession validates, valid; the values are kept as the fields'.
		ss.StreamId = aws.String(testStreamID)
		ss.Channel.Arn = aws.String(testARN)
		f.values["StreamSession.StreamId"] = []string{strconv.Quote(testStreamID)}
		f.values["Channel.Arn"] = []string{strconv.Quote(testARN)}
		*ss.EndTime = ss.StartTime.Add(time.Hour)
		f.values["StreamSession.EndTime"] = []string{strconv.Quote(FormatTime(*ss.EndTime))}
		if edit != nil {
			edit(&ss)
		}
		r, err := FromStreamSession(&ss, nil)
		if err != nil {
			t.Fatalf("FromStreamSession: %v", err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), f
	}
	full, f := record(nil)
	// Without what the deprecated fields stand in for: no ingestConfigurations (then
	// ingestConfiguration is read), no profile or level (then avcProfile and avcLevel are).
	noProfiles := func(ss *types.StreamSession) {
		for i := range ss.IngestConfigurations.VideoConfigurations {
			v := &ss.IngestConfigurations.VideoConfigurations[i]
			v.Profile, v.Level = nil, nil
		}
		ss.IngestConfiguration.Video.Profile, ss.IngestConfiguration.Video.Level = nil, nil
	}
	oldIngest, _ := record(func(ss *types.StreamSession) { ss.IngestConfigurations = nil })
	oldAVC, _ := record(noProfiles)
	oldBoth, _ := record(func(ss *types.StreamSession) { noProfiles(ss); ss.IngestConfigurations = nil })
	deprecated := oldIngest + oldAVC + oldBoth
	for key, vals := range f.values {
		e, ok := listed[key]
		if !ok {
			continue // inside a field ignored as a whole
		}
		for _, v := range vals {
			in := strings.Contains(full, v) || strings.Contains(deprecated, v)
			if e.mapped && !in {
				t.Errorf("%s is mapped (%s), but its value %s is not in the record", key, e.text, v)
			}
			if !e.mapped && in {
				t.Errorf("%s is ignored, but its value %s is in the record", key, v)
			}
		}
	}
	// Inside the fields ignored as a whole: nothing reaches the record.
	for key, vals := range f.values {
		if _, ok := listed[key]; ok {
			continue
		}
		for _, v := range vals {
			if strings.Contains(full, v) || strings.Contains(deprecated, v) {
				t.Errorf("%s, inside a field ignored as a whole, reached the record: %s", key, v)
			}
		}
	}
	for _, key := range []string{"Srt.Passphrase", "RecordingConfiguration.Arn", "VideoConfiguration.Codec"} {
		if len(f.values[key]) == 0 {
			t.Errorf("the filler gave %s no value: the check above proves nothing for it", key)
		}
	}
	if !slices.ContainsFunc(f.values["VideoConfiguration.Codec"], func(v string) bool { return strings.Contains(full, v) }) {
		t.Error("no video codec in the record: the filler or FromStreamSession changed")
	}
}
