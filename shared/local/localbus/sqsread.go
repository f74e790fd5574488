package localbus

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The SQS API a person uses to look around the local queues, with the AWS CLI or an SDK:
// ListQueues, GetQueueUrl, GetQueueAttributes, and on a dead-letter queue ReceiveMessage,
// DeleteMessage and PurgeQueue. Each is served in both of SQS's wire protocols: AWS JSON 1.0
// (X-Amz-Target AmazonSQS.*, what aws-sdk-go-v2 and current AWS CLIs send) and the Query
// protocol (a form-encoded Action=..., answered in XML, what AWS CLIs before v2.13 and v1.29
// send, such as Debian's awscli 2.9).
//
// A function's own queue is read by its event source mapping, so ReceiveMessage, DeleteMessage
// and PurgeQueue are refused there with a message saying so; its depth is in
// GetQueueAttributes.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html

// sqsReadOps are the operations served here, by their name in both protocols.
var sqsReadOps = map[string]func(b *Bus, host string, p sqsParams) (sqsResult, *sqsError){
	"ListQueues":         (*Bus).listQueues,
	"GetQueueUrl":        (*Bus).getQueueURL,
	"GetQueueAttributes": (*Bus).getQueueAttributes,
	"ReceiveMessage":     (*Bus).receiveMessage,
	"DeleteMessage":      (*Bus).deleteMessage,
	"PurgeQueue":         (*Bus).purgeQueue,
}

// sqsQueryNamespace is the XML namespace of SQS's Query protocol answers.
const sqsQueryNamespace = "http://queue.amazonaws.com/doc/2012-11-05/"

// sqsParams are the members of the requests served here, whichever protocol brought them.
type sqsParams struct {
	QueueURL                    string   `json:"QueueUrl"`
	QueueName                   string   `json:"QueueName"`
	QueueNamePrefix             string   `json:"QueueNamePrefix"`
	MaxResults                  *int     `json:"MaxResults"`
	NextToken                   string   `json:"NextToken"`
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds"`
	ReceiptHandle               string   `json:"ReceiptHandle"`
}

// queryParams reads the members of a Query protocol request (lists as Name.1, Name.2, ...).
func queryParams(form url.Values) (sqsParams, *sqsError) {
	p := sqsParams{
		QueueURL: form.Get("QueueUrl"), QueueName: form.Get("QueueName"), QueueNamePrefix: form.Get("QueueNamePrefix"),
		NextToken: form.Get("NextToken"), ReceiptHandle: form.Get("ReceiptHandle"),
		AttributeNames:              queryList(form, "AttributeName"),
		MessageSystemAttributeNames: queryList(form, "MessageSystemAttributeName"),
	}
	for name, dst := range map[string]**int{
		"MaxResults": &p.MaxResults, "MaxNumberOfMessages": &p.MaxNumberOfMessages,
		"VisibilityTimeout": &p.VisibilityTimeout, "WaitTimeSeconds": &p.WaitTimeSeconds,
	} {
		v := form.Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, invalidValue(fmt.Sprintf("Value %s for parameter %s is invalid. Reason: must be an integer.", v, name))
		}
		*dst = &n
	}
	return p, nil
}

func queryList(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v...)
	}
}

// sqsError is an SQS error: its JSON protocol code and its Query protocol code.
type sqsError struct {
	status          int
	code, queryCode string
	message         string
}

func invalidValue(msg string) *sqsError {
	return &sqsError{http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", msg}
}

func missing(param string) *sqsError {
	return &sqsError{http.StatusBadRequest, "MissingParameter", "MissingParameter", "The request must contain the parameter " + param + "."}
}

var errNoQueue = &sqsError{http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."}

// sqsResult is an answer: a value for the JSON protocol and one for the Query protocol.
type sqsResult struct {
	json  any
	query any // the <Action>Result element's content, or nil for none
}

// serveSQSRead answers op (one of sqsReadOps) in the JSON protocol.
func (b *Bus) serveSQSRead(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	var p sqsParams
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &p); err != nil {
			writeJSONError(w, sqsJSON, http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", "malformed request: "+err.Error())
			return
		}
	}
	res, e := sqsReadOps[op](b, r.Host, p)
	if e != nil {
		writeJSONError(w, sqsJSON, e.status, e.code, e.queryCode, e.message)
		return
	}
	writeJSON(w, sqsJSON, res.json)
}

// isSQSQuery reports whether r is a request of SQS's Query protocol: a form-encoded POST with
// no X-Amz-Target.
func isSQSQuery(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return r.Header.Get("X-Amz-Target") == "" && strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

// serveSQSQuery answers a Query protocol request in XML.
func (b *Bus) serveSQSQuery(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeQueryError(w, &sqsError{http.StatusBadRequest, "MalformedQueryString", "MalformedQueryString", "The request body is not a form: " + err.Error()})
		return
	}
	action := form.Get("Action")
	handle, ok := sqsReadOps[action]
	if !ok {
		writeQueryError(w, &sqsError{http.StatusBadRequest, "InvalidAction", "InvalidAction",
			fmt.Sprintf("The action %q is not served by the local SQS in the Query protocol (it serves %s; "+
				"the JSON protocol of aws-sdk-go-v2 and AWS CLI v2.13+ also has SendMessage and ChangeMessageVisibility).", action, strings.Join(sortedOps(), ", "))})
		return
	}
	p, e := queryParams(form)
	if e == nil {
		var res sqsResult
		res, e = handle(b, r.Host, p)
		if e == nil {
			writeQueryResult(w, action, res.query)
			return
		}
	}
	writeQueryError(w, e)
}

func sortedOps() []string {
	ops := make([]string, 0, len(sqsReadOps))
	for op := range sqsReadOps {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// queryResponse is the envelope of a Query protocol answer, <Action>Response.
type queryResponse struct {
	XMLName  xml.Name
	XMLNS    string `xml:"xmlns,attr"`
	Result   any    `xml:",omitempty"`
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

// queryResult is the <Action>Result element.
type queryResult struct {
	XMLName xml.Name
	Content any
}

// MarshalXML writes the element with Content's fields as its children.
func (q queryResult) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(q.Content, xml.StartElement{Name: q.XMLName})
}

func writeQueryResult(w http.ResponseWriter, action string, content any) {
	resp := queryResponse{XMLName: xml.Name{Local: action + "Response"}, XMLNS: sqsQueryNamespace}
	if content != nil {
		resp.Result = queryResult{XMLName: xml.Name{Local: action + "Result"}, Content: content}
	}
	resp.Metadata.RequestID = uuid.NewString()
	writeXML(w, http.StatusOK, resp)
}

func writeQueryError(w http.ResponseWriter, e *sqsError) {
	type errorXML struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
		Detail  string `xml:"Detail"`
	}
	resp := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		XMLNS     string   `xml:"xmlns,attr"`
		Error     errorXML `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{XMLNS: sqsQueryNamespace, Error: errorXML{Type: "Sender", Code: e.queryCode, Message: e.message}, RequestID: uuid.NewString()}
	if e.status >= 500 {
		resp.Error.Type = "Receiver"
	}
	writeXML(w, e.status, resp)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte("<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// queueRef is a queue the API names: a function's queue, or its dead-letter queue.
type queueRef struct {
	q    *queue
	dlq  bool
	name string
}

// lookupQueue resolves a queue name (or a QueueUrl's last segment).
func (b *Bus) lookupQueue(name string) (queueRef, bool) {
	if q, ok := b.queues[name]; ok {
		return queueRef{q: q, name: name}, true
	}
	if src, ok := strings.CutSuffix(name, DeadLetterSuffix); ok {
		if q, found := b.queues[src]; found && q.cfg.MaxReceiveCount > 0 && q.cfg.DeadLetterQueue == "" {
			return queueRef{q: q, dlq: true, name: name}, true
		}
	}
	return queueRef{}, false
}

func (b *Bus) queueOfURL(p sqsParams) (queueRef, *sqsError) {
	if p.QueueURL == "" {
		return queueRef{}, missing("QueueUrl")
	}
	ref, ok := b.lookupQueue(lastSegment(p.QueueURL))
	if !ok {
		return queueRef{}, errNoQueue
	}
	return ref, nil
}

// queueNames lists every queue, dead-letter queues included, sorted.
func (b *Bus) queueNames() []string {
	var names []string
	for name, q := range b.queues {
		names = append(names, name)
		if q.cfg.MaxReceiveCount > 0 && q.cfg.DeadLetterQueue == "" {
			names = append(names, name+DeadLetterSuffix)
		}
	}
	sort.Strings(names)
	return names
}

func (b *Bus) listQueues(host string, p sqsParams) (sqsResult, *sqsError) {
	if p.MaxResults != nil && (*p.MaxResults < 1 || *p.MaxResults > 1000) {
		return sqsResult{}, invalidValue(fmt.Sprintf("Value %d for parameter MaxResults is invalid. Reason: must be between 1 and 1000.", *p.MaxResults))
	}
	var urls []string
	after := ""
	if p.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.NextToken)
		if err != nil || len(raw) == 0 {
			return sqsResult{}, invalidValue("Invalid NextToken value.")
		}
		after = string(raw)
	}
	next := ""
	for _, name := range b.queueNames() {
		if !strings.HasPrefix(name, p.QueueNamePrefix) || name <= after {
			continue
		}
		if p.MaxResults != nil && len(urls) == *p.MaxResults {
			next = base64.RawURLEncoding.EncodeToString([]byte(lastSegment(urls[len(urls)-1])))
			break
		}
		urls = append(urls, b.QueueURL("http://"+host, name))
	}
	out := struct {
		QueueUrls []string `json:"QueueUrls,omitempty"`
		NextToken string   `json:"NextToken,omitempty"`
	}{urls, next}
	return sqsResult{json: out, query: struct {
		QueueURL  []string `xml:"QueueUrl"`
		NextToken string   `xml:"NextToken,omitempty"`
	}{urls, next}}, nil
}

func (b *Bus) getQueueURL(host string, p sqsParams) (sqsResult, *sqsError) {
	if p.QueueName == "" {
		return sqsResult{}, missing("QueueName")
	}
	if _, ok := b.lookupQueue(p.QueueName); !ok {
		return sqsResult{}, errNoQueue
	}
	u := b.QueueURL("http://"+host, p.QueueName)
	return sqsResult{
		json: struct {
			QueueURL string `json:"QueueUrl"`
		}{u},
		query: struct {
			QueueURL string `xml:"QueueUrl"`
		}{u},
	}, nil
}

// queueAttributeNames are the attributes GetQueueAttributes answers ("All" names them all).
var queueAttributeNames = []string{
	"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "VisibilityTimeout", "MaximumMessageSize",
	"MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy",
}

// attributes returns the queue's attributes; times in the API's seconds (Config.Second).
func (b *Bus) attributes(ref queueRef) map[string]string {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var visible, notVisible, delayed int
	visibility := dlqVisibility * b.second
	if ref.dlq {
		for _, d := range ref.q.dlq {
			if r := ref.q.dlqReads[d.MessageID]; r != nil && r.visibleAt.After(now) {
				notVisible++
			} else {
				visible++
			}
		}
	} else {
		visibility = ref.q.cfg.VisibilityTimeout
		for _, m := range ref.q.messages {
			switch {
			case !m.visibleAt.After(now):
				visible++
			case m.handle != "":
				notVisible++
			default:
				delayed++
			}
		}
	}
	attrs := map[string]string{
		"QueueArn":                              b.QueueARN(ref.name),
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(notVisible),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"VisibilityTimeout":                     strconv.Itoa(int(visibility / b.second)),
		"MaximumMessageSize":                    strconv.Itoa(maxMessageSize),
		"MessageRetentionPeriod":                "345600",
		"DelaySeconds":                          "0",
		"ReceiveMessageWaitTimeSeconds":         "0",
	}
	if !ref.dlq && ref.q.cfg.MaxReceiveCount > 0 {
		policy, _ := json.Marshal(struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}{b.QueueARN(ref.q.dlqHolder().cfg.Name + DeadLetterSuffix), ref.q.cfg.MaxReceiveCount})
		attrs["RedrivePolicy"] = string(policy)
	}
	return attrs
}

// nameValue is an attribute in the Query protocol.
type nameValue struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

func nameValues(m map[string]string) []nameValue {
	out := make([]nameValue, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, nameValue{k, m[k]})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (b *Bus) getQueueAttributes(_ string, p sqsParams) (sqsResult, *sqsError) {
	ref, e := b.queueOfURL(p)
	if e != nil {
		return sqsResult{}, e
	}
	all := b.attributes(ref)
	out := map[string]string{}
	for _, name := range p.AttributeNames {
		if name == "All" {
			out = all
			break
		}
		if !contains(queueAttributeNames, name) {
			return sqsResult{}, &sqsError{http.StatusBadRequest, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute " + name + "."}
		}
		if v, ok := all[name]; ok {
			out[name] = v
		}
	}
	return sqsResult{
		json: struct {
			Attributes map[string]string `json:"Attributes,omitempty"`
		}{out},
		query: struct {
			Attribute []nameValue `xml:"Attribute"`
		}{nameValues(out)},
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dlqVisibility is a dead-letter queue's visibility timeout in API seconds: SQS's default.
const dlqVisibility = 30

// dlqRead is the receive state of a dead-letter message received with ReceiveMessage.
type dlqRead struct {
	handle    string
	visibleAt time.Time
	count     int
	first     time.Time
}

// consumedBy refuses a read that would take messages from the event source mapping.
func consumedBy(ref queueRef, op string) *sqsError {
	return &sqsError{http.StatusBadRequest, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
		fmt.Sprintf("The local %s queue is read by its function's event source mapping; %s is served on its dead-letter queue %s. "+
			"GetQueueAttributes shows this queue's depth.", ref.name, op, ref.name+DeadLetterSuffix)}
}

// receivedMessage is a message in ReceiveMessage's answer, in both protocols.
type receivedMessage struct {
	MessageID     string            `json:"MessageId" xml:"MessageId"`
	ReceiptHandle string            `json:"ReceiptHandle" xml:"ReceiptHandle"`
	MD5OfBody     string            `json:"MD5OfBody" xml:"MD5OfBody"`
	Body          string            `json:"Body" xml:"Body"`
	Attributes    map[string]string `json:"Attributes,omitempty" xml:"-"`
	AttributeList []nameValue       `json:"-" xml:"Attribute"`
}

// receiveMessage receives dead letters: up to MaxNumberOfMessages (1 to 10, default 1)
// visible ones, each invisible for VisibilityTimeout (default dlqVisibility) API seconds
// afterwards.
// WaitTimeSeconds is accepted and not waited for: a dead-letter queue is not written to while
// someone waits on it in a way that matters here.
func (b *Bus) receiveMessage(_ string, p sqsParams) (sqsResult, *sqsError) {
	ref, e := b.queueOfURL(p)
	if e != nil {
		return sqsResult{}, e
	}
	if !ref.dlq {
		return sqsResult{}, consumedBy(ref, "ReceiveMessage")
	}
	max := 1
	if p.MaxNumberOfMessages != nil {
		if max = *p.MaxNumberOfMessages; max < 1 || max > 10 {
			return sqsResult{}, invalidValue(fmt.Sprintf("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max))
		}
	}
	visibility := dlqVisibility * b.second
	if p.VisibilityTimeout != nil {
		if *p.VisibilityTimeout < 0 || *p.VisibilityTimeout > maxVisibility {
			return sqsResult{}, invalidValue(fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and %d.", *p.VisibilityTimeout, maxVisibility))
		}
		visibility = time.Duration(*p.VisibilityTimeout) * b.second
	}
	want := map[string]bool{}
	for _, n := range append(append([]string{}, p.AttributeNames...), p.MessageSystemAttributeNames...) {
		want[n] = true
	}
	now := b.clock.Now()
	var msgs []receivedMessage
	b.mu.Lock()
	q := ref.q
	if q.dlqReads == nil {
		q.dlqReads = map[string]*dlqRead{}
	}
	for _, d := range q.dlq {
		if len(msgs) == max {
			break
		}
		r := q.dlqReads[d.MessageID]
		if r == nil {
			r = &dlqRead{first: now}
			q.dlqReads[d.MessageID] = r
		} else if r.visibleAt.After(now) {
			continue
		}
		r.count++
		r.handle = newReceiptHandle()
		r.visibleAt = now.Add(visibility)
		sum := md5.Sum([]byte(d.Body))
		m := receivedMessage{MessageID: d.MessageID, ReceiptHandle: r.handle, MD5OfBody: hex.EncodeToString(sum[:]), Body: d.Body}
		sys := map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(r.count),
			"SentTimestamp":                    strconv.FormatInt(d.Sent.UnixMilli(), 10),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(r.first.UnixMilli(), 10),
		}
		for k, v := range sys {
			if want["All"] || want[k] {
				if m.Attributes == nil {
					m.Attributes = map[string]string{}
				}
				m.Attributes[k] = v
			}
		}
		m.AttributeList = nameValues(m.Attributes)
		msgs = append(msgs, m)
	}
	b.mu.Unlock()
	return sqsResult{
		json: struct {
			Messages []receivedMessage `json:"Messages,omitempty"`
		}{msgs},
		query: struct {
			Message []receivedMessage `xml:"Message"`
		}{msgs},
	}, nil
}

// deleteMessage deletes a received dead letter by its latest receipt handle.
func (b *Bus) deleteMessage(_ string, p sqsParams) (sqsResult, *sqsError) {
	ref, e := b.queueOfURL(p)
	if e != nil {
		return sqsResult{}, e
	}
	if !ref.dlq {
		return sqsResult{}, consumedBy(ref, "DeleteMessage")
	}
	if p.ReceiptHandle == "" {
		return sqsResult{}, missing("ReceiptHandle")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	q := ref.q
	for i, d := range q.dlq {
		if r := q.dlqReads[d.MessageID]; r != nil && r.handle == p.ReceiptHandle {
			q.dlq = append(q.dlq[:i:i], q.dlq[i+1:]...)
			delete(q.dlqReads, d.MessageID)
			b.notifyLocked()
			return sqsResult{json: struct{}{}}, nil
		}
	}
	return sqsResult{}, &sqsError{http.StatusBadRequest, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle is invalid."}
}

// purgeQueue deletes every message of a dead-letter queue.
func (b *Bus) purgeQueue(_ string, p sqsParams) (sqsResult, *sqsError) {
	ref, e := b.queueOfURL(p)
	if e != nil {
		return sqsResult{}, e
	}
	if !ref.dlq {
		return sqsResult{}, consumedBy(ref, "PurgeQueue")
	}
	b.mu.Lock()
	ref.q.dlq = nil
	ref.q.dlqReads = nil
	b.notifyLocked()
	b.mu.Unlock()
	return sqsResult{json: struct{}{}}, nil
}
