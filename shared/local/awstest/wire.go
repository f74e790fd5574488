package awstest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Call is one request a Wire saw.
type Call struct {
	Op   string // the operation, as the Wire's op function names it
	Body []byte // the request body, as the SDK sent it
}

// Wire is an http.Handler that records each request's operation and body, then passes the
// request on to the peer behind it. It is safe for concurrent use.
type Wire struct {
	next http.Handler
	op   func(*http.Request) string

	mu    sync.Mutex
	calls []Call
}

// NewWire returns a Wire in front of next that names each request's operation with op
// (ByPath, ByTarget).
func NewWire(next http.Handler, op func(*http.Request) string) *Wire {
	return &Wire{next: next, op: op}
}

// ByPath names a REST-JSON request (IVS) by its path: "UpdateChannel" for POST /UpdateChannel.
func ByPath(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") }

// ByTarget names a JSON 1.1 request (EventBridge, SQS) by its X-Amz-Target header:
// "AWSEvents.PutEvents", "AmazonSQS.ChangeMessageVisibility".
func ByTarget(r *http.Request) string { return r.Header.Get("X-Amz-Target") }

// ServeHTTP records r and passes it on.
func (w *Wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	w.mu.Lock()
	w.calls = append(w.calls, Call{Op: w.op(r), Body: body})
	w.mu.Unlock()
	w.next.ServeHTTP(rw, r)
}

// Bodies returns the bodies of the calls of op, in the order they arrived.
func (w *Wire) Bodies(op string) [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for _, c := range w.calls {
		if c.Op == op {
			out = append(out, c.Body)
		}
	}
	return out
}

// Reset forgets the calls recorded so far.
func (w *Wire) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = nil
}
