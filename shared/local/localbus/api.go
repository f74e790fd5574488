package localbus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
)

// maxRequestBody bounds a request body; PutEvents' own limit is 1 MB.
const maxRequestBody = 4 << 20

// ServeHTTP serves EventBridge PutEvents (X-Amz-Target AWSEvents.PutEvents) and SQS
// ChangeMessageVisibility and SendMessage (X-Amz-Target AmazonSQS.*), as POST / in
// the AWS JSON protocols the aws-sdk-go-v2 clients speak; and the read APIs a person looks
// around with: EventBridge's in eventsread.go, SQS's in sqsread.go (also in SQS's Query
// protocol, a form-encoded POST without X-Amz-Target). Other operations get
// UnknownOperationException.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost {
		writeJSONError(w, "application/x-amz-json-1.1", http.StatusMethodNotAllowed, "UnknownOperationException", "", "want POST")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		writeJSONError(w, "application/x-amz-json-1.1", http.StatusRequestEntityTooLarge, "SerializationException", "", "request body unreadable or too large")
		return
	}
	if isSQSQuery(r) {
		b.serveSQSQuery(w, r, body)
		return
	}
	switch target {
	case "AWSEvents.PutEvents":
		b.servePutEvents(w, body)
	case "AmazonSQS.ChangeMessageVisibility":
		b.serveChangeMessageVisibility(w, body)
	case "AmazonSQS.SendMessage":
		b.serveSendMessage(w, body)
	default:
		if op, ok := strings.CutPrefix(target, "AmazonSQS."); ok && sqsReadOps[op] != nil {
			b.serveSQSRead(w, r, op, body)
			return
		}
		if eventsReadOps[target] != nil {
			b.serveEventsRead(w, target, body)
			return
		}
		ct := "application/x-amz-json-1.1"
		if strings.HasPrefix(target, "AmazonSQS.") {
			ct = "application/x-amz-json-1.0"
		}
		writeJSONError(w, ct, http.StatusBadRequest, "UnknownOperationException", "", fmt.Sprintf("operation %q is not implemented by the local bus", target))
	}
}

// putEventsRequest is PutEvents' input on the wire (awsJson1_1).
type putEventsRequest struct {
	Entries []struct {
		Source       string      `json:"Source"`
		DetailType   string      `json:"DetailType"`
		Detail       string      `json:"Detail"`
		Resources    []string    `json:"Resources"`
		EventBusName string      `json:"EventBusName"`
		Time         json.Number `json:"Time"` // epoch seconds
		TraceHeader  string      `json:"TraceHeader"`
	} `json:"Entries"`
	EndpointID string `json:"EndpointId"`
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

const eventsJSON = "application/x-amz-json-1.1"

func (b *Bus) servePutEvents(w http.ResponseWriter, body []byte) {
	var req putEventsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSONError(w, eventsJSON, http.StatusBadRequest, "SerializationException", "", "malformed PutEvents request: "+err.Error())
		return
	}
	switch n := len(req.Entries); {
	case n == 0:
		writeJSONError(w, eventsJSON, http.StatusBadRequest, "ValidationException", "",
			"1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
		return
	case n > 10:
		writeJSONError(w, eventsJSON, http.StatusBadRequest, "ValidationException", "",
			"1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")
		return
	}
	entries := make([]Entry, len(req.Entries))
	for i, e := range req.Entries {
		if _, err := b.busName(e.EventBusName); err != nil {
			writeJSONError(w, eventsJSON, http.StatusBadRequest, "ResourceNotFoundException", "", fmt.Sprintf("Event bus %s does not exist.", e.EventBusName))
			return
		}
		entries[i] = Entry{Bus: e.EventBusName, Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources}
		if e.Time != "" {
			sec, err := e.Time.Float64()
			if err != nil || math.IsInf(sec, 0) || math.IsNaN(sec) {
				writeJSONError(w, eventsJSON, http.StatusBadRequest, "SerializationException", "", fmt.Sprintf("Entries[%d].Time: want epoch seconds, got %s", i, e.Time))
				return
			}
			whole, frac := math.Modf(sec)
			entries[i].Time = time.Unix(int64(whole), int64(frac*1e9))
		}
	}
	out := struct {
		Entries          []putEventsResultEntry `json:"Entries"`
		FailedEntryCount int                    `json:"FailedEntryCount"`
	}{Entries: make([]putEventsResultEntry, len(entries))}
	for i, e := range entries {
		id, err := b.Put(e)
		var ee *EntryError
		switch {
		case err == nil:
			out.Entries[i] = putEventsResultEntry{EventID: id}
		case errors.As(err, &ee):
			out.Entries[i] = putEventsResultEntry{ErrorCode: ee.Code, ErrorMessage: ee.Message}
			out.FailedEntryCount++
		default:
			out.Entries[i] = putEventsResultEntry{ErrorCode: "InternalFailure", ErrorMessage: err.Error()}
			out.FailedEntryCount++
		}
	}
	writeJSON(w, eventsJSON, out)
}

const sqsJSON = "application/x-amz-json-1.0"

// queueFromURL returns the queue a QueueUrl names by its last path segment.
func (b *Bus) queueFromURL(url string) (*queue, bool) {
	q, ok := b.queues[lastSegment(url)]
	return q, ok
}

func (b *Bus) serveChangeMessageVisibility(w http.ResponseWriter, body []byte) {
	var req struct {
		QueueURL          string `json:"QueueUrl"`
		ReceiptHandle     string `json:"ReceiptHandle"`
		VisibilityTimeout *int   `json:"VisibilityTimeout"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", "malformed request: "+err.Error())
		return
	}
	switch {
	case req.QueueURL == "":
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "MissingParameter", "MissingParameter", "The request must contain the parameter QueueUrl.")
		return
	case req.ReceiptHandle == "":
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "MissingParameter", "MissingParameter", "The request must contain the parameter ReceiptHandle.")
		return
	case req.VisibilityTimeout == nil:
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "MissingParameter", "MissingParameter", "The request must contain the parameter VisibilityTimeout.")
		return
	}
	q, ok := b.queueFromURL(req.QueueURL)
	if !ok {
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		return
	}
	err := b.ChangeMessageVisibility(q.cfg.Name, req.ReceiptHandle, *req.VisibilityTimeout)
	switch {
	case err == nil:
		writeJSON(w, sqsJSON, struct{}{})
	case errors.Is(err, ErrInvalidVisibility):
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue",
			fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", *req.VisibilityTimeout))
	case errors.Is(err, ErrMessageNotInflight):
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "Message does not exist or is not available for visibility timeout change.")
	default:
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle is invalid.")
	}
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, contentType, http.StatusInternalServerError, "InternalFailure", "", err.Error())
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

// WriteSQSError writes an error as SQS answers in its JSON protocol, with the
// x-amzn-query-error code its query-compatible clients read (for example 400, RequestThrottled,
// AWS.SimpleQueueService.RequestThrottled): for a proxy that injects SQS's documented faults.
func WriteSQSError(w http.ResponseWriter, status int, code, queryCode, msg string) {
	writeJSONError(w, sqsJSON, status, code, queryCode, msg)
}

// writeJSONError writes an AWS JSON protocol error; queryCode, when set, is the
// x-amzn-query-error code SQS adds for its query-compatible clients.
func writeJSONError(w http.ResponseWriter, contentType string, status int, code, queryCode, msg string) {
	typ := code
	if contentType == sqsJSON {
		typ = "com.amazonaws.sqs#" + code
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{typ, msg})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", code)
	if queryCode != "" {
		w.Header().Set("x-amzn-query-error", queryCode+";Sender")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
