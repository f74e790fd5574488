package retryable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go"
)

// Codes of IVS errors that are transient although the SDK does not retry them itself.
var (
	// A live channel cannot be updated; it will be offline later.
	codeConflict = (*types.ConflictException)(nil).ErrorCode()
	// Missing permissions are fixed by a deployment; the message must survive until then.
	codeAccessDenied = (*types.AccessDeniedException)(nil).ErrorCode()
	// IVS's own 5xx errors, in case they arrive without a 5xx status.
	codeInternal    = (*types.InternalServerException)(nil).ErrorCode()
	codeUnavailable = (*types.ServiceUnavailable)(nil).ErrorCode()
	codeStreamUnav  = (*types.StreamUnavailable)(nil).ErrorCode()
	codeThrottling  = (*types.ThrottlingException)(nil).ErrorCode()
	transientCodes  = map[string]bool{
		codeConflict: true, codeAccessDenied: true, codeInternal: true, codeUnavailable: true, codeStreamUnav: true, codeThrottling: true,
		// S3 and EventBridge: a missing permission or bucket is fixed by a deployment, then the
		// dead-letter queue is redriven; the message must not be acknowledged meanwhile.
		"AccessDenied": true, "AccessDeniedException": true, "NoSuchBucket": true,
	}
	// entryRetryable are the PutEvents entry error codes EventBridge documents as retryable;
	// the others (AccessDeniedException, InvalidArgument, MalformedDetail, ...) are not.
	// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
	entryRetryable = map[string]bool{"InternalFailure": true, "ThrottlingException": true}
	sdkRetryables  = retry.IsErrorRetryables(retry.DefaultRetryables)
)

// LaterError marks a condition of our own that will pass: retry the message after After (zero:
// the queue's visibility timeout).
type LaterError struct {
	Reason string        // why, e.g. "channel is live"
	After  time.Duration // how long to wait before the next attempt; 0 = the queue's default
	Err    error         // the underlying error, if any
}

// Error returns "retry later: <reason>[: <err>]".
func (e *LaterError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("retry later: %s: %v", e.Reason, e.Err)
	}
	return "retry later: " + e.Reason
}

// Unwrap returns the underlying error.
func (e *LaterError) Unwrap() error { return e.Err }

// Later returns a *LaterError: reason says why, after how long to wait (0 = default).
func Later(reason string, after time.Duration, err error) error {
	return &LaterError{Reason: reason, After: after, Err: err}
}

// Is reports whether err is transient: a *LaterError, an AWS error the SDK would retry
// (throttling, 5xx, connection, timeout), an IVS ConflictException or AccessDeniedException, or
// a context deadline (the invocation ran out of time; the work was not done). A nil error is not
// transient.
func Is(err error) bool {
	if err == nil {
		return false
	}
	var later *LaterError
	if errors.As(err, &later) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && transientCodes[apiErr.ErrorCode()] {
		return true
	}
	return sdkRetryables.IsErrorRetryable(err) == aws.TrueTernary
}

// Own returns err marked transient whatever it says, for a failure of a resource the suite
// deploys for itself (its event bus, its archive bucket, its queues): what breaks those (a
// missing bus, bucket or permission) is fixed by a deployment, and the message that needed them
// must survive until then; one that never succeeds ends in its dead-letter queue, whose alarm
// brings a person. It returns nil for nil, and err itself when it is transient already.
func Own(err error) error {
	if err == nil || Is(err) {
		return err
	}
	return &LaterError{Reason: "the suite's own resource failed", Err: err}
}

// EntryRetryable reports whether a PutEvents entry that EventBridge refused with code may be
// sent again at once (InternalFailure, ThrottlingException). The SDK does not see these
// per-entry errors, so it does not retry them itself.
func EntryRetryable(code string) bool { return entryRetryable[code] }

// IsThrottle reports whether err is (or wraps) an AWS throttling error, for metrics.
func IsThrottle(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	_, ok := retry.DefaultThrottleErrorCodes[apiErr.ErrorCode()]
	return ok || apiErr.ErrorCode() == codeThrottling
}

// Code returns the AWS error code of err ("ConflictException"), or "" when err is not an AWS
// API error.
func Code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// RetryAfter returns how long a transient err asks to wait (LaterError.After), or 0.
func RetryAfter(err error) time.Duration {
	var later *LaterError
	if errors.As(err, &later) {
		return later.After
	}
	return 0
}

// Describe returns an AWS error as "<code>: <message>", or "<code>" when it has no message, and
// err's text when it is not an AWS API error. For IVS's typed errors the message is their
// ExceptionMessage: IVS puts its message in exceptionMessage, and their ErrorMessage is empty.
func Describe(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	msg := aws.ToString(ivsExceptionMessage(err))
	if msg == "" {
		msg = apiErr.ErrorMessage()
	}
	if msg == "" {
		return apiErr.ErrorCode()
	}
	return apiErr.ErrorCode() + ": " + msg
}

// ivsExceptionMessage returns the ExceptionMessage of the IVS typed error in err's chain, or nil.
func ivsExceptionMessage(err error) *string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch t := e.(type) {
		case *types.AccessDeniedException:
			return t.ExceptionMessage
		case *types.ChannelNotBroadcasting:
			return t.ExceptionMessage
		case *types.ConflictException:
			return t.ExceptionMessage
		case *types.InternalServerException:
			return t.ExceptionMessage
		case *types.PendingVerification:
			return t.ExceptionMessage
		case *types.ResourceNotFoundException:
			return t.ExceptionMessage
		case *types.ServiceQuotaExceededException:
			return t.ExceptionMessage
		case *types.ServiceUnavailable:
			return t.ExceptionMessage
		case *types.StreamUnavailable:
			return t.ExceptionMessage
		case *types.ThrottlingException:
			return t.ExceptionMessage
		case *types.ValidationException:
			return t.ExceptionMessage
		}
	}
	return nil
}
