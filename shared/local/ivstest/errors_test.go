package ivstest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// TestInjectedErrorsDecodeAsSDKTypes injects every IVS error into an operation that models it
// and checks that the real SDK returns its typed error, with the status and the message.
func TestInjectedErrorsDecodeAsSDKTypes(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	arn, _ := createChannel(t, client, nil)
	ctx := context.Background()
	ops := map[string]func() error{
		ivstest.OpCreateChannel: func() error { _, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{}); return err },
		ivstest.OpUpdateChannel: func() error {
			_, err := client.UpdateChannel(ctx, &ivs.UpdateChannelInput{Arn: aws.String(arn)})
			return err
		},
		ivstest.OpGetStreamSession: func() error {
			_, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn)})
			return err
		},
		ivstest.OpStopStream: func() error {
			_, err := client.StopStream(ctx, &ivs.StopStreamInput{ChannelArn: aws.String(arn)})
			return err
		},
		ivstest.OpBatchGetChannel: func() error {
			_, err := client.BatchGetChannel(ctx, &ivs.BatchGetChannelInput{Arns: []string{arn}})
			return err
		},
		ivstest.OpTagResource: func() error {
			_, err := client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"a": "b"}})
			return err
		},
		ivstest.OpListChannels: func() error { _, err := client.ListChannels(ctx, &ivs.ListChannelsInput{}); return err },
		ivstest.OpGetStream: func() error {
			_, err := client.GetStream(ctx, &ivs.GetStreamInput{ChannelArn: aws.String(arn)})
			return err
		},
	}
	tests := map[string]struct {
		op     string
		code   string
		status int
		is     func(error) (bool, string) // the SDK's error type and its exceptionMessage
	}{
		"AccessDenied":           {ivstest.OpGetStreamSession, ivstest.CodeAccessDenied, 403, as(func(e *types.AccessDeniedException) *string { return e.ExceptionMessage })},
		"PendingVerification":    {ivstest.OpUpdateChannel, ivstest.CodePendingVerification, 403, as(func(e *types.PendingVerification) *string { return e.ExceptionMessage })},
		"Conflict":               {ivstest.OpUpdateChannel, ivstest.CodeConflict, 409, as(func(e *types.ConflictException) *string { return e.ExceptionMessage })},
		"ResourceNotFound":       {ivstest.OpGetStreamSession, ivstest.CodeResourceNotFound, 404, as(func(e *types.ResourceNotFoundException) *string { return e.ExceptionMessage })},
		"Validation":             {ivstest.OpListChannels, ivstest.CodeValidation, 400, as(func(e *types.ValidationException) *string { return e.ExceptionMessage })},
		"ServiceQuotaExceeded":   {ivstest.OpCreateChannel, ivstest.CodeServiceQuotaExceeded, 402, as(func(e *types.ServiceQuotaExceededException) *string { return e.ExceptionMessage })},
		"InternalServer":         {ivstest.OpTagResource, ivstest.CodeInternalServer, 500, as(func(e *types.InternalServerException) *string { return e.ExceptionMessage })},
		"StreamUnavailable":      {ivstest.OpStopStream, ivstest.CodeStreamUnavailable, 503, as(func(e *types.StreamUnavailable) *string { return e.ExceptionMessage })},
		"ServiceUnavailable":     {ivstest.OpBatchGetChannel, ivstest.CodeServiceUnavailable, 503, as(func(e *types.ServiceUnavailable) *string { return e.ExceptionMessage })},
		"ChannelNotBroadcasting": {ivstest.OpGetStream, ivstest.CodeChannelNotBroadcasting, 404, as(func(e *types.ChannelNotBroadcasting) *string { return e.ExceptionMessage })},
		"Throttling (not modeled)": {ivstest.OpGetStreamSession, ivstest.CodeThrottling, 429, func(err error) (bool, string) {
			var e *smithy.GenericAPIError
			return errors.As(err, &e) && retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool(), ""
		}},
		"InternalServer (not modeled)": {ivstest.OpGetStreamSession, ivstest.CodeInternalServer, 500, func(err error) (bool, string) {
			var e *smithy.GenericAPIError
			return errors.As(err, &e) && retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool(), ""
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := srv.Stats()[tc.op].Injected
			if err := srv.SetFault(ivstest.Fault{Operation: tc.op, Error: tc.code, Message: "injected " + name, Count: 1}); err != nil {
				t.Fatal(err)
			}
			err := ops[tc.op]()
			ok, msg := tc.is(err)
			if !ok {
				t.Fatalf("got %v, want the SDK's error for %s", err, tc.code)
			}
			if !strings.HasSuffix(name, "(not modeled)") && msg != "injected "+name {
				t.Errorf("exceptionMessage: got %q, want %q", msg, "injected "+name)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Errorf("code: got %v, want %s", err, tc.code)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tc.status {
				t.Errorf("status: got %v, want %d", err, tc.status)
			}
			_ = ops[tc.op]() // the fault (count 1) is used up
			if got := srv.Stats()[tc.op].Injected; got != before+1 || len(srv.Faults()) != 0 {
				t.Errorf("got %d more injected errors and faults %v left, want 1 and none", got-before, srv.Faults())
			}
		})
	}
	if got := srv.Stats()[ivstest.OpGetStreamSession]; got.Injected != 4 || got.Throttled != 1 {
		t.Errorf("GetStreamSession stats: got %+v, want 4 injected, 1 throttled", got)
	}
}

// as returns a check that err is the SDK's typed error T, with its exceptionMessage.
func as[T error](message func(T) *string) func(error) (bool, string) {
	return func(err error) (bool, string) {
		var e T
		if !errors.As(err, &e) {
			return false, ""
		}
		return true, aws.ToString(message(e))
	}
}

func TestUnknownOperation(t *testing.T) {
	srv, _ := newServer(t, ivstest.Options{})
	for _, c := range []struct{ method, path string }{{"POST", "/PutMetadata"}, {"GET", "/GetChannel"}, {"PUT", "/tags/x"}} {
		req, err := http.NewRequest(c.method, srv.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-amzn-ErrorType") != ivstest.CodeUnknownOperation {
			t.Errorf("%s %s: got %d %q, want 404 UnknownOperationException", c.method, c.path, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
		}
	}
}

func TestMalformedBody(t *testing.T) {
	srv, _ := newServer(t, ivstest.Options{})
	for body, want := range map[string]string{
		`{"arn":`:            "not valid JSON",
		`{"arn":42}`:         "at 'arn'",
		`{"maxResults":"x"}`: "at 'maxResults'",
	} {
		path := "/GetChannel"
		if want == "at 'maxResults'" {
			path = "/ListChannels"
		}
		status, resp := post(t, srv.URL+path, body)
		if status != http.StatusBadRequest || !strings.Contains(string(resp), want) {
			t.Errorf("%s: got %d %s, want 400 mentioning %q", body, status, resp, want)
		}
	}
}
