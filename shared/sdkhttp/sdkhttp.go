// Package sdkhttp holds the HTTP client every aws-sdk-go-v2 client of the suite sends its
// requests with: the functions' (shared/awsenv puts it in their aws.Config), the scripts', the
// local stack's and the tests'. It is the SDK's own client with one change: the request body
// net/http is handed offers only Read and Close.
//
// Why: smithy-go closes the request body as soon as the response headers arrive
// (transport/http/client.go, ClientHandler.Handle: "_ = builtRequest.Body.Close()" right after
// client.Do), while net/http's transport may still be writing that request. After copying
// ContentLength bytes, transferWriter.writeBody (net/http/transfer.go, run by the persistConn's
// writeLoop in transport.go) copies the body once more into io.Discard, to find trailing bytes.
// smithy-go's body (transport/http/internal/io/safe.go, safeWriteToReadCloser) implements
// WriteTo, so that copy calls WriteTo, which answers io.EOF once the body is closed; io.Copy
// hands a WriteTo's io.EOF back as an error, writeBody returns it, and the writeLoop closes the
// connection while the response body is still being read: "deserialization failed ... use of
// closed network connection" on a 200 answer, or a second attempt of a call by the SDK's
// retryer. The window opens when the server has answered before the writeLoop gets there (the
// body went to the socket in one write; loopback peers answer that fast), and a large answer
// keeps the read going long enough to be cut. Without WriteTo, io.Discard's ReadFrom calls Read,
// which answers (0, io.EOF) once the body is closed; io.Copy takes that for the end of the body
// and the request ends well. TestKeepsTheConnection forces the race's losing order.
package sdkhttp

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Client is an aws.HTTPClient that sends each request through the client it wraps with the body
// wrapped in a type offering only Read and Close.
type Client struct{ next aws.HTTPClient }

var _ aws.HTTPClient = (*Client)(nil)

// New returns the SDK's own HTTP client (awshttp.NewBuildableClient), wrapped. Service clients
// take it as their Options' HTTPClient.
func New() *Client { return Wrap(nil) }

// Wrap wraps next; nil means the SDK's own client. config.LoadDefaultConfig needs a
// *awshttp.BuildableClient of its own (it adds AWS_CA_BUNDLE's certificates to it), so a caller
// of LoadDefaultConfig wraps what it resolved: cfg.HTTPClient = sdkhttp.Wrap(cfg.HTTPClient).
func Wrap(next aws.HTTPClient) *Client {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return &Client{next: next}
}

// Do sends a shallow copy of req whose body offers only Read and Close: a client must not change
// the request it is given, and the SDK closes the body it built itself.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		r := *req
		r.Body = plainBody{req.Body}
		req = &r
	}
	return c.next.Do(req)
}

// plainBody is an io.ReadCloser and nothing else: embedding the interface hides every other
// method of the body it holds (WriteTo in particular).
type plainBody struct{ io.ReadCloser }
