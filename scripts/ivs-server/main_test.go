package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

func TestServe(t *testing.T) {
	var mu sync.Mutex
	var entries []map[string]any
	bus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Entries []map[string]any }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		entries = append(entries, body.Entries...)
		mu.Unlock()
		io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"1"}]}`)
	}))
	defer bus.Close()

	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	var logs awstest.Buffer
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--quota", "0", "--region", "ap-south-1", "--events-endpoint", bus.URL}, &logs, func(a string) { addrs <- a })
	}()
	var url string
	select {
	case a := <-addrs:
		url = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v", err)
	}

	client := ivs.New(ivs.Options{Region: "ap-south-1", BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), HTTPClient: sdkhttp.New()})
	out, err := client.CreateChannel(context.Background(), &ivs.CreateChannelInput{Name: aws.String("local")})
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	arn, key := aws.ToString(out.Channel.Arn), aws.ToString(out.StreamKey.Value)
	if !strings.HasPrefix(arn, "arn:aws:ivs:ap-south-1:123456789012:channel/") {
		t.Errorf("ARN: got %s", arn)
	}
	resp, err := http.Post(url+"/_admin/broadcasts", "application/json", strings.NewReader(`{"channelArn":"`+arn+`","tracks":5}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("broadcast: got %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/_admin/state")
	if err != nil {
		t.Fatal(err)
	}
	state, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st ivstest.State
	if err := json.Unmarshal(state, &st); err != nil || len(st.Channels) != 1 || st.Channels[0].Sessions[0].Codes[0] != "MultitrackInputNotAllowed" {
		t.Errorf("state: got %s (%v)", state, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(entries) != 2 || entries[1]["Source"] != "aws.ivs" {
		t.Errorf("events endpoint: got %v, want Session Created and Session Ended", entries)
	}
	for _, secret := range []string{key, aws.ToString(out.Channel.Srt.Passphrase)} {
		if strings.Contains(logs.String(), secret) || strings.Contains(string(state), secret) {
			t.Error("a secret reached the logs or the state dump")
		}
	}
	if !strings.Contains(logs.String(), "operation=CreateChannel") {
		t.Errorf("logs: got %q, want one line per call", logs.String())
	}
}

func TestFlags(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"negative quota": {[]string{"--quota", "-1"}, "quota"},
		"bad region":     {[]string{"--region", "US East"}, "region"},
		"bad account":    {[]string{"--account", "12"}, "account"},
		"bad log level":  {[]string{"--log-level", "loud"}, "--log-level"},
		"unknown flag":   {[]string{"--port", "1"}, "flag provided but not defined"},
		"extra args":     {[]string{"serve"}, "unexpected arguments"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags(tc.args, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || cfg.addr != "127.0.0.1:4566" || cfg.opts.Quota != ivstest.DefaultQuota || cfg.eventBus != "default" {
		t.Errorf("defaults: got %+v, %v", cfg, err)
	}
	if err := run(context.Background(), []string{"--addr", "256.0.0.1:99999"}, io.Discard, nil); err == nil {
		t.Error("run on an invalid address: got no error")
	}
}
