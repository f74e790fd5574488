package catalog

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

// Column is one top-level field of an archived record (session.Record, session.Corrected) as a
// Glue column: Name is the record's JSON field name and Type its Hive type, whose struct fields
// are JSON names too.
// The Glue tables get both in lower case: Athena column names are case-insensitive, and the
// OpenX JSON SerDe matches JSON keys to columns without regard to case.
type Column struct {
	Name    string
	Type    string
	Comment string
}

// columnComments documents the columns people query most (of either record); the Glue console
// and Athena show them.
var columnComments = map[string]string{
	"schemaVersion":      "version of the record's JSON schema",
	"channelArn":         "IVS channel ARN",
	"channelId":          "the channel ARN's resource ID (also the channel partition)",
	"streamId":           "IVS stream ID (st-...)",
	"channel":            "the channel's configuration when the session went live",
	"channelAsOf":        "go-live when channel is the configuration GetStreamSession gave",
	"startTime":          "UTC ISO-8601 string to the millisecond: from_iso8601_timestamp(starttime)",
	"endTime":            "UTC ISO-8601 string to the millisecond, absent while live",
	"durationSeconds":    "how long the session lasted, in seconds (a refused one too); 0 while live",
	"outcome":            "live, ended or refused",
	"code":               "the IVS code that explains the outcome, e.g. MultitrackInputNotAllowed",
	"video":              "video tracks as ingested, Track0 first",
	"audio":              "audio tracks as ingested",
	"multitrack":         "more than one video track",
	"topResolution":      "resolution of the video track with the most pixels, e.g. 1920x1080",
	"totalTargetBitrate": "sum of the video and audio tracks' target bitrates, bits per second",
	"events":             "the session's events, oldest first",
	"correction":         "the correction decided for the session and what became of it",
	"nextSession":        "on a refused session: the session that went live after its correction",
	"quality":            "how each track really streamed (CloudWatch vs targets) and the verdict: healthy, degraded or unknown",
	"sessionKey":         "archive key of the session record the correction belongs to",
	"before":             "the channel's configuration before the correction",
	"after":              "the channel's configuration after the correction",
}

// RecordColumns returns the columns of the session record (session.Record), in the order of
// its fields. Columns are derived from the Go type, so the tables follow the record as it
// changes: strings and string enums are string, integers bigint, floats double, bools boolean,
// time.Time an ISO-8601 string, slices arrays, maps map<string,...>, structs (and pointers to
// them) structs of their JSON fields.
func RecordColumns() []Column { return columnsOf(reflect.TypeFor[session.Record]()) }

// CorrectionColumns returns the columns of a correction record (session.Corrected), derived the
// same way as RecordColumns.
func CorrectionColumns() []Column { return columnsOf(reflect.TypeFor[session.Corrected]()) }

func columnsOf(t reflect.Type) []Column {
	var cols []Column
	for _, f := range jsonFields(t) {
		cols = append(cols, Column{Name: f.name, Type: hiveType(f.typ), Comment: columnComments[f.name]})
	}
	return cols
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the fields encoding/json writes for struct type t, with their JSON names.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		// Like encoding/json: an untagged embedded struct (even of an unexported type) has its
		// fields promoted; other unexported fields are not encoded.
		if f.Anonymous && name == "" && derefType(f.Type).Kind() == reflect.Struct {
			out = append(out, jsonFields(derefType(f.Type))...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type})
	}
	return out
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var timeType = reflect.TypeFor[time.Time]()

// hiveType is the Hive type Athena reads the JSON encoding of a value of type t as.
func hiveType(t reflect.Type) string {
	t = derefType(t)
	if t == timeType {
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "bigint"
	case reflect.Float32, reflect.Float64:
		return "double"
	case reflect.Slice, reflect.Array:
		return "array<" + hiveType(t.Elem()) + ">"
	case reflect.Map:
		return "map<string," + hiveType(t.Elem()) + ">"
	case reflect.Struct:
		fields := jsonFields(t)
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f.name + ":" + hiveType(f.typ)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	}
	// The records are plain data; a kind not handled above is a change to review here.
	panic(fmt.Sprintf("ivssessions: no Hive type for %s in an archived record", t))
}
