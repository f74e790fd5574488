package localbus

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// The EventBridge API a person uses to look at the local buses and rules, with the AWS CLI or
// an SDK (AWS JSON 1.1, X-Amz-Target AWSEvents.*): ListEventBuses, ListRules, DescribeRule and
// ListTargetsByRule. The rules are the suite's (SuiteRules), each with one target: an SQS queue
// or the alarm topic.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Operations.html

// eventsReadOps are the operations served here.
var eventsReadOps = map[string]func(b *Bus, body []byte) (any, *eventsError){
	"AWSEvents.ListEventBuses":    (*Bus).listEventBuses,
	"AWSEvents.ListRules":         (*Bus).listRules,
	"AWSEvents.DescribeRule":      (*Bus).describeRule,
	"AWSEvents.ListTargetsByRule": (*Bus).listTargetsByRule,
}

// targetID is the Id of each rule's one target, as the CDK app names it.
const targetID = "Target0"

type eventsError struct {
	code, message string
}

func (b *Bus) serveEventsRead(w http.ResponseWriter, op string, body []byte) {
	out, e := eventsReadOps[op](b, body)
	if e != nil {
		writeJSONError(w, eventsJSON, http.StatusBadRequest, e.code, "", e.message)
		return
	}
	writeJSON(w, eventsJSON, out)
}

func decodeEvents(body []byte, v any) *eventsError {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &eventsError{"SerializationException", "malformed request: " + err.Error()}
	}
	return nil
}

// busARN returns the ARN of an event bus.
func (b *Bus) busARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", b.cfg.Region, b.cfg.Account, name)
}

// ruleARN returns a rule's ARN: rule/<name> on the default bus, rule/<bus>/<name> on others.
func (b *Bus) ruleARN(r Rule) string {
	path := r.Name
	if r.Bus != DefaultBus {
		path = r.Bus + "/" + r.Name
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", b.cfg.Region, b.cfg.Account, path)
}

// ruleJSON is a rule as ListRules and DescribeRule answer it.
type ruleJSON struct {
	Name         string `json:"Name"`
	Arn          string `json:"Arn"`
	EventPattern string `json:"EventPattern"`
	State        string `json:"State"`
	Description  string `json:"Description,omitempty"`
	EventBusName string `json:"EventBusName"`
	CreatedBy    string `json:"CreatedBy,omitempty"`
}

func (b *Bus) ruleJSON(r Rule) ruleJSON {
	target := fmt.Sprintf("go to the %s queue", r.Queue)
	if r.Topic != "" {
		target = fmt.Sprintf("are published to the %s topic", r.Topic)
	}
	return ruleJSON{Name: r.Name, Arn: b.ruleARN(r), EventPattern: r.Pattern, State: "ENABLED", EventBusName: r.Bus,
		Description: "ivs-sessions (local): matching events " + target}
}

// pageOf returns the items after the position token encodes, at most limit (0: all), and the
// token of the next page.
func pageOf(names []string, token string, limit int) ([]string, string, *eventsError) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", &eventsError{"ValidationException", "The nextToken is invalid."}
		}
		start = sort.SearchStrings(names, string(raw)+"\x00")
	}
	rest := names[start:]
	if limit <= 0 || len(rest) <= limit {
		return rest, "", nil
	}
	return rest[:limit], base64.RawURLEncoding.EncodeToString([]byte(rest[limit-1])), nil
}

func checkLimit(limit *int) *eventsError {
	if limit != nil && (*limit < 1 || *limit > 100) {
		return &eventsError{"ValidationException", fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *limit)}
	}
	return nil
}

func (b *Bus) listEventBuses(body []byte) (any, *eventsError) {
	var req struct {
		NamePrefix string `json:"NamePrefix"`
		NextToken  string `json:"NextToken"`
		Limit      *int   `json:"Limit"`
	}
	if e := decodeEvents(body, &req); e != nil {
		return nil, e
	}
	if e := checkLimit(req.Limit); e != nil {
		return nil, e
	}
	var names []string
	for name := range b.buses {
		if strings.HasPrefix(name, req.NamePrefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	page, next, e := pageOf(names, req.NextToken, deref(req.Limit))
	if e != nil {
		return nil, e
	}
	type busJSON struct {
		Name string `json:"Name"`
		Arn  string `json:"Arn"`
	}
	out := struct {
		EventBuses []busJSON `json:"EventBuses"`
		NextToken  string    `json:"NextToken,omitempty"`
	}{EventBuses: []busJSON{}, NextToken: next}
	for _, name := range page {
		out.EventBuses = append(out.EventBuses, busJSON{name, b.busARN(name)})
	}
	return out, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// rulesOn returns the rules of a bus (a name or an ARN; empty: the default bus), by name.
func (b *Bus) rulesOn(bus string) (string, map[string]Rule, *eventsError) {
	name, err := b.busName(bus)
	if err != nil {
		return "", nil, &eventsError{"ResourceNotFoundException", fmt.Sprintf("Event bus %s does not exist.", bus)}
	}
	rules := map[string]Rule{}
	for _, r := range b.rules {
		if r.Bus == name {
			rules[r.Name] = r.Rule
		}
	}
	return name, rules, nil
}

func (b *Bus) listRules(body []byte) (any, *eventsError) {
	var req struct {
		NamePrefix   string `json:"NamePrefix"`
		EventBusName string `json:"EventBusName"`
		NextToken    string `json:"NextToken"`
		Limit        *int   `json:"Limit"`
	}
	if e := decodeEvents(body, &req); e != nil {
		return nil, e
	}
	if e := checkLimit(req.Limit); e != nil {
		return nil, e
	}
	_, rules, e := b.rulesOn(req.EventBusName)
	if e != nil {
		return nil, e
	}
	var names []string
	for name := range rules {
		if strings.HasPrefix(name, req.NamePrefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	page, next, e := pageOf(names, req.NextToken, deref(req.Limit))
	if e != nil {
		return nil, e
	}
	out := struct {
		Rules     []ruleJSON `json:"Rules"`
		NextToken string     `json:"NextToken,omitempty"`
	}{Rules: []ruleJSON{}, NextToken: next}
	for _, name := range page {
		out.Rules = append(out.Rules, b.ruleJSON(rules[name]))
	}
	return out, nil
}

// rule finds a rule by name on a bus.
func (b *Bus) rule(name, bus string) (Rule, *eventsError) {
	busName, rules, e := b.rulesOn(bus)
	if e != nil {
		return Rule{}, e
	}
	if name == "" {
		return Rule{}, &eventsError{"ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"}
	}
	r, ok := rules[name]
	if !ok {
		return Rule{}, &eventsError{"ResourceNotFoundException", fmt.Sprintf("Rule %s does not exist on EventBus %s.", name, busName)}
	}
	return r, nil
}

func (b *Bus) describeRule(body []byte) (any, *eventsError) {
	var req struct {
		Name         string `json:"Name"`
		EventBusName string `json:"EventBusName"`
	}
	if e := decodeEvents(body, &req); e != nil {
		return nil, e
	}
	r, e := b.rule(req.Name, req.EventBusName)
	if e != nil {
		return nil, e
	}
	out := b.ruleJSON(r)
	out.CreatedBy = b.cfg.Account
	return out, nil
}

func (b *Bus) listTargetsByRule(body []byte) (any, *eventsError) {
	var req struct {
		Rule         string `json:"Rule"`
		EventBusName string `json:"EventBusName"`
		NextToken    string `json:"NextToken"`
		Limit        *int   `json:"Limit"`
	}
	if e := decodeEvents(body, &req); e != nil {
		return nil, e
	}
	if e := checkLimit(req.Limit); e != nil {
		return nil, e
	}
	r, e := b.rule(req.Rule, req.EventBusName)
	if e != nil {
		return nil, e
	}
	type targetJSON struct {
		ID  string `json:"Id"`
		Arn string `json:"Arn"`
	}
	return struct {
		Targets []targetJSON `json:"Targets"`
	}{[]targetJSON{{targetID, b.targetARN(r)}}}, nil
}
