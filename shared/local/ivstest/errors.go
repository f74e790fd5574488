package ivstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// The error codes the server answers with: each is the x-amzn-ErrorType header value and the
// name of the aws-sdk-go-v2 typed error (types.<Code>) the SDK decodes it into, where the
// operation models it. ThrottlingException is not modeled for the operations the suite uses; the
// SDK decodes it into a *smithy.GenericAPIError with that code and its retryer retries it.
const (
	CodeAccessDenied           = "AccessDeniedException"
	CodeChannelNotBroadcasting = "ChannelNotBroadcasting"
	CodeConflict               = "ConflictException"
	CodeInternalServer         = "InternalServerException"
	CodePendingVerification    = "PendingVerification"
	CodeResourceNotFound       = "ResourceNotFoundException"
	CodeServiceQuotaExceeded   = "ServiceQuotaExceededException"
	CodeServiceUnavailable     = "ServiceUnavailable"
	CodeStreamUnavailable      = "StreamUnavailable"
	CodeThrottling             = "ThrottlingException"
	CodeValidation             = "ValidationException"
	// CodeUnknownOperation answers a request for a path or method the server does not serve.
	CodeUnknownOperation = "UnknownOperationException"
)

// errorStatus is the HTTP status of each error code (Smithy model smithy.api#httpError;
// ServiceUnavailable, absent from the 2025 model, is a 503 like StreamUnavailable).
var errorStatus = map[string]int{
	CodeAccessDenied:           http.StatusForbidden,
	CodeChannelNotBroadcasting: http.StatusNotFound,
	CodeConflict:               http.StatusConflict,
	CodeInternalServer:         http.StatusInternalServerError,
	CodePendingVerification:    http.StatusForbidden,
	CodeResourceNotFound:       http.StatusNotFound,
	CodeServiceQuotaExceeded:   http.StatusPaymentRequired,
	CodeServiceUnavailable:     http.StatusServiceUnavailable,
	CodeStreamUnavailable:      http.StatusServiceUnavailable,
	CodeThrottling:             http.StatusTooManyRequests,
	CodeValidation:             http.StatusBadRequest,
	CodeUnknownOperation:       http.StatusNotFound,
}

// defaultMessages are the model's descriptions of each error, used when a fault gives no message.
var defaultMessages = map[string]string{
	CodeAccessDenied:           "User does not have sufficient access to perform this action.",
	CodeChannelNotBroadcasting: "The stream is offline for the given channel ARN.",
	CodeConflict:               "Updating or deleting a resource can cause an inconsistent state.",
	CodeInternalServer:         "Unexpected error during processing of request.",
	CodePendingVerification:    "Your account is pending verification.",
	CodeResourceNotFound:       "Request references a resource which does not exist.",
	CodeServiceQuotaExceeded:   "Request would cause a service quota to be exceeded.",
	CodeServiceUnavailable:     "The service is temporarily unavailable.",
	CodeStreamUnavailable:      "The stream is temporarily unavailable.",
	CodeThrottling:             "Request was denied due to request throttling.",
	CodeValidation:             "The input fails to satisfy the constraints specified by an Amazon Web Services service.",
}

// ErrorCodes lists every error code a Fault may inject, sorted.
func ErrorCodes() []string {
	codes := make([]string, 0, len(defaultMessages))
	for c := range defaultMessages {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// apiError is an error answered on the wire: status, x-amzn-ErrorType and exceptionMessage.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (e *apiError) status() int {
	if s, ok := errorStatus[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func newError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func notFound(kind, arn string) *apiError {
	return newError(CodeResourceNotFound, "%s not found: %s", kind, arn)
}

func notBroadcasting(arn string) *apiError {
	return newError(CodeChannelNotBroadcasting, "Channel is not broadcasting: %s", arn)
}

// writeError answers err in the IVS REST-JSON error shape. Errors that are not *apiError become
// InternalServerException.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Code: CodeInternalServer, Message: defaultMessages[CodeInternalServer]}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.status())
	_ = json.NewEncoder(w).Encode(map[string]string{"exceptionMessage": ae.Message})
}

// WriteError answers an IVS API error as the server does: the code's HTTP status,
// x-amzn-ErrorType and exceptionMessage (an empty message is the model's description of the
// code). A proxy in front of the server (the soak's faults) answers with it.
func WriteError(w http.ResponseWriter, code, message string) {
	if message == "" {
		message = defaultMessages[code]
	}
	writeError(w, &apiError{Code: code, Message: message})
}

// validationErrors collects constraint violations and reports them the way AWS services do:
// "2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint: ...; ...".
type validationErrors []string

func (v *validationErrors) add(value any, field, constraint string) {
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", quoteValue(value), field, constraint))
}

// addf adds a free-form violation (the semantic rules, which AWS words per rule).
func (v *validationErrors) addf(format string, args ...any) {
	*v = append(*v, fmt.Sprintf(format, args...))
}

func (v validationErrors) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		if !strings.HasPrefix(v[0], "Value ") {
			return &apiError{Code: CodeValidation, Message: v[0]}
		}
		return &apiError{Code: CodeValidation, Message: "1 validation error detected: " + v[0]}
	}
	return &apiError{Code: CodeValidation, Message: fmt.Sprintf("%d validation errors detected: %s", len(v), strings.Join(v, "; "))}
}

func quoteValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "'" + x + "'"
	case []string:
		return "'[" + strings.Join(x, ", ") + "]'"
	}
	return fmt.Sprintf("'%v'", v)
}
