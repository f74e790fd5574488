package ivstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

func admin(t *testing.T, srv *ivstest.Server, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/_admin/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestAdminBroadcasts(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{Clock: ivstest.NewFakeClock(t0)})
	arn, key := createChannel(t, client, nil)

	status, body := admin(t, srv, "POST", "broadcasts", `{"channelArn":"`+arn+`","tracks":5}`)
	var res ivstest.Result
	if err := json.Unmarshal(body, &res); status != 200 || err != nil || res.Code != ivsevent.CodeMultitrackInputNotAllowed {
		t.Fatalf("connect 5 tracks: got %d %s", status, body)
	}
	status, body = admin(t, srv, "POST", "broadcasts", `{"streamKey":"`+key+`","video":[{"codec":"avc1.64001F","width":852,"height":480,"framerate":30,"bitrate":1000000}]}`)
	if err := json.Unmarshal(body, &res); status != 200 || err != nil || !res.Live {
		t.Fatalf("connect explicit ladder: got %d %s", status, body)
	}
	for _, step := range []string{"starve", "recover", "stop"} {
		if status, body := admin(t, srv, "POST", "broadcasts/"+step, `{"channelArn":"`+arn+`"}`); status != http.StatusNoContent {
			t.Errorf("%s: got %d %s", step, status, body)
		}
	}
	errorsWanted := map[string]struct {
		path, body string
		status     int
	}{
		"stop offline":  {"broadcasts/stop", `{"channelArn":"` + arn + `"}`, http.StatusConflict},
		"unknown arn":   {"broadcasts", `{"channelArn":"arn:aws:ivs:us-west-2:123456789012:channel/none"}`, http.StatusNotFound},
		"unknown key":   {"broadcasts", `{"streamKey":"sk_nope"}`, http.StatusNotFound},
		"no key":        {"broadcasts", `{}`, http.StatusBadRequest},
		"7 tracks":      {"broadcasts", `{"channelArn":"` + arn + `","tracks":7}`, http.StatusBadRequest},
		"unknown field": {"broadcasts", `{"channel":"x"}`, http.StatusBadRequest},
		"bad clock":     {"clock", `{"advance":"soon"}`, http.StatusBadRequest},
	}
	for name, tc := range errorsWanted {
		if status, body := admin(t, srv, "POST", tc.path, tc.body); status != tc.status || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s: got %d %s, want %d with an error", name, status, body, tc.status)
		}
	}

	status, body = admin(t, srv, "GET", "events", "")
	var evs []json.RawMessage
	if err := json.Unmarshal(body, &evs); status != 200 || err != nil || len(evs) != 8 {
		t.Fatalf("events: got %d, %d events (%v)", status, len(evs), err)
	}
	for _, ev := range evs {
		if _, err := ivsevent.Parse(ev); err != nil {
			t.Errorf("event does not parse: %v", err)
		}
	}

	status, body = admin(t, srv, "POST", "clock", `{"advance":"24h"}`)
	if status != 200 || !strings.Contains(string(body), "2026-11-04T17:40:03.000Z") {
		t.Errorf("clock: got %d %s", status, body)
	}
}

func TestAdminStateHasNoSecrets(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	out, err := client.CreateChannel(context.Background(), &ivs.CreateChannelInput{Name: aws.String("studio-a")})
	if err != nil {
		t.Fatal(err)
	}
	key, pass := aws.ToString(out.StreamKey.Value), aws.ToString(out.Channel.Srt.Passphrase)
	if _, err := srv.Connect(context.Background(), ivstest.OBS(key, 1)); err != nil {
		t.Fatal(err)
	}
	status, body := admin(t, srv, "GET", "state", "")
	if status != 200 || bytes.Contains(body, []byte(key)) || bytes.Contains(body, []byte(pass)) {
		t.Fatalf("state: got %d, and it contains a secret:\n%s", status, body)
	}
	var st ivstest.State
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Channels) != 1 || st.Channels[0].Live == nil || st.Channels[0].Name != "studio-a" || st.EventsEmitted != 2 || st.Stats[ivstest.OpCreateChannel].Calls != 1 {
		t.Errorf("state: got %s", body)
	}
}

func TestAdminFaultsAndStats(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{Seed: 1})
	arn, _ := createChannel(t, client, nil)
	ctx := context.Background()
	status, body := admin(t, srv, "POST", "faults", `{"operation":"GetChannel","error":"InternalServerException","count":2,"latency":"1ms"}`)
	if status != 200 {
		t.Fatalf("set fault: got %d %s", status, body)
	}
	if status, body := admin(t, srv, "GET", "faults", ""); status != 200 || !strings.Contains(string(body), `"latency": "1ms"`) {
		t.Errorf("faults: got %d %s", status, body)
	}
	for i := range 3 {
		_, err := client.GetChannel(ctx, &ivs.GetChannelInput{Arn: aws.String(arn)})
		if failed := err != nil; failed != (i < 2) {
			t.Errorf("call %d: got %v, want failure only for the first two", i, err)
		}
	}
	status, body = admin(t, srv, "GET", "stats", "")
	var stats map[string]ivstest.OperationStats
	if err := json.Unmarshal(body, &stats); status != 200 || err != nil {
		t.Fatalf("stats: got %d %s", status, body)
	}
	if got, want := stats[ivstest.OpGetChannel], (ivstest.OperationStats{Calls: 3, Injected: 2, Errors: 2}); got != want {
		t.Errorf("GetChannel stats: got %+v, want %+v", got, want)
	}

	// A rate of 1 fails every call until cleared.
	if status, body := admin(t, srv, "POST", "faults", `{"operation":"*","error":"ThrottlingException","rate":1}`); status != 200 {
		t.Fatalf("set fault: %d %s", status, body)
	}
	_, err := client.ListChannels(ctx, &ivs.ListChannelsInput{})
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Errorf("ListChannels under a * fault: got %v", err)
	}
	if status, _ := admin(t, srv, "DELETE", "faults", ""); status != http.StatusNoContent {
		t.Errorf("clear faults: got %d", status)
	}
	if _, err := client.ListChannels(ctx, &ivs.ListChannelsInput{}); err != nil {
		t.Errorf("after clearing: %v", err)
	}
	if status, _ := admin(t, srv, "DELETE", "stats", ""); status != http.StatusNoContent || len(srv.Stats()) != 0 {
		t.Errorf("reset stats: got %d, %v", status, srv.Stats())
	}

	invalid := []string{
		`{"operation":"PutMetadata","error":"InternalServerException","count":1}`,
		`{"operation":"GetChannel","error":"TeapotException","count":1}`,
		`{"operation":"GetChannel","error":"InternalServerException"}`,
		`{"operation":"GetChannel","error":"InternalServerException","rate":2}`,
		`{"operation":"GetChannel"}`,
		`{"operation":"GetChannel","latency":"soon"}`,
		`{"operation":"GetChannel","count":-1,"latency":"1s"}`,
	}
	for _, body := range invalid {
		if status, resp := admin(t, srv, "POST", "faults", body); status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", body, status, resp)
		}
	}
}

func TestFaultLatencyHonoursCancellation(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	if err := srv.SetFault(ivstest.Fault{Operation: ivstest.OpListChannels, Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client.ListChannels(ctx, &ivs.ListChannelsInput{})
	if err == nil {
		t.Fatal("ListChannels with an hour of latency: got no error")
	}
	srv.ClearFaults()
	out, err := client.ListChannels(context.Background(), &ivs.ListChannelsInput{})
	if err != nil || out.Channels == nil {
		t.Errorf("after ClearFaults: got %v, %v", out, err)
	}
}
