package localbus_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestSQSReadSDK looks around the local queues as a person does with the AWS CLI (v2.13+, which
// speaks SQS's JSON protocol like aws-sdk-go-v2): list the queues, read their attributes, receive
// the dead letters, delete one, purge the rest.
func TestSQSReadSDK(t *testing.T) {
	b, srv, _ := newBus(t, localbus.QueueConfig{MaxReceiveCount: 3, VisibilityTimeout: time.Second})
	client := sqsClient(srv.URL)
	ctx := context.Background()
	dlqName := suite.FunctionEnrich + localbus.DeadLetterSuffix

	list, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatalf("ListQueues: %v", err)
	}
	var names []string
	for _, u := range list.QueueUrls {
		if !strings.HasPrefix(u, srv.URL+"/123456789012/") {
			t.Errorf("queue URL %s, want one on the bus's endpoint", u)
		}
		names = append(names, u[strings.LastIndex(u, "/")+1:])
	}
	var want []string
	for _, fn := range suite.Functions {
		want = append(want, fn, fn+localbus.DeadLetterSuffix)
	}
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("ListQueues = %v, want %v", names, want)
	}
	// A prefix, and pages of one.
	var paged []string
	p := sqs.NewListQueuesPaginator(client, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(suite.FunctionEnrich), MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListQueues page: %v", err)
		}
		paged = append(paged, page.QueueUrls...)
	}
	if len(paged) != 2 || !strings.HasSuffix(paged[0], "/"+suite.FunctionEnrich) || !strings.HasSuffix(paged[1], "/"+dlqName) {
		t.Errorf("ListQueues(prefix enrich, pages of 1) = %v, want enrich and its DLQ", paged)
	}

	gu, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(dlqName)})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	dlqURL := aws.ToString(gu.QueueUrl)

	// Two dead letters: sent there as the corrector does.
	bodies := []string{`{"n":1,"note":"<&>"}`, `{"n":2}`}
	for _, body := range bodies {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlqURL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}

	attrs := func(name string) map[string]string {
		t.Helper()
		out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(srv.URL + "/123456789012/" + name), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("GetQueueAttributes(%s): %v", name, err)
		}
		return out.Attributes
	}
	src := attrs(suite.FunctionEnrich)
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(src["RedrivePolicy"]), &redrive); err != nil || redrive.MaxReceiveCount != 3 || redrive.DeadLetterTargetArn != b.QueueARN(dlqName) {
		t.Errorf("RedrivePolicy %q (%v), want maxReceiveCount 3 to %s", src["RedrivePolicy"], err, b.QueueARN(dlqName))
	}
	if src["QueueArn"] != b.QueueARN(suite.FunctionEnrich) || src["VisibilityTimeout"] != "100" || src["ApproximateNumberOfMessages"] != "0" {
		t.Errorf("enrich attributes %v, want its ARN, VisibilityTimeout 100 (1s of 10ms seconds), empty", src)
	}
	if got := attrs(dlqName); got["ApproximateNumberOfMessages"] != "2" || got["ApproximateNumberOfMessagesNotVisible"] != "0" || got["RedrivePolicy"] != "" {
		t.Errorf("DLQ attributes %v, want 2 visible messages", got)
	}
	one, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlqURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil || len(one.Attributes) != 1 || one.Attributes["ApproximateNumberOfMessages"] != "2" {
		t.Errorf("GetQueueAttributes(one name) = %v, %v", one, err)
	}

	// Receive both (the SDK checks each MD5OfBody), then none while they are invisible.
	rcv, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10, VisibilityTimeout: 100,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(rcv.Messages) != 2 || aws.ToString(rcv.Messages[0].Body) != bodies[0] || rcv.Messages[0].Attributes["ApproximateReceiveCount"] != "1" ||
		rcv.Messages[1].Attributes["SentTimestamp"] == "" {
		t.Fatalf("ReceiveMessage = %+v, want both dead letters with their attributes", rcv.Messages)
	}
	if got := attrs(dlqName); got["ApproximateNumberOfMessages"] != "0" || got["ApproximateNumberOfMessagesNotVisible"] != "2" {
		t.Errorf("DLQ attributes after receive %v, want 2 not visible", got)
	}
	again, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL)})
	if err != nil || len(again.Messages) != 0 {
		t.Errorf("ReceiveMessage while invisible = %+v, %v; want none", again, err)
	}

	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: rcv.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: rcv.Messages[0].ReceiptHandle})
	var invalid *sqstypes.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Errorf("DeleteMessage twice = %v, want ReceiptHandleIsInvalid", err)
	}
	if dl, _ := b.DeadLetters(suite.FunctionEnrich); len(dl) != 1 || dl[0].Body != bodies[1] {
		t.Errorf("dead letters after delete %+v, want the second only", dl)
	}
	if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(dlqURL)}); err != nil {
		t.Fatalf("PurgeQueue: %v", err)
	}
	if dl, _ := b.DeadLetters(suite.FunctionEnrich); len(dl) != 0 {
		t.Errorf("dead letters after purge %+v, want none", dl)
	}

	// A function's own queue belongs to its event source mapping.
	_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(srv.URL + "/123456789012/" + suite.FunctionEnrich)})
	var unsupported *sqstypes.UnsupportedOperation
	if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), dlqName) {
		t.Errorf("ReceiveMessage on the enrich queue = %v, want UnsupportedOperation naming %s", err, dlqName)
	}
	_, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(srv.URL + "/123456789012/nope")})
	var none *sqstypes.QueueDoesNotExist
	if !errors.As(err, &none) {
		t.Errorf("GetQueueAttributes(nope) = %v, want QueueDoesNotExist", err)
	}
	_, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlqURL), AttributeNames: []sqstypes.QueueAttributeName{"Colour"}})
	var badName *sqstypes.InvalidAttributeName
	if !errors.As(err, &badName) {
		t.Errorf("GetQueueAttributes(Colour) = %v, want InvalidAttributeName", err)
	}
}

// TestSQSReadQuery answers the same calls in SQS's Query protocol, as AWS CLIs before v2.13
// (Debian's awscli 2.9) send them: a form-encoded POST, answered in XML.
func TestSQSReadQuery(t *testing.T) {
	b, srv, _ := newBus(t, localbus.QueueConfig{MaxReceiveCount: 3})
	dlqName := suite.FunctionCorrect + localbus.DeadLetterSuffix
	if _, err := sqsClient(srv.URL).SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(b.QueueURL(srv.URL, dlqName)), MessageBody: aws.String(`{"why":"a < b & c"}`),
	}); err != nil {
		t.Fatal(err)
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("Version", "2012-11-05")
		resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
			t.Errorf("%s: Content-Type %q, want text/xml", form.Get("Action"), ct)
		}
		return resp.StatusCode, string(body)
	}

	status, body := post("/", url.Values{"Action": {"ListQueues"}, "QueueNamePrefix": {suite.FunctionCorrect}})
	var lq struct {
		XMLName xml.Name `xml:"ListQueuesResponse"`
		URLs    []string `xml:"ListQueuesResult>QueueUrl"`
		ID      string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &lq); status != 200 || err != nil || len(lq.URLs) != 2 || lq.URLs[1] != b.QueueURL(srv.URL, dlqName) || lq.ID == "" {
		t.Fatalf("ListQueues: %d %s (%v)", status, body, err)
	}

	// Older CLIs send the call to the queue's URL.
	status, body = post("/123456789012/"+dlqName, url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {lq.URLs[1]}, "AttributeName.1": {"All"}})
	var ga struct {
		Attrs []struct {
			Name  string `xml:"Name"`
			Value string `xml:"Value"`
		} `xml:"GetQueueAttributesResult>Attribute"`
	}
	if err := xml.Unmarshal([]byte(body), &ga); status != 200 || err != nil {
		t.Fatalf("GetQueueAttributes: %d %s (%v)", status, body, err)
	}
	got := map[string]string{}
	for _, a := range ga.Attrs {
		got[a.Name] = a.Value
	}
	if got["ApproximateNumberOfMessages"] != "1" || got["QueueArn"] != b.QueueARN(dlqName) {
		t.Errorf("GetQueueAttributes = %v", got)
	}

	status, body = post("/", url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {lq.URLs[1]}, "AttributeName.1": {"All"}, "MaxNumberOfMessages": {"5"}})
	var rm struct {
		Messages []struct {
			ID     string `xml:"MessageId"`
			Handle string `xml:"ReceiptHandle"`
			MD5    string `xml:"MD5OfBody"`
			Body   string `xml:"Body"`
			Attrs  []struct {
				Name  string `xml:"Name"`
				Value string `xml:"Value"`
			} `xml:"Attribute"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal([]byte(body), &rm); status != 200 || err != nil || len(rm.Messages) != 1 || rm.Messages[0].Body != `{"why":"a < b & c"}` ||
		rm.Messages[0].MD5 == "" || len(rm.Messages[0].Attrs) != 3 {
		t.Fatalf("ReceiveMessage: %d %s (%v)", status, body, err)
	}
	if status, body = post("/", url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {lq.URLs[1]}, "ReceiptHandle": {rm.Messages[0].Handle}}); status != 200 ||
		!strings.Contains(body, "<DeleteMessageResponse") {
		t.Errorf("DeleteMessage: %d %s", status, body)
	}

	// Errors in the Query shape, with the Query codes.
	var er struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	status, body = post("/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"nope"}})
	if err := xml.Unmarshal([]byte(body), &er); status != 400 || err != nil || er.Code != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("GetQueueUrl(nope): %d %s", status, body)
	}
	status, body = post("/", url.Values{"Action": {"SendMessage"}, "QueueUrl": {lq.URLs[0]}, "MessageBody": {"x"}})
	if err := xml.Unmarshal([]byte(body), &er); status != 400 || err != nil || er.Code != "InvalidAction" || !strings.Contains(er.Message, "ListQueues") {
		t.Errorf("SendMessage in the Query protocol: %d %s", status, body)
	}
}

// TestEventBridgeReadSDK lists the buses and the suite's rules and reads one, as `aws events
// list-rules` and `describe-rule` do.
func TestEventBridgeReadSDK(t *testing.T) {
	b, srv, _ := newBus(t, localbus.QueueConfig{})
	client := ebClient(srv.URL)
	ctx := context.Background()

	buses, err := client.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil {
		t.Fatalf("ListEventBuses: %v", err)
	}
	var busNames []string
	for _, eb := range buses.EventBuses {
		busNames = append(busNames, aws.ToString(eb.Name))
	}
	if strings.Join(busNames, " ") != "default "+suite.BusSessions {
		t.Errorf("ListEventBuses = %v, want default and %s", busNames, suite.BusSessions)
	}

	byBus := map[string][]suite.Route{}
	for _, r := range suite.Routes {
		byBus[r.Bus] = append(byBus[r.Bus], r)
	}
	for _, n := range suite.Notifications { // on the suite's bus, to the alarm topic
		byBus[suite.BusSessions] = append(byBus[suite.BusSessions], suite.Route{Name: n.Name, Bus: suite.BusSessions, Pattern: n.Pattern})
	}
	for bus, routes := range byBus {
		in := &eventbridge.ListRulesInput{}
		if bus != suite.BusDefault {
			in.EventBusName = aws.String(bus)
		}
		out, err := client.ListRules(ctx, in)
		if err != nil {
			t.Fatalf("ListRules(%s): %v", bus, err)
		}
		if len(out.Rules) != len(routes) {
			t.Fatalf("ListRules(%s) = %d rules, want %d", bus, len(out.Rules), len(routes))
		}
		for _, r := range routes {
			var found *ebtypes.Rule
			for i := range out.Rules {
				if aws.ToString(out.Rules[i].Name) == r.Name {
					found = &out.Rules[i]
				}
			}
			if found == nil || aws.ToString(found.EventPattern) != r.Pattern.JSON() || found.State != ebtypes.RuleStateEnabled {
				t.Errorf("ListRules(%s): rule %s = %+v, want its pattern, enabled", bus, r.Name, found)
			}
		}
	}
	paged, err := client.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(suite.BusSessions), Limit: aws.Int32(1)})
	if err != nil || len(paged.Rules) != 1 || paged.NextToken == nil {
		t.Fatalf("ListRules(limit 1) = %+v, %v; want one rule and a next token", paged, err)
	}
	next, err := client.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(suite.BusSessions), Limit: aws.Int32(1), NextToken: paged.NextToken})
	if err != nil || len(next.Rules) != 1 || aws.ToString(next.Rules[0].Name) <= aws.ToString(paged.Rules[0].Name) {
		t.Errorf("ListRules(second page) = %+v, %v; want the next rule", next, err)
	}

	route := suite.Routes[1] // on the suite's bus
	desc, err := client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(route.Name), EventBusName: aws.String(route.Bus)})
	if err != nil {
		t.Fatalf("DescribeRule: %v", err)
	}
	if aws.ToString(desc.EventPattern) != route.Pattern.JSON() || aws.ToString(desc.EventBusName) != route.Bus ||
		aws.ToString(desc.Arn) != "arn:aws:events:us-east-1:123456789012:rule/"+route.Bus+"/"+route.Name {
		t.Errorf("DescribeRule = %+v", desc)
	}
	targets, err := client.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(route.Name), EventBusName: aws.String(route.Bus)})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != b.QueueARN(route.Function) {
		t.Errorf("ListTargetsByRule = %+v, %v; want the %s queue", targets, err, route.Function)
	}

	notify := suite.Notifications[0]
	targets, err = client.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(notify.Name), EventBusName: aws.String(suite.BusSessions)})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != "arn:aws:sns:us-east-1:123456789012:"+localbus.AlarmTopic {
		t.Errorf("ListTargetsByRule(%s) = %+v, %v; want the alarm topic", notify.Name, targets, err)
	}

	_, err = client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(route.Name)}) // on the default bus: not there
	var nf *ebtypes.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "does not exist on EventBus default") {
		t.Errorf("DescribeRule on the wrong bus = %v, want ResourceNotFoundException", err)
	}
	_, err = client.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("nope")})
	if !errors.As(err, &nf) {
		t.Errorf("ListRules(nope) = %v, want ResourceNotFoundException", err)
	}
}

// TestAWSSourceHint: a hand-made aws.ivs event is refused as EventBridge refuses it, and the
// refusal says what to do locally instead.
func TestAWSSourceHint(t *testing.T) {
	_, srv, _ := newBus(t, localbus.QueueConfig{})
	out, err := ebClient(srv.URL).PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("aws.ivs"), DetailType: aws.String("IVS Stream State Change"), Detail: aws.String(`{"event_name":"Session Ended"}`),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	e := out.Entries[0]
	msg := aws.ToString(e.ErrorMessage)
	if aws.ToString(e.ErrorCode) != "NotAuthorizedForSourceException" || !strings.HasPrefix(msg, "Not authorized for the source aws.ivs.") ||
		!strings.Contains(msg, "/_admin/broadcasts") || !strings.Contains(msg, `"inject" step`) {
		t.Errorf("PutEvents(aws.ivs) = %s: %s; want EventBridge's refusal and what to do instead", aws.ToString(e.ErrorCode), msg)
	}
}
