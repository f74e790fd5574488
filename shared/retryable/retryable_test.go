package retryable

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"net/http"
)

func responseError(status int, err error) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      err,
	}}
}

func TestIs(t *testing.T) {
	tests := map[string]struct {
		err  error
		want bool
	}{
		"nil":                   {nil, false},
		"plain":                 {errors.New("boom"), false},
		"later":                 {Later("channel is live", time.Minute, nil), true},
		"wrapped later":         {fmt.Errorf("correct x: %w", Later("live", 0, nil)), true},
		"deadline":              {fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		"canceled":              {context.Canceled, false},
		"throttling generic":    {&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		"throttling typed":      {&types.ThrottlingException{}, true},
		"conflict":              {fmt.Errorf("update: %w", &types.ConflictException{}), true},
		"access denied":         {&types.AccessDeniedException{}, true},
		"internal":              {&types.InternalServerException{}, true},
		"validation":            {&types.ValidationException{}, false},
		"s3 access denied":      {&smithy.GenericAPIError{Code: "AccessDenied"}, true},
		"s3 no such bucket":     {&smithy.GenericAPIError{Code: "NoSuchBucket"}, true},
		"not found":             {&types.ResourceNotFoundException{}, false},
		"channel not broadcast": {&types.ChannelNotBroadcasting{}, false},
		"500 response":          {responseError(500, errors.New("x")), true},
		"503 response":          {responseError(503, errors.New("x")), true},
		"400 response":          {responseError(400, errors.New("x")), false},
		"connection refused":    {&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Is(tc.err); got != tc.want {
				t.Errorf("Is(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestIsThrottleAndCode(t *testing.T) {
	throttle := fmt.Errorf("get stream session: %w", &smithy.GenericAPIError{Code: "ThrottlingException"})
	if !IsThrottle(throttle) {
		t.Errorf("IsThrottle(%v) = false, want true", throttle)
	}
	if IsThrottle(&types.ConflictException{}) {
		t.Error("IsThrottle(ConflictException) = true, want false")
	}
	if got := Code(throttle); got != "ThrottlingException" {
		t.Errorf("Code = %q, want ThrottlingException", got)
	}
	if got := Code(errors.New("x")); got != "" {
		t.Errorf("Code(plain) = %q, want empty", got)
	}
}

func TestRetryAfter(t *testing.T) {
	if got := RetryAfter(fmt.Errorf("x: %w", Later("live", 90*time.Second, nil))); got != 90*time.Second {
		t.Errorf("RetryAfter = %v, want 90s", got)
	}
	if got := RetryAfter(errors.New("x")); got != 0 {
		t.Errorf("RetryAfter(plain) = %v, want 0", got)
	}
	err := Later("live", 0, &types.ConflictException{})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		t.Error("Later does not unwrap to its cause")
	}
	if want := "retry later: live: ConflictException: "; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestOwnAndEntryRetryable(t *testing.T) {
	if Own(nil) != nil {
		t.Error("Own(nil) is not nil")
	}
	denied := &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Event bus x does not exist."}
	if Is(denied) || !Is(Own(denied)) || !errors.Is(Own(denied), denied) {
		t.Errorf("Own(%v) = %v: want a transient error wrapping it", denied, Own(denied))
	}
	later := Later("x", time.Minute, nil)
	if Own(later) != later {
		t.Error("Own re-wrapped an error that is transient already")
	}
	for code, want := range map[string]bool{"InternalFailure": true, "ThrottlingException": true, "InvalidArgument": false,
		"MalformedDetail": false, "AccessDeniedException": false, "NotAuthorizedForSourceException": false, "": false} {
		if got := EntryRetryable(code); got != want {
			t.Errorf("EntryRetryable(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	msg := func(s string) *string { return &s }
	tests := map[string]struct {
		err  error
		want string
	}{
		"IVS typed, exceptionMessage": {fmt.Errorf("update: %w", &types.ValidationException{ExceptionMessage: msg("bad policy")}), "ValidationException: bad policy"},
		"IVS pending":                 {&types.PendingVerification{ExceptionMessage: msg("verify")}, "PendingVerification: verify"},
		"IVS typed, no message":       {&types.ResourceNotFoundException{}, "ResourceNotFoundException"},
		"generic API error":           {&smithy.GenericAPIError{Code: "NoSuchBucket", Message: "gone"}, "NoSuchBucket: gone"},
		"not an API error":            {errors.New("dial tcp: refused"), "dial tcp: refused"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Describe(tc.err); got != tc.want {
				t.Errorf("Describe = %q, want %q", got, tc.want)
			}
		})
	}
}
