package ivstest_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// TestStreamKeys lists a channel's stream key and reads its value with the real SDK client, as
// a person pointing OBS at a local channel does (aws ivs list-stream-keys, get-stream-key), and
// checks that the value never reaches the server's log.
func TestStreamKeys(t *testing.T) {
	var logs bytes.Buffer
	srv, client := newServer(t, ivstest.Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := context.Background()
	arn, key := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("studio-a")})
	other, _ := createChannel(t, client, nil)

	list, err := client.ListStreamKeys(ctx, &ivs.ListStreamKeysInput{ChannelArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListStreamKeys: %v", err)
	}
	if len(list.StreamKeys) != 1 || aws.ToString(list.StreamKeys[0].ChannelArn) != arn || list.NextToken != nil {
		t.Fatalf("ListStreamKeys = %+v, want the channel's one key", list.StreamKeys)
	}
	keyARN := aws.ToString(list.StreamKeys[0].Arn)
	if !strings.Contains(keyARN, ":stream-key/") {
		t.Errorf("stream key ARN %q, want arn:aws:ivs:...:stream-key/...", keyARN)
	}

	got, err := client.GetStreamKey(ctx, &ivs.GetStreamKeyInput{Arn: aws.String(keyARN)})
	if err != nil {
		t.Fatalf("GetStreamKey: %v", err)
	}
	if aws.ToString(got.StreamKey.Value) != key || aws.ToString(got.StreamKey.ChannelArn) != arn || aws.ToString(got.StreamKey.Arn) != keyARN {
		t.Errorf("GetStreamKey = %+v, want the value CreateChannel returned for %s", got.StreamKey, arn)
	}
	// The other channel's key is its own.
	ol, err := client.ListStreamKeys(ctx, &ivs.ListStreamKeysInput{ChannelArn: aws.String(other)})
	if err != nil || len(ol.StreamKeys) != 1 || aws.ToString(ol.StreamKeys[0].Arn) == keyARN {
		t.Errorf("ListStreamKeys(other) = %+v, %v; want another key", ol, err)
	}

	// Errors, with IVS's types.
	_, err = client.ListStreamKeys(ctx, &ivs.ListStreamKeysInput{ChannelArn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/Nope12345678")})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)
	_, err = client.ListStreamKeys(ctx, &ivs.ListStreamKeysInput{ChannelArn: aws.String("studio-a")})
	wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
	_, err = client.ListStreamKeys(ctx, &ivs.ListStreamKeysInput{ChannelArn: aws.String(arn), MaxResults: aws.Int32(51)})
	wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
	_, err = client.GetStreamKey(ctx, &ivs.GetStreamKeyInput{Arn: aws.String(arn)}) // a channel ARN, not a key's
	wantAPIError[*types.ValidationException](t, err, ivstest.CodeValidation)
	_, err = client.GetStreamKey(ctx, &ivs.GetStreamKeyInput{Arn: aws.String("arn:aws:ivs:us-west-2:123456789012:stream-key/Nope12345678")})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)

	// A deleted channel's key is gone.
	if _, err := client.DeleteChannel(ctx, &ivs.DeleteChannelInput{Arn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetStreamKey(ctx, &ivs.GetStreamKeyInput{Arn: aws.String(keyARN)})
	wantAPIError[*types.ResourceNotFoundException](t, err, ivstest.CodeResourceNotFound)

	if st := srv.Stats()[ivstest.OpGetStreamKey]; st.Calls != 4 {
		t.Errorf("GetStreamKey calls = %d, want 4", st.Calls)
	}
	if !strings.Contains(logs.String(), `"operation":"GetStreamKey"`) {
		t.Fatalf("the call log lacks GetStreamKey:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("the server's log holds the stream key value:\n%s", logs.String())
	}
}
