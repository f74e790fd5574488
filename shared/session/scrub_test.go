package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

const plantedKey = "sk_us-west-2_abcdABCDefgh_567890abcdef"

// fill sets every string reachable from v (fields, slice elements, map keys and values, through
// pointers) to a text holding a stream key, and gives every slice and map one element and every
// pointer a value, so that no field of v is left out.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("text " + plantedKey)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// TestScrubbedEveryString: Record.Scrubbed, which names the fields it scrubs, scrubs exactly
// what the reflection walk redact.Strings does, on a record with a stream key in every string
// (a field added to the record and not named in Scrubbed fails here); and the merge and the
// archive's encoding keep none.
func TestScrubbedEveryString(t *testing.T) {
	var r Record
	fill(reflect.ValueOf(&r).Elem())
	before, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, want := r.Scrubbed(), redact.Strings(r)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scrubbed differs from redact.Strings:\ngot  %+v\nwant %+v", got, want)
	}
	if after, _ := json.Marshal(r); string(after) != string(before) {
		t.Error("Scrubbed modified the record it was given")
	}
	b, err := json.Marshal(Merge(Record{}, r))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), plantedKey) || !strings.Contains(string(b), redact.Redacted) {
		t.Errorf("the merged record keeps a stream key: %s", b)
	}
}

// TestScrubbedSharesClean: a record without a stream key is scrubbed without a copy.
func TestScrubbedSharesClean(t *testing.T) {
	r, err := FromStreamSession(multitrackSession(), stateEvent(t, at(4*time.Second), ivsevent.EventStreamStart, ""))
	if err != nil {
		t.Fatal(err)
	}
	r.Correction = &Correction{Outcome: CorrectionDecided, Detail: "no key here"}
	if len(r.Events) == 0 || r.Channel == nil {
		t.Fatalf("the fixture has no events or channel: %+v", r)
	}
	if n := testing.AllocsPerRun(100, func() { _ = r.Scrubbed() }); n != 0 {
		t.Errorf("Scrubbed of a clean record: %v allocations, want 0", n)
	}
	s := r.Scrubbed()
	if &s.Events[0] != &r.Events[0] || s.Channel != r.Channel || s.Correction != r.Correction {
		t.Error("Scrubbed copied what it did not change")
	}
}

// TestWireHasEveryField: the record is encoded through recordWire (wire.go), which lists the
// fields of Record again: both have the same JSON fields, and a record with every field set
// decodes back to itself.
func TestWireHasEveryField(t *testing.T) {
	names := func(typ reflect.Type) map[string]bool {
		out := map[string]bool{}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				out[f.Tag.Get("json")] = true
			}
		}
		return out
	}
	if r, w := names(reflect.TypeFor[Record]()), names(reflect.TypeFor[recordWire]()); !reflect.DeepEqual(r, w) {
		t.Errorf("Record's JSON fields %v, recordWire's %v", r, w)
	}
	var r Record
	fill(reflect.ValueOf(&r).Elem())
	setTimes(reflect.ValueOf(&r).Elem(), at(90*time.Minute))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if enc, err := r.EncodeJSON(); err != nil || string(enc) != string(b) {
		t.Errorf("EncodeJSON = %s, %v\nwant json.Marshal's %s", enc, err, b)
	}
	e := Enriched{Record: r, Trigger: Trigger{EventID: "e", Time: at(time.Minute)}}
	want, err := json.Marshal(e)
	if got, gerr := e.EncodeJSON(); err != nil || gerr != nil || string(got) != string(want) {
		t.Errorf("Enriched.EncodeJSON = %s, %v\nwant json.Marshal's %s", got, gerr, want)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("decoded %+v\nwant    %+v", back, r)
	}
}

// setTimes sets every time.Time reachable from v (filled by fill) to when.
func setTimes(v reflect.Value, when time.Time) {
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(when))
	case v.Kind() == reflect.Pointer && !v.IsNil():
		setTimes(v.Elem(), when)
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				setTimes(v.Field(i), when)
			}
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			setTimes(v.Index(i), when)
		}
	}
}

func TestSame(t *testing.T) {
	base, err := FromStreamSession(multitrackSession(), stateEvent(t, at(4*time.Second), ivsevent.EventStreamStart, ""))
	if err != nil {
		t.Fatal(err)
	}
	again := Merge(base, base)
	reason := base
	reason.Events = append([]Event(nil), base.Events...)
	reason.Events[0].Reason = "another reason" // same counts: only the encodings tell
	later := Merge(base, FromEvent(stateEvent(t, at(time.Hour), ivsevent.EventSessionEnded, ""), ""))
	tests := map[string]struct {
		a, b Record
		want bool
	}{
		"a record and its own merge": {base, again, true},
		"a field the counts miss":    {base, reason, false},
		"a new event":                {base, later, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ja, _ := json.Marshal(tc.a)
			jb, _ := json.Marshal(tc.b)
			if got := Same(tc.a, tc.b); got != tc.want || got != (string(ja) == string(jb)) {
				t.Errorf("Same = %v, want %v (the encodings equal: %v)", got, tc.want, string(ja) == string(jb))
			}
		})
	}
}
