package localbus

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// SendMessage's limits, as SQS documents them
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
const (
	maxMessageSize       = 1 << 20 // body and attributes together: 1 MiB
	maxMessageAttributes = 10
	maxDelaySeconds      = 900
)

// attributeName is what SQS accepts as a message attribute name (up to 256 characters of
// letters, digits, _, - and .; the dots checked apart).
var attributeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// messageAttribute is a MessageAttributeValue on the wire (BinaryValue in base64).
type messageAttribute struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue"`
	BinaryValue []byte  `json:"BinaryValue"`
}

// binary reports whether the attribute's data type is Binary (or a custom Binary.x).
func (a messageAttribute) binary() bool {
	return a.DataType == "Binary" || strings.HasPrefix(a.DataType, "Binary.")
}

func (b *Bus) serveSendMessage(w http.ResponseWriter, body []byte) {
	var req struct {
		QueueURL          string                      `json:"QueueUrl"`
		MessageBody       *string                     `json:"MessageBody"`
		DelaySeconds      *int                        `json:"DelaySeconds"`
		MessageAttributes map[string]messageAttribute `json:"MessageAttributes"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", "malformed request: "+err.Error())
		return
	}
	invalid := func(msg string) {
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", msg)
	}
	switch {
	case req.QueueURL == "":
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "MissingParameter", "MissingParameter", "The request must contain the parameter QueueUrl.")
		return
	case req.MessageBody == nil || *req.MessageBody == "":
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "MissingParameter", "MissingParameter", "The request must contain the parameter MessageBody.")
		return
	case !validMessageContents(*req.MessageBody):
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "InvalidMessageContents", "InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
		return
	case req.DelaySeconds != nil && (*req.DelaySeconds < 0 || *req.DelaySeconds > maxDelaySeconds):
		invalid(fmt.Sprintf("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and %d, if provided.", *req.DelaySeconds, maxDelaySeconds))
		return
	case len(req.MessageAttributes) > maxMessageAttributes:
		invalid(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(req.MessageAttributes), maxMessageAttributes))
		return
	}
	size := len(*req.MessageBody)
	for name, a := range req.MessageAttributes {
		if msg := checkAttribute(name, a); msg != "" {
			invalid(msg)
			return
		}
		size += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			size += len(*a.StringValue)
		}
	}
	if size > maxMessageSize {
		invalid(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxMessageSize))
		return
	}

	delay := time.Duration(0)
	if req.DelaySeconds != nil {
		delay = time.Duration(*req.DelaySeconds) * b.second
	}
	id, ok := b.sendMessage(lastSegment(req.QueueURL), *req.MessageBody, req.MessageAttributes, delay)
	if !ok {
		writeJSONError(w, sqsJSON, http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		return
	}
	sum := md5.Sum([]byte(*req.MessageBody))
	out := struct {
		MD5OfMessageBody       string `json:"MD5OfMessageBody"`
		MD5OfMessageAttributes string `json:"MD5OfMessageAttributes,omitempty"`
		MessageID              string `json:"MessageId"`
	}{MD5OfMessageBody: hex.EncodeToString(sum[:]), MessageID: id}
	if len(req.MessageAttributes) > 0 {
		out.MD5OfMessageAttributes = attributesMD5(req.MessageAttributes)
	}
	writeJSON(w, sqsJSON, out)
}

// checkAttribute returns SQS's complaint about a message attribute, or "".
func checkAttribute(name string, a messageAttribute) string {
	lower := strings.ToLower(name)
	if !attributeName.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") ||
		strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return fmt.Sprintf("Message attribute name '%s' is invalid.", name)
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String", "Number":
		if a.StringValue == nil || *a.StringValue == "" {
			return fmt.Sprintf("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
		}
		if !validMessageContents(*a.StringValue) {
			return fmt.Sprintf("The message attribute '%s' contains invalid characters.", name)
		}
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return fmt.Sprintf("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
		}
	default:
		return fmt.Sprintf("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	return ""
}

// validMessageContents reports whether s holds only the characters SQS accepts: #x9, #xA, #xD,
// #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF (valid UTF-8).
func validMessageContents(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// attributesMD5 is SQS's MD5OfMessageAttributes: for each attribute, by name, the name, the
// data type, a transport byte (1 string, 2 binary) and the value, each length-prefixed (4 bytes,
// big-endian) but the transport byte.
func attributesMD5(attrs map[string]messageAttribute) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	field := func(b []byte) {
		_ = binary.Write(h, binary.BigEndian, uint32(len(b)))
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(a.DataType))
		if a.binary() {
			h.Write([]byte{2})
			field(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			field([]byte(*a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// lastSegment returns the queue name a QueueUrl ends with.
func lastSegment(url string) string {
	name := strings.TrimRight(url, "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// sendMessage adds a message to the queue named name, or to the dead-letter queue of the queue
// that name + DeadLetterSuffix names (a queue with a MaxReceiveCount has one), and returns its
// ID; false when there is no such queue.
func (b *Bus) sendMessage(name, body string, attrs map[string]messageAttribute, delay time.Duration) (string, bool) {
	if q, ok := b.queues[name]; ok {
		return q.sendWith(body, attrs, delay), true
	}
	source, ok := strings.CutSuffix(name, DeadLetterSuffix)
	if q, found := b.queues[source]; ok && found && q.cfg.MaxReceiveCount > 0 && q.cfg.DeadLetterQueue == "" {
		return q.deadLetter(body, deadLetterAttributes(attrs)), true
	}
	return "", false
}

// deliveredAttributes returns attrs as the event source mapping delivers them; nil for none.
func deliveredAttributes(attrs map[string]messageAttribute) map[string]events.SQSMessageAttribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]events.SQSMessageAttribute, len(attrs))
	for n, a := range attrs {
		out[n] = events.SQSMessageAttribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
	return out
}

// deadLetterAttributes returns attrs as DeadLetter.Attributes; nil for none.
func deadLetterAttributes(attrs map[string]messageAttribute) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]string, len(attrs))
	for n, a := range attrs {
		if a.binary() {
			out[n] = base64.StdEncoding.EncodeToString(a.BinaryValue)
		} else {
			out[n] = *a.StringValue
		}
	}
	return out
}
