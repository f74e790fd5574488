package athenatest

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/google/uuid"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
)

// The operations the server answers; they name the entries of Calls.
const (
	OpStartQueryExecution = "StartQueryExecution"
	OpGetQueryExecution   = "GetQueryExecution"
	OpGetQueryResults     = "GetQueryResults"
	OpStopQueryExecution  = "StopQueryExecution"
	OpListNamedQueries    = "ListNamedQueries"
	OpGetNamedQuery       = "GetNamedQuery"
)

// targetPrefix is the X-Amz-Target of every call (awsJson1_1: <service>.<operation>).
const targetPrefix = "AmazonAthena."

// Limits of the API reference.
const (
	// MaxResults is the most rows one GetQueryResults page holds (and its default).
	MaxResults = 1000
	// MaxQueryLength is the longest QueryString StartQueryExecution takes.
	MaxQueryLength = 262_144
	// maxNamedQueries is the most IDs one ListNamedQueries page holds.
	maxNamedQueries = 50
)

// Options configures a Server.
type Options struct {
	// Dir is the archive: the objects of Bucket as files (shared/local/locals3's layout, or
	// what make local writes under .local/s3/<bucket>).
	Dir string
	// Bucket names the archive's bucket: the tables' locations and "$path" say s3://<Bucket>/.
	Bucket string
	// Database and WorkGroup are the names the server answers to; empty means the CDK app's
	// (catalog.DatabaseName and catalog.WorkGroupName of catalog.AppPath).
	Database, WorkGroup string
	// Account and Region replace the saved queries' placeholders (catalog.NamedQuery.For).
	Account, Region string
	// Now is the clock of current_date and of the executions' times; nil means time.Now.
	Now func() time.Time
	// BytesScannedCutoff cancels a query that would scan more; 0 means the workgroup's
	// (catalog.BytesScannedCutoff), negative none.
	BytesScannedCutoff int64
	// Concurrency is how many queries run at once (more wait QUEUED); 0 means 2.
	Concurrency int
}

// Fault makes the next Count calls of Op fail with HTTP Status and error Type (an Athena error
// shape: TooManyRequestsException, InternalServerException, InvalidRequestException) with
// Message and, for TooManyRequestsException, Reason (e.g. CONCURRENT_QUERY_LIMIT_EXCEEDED).
type Fault struct {
	Op      string
	Count   int
	Status  int
	Type    string
	Message string
	Reason  string
}

// Server is a local Amazon Athena; it is an http.Handler. Create it with New, stop it with
// Close.
type Server struct {
	opts   Options
	engine *engine

	mu      sync.Mutex
	execs   map[string]*execution
	tokens  map[string]string // ClientRequestToken -> QueryExecutionId
	calls   map[string]int
	faults  []Fault
	held    chan struct{} // while non-nil, queries stay QUEUED
	closed  bool
	running sync.WaitGroup
	slots   chan struct{}
}

// execution is one query execution.
type execution struct {
	id, query, database, workGroup, token string
	state                                 types.QueryExecutionState
	reason                                string
	athenaError                           *queryError
	submitted, started, completed         time.Time
	result                                *queryResult
	cancel                                context.CancelFunc
}

// New returns a Server over opts.Dir. It returns an error when the catalog's tables cannot be
// read or DuckDB does not start.
func New(opts Options) (*Server, error) {
	if opts.Database == "" {
		opts.Database = catalog.DatabaseName(catalog.AppPath)
	}
	if opts.WorkGroup == "" {
		opts.WorkGroup = catalog.WorkGroupName(catalog.AppPath)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BytesScannedCutoff == 0 {
		opts.BytesScannedCutoff = catalog.BytesScannedCutoff
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if opts.Bucket == "" {
		return nil, errors.New("athenatest: Options.Bucket: want the archive's bucket name")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("athenatest: Options.Dir: %w", err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("athenatest: start DuckDB: %w", err)
	}
	e := &engine{db: db, dir: dir, bucket: opts.Bucket, database: strings.ToLower(opts.Database), tables: map[string]table{}, cutoff: max(opts.BytesScannedCutoff, 0)}
	for _, t := range catalog.Tables() {
		tb, err := newTable(t)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("athenatest: %w", err)
		}
		e.tables[t.Name] = tb
	}
	return &Server{opts: opts, engine: e, execs: map[string]*execution{}, tokens: map[string]string{}, calls: map[string]int{},
		slots: make(chan struct{}, opts.Concurrency)}, nil
}

// Close cancels the queries still running, waits for them and closes DuckDB.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, x := range s.execs {
		if x.cancel != nil {
			x.cancel()
		}
	}
	if s.held != nil {
		close(s.held)
		s.held = nil
	}
	s.mu.Unlock()
	s.running.Wait()
	return s.engine.db.Close()
}

// Database and WorkGroup are the names the server answers to.
func (s *Server) Database() string  { return s.opts.Database }
func (s *Server) WorkGroup() string { return s.opts.WorkGroup }

// Calls returns how many times each operation was called (by Op name).
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// InjectFault queues f.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Hold keeps every query started from now QUEUED until the returned release is called (a test
// sees a query before it runs).
func (s *Server) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = make(chan struct{})
	}
	ch := s.held
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.held == ch {
			close(ch)
			s.held = nil
		}
	}
}

// ServeHTTP answers one awsJson1_1 call: POST / with X-Amz-Target AmazonAthena.<Op>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "want POST / with X-Amz-Target "+targetPrefix+"<operation>", nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestException", "read the request: "+err.Error(), nil)
		return
	}
	s.mu.Lock()
	s.calls[op]++
	for i, f := range s.faults {
		if f.Op == op && f.Count > 0 {
			s.faults[i].Count--
			s.mu.Unlock()
			extra := map[string]string{}
			if f.Reason != "" {
				extra["Reason"] = f.Reason
			}
			writeError(w, f.Status, f.Type, f.Message, extra)
			return
		}
	}
	s.mu.Unlock()

	var out any
	var aerr *apiError
	switch op {
	case OpStartQueryExecution:
		out, aerr = s.startQueryExecution(body)
	case OpGetQueryExecution:
		out, aerr = s.getQueryExecution(body)
	case OpGetQueryResults:
		out, aerr = s.getQueryResults(body)
	case OpStopQueryExecution:
		out, aerr = s.stopQueryExecution(body)
	case OpListNamedQueries:
		out, aerr = s.listNamedQueries(body)
	case OpGetNamedQuery:
		out, aerr = s.getNamedQuery(body)
	default:
		aerr = &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: "this local Athena does not serve " + op}
	}
	if aerr != nil {
		extra := map[string]string{}
		if aerr.code != "" {
			extra["AthenaErrorCode"] = aerr.code
		}
		writeError(w, aerr.status, aerr.typ, aerr.msg, extra)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// apiError is an error answer: HTTP status, the error shape's name, its message and, for
// InvalidRequestException, its AthenaErrorCode.
type apiError struct {
	status         int
	typ, msg, code string
}

func invalid(format string, a ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidRequestException", msg: fmt.Sprintf(format, a...), code: "INVALID_INPUT"}
}

// writeError writes an awsJson1_1 error: the shape's name in X-Amzn-ErrorType and __type, the
// message in Message, and the shape's other members (AthenaErrorCode, Reason).
func writeError(w http.ResponseWriter, status int, typ, msg string, members map[string]string) {
	body := map[string]string{"__type": typ, "Message": msg}
	for k, v := range members {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// decode reads a request body into v; a body that is not JSON is an InvalidRequestException.
func decode(body []byte, v any) *apiError {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalid("the request body is not valid JSON: %v", err)
	}
	return nil
}

type startQueryExecutionInput struct {
	QueryString           string
	ClientRequestToken    string
	QueryExecutionContext *struct{ Database, Catalog string }
	WorkGroup             string
	ExecutionParameters   []string
}

func (s *Server) startQueryExecution(body []byte) (any, *apiError) {
	var in startQueryExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch {
	case in.QueryString == "":
		return nil, invalid("1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null")
	case len(in.QueryString) > MaxQueryLength:
		return nil, invalid("1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to %d", MaxQueryLength)
	case len(in.ExecutionParameters) > 0:
		return nil, invalid("ExecutionParameters: this local Athena runs queries without parameters")
	}
	wg := in.WorkGroup
	if wg == "" {
		wg = "primary"
	}
	if wg != s.opts.WorkGroup {
		return nil, invalid("WorkGroup %s is not found.", wg)
	}
	database, cat := "default", catalogName
	if c := in.QueryExecutionContext; c != nil {
		if c.Database != "" {
			database = c.Database
		}
		if c.Catalog != "" {
			cat = strings.ToLower(c.Catalog)
		}
	}
	now := s.opts.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, &apiError{status: http.StatusInternalServerError, typ: "InternalServerException", msg: "the server is closing"}
	}
	if id, ok := s.tokens[in.ClientRequestToken]; ok && in.ClientRequestToken != "" {
		if x := s.execs[id]; x.query != in.QueryString || x.database != database || x.workGroup != wg {
			return nil, invalid("Idempotent parameters do not match: ClientRequestToken %s was used with another query", in.ClientRequestToken)
		}
		return map[string]string{"QueryExecutionId": id}, nil
	}
	x := &execution{id: uuid.NewString(), query: in.QueryString, database: database, workGroup: wg, token: in.ClientRequestToken,
		state: types.QueryExecutionStateQueued, submitted: now}
	s.execs[x.id] = x
	if in.ClientRequestToken != "" {
		s.tokens[in.ClientRequestToken] = x.id
	}
	ctx, cancel := context.WithCancel(context.Background())
	x.cancel = cancel
	held := s.held
	s.running.Add(1)
	go s.execute(ctx, x, cat, held)
	return map[string]string{"QueryExecutionId": x.id}, nil
}

// execute runs x when a slot is free (and held, if set, is released).
func (s *Server) execute(ctx context.Context, x *execution, cat string, held chan struct{}) {
	defer s.running.Done()
	defer x.cancel()
	if held != nil {
		select {
		case <-held:
		case <-ctx.Done():
		}
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
	}
	s.mu.Lock()
	if x.state != types.QueryExecutionStateQueued {
		s.mu.Unlock()
		return // stopped while queued
	}
	x.state, x.started = types.QueryExecutionStateRunning, s.opts.Now()
	s.mu.Unlock()

	var res *queryResult
	var err error
	if cat != catalogName {
		err = userError("CATALOG_NOT_FOUND", "Catalog '%s' does not exist", cat)
	} else {
		res, err = s.engine.run(ctx, x.id, x.query, x.database, x.started)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if x.state != types.QueryExecutionStateRunning {
		return // stopped
	}
	x.completed = s.opts.Now()
	var qe *queryError
	switch {
	case err == nil:
		x.state, x.result = types.QueryExecutionStateSucceeded, res
	case errors.As(err, &qe) && qe.cancelled:
		x.state, x.reason, x.result = types.QueryExecutionStateCancelled, qe.msg, res
	case errors.As(err, &qe):
		x.state, x.reason, x.athenaError = types.QueryExecutionStateFailed, qe.Error(), qe
	case ctx.Err() != nil:
		x.state, x.reason = types.QueryExecutionStateCancelled, "Query cancelled by user"
	default:
		x.state, x.reason, x.athenaError = types.QueryExecutionStateFailed, err.Error(), &queryError{name: "INTERNAL_ERROR", msg: err.Error(), system: true}
	}
}

type idInput struct{ QueryExecutionId string }

// find returns the execution of a request's QueryExecutionId.
func (s *Server) find(body []byte) (*execution, *apiError) {
	var in idInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueryExecutionId == "" {
		return nil, invalid("1 validation error detected: Value null at 'queryExecutionId' failed to satisfy constraint: Member must not be null")
	}
	x, ok := s.execs[in.QueryExecutionId]
	if !ok {
		return nil, invalid("QueryExecution %s was not found", in.QueryExecutionId)
	}
	return x, nil
}

func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64))
}

func (s *Server) getQueryExecution(body []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, err := s.find(body)
	if err != nil {
		return nil, err
	}
	status := map[string]any{"State": x.state, "SubmissionDateTime": epoch(x.submitted)}
	if !x.completed.IsZero() {
		status["CompletionDateTime"] = epoch(x.completed)
	}
	if x.reason != "" {
		status["StateChangeReason"] = x.reason
	}
	if e := x.athenaError; e != nil {
		cat, typ := 2, 1000 // USER, "User error" (Athena's error catalog)
		if e.system {
			cat, typ = 1, 100 // SYSTEM, "Internal service error"
		}
		status["AthenaError"] = map[string]any{"ErrorCategory": cat, "ErrorType": typ, "Retryable": e.system, "ErrorMessage": e.Error()}
	}
	stats := map[string]any{}
	if !x.started.IsZero() {
		stats["QueryQueueTimeInMillis"] = x.started.Sub(x.submitted).Milliseconds()
	}
	if !x.completed.IsZero() {
		stats["EngineExecutionTimeInMillis"] = x.completed.Sub(x.started).Milliseconds()
		stats["TotalExecutionTimeInMillis"] = x.completed.Sub(x.submitted).Milliseconds()
		var scanned int64
		if x.result != nil {
			scanned = x.result.scanned
		}
		stats["DataScannedInBytes"] = scanned
	}
	return map[string]any{"QueryExecution": map[string]any{
		"QueryExecutionId":      x.id,
		"Query":                 x.query,
		"StatementType":         types.StatementTypeDml,
		"ResultConfiguration":   map[string]any{"OutputLocation": "s3://" + s.opts.Bucket + "-athena-results/" + x.id + ".csv"},
		"QueryExecutionContext": map[string]any{"Database": x.database, "Catalog": "AwsDataCatalog"},
		"Status":                status,
		"Statistics":            stats,
		"WorkGroup":             x.workGroup,
		"EngineVersion":         map[string]any{"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
	}}, nil
}

type resultsInput struct {
	QueryExecutionId string
	NextToken        string
	MaxResults       *int
}

func (s *Server) getQueryResults(body []byte) (any, *apiError) {
	var in resultsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	max := MaxResults
	if in.MaxResults != nil {
		max = *in.MaxResults
		if max < 1 || max > MaxResults {
			return nil, invalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", max, MaxResults)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, err := s.find(body)
	if err != nil {
		return nil, err
	}
	switch x.state {
	case types.QueryExecutionStateQueued, types.QueryExecutionStateRunning:
		return nil, invalid("Query has not yet finished. Current state: %s", x.state)
	case types.QueryExecutionStateFailed:
		return nil, invalid("%s", x.reason)
	case types.QueryExecutionStateCancelled:
		return nil, invalid("Query did not finish successfully. Final query state: %s", x.state)
	}
	res := x.result
	// Row 0 is the header: the columns' labels, as Athena writes it for a SELECT.
	total := len(res.rows) + 1
	start := 0
	if in.NextToken != "" {
		id, off, ok := parseToken(in.NextToken)
		if !ok || id != x.id || off < 1 || off > total {
			return nil, invalid("NextToken %q is not a token of query %s", in.NextToken, x.id)
		}
		start = off
	}
	end := min(start+max, total)
	rows := []any{}
	for i := start; i < end; i++ {
		data := []any{}
		if i == 0 {
			for _, c := range res.columns {
				data = append(data, map[string]any{"VarCharValue": c.name})
			}
		} else {
			for _, v := range res.rows[i-1] {
				if v == nil {
					data = append(data, map[string]any{})
				} else {
					data = append(data, map[string]any{"VarCharValue": *v})
				}
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	cols := []any{}
	for _, c := range res.columns {
		cols = append(cols, map[string]any{
			"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c.name, "Label": c.name, "Type": c.typ,
			"Precision": precision(c), "Scale": c.scale, "Nullable": types.ColumnNullableUnknown, "CaseSensitive": c.typ == "varchar",
		})
	}
	out := map[string]any{"UpdateCount": 0, "ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}}
	if end < total {
		out["NextToken"] = token(x.id, end)
	}
	return out, nil
}

// precision is what Athena gives as a column's precision: a varchar's largest length, a
// number's digits.
func precision(c resultColumn) int32 {
	switch c.typ {
	case "varchar":
		return 2147483647
	case "bigint":
		return 19
	case "integer":
		return 10
	case "double":
		return 17
	case "decimal":
		return c.precision
	}
	return 0
}

// token and parseToken write and read a page token: the query and the next row, opaque.
func token(id string, next int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id + "/" + strconv.Itoa(next)))
}

func parseToken(t string) (string, int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return "", 0, false
	}
	id, n, ok := strings.Cut(string(b), "/")
	off, err := strconv.Atoi(n)
	return id, off, ok && err == nil
}

func (s *Server) stopQueryExecution(body []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, err := s.find(body)
	if err != nil {
		return nil, err
	}
	if x.state == types.QueryExecutionStateQueued || x.state == types.QueryExecutionStateRunning {
		x.state, x.reason, x.completed = types.QueryExecutionStateCancelled, "Query cancelled by user", s.opts.Now()
		x.cancel()
	}
	return map[string]any{}, nil
}

// namedQueryID is the ID of a saved query: stable, in the shape of Athena's (a UUID).
func namedQueryID(q catalog.NamedQuery) string {
	return uuid.NewHash(sha1.New(), uuid.NameSpaceURL, []byte("ivs-sessions/athena/"+q.ID), 5).String()
}

func (s *Server) listNamedQueries(body []byte) (any, *apiError) {
	var in struct {
		WorkGroup, NextToken string
		MaxResults           *int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	wg := in.WorkGroup
	if wg == "" {
		wg = "primary"
	}
	if wg != s.opts.WorkGroup {
		return nil, invalid("WorkGroup %s is not found.", wg)
	}
	max := maxNamedQueries
	if in.MaxResults != nil {
		max = *in.MaxResults
		if max < 0 || max > maxNamedQueries {
			return nil, invalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and %d", max, maxNamedQueries)
		}
	}
	var ids []string
	for _, q := range catalog.NamedQueries() {
		ids = append(ids, namedQueryID(q))
	}
	start := 0
	if in.NextToken != "" {
		_, off, ok := parseToken(in.NextToken)
		if !ok || off < 0 || off > len(ids) {
			return nil, invalid("NextToken %q is not valid", in.NextToken)
		}
		start = off
	}
	end := min(start+max, len(ids))
	out := map[string]any{"NamedQueryIds": ids[start:end]}
	if end < len(ids) {
		out["NextToken"] = token("named", end)
	}
	return out, nil
}

func (s *Server) getNamedQuery(body []byte) (any, *apiError) {
	var in struct{ NamedQueryId string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, q := range catalog.NamedQueries() {
		if namedQueryID(q) == in.NamedQueryId {
			return map[string]any{"NamedQuery": map[string]any{
				"Name": q.Name, "Description": q.Description, "Database": s.opts.Database, "QueryString": q.For(s.opts.Account, s.opts.Region),
				"NamedQueryId": in.NamedQueryId, "WorkGroup": s.opts.WorkGroup,
			}}, nil
		}
	}
	return nil, invalid("NamedQuery %s was not found", in.NamedQueryId)
}
