package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// alias is an http.Handler in front of the local IVS that makes it answer for identifiers it
// did not choose: in each request (path and body) every public identifier (the event's channel
// ARN and stream ID) is replaced by its local one, and in each response the other way round.
type alias struct {
	next     http.Handler
	toLocal  *strings.Replacer
	toPublic *strings.Replacer
}

// newAlias returns an alias in front of next for the pairs public -> local.
func newAlias(next http.Handler, pairs map[string]string) *alias {
	var toLocal, toPublic []string
	for public, local := range pairs {
		if public == "" || local == "" || public == local {
			continue
		}
		toLocal = append(toLocal, public, local)
		toPublic = append(toPublic, local, public)
	}
	return &alias{next: next, toLocal: strings.NewReplacer(toLocal...), toPublic: strings.NewReplacer(toPublic...)}
}

// ServeHTTP serves one request through the translation.
func (a *alias) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	body = []byte(a.toLocal.Replace(string(body)))
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
	// The tags routes carry the ARN in the path (/tags/{resourceArn}), escaped.
	r2.URL.Path = a.toLocal.Replace(r.URL.Path)
	r2.URL.RawPath = ""

	rec := httptest.NewRecorder()
	a.next.ServeHTTP(rec, r2)
	out := []byte(a.toPublic.Replace(rec.Body.String()))
	for k, vs := range rec.Header() {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(out)
}
