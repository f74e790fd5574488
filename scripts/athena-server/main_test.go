package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/ivs-sessions/ivs-sessions/infra/catalog"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

// The command serves the catalog's workgroup over a folder, says where, and stops when asked.
func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ivs-sessions-local")
	key := filepath.Join(dir, "sessions", "year=2026", "month=11", "day=03", "account=123456789012", "region=us-west-2", "channel=abc", "st-1.json")
	if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, []byte(`{"channelId":"abc","streamId":"st-1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--dir", dir}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, Banner) {
		t.Fatalf("first line %q, err %v", line, err)
	}
	go io.Copy(io.Discard, r)
	url, _, _ := strings.Cut(strings.TrimPrefix(line, Banner), " ")
	client := athena.New(athena.Options{Region: "us-west-2", BaseEndpoint: aws.String(url), HTTPClient: sdkhttp.New(), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	list, err := client.ListNamedQueries(context.Background(), &athena.ListNamedQueriesInput{WorkGroup: aws.String(catalog.WorkGroupName(catalog.AppPath))})
	if err != nil || len(list.NamedQueryIds) != len(catalog.NamedQueries()) {
		t.Errorf("ListNamedQueries: %v, %v", list, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
