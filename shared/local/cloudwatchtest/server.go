package cloudwatchtest

import (
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The operations the server answers; they name the entries of Calls.
const (
	OpGetMetricData = "GetMetricData"
	OpPutMetricData = "PutMetricData"
)

// pathPrefix is the path of every RPC v2 call to CloudWatch (its Smithy service name).
const pathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// MaxDatapoints is the most datapoints one GetMetricData response holds (and the default of
// the request's MaxDatapoints).
const MaxDatapoints = 100_800

// maxQueries is the most MetricDataQueries one request may hold.
const maxQueries = 500

// unitNone is the unit of data put without one.
const unitNone = "None"

// Datum is one value put at one time, with its unit (a CloudWatch StandardUnit such as
// "Count/Second"; "" is None).
type Datum struct {
	Time  time.Time
	Value float64
	Unit  string
}

// Options configures a Server. The zero value is usable: wall-clock time, datapoints visible
// at once.
type Options struct {
	// Now is the clock that decides which datapoints are visible; nil means time.Now.
	Now func() time.Time
	// Delay is how long after its timestamp a datapoint becomes visible to GetMetricData.
	Delay time.Duration
}

// Server is a local CloudWatch metrics store; it is an http.Handler.
type Server struct {
	opts Options

	mu     sync.Mutex
	series map[string]*stored // by seriesKey
	calls  map[string]int
	faults []Fault
}

type stored struct {
	namespace, metric string
	dims              map[string]string
	data              []Datum
}

// Fault makes the next Count calls of Op fail with HTTP Status and the error Type (the
// Smithy shape name, e.g. "InternalServiceFault") and its query-compatible Code (e.g.
// "InternalServiceError").
type Fault struct {
	Op     string
	Count  int
	Status int
	Type   string
	Code   string
}

// New returns a Server with opts.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, series: map[string]*stored{}, calls: map[string]int{}}
}

// seriesKey identifies a series: namespace, metric name and dimensions (order-insensitive).
func seriesKey(namespace, metric string, dims map[string]string) string {
	names := make([]string, 0, len(dims))
	for n := range dims {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(namespace + "\x00" + metric)
	for _, n := range names {
		b.WriteString("\x00" + n + "=" + dims[n])
	}
	return b.String()
}

// Put adds datapoints to the series (namespace, metric, dims).
func (s *Server) Put(namespace, metric string, dims map[string]string, data ...Datum) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := seriesKey(namespace, metric, dims)
	st, ok := s.series[k]
	if !ok {
		st = &stored{namespace: namespace, metric: metric, dims: maps(dims)}
		s.series[k] = st
	}
	for _, d := range data {
		st.data = append(st.data, Datum{Time: d.Time.UTC(), Value: d.Value, Unit: d.Unit})
	}
}

// Series returns a copy of the datapoints of the series (namespace, metric, dims), in the order
// they were put.
func (s *Server) Series(namespace, metric string, dims map[string]string) []Datum {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.series[seriesKey(namespace, metric, dims)]; ok {
		return slices.Clone(st.data)
	}
	return nil
}

// Calls returns how many calls of op the server received (failed ones included).
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// SetFault adds a fault; faults of an operation are used in the order they were added.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// apiError is an error response.
type apiError struct {
	status  int
	typ     string // Smithy shape name
	code    string // query-compatible code
	message string
}

func invalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidParameterValueException", code: "InvalidParameterValue", message: fmt.Sprintf(format, args...)}
}

func missing(field string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "MissingRequiredParameterException", code: "MissingParameter", message: "The parameter " + field + " is required."}
}

// ServeHTTP answers one RPC v2 CBOR call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	if r.Method != http.MethodPost || !ok {
		writeError(w, &apiError{status: http.StatusNotFound, typ: "UnknownOperationException", code: "UnknownOperation", message: "no operation at " + r.Method + " " + r.URL.Path})
		return
	}
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "InvalidParameterValueException", code: "InvalidParameterValue", message: "want the header Smithy-Protocol: rpc-v2-cbor"})
		return
	}
	var src io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" { // the SDK compresses PutMetricData
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeError(w, invalid("gunzip body: %v", err))
			return
		}
		src = zr
	}
	body, err := io.ReadAll(io.LimitReader(src, 1<<20))
	if err != nil {
		writeError(w, invalid("read body: %v", err))
		return
	}
	in := cbor.Map{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			writeError(w, invalid("decode CBOR: %v", err))
			return
		}
		m, ok := v.(cbor.Map)
		if !ok {
			writeError(w, invalid("want a CBOR map, got %T", v))
			return
		}
		in = m
	}

	s.mu.Lock()
	s.calls[op]++
	for i, f := range s.faults {
		if f.Op == op && f.Count > 0 {
			s.faults[i].Count--
			s.mu.Unlock()
			writeError(w, &apiError{status: f.Status, typ: f.Type, code: f.Code, message: "injected fault"})
			return
		}
	}
	s.mu.Unlock()

	var out cbor.Map
	var aerr *apiError
	switch op {
	case OpGetMetricData:
		out, aerr = s.getMetricData(in)
	case OpPutMetricData:
		out, aerr = s.putMetricData(in)
	default:
		aerr = &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", code: "UnknownOperation", message: "operation " + op + " is not implemented by cloudwatchtest"}
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(cbor.Encode(out))
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", e.code+";Sender")
	w.WriteHeader(e.status)
	_, _ = w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String("com.amazonaws.cloudwatch#" + e.typ),
		"message": cbor.String(e.message),
	}))
}

// query is one MetricDataQuery with a MetricStat (expressions are not supported).
type query struct {
	id, label string
	key       string
	name      string
	period    time.Duration
	stat      string
	unit      string // MetricStat.Unit; "": every unit
	ret       bool
}

var idPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)

var stats = map[string]func([]float64) float64{
	"Average": func(vs []float64) float64 {
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		return sum / float64(len(vs))
	},
	"Sum": func(vs []float64) float64 {
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		return sum
	},
	"Minimum":     func(vs []float64) float64 { return slices.Min(vs) },
	"Maximum":     func(vs []float64) float64 { return slices.Max(vs) },
	"SampleCount": func(vs []float64) float64 { return float64(len(vs)) },
}

func (s *Server) getMetricData(in cbor.Map) (cbor.Map, *apiError) {
	start, err := timeField(in, "StartTime")
	if err != nil {
		return nil, err
	}
	end, err := timeField(in, "EndTime")
	if err != nil {
		return nil, err
	}
	if !start.Before(end) {
		return nil, invalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	limit := MaxDatapoints
	if v, ok := in["MaxDatapoints"]; ok {
		n, cerr := cbor.AsInt64(v)
		if cerr != nil || n <= 0 {
			return nil, invalid("MaxDatapoints: want a positive integer")
		}
		limit = int(min(n, MaxDatapoints))
	}
	descending := true // CloudWatch's default: TimestampDescending
	if v, ok := in["ScanBy"].(cbor.String); ok {
		switch v {
		case "TimestampAscending":
			descending = false
		case "TimestampDescending":
		default:
			return nil, invalid("ScanBy: want TimestampAscending or TimestampDescending, got %q", v)
		}
	}
	offset := 0
	if v, ok := in["NextToken"].(cbor.String); ok {
		n, cerr := strconv.Atoi(string(v))
		if cerr != nil || n < 0 {
			return nil, &apiError{status: http.StatusBadRequest, typ: "InvalidNextToken", code: "InvalidNextToken", message: "The service couldn't process the NextToken."}
		}
		offset = n
	}
	list, ok := in["MetricDataQueries"].(cbor.List)
	if !ok || len(list) == 0 {
		return nil, missing("MetricDataQueries")
	}
	if len(list) > maxQueries {
		return nil, invalid("MetricDataQueries: at most %d, got %d", maxQueries, len(list))
	}
	queries := make([]query, 0, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		q, aerr := parseQuery(i, item)
		if aerr != nil {
			return nil, aerr
		}
		if seen[q.id] {
			return nil, invalid("MetricDataQueries: the Id %q is used twice", q.id)
		}
		seen[q.id] = true
		queries = append(queries, q)
	}

	visible := s.opts.Now().Add(-s.opts.Delay)
	type result struct {
		q      query
		times  []time.Time
		values []float64
	}
	var results []result
	s.mu.Lock()
	for _, q := range queries {
		if !q.ret {
			continue
		}
		buckets := map[int64][]float64{}
		if st, ok := s.series[q.key]; ok {
			for _, d := range st.data {
				if d.Time.Before(start) || !d.Time.Before(end) || d.Time.After(visible) {
					continue
				}
				if q.unit != "" && cmp.Or(d.Unit, unitNone) != q.unit {
					continue // only the data put with the unit asked for; no conversion
				}
				b := int64(d.Time.Sub(start) / q.period)
				buckets[b] = append(buckets[b], d.Value)
			}
		}
		idx := make([]int64, 0, len(buckets))
		for b := range buckets {
			idx = append(idx, b)
		}
		slices.Sort(idx)
		if descending {
			slices.Reverse(idx)
		}
		r := result{q: q}
		for _, b := range idx {
			r.times = append(r.times, start.Add(time.Duration(b)*q.period))
			r.values = append(r.values, stats[q.stat](buckets[b]))
		}
		results = append(results, r)
	}
	s.mu.Unlock()

	// Paginate: skip the offset datapoints already returned, return at most limit more.
	out := cbor.List{}
	skip, room, next := offset, limit, 0
	more := false
	for _, r := range results {
		n := len(r.times)
		from := min(skip, n)
		skip -= from
		to := from + min(room, n-from)
		room -= to - from
		status := "Complete"
		if to < n {
			status, more = "PartialData", true
		}
		next += to
		ts, vs := cbor.List{}, cbor.List{}
		for i := from; i < to; i++ {
			ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(r.times[i].UnixMilli()) / 1000)})
			vs = append(vs, cbor.Float64(r.values[i]))
		}
		out = append(out, cbor.Map{
			"Id":         cbor.String(r.q.id),
			"Label":      cbor.String(r.q.label),
			"Timestamps": ts,
			"Values":     vs,
			"StatusCode": cbor.String(status),
		})
	}
	resp := cbor.Map{"MetricDataResults": out, "Messages": cbor.List{}}
	if more {
		resp["NextToken"] = cbor.String(strconv.Itoa(next))
	}
	return resp, nil
}

func parseQuery(i int, item cbor.Value) (query, *apiError) {
	field := fmt.Sprintf("MetricDataQueries[%d]", i)
	m, ok := item.(cbor.Map)
	if !ok {
		return query{}, invalid("%s: want a structure", field)
	}
	q := query{ret: true}
	id, _ := m["Id"].(cbor.String)
	if !idPattern.MatchString(string(id)) {
		return query{}, invalid("%s.Id: want a lowercase letter then letters, digits or _, got %q", field, id)
	}
	q.id = string(id)
	if v, ok := m["ReturnData"].(cbor.Bool); ok {
		q.ret = bool(v)
	}
	if _, ok := m["Expression"]; ok {
		return query{}, invalid("%s.Expression: cloudwatchtest supports MetricStat queries only", field)
	}
	ms, ok := m["MetricStat"].(cbor.Map)
	if !ok {
		return query{}, missing(field + ".MetricStat")
	}
	metric, ok := ms["Metric"].(cbor.Map)
	if !ok {
		return query{}, missing(field + ".MetricStat.Metric")
	}
	ns, _ := metric["Namespace"].(cbor.String)
	name, _ := metric["MetricName"].(cbor.String)
	if ns == "" || name == "" {
		return query{}, missing(field + ".MetricStat.Metric.Namespace and MetricName")
	}
	dims, aerr := dimensions(field+".MetricStat.Metric.Dimensions", metric["Dimensions"])
	if aerr != nil {
		return query{}, aerr
	}
	q.key, q.name = seriesKey(string(ns), string(name), dims), string(name)
	p, err := cbor.AsInt64(ms["Period"])
	if err != nil || !(p == 1 || p == 5 || p == 10 || p == 30 || (p > 0 && p%60 == 0)) {
		return query{}, invalid("%s.MetricStat.Period: want 1, 5, 10, 30 or a multiple of 60", field)
	}
	q.period = time.Duration(p) * time.Second
	stat, _ := ms["Stat"].(cbor.String)
	if _, ok := stats[string(stat)]; !ok {
		return query{}, invalid("%s.MetricStat.Stat: want Average, Sum, Minimum, Maximum or SampleCount, got %q", field, stat)
	}
	q.stat = string(stat)
	if u, ok := ms["Unit"].(cbor.String); ok {
		q.unit = string(u)
	}
	q.label = string(name)
	if l, ok := m["Label"].(cbor.String); ok && l != "" {
		q.label = string(l)
	}
	return q, nil
}

func dimensions(field string, v cbor.Value) (map[string]string, *apiError) {
	dims := map[string]string{}
	if v == nil {
		return dims, nil
	}
	list, ok := v.(cbor.List)
	if !ok {
		return nil, invalid("%s: want a list", field)
	}
	for i, item := range list {
		m, ok := item.(cbor.Map)
		name, _ := m["Name"].(cbor.String)
		value, _ := m["Value"].(cbor.String)
		if !ok || name == "" {
			return nil, invalid("%s[%d]: want a Name and a Value", field, i)
		}
		dims[string(name)] = string(value)
	}
	return dims, nil
}

func timeField(in cbor.Map, name string) (time.Time, *apiError) {
	v, ok := in[name]
	if !ok {
		return time.Time{}, missing(name)
	}
	t, err := cbor.AsTime(v)
	if err != nil {
		return time.Time{}, invalid("%s: want a timestamp: %v", name, err)
	}
	return t.UTC(), nil
}

func (s *Server) putMetricData(in cbor.Map) (cbor.Map, *apiError) {
	ns, _ := in["Namespace"].(cbor.String)
	if ns == "" {
		return nil, missing("Namespace")
	}
	list, ok := in["MetricData"].(cbor.List)
	if !ok || len(list) == 0 {
		return nil, missing("MetricData")
	}
	now := s.opts.Now()
	type put struct {
		name string
		dims map[string]string
		data []Datum
	}
	var puts []put
	for i, item := range list {
		field := fmt.Sprintf("MetricData[%d]", i)
		m, ok := item.(cbor.Map)
		if !ok {
			return nil, invalid("%s: want a structure", field)
		}
		name, _ := m["MetricName"].(cbor.String)
		if name == "" {
			return nil, missing(field + ".MetricName")
		}
		dims, aerr := dimensions(field+".Dimensions", m["Dimensions"])
		if aerr != nil {
			return nil, aerr
		}
		at := now
		if v, ok := m["Timestamp"]; ok {
			t, err := cbor.AsTime(v)
			if err != nil {
				return nil, invalid("%s.Timestamp: %v", field, err)
			}
			at = t
		}
		p := put{name: string(name), dims: dims}
		unit, _ := m["Unit"].(cbor.String)
		if v, ok := m["Value"]; ok {
			f, err := cbor.AsFloat64(v)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, invalid("%s.Value: want a number", field)
			}
			p.data = append(p.data, Datum{Time: at, Value: f, Unit: string(unit)})
		}
		if vs, ok := m["Values"].(cbor.List); ok {
			for _, v := range vs {
				f, err := cbor.AsFloat64(v)
				if err != nil {
					return nil, invalid("%s.Values: want numbers", field)
				}
				p.data = append(p.data, Datum{Time: at, Value: f, Unit: string(unit)})
			}
		}
		puts = append(puts, p)
	}
	for _, p := range puts {
		s.Put(string(ns), p.name, p.dims, p.data...)
	}
	return cbor.Map{}, nil
}
