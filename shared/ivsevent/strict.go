package ivsevent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
)

// Unmarshal decodes the JSON document data into v strictly, with github.com/go-json-experiment/json
// (the proposal behind encoding/json/v2, which Go 1.26 has only behind GOEXPERIMENT): member
// names match the struct's JSON names exactly (case-sensitive, so "Code" is not "code"), a
// member name given twice is an error, data after the value is an error, and strings must be
// valid UTF-8. Members the struct does not name are ignored, so that a field IVS adds tomorrow
// does not turn its events away.
//
// The error is a *invalid.FieldError whose Field is field (the path of data in its document, "" for the
// whole document) joined with the path of the offending member, e.g. "detail.stream_id" for a
// duplicated or mistyped stream_id, or "detail" for trailing data after the detail.
func Unmarshal(field string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	return decodeError(field, err)
}

// decodeError turns an error of json.Unmarshal into a *invalid.FieldError under prefix.
func decodeError(prefix string, err error) error {
	var (
		sem *json.SemanticError
		syn *jsontext.SyntacticError
	)
	switch {
	case errors.As(err, &syn):
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return &invalid.FieldError{Field: joinPath(prefix, syn.JSONPointer), Want: "the member once (a duplicate is ambiguous)", Got: syn.JSONPointer.LastToken(), Err: syn.Err}
		case strings.Contains(syn.Err.Error(), "after top-level value"):
			return &invalid.FieldError{Field: prefix, Want: "one JSON value", Got: fmt.Sprintf("trailing data at byte %d", syn.ByteOffset), Err: err}
		}
		// Where a document is cut off or broken, the document is what is malformed.
		return &invalid.FieldError{Field: prefix, Want: "well-formed JSON", Got: fmt.Sprintf("malformed JSON at byte %d", syn.ByteOffset), Err: err}
	case errors.As(err, &sem):
		field := joinPath(prefix, sem.JSONPointer)
		want := "a valid value"
		if sem.GoType != nil {
			want = "a JSON " + jsonKind(sem.GoType.Kind().String())
		}
		got := "an unusable value"
		switch {
		case sem.JSONValue != nil:
			got = "JSON " + string(sem.JSONValue)
		case sem.JSONKind != 0:
			got = "a JSON " + kindName(sem.JSONKind)
		}
		// Not Err: err, whose wording varies between calls ("cannot" or "unable to unmarshal");
		// field, want and got say it all.
		return &invalid.FieldError{Field: field, Want: want, Got: got}
	}
	return &invalid.FieldError{Field: prefix, Want: "well-formed JSON", Got: "malformed JSON", Err: err}
}

// joinPath writes a JSON pointer as a dotted path under prefix: /detail/stream_id is
// detail.stream_id, /resources/0 is resources[0].
func joinPath(prefix string, p jsontext.Pointer) string {
	var b strings.Builder
	b.WriteString(prefix)
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && tok != "" {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}
