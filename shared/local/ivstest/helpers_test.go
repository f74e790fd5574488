package ivstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// newServer starts a server with a fake clock and returns it with an SDK client.
func newServer(t *testing.T, opts ivstest.Options) (*ivstest.Server, *ivs.Client) {
	t.Helper()
	srv := ivstest.NewServer(opts)
	t.Cleanup(srv.Close)
	return srv, ivstest.Client(srv)
}

// createChannel creates a channel through the SDK and returns its ARN and stream key value.
func createChannel(t *testing.T, client *ivs.Client, in *ivs.CreateChannelInput) (arn, key string) {
	t.Helper()
	if in == nil {
		in = &ivs.CreateChannelInput{}
	}
	out, err := client.CreateChannel(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	return aws.ToString(out.Channel.Arn), aws.ToString(out.StreamKey.Value)
}

// wantAPIError checks that err is the SDK's typed error T with the given code.
func wantAPIError[T smithy.APIError](t *testing.T, err error, code string) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want %T", err, err, target)
	}
	if target.ErrorCode() != code {
		t.Fatalf("got code %q, want %q", target.ErrorCode(), code)
	}
	return target
}

// exceptionMessage returns the ExceptionMessage of an IVS typed error.
func exceptionMessage(err error) string {
	var (
		ve *types.ValidationException
		ce *types.ConflictException
		ne *types.ResourceNotFoundException
	)
	switch {
	case errors.As(err, &ve):
		return aws.ToString(ve.ExceptionMessage)
	case errors.As(err, &ce):
		return aws.ToString(ce.ExceptionMessage)
	case errors.As(err, &ne):
		return aws.ToString(ne.ExceptionMessage)
	}
	return ""
}

// parseEvents parses every event the server emitted with ivsevent.Parse, failing on any error.
func parseEvents(t *testing.T, srv *ivstest.Server) []*ivsevent.Event {
	t.Helper()
	var out []*ivsevent.Event
	for _, ev := range srv.Events() {
		e, err := ivsevent.Parse(ev.JSON)
		if err != nil {
			t.Fatalf("emitted event does not parse: %v\n%s", err, ev.JSON)
		}
		out = append(out, e)
	}
	return out
}

// eventNames returns "name" or "name/code" of each event.
func eventNames(evs []*ivsevent.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name()
		if e.Code() != "" {
			out[i] += "/" + e.Code()
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
