package ivstest_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

func TestTags(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	out, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Tags: map[string]string{"team": "video", "env": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	arn, keyARN := aws.ToString(out.Channel.Arn), aws.ToString(out.StreamKey.Arn)

	list := func(resource string) map[string]string {
		t.Helper()
		out, err := client.ListTagsForResource(ctx, &ivs.ListTagsForResourceInput{ResourceArn: aws.String(resource)})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", resource, err)
		}
		return out.Tags
	}
	if got := list(arn); !maps.Equal(got, map[string]string{"team": "video", "env": "dev"}) {
		t.Errorf("initial tags: got %v", got)
	}
	if _, err := client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod", "ivs-sessions:opt-out": "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.UntagResource(ctx, &ivs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "absent"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"env": "prod", "ivs-sessions:opt-out": "true"}
	if got := list(arn); !maps.Equal(got, want) {
		t.Errorf("after tag and untag: got %v, want %v", got, want)
	}
	ch, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
	if err != nil || !maps.Equal(ch.Channel.Tags, want) {
		t.Errorf("GetChannel tags: got %v, %v; want %v", ch, err, want)
	}
	// Stream keys are tagged separately.
	if _, err := client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: aws.String(keyARN), Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(keyARN); !maps.Equal(got, map[string]string{"k": "v"}) {
		t.Errorf("stream key tags: got %v", got)
	}

	missing := "arn:aws:ivs:us-west-2:123456789012:channel/gone"
	_, err = client.ListTagsForResource(ctx, &ivs.ListTagsForResourceInput{ResourceArn: aws.String(missing)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: aws.String(missing), Tags: map[string]string{"a": "b"}})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")

	fifty := map[string]string{}
	for i := range 49 {
		fifty[string(rune('A'+i%26))+string(rune('a'+i/26))] = "v"
	}
	bad := map[string]*ivs.TagResourceInput{
		"resource arn":   {ResourceArn: aws.String("arn:aws:s3:::bucket"), Tags: map[string]string{"a": "b"}},
		"reserved key":   {ResourceArn: aws.String(arn), Tags: map[string]string{"aws:x": "b"}},
		"over 50 in all": {ResourceArn: aws.String(arn), Tags: fifty},
	}
	for name, in := range bad {
		_, err := client.TagResource(ctx, in)
		if exceptionMessage(err) == "" {
			t.Errorf("%s: got %v, want a ValidationException", name, err)
		}
	}
	// TagKeys: []string{} passes the SDK's check but sends no tagKeys: the member is required.
	_, err = client.UntagResource(ctx, &ivs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{}})
	wantAPIError[*types.ValidationException](t, err, "ValidationException")

	// The label is the URL-escaped ARN.
	resp, err := http.Get(srv.URL + "/tags/" + url.PathEscape(arn))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /tags/<escaped arn>: got %d", resp.StatusCode)
	}
}
