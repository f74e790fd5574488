package ivstest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	ivstypes "github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
)

// putEventsReceiver is a minimal EventBridge endpoint: it records PutEvents entries and
// answers as EventBridge does, or refuses every entry when refuse is set.
type putEventsReceiver struct {
	mu      sync.Mutex
	entries []map[string]any
	refuse  bool
	target  string
}

func (p *putEventsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct{ Entries []map[string]any }
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.target = r.Header.Get("X-Amz-Target")
	p.entries = append(p.entries, body.Entries...)
	refuse := p.refuse
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if refuse {
		io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"nope"}]}`)
		return
	}
	io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}`)
}

func newEventBridgeClient(url string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region: "us-west-2", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     aws.NopRetryer{},
		HTTPClient:  sdkhttp.New(),
	})
}

func TestEventBridgeSink(t *testing.T) {
	recv := &putEventsReceiver{}
	bus := httptest.NewServer(recv)
	defer bus.Close()
	sink := ivstest.EventBridgeSink{Client: newEventBridgeClient(bus.URL)}
	srv, client := newServer(t, ivstest.Options{Clock: ivstest.NewFakeClock(t0), Sink: sink})
	arn, key := createChannel(t, client, nil)
	if _, err := srv.Connect(context.Background(), ivstest.OBS(key, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Connect(context.Background(), ivstest.OBS(key, 1)); err != nil {
		t.Fatal(err)
	}
	emitted := srv.Events()
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if recv.target != "AWSEvents.PutEvents" || len(recv.entries) != len(emitted) || len(emitted) != 4 {
		t.Fatalf("got %d entries (target %q), want the %d emitted", len(recv.entries), recv.target, len(emitted))
	}
	for i, e := range recv.entries {
		ev := emitted[i]
		if e["Source"] != "aws.ivs" || e["DetailType"] != ev.DetailType || e["Detail"] != string(ev.Detail) || e["EventBusName"] != "default" {
			t.Errorf("entry %d: got %v, want %s", i, e, ev.JSON)
		}
		if res, _ := e["Resources"].([]any); len(res) != 1 || res[0] != arn {
			t.Errorf("entry %d resources: got %v, want [%s]", i, e["Resources"], arn)
		}
		if ts, _ := e["Time"].(float64); !time.Unix(int64(ts), 0).Equal(t0) {
			t.Errorf("entry %d time: got %v, want %v", i, e["Time"], t0)
		}
		if strings.Contains(string(ev.Detail), key) {
			t.Errorf("entry %d carries the stream key", i)
		}
	}
	if srv.SinkErrors() != 0 {
		t.Errorf("sink errors: got %d", srv.SinkErrors())
	}
}

func TestFailingSinkDoesNotFailBroadcasts(t *testing.T) {
	recv := &putEventsReceiver{refuse: true}
	bus := httptest.NewServer(recv)
	defer bus.Close()
	srv, client := newServer(t, ivstest.Options{Sink: ivstest.EventBridgeSink{Client: newEventBridgeClient(bus.URL), EventBusName: "custom"}})
	_, key := createChannel(t, client, nil)
	res, err := srv.Connect(context.Background(), ivstest.OBS(key, 1))
	if err != nil || !res.Live {
		t.Fatalf("Connect: got %+v, %v; want live", res, err)
	}
	if srv.SinkErrors() != 2 {
		t.Errorf("sink errors: got %d, want 2", srv.SinkErrors())
	}
	err = ivstest.EventBridgeSink{Client: newEventBridgeClient(bus.URL)}.Send(context.Background(), srv.Events()[0])
	if err == nil || !strings.Contains(err.Error(), "entry refused: InternalFailure nope") {
		t.Errorf("Send: got %v, want the refused entry's code", err)
	}
}

// TestSinkMayTriggerBroadcasts: a sink that reacts to an event by broadcasting (an encoder
// that reconnects when refused) neither deadlocks nor reorders events.
func TestSinkMayTriggerBroadcasts(t *testing.T) {
	var srv *ivstest.Server
	var key string
	var names []string
	sink := ivstest.SinkFunc(func(ctx context.Context, ev ivstest.Event) error {
		e, err := ivsevent.Parse(ev.JSON)
		if err != nil {
			return err
		}
		names = append(names, e.Name()+"/"+e.Code())
		if e.Code() == ivsevent.CodeMultitrackInputNotAllowed {
			_, err := srv.Connect(ctx, ivstest.OBS(key, 1)) // fall back to a single track
			return err
		}
		return nil
	})
	srv = ivstest.NewServer(ivstest.Options{Sink: sink})
	defer srv.Close()
	_, key = createChannel(t, ivstest.Client(srv), nil)
	if _, err := srv.Connect(context.Background(), ivstest.OBS(key, 3)); err != nil {
		t.Fatal(err)
	}
	want := []string{"Session Created/", "Session Ended/MultitrackInputNotAllowed", "Session Created/", "Stream Start/"}
	if !slices.Equal(names, want) || srv.SinkErrors() != 0 {
		t.Errorf("got %v (%d sink errors), want %v", names, srv.SinkErrors(), want)
	}
}

func TestEveryEmittedEventParses(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	arn, key := createChannel(t, client, &ivs.CreateChannelInput{Type: ivstypes.ChannelTypeBasicChannelType})
	for _, enc := range []ivstest.Encoder{ivstest.OBS(key, 1), ivstest.OBS(key, 4)} {
		if _, err := srv.Connect(ctx, enc); err != nil {
			t.Fatal(err)
		}
	}
	small := ivstest.Encoder{StreamKey: key, Video: []ivstest.VideoTrack{ivstest.Rendition480p30}}
	if _, err := srv.Connect(ctx, small); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return srv.Starve(ctx, arn) },
		func() error { return srv.Recover(ctx, arn) },
		func() error { return srv.FailStream(ctx, arn, "Capacity") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	types := map[string]bool{}
	for _, e := range parseEvents(t, srv) {
		types[e.DetailType] = true
		if e.Source != "aws.ivs" || e.Version != "0" || len(e.Resources) != 1 || e.Resources[0] != arn || e.ID == "" {
			t.Errorf("envelope of %s: got %+v", e.Name(), e)
		}
	}
	for _, dt := range []string{ivsevent.DetailTypeStreamStateChange, ivsevent.DetailTypeStreamHealthChange, ivsevent.DetailTypeLimitBreach} {
		if !types[dt] {
			t.Errorf("no %s event emitted", dt)
		}
	}
	ids := map[string]bool{}
	for _, ev := range srv.Events() {
		var env struct{ ID string }
		if err := json.Unmarshal(ev.JSON, &env); err != nil || ids[env.ID] {
			t.Errorf("event id %q: duplicate or unreadable (%v)", env.ID, err)
		}
		ids[env.ID] = true
	}
}

// TestEventsMatchTheSamples compares the shape (envelope and detail keys) of each kind of
// emitted event with its sample under events/.
func TestEventsMatchTheSamples(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	arn, key := createChannel(t, client, &ivs.CreateChannelInput{Name: aws.String("studio-a")})
	if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return srv.Starve(ctx, arn) },
		func() error { return srv.Recover(ctx, arn) },
		func() error { return srv.FailStream(ctx, arn, "") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	over := ivstest.OBS(key, 1)
	over.Video[0].Bitrate = 10_000_000
	if _, err := srv.Connect(ctx, over); err != nil {
		t.Fatal(err)
	}
	samples := map[string]string{
		"Session Created":  "session-created",
		"Stream Start":     "stream-start",
		"Starvation Start": "starvation-start",
		"Starvation End":   "starvation-end",
		"Stream Failure":   "stream-failure",
		"Stream End":       "stream-end",
		"Ingest Bitrate":   "limit-breach-ingest-bitrate",
	}
	seen := map[string]bool{}
	for _, ev := range srv.Events() {
		e, err := ivsevent.Parse(ev.JSON)
		if err != nil {
			t.Fatal(err)
		}
		if sample, ok := samples[e.Name()]; ok && !seen[e.Name()] {
			seen[e.Name()] = true
			t.Run(e.Name(), func(t *testing.T) { sameShape(t, ev.JSON, awstest.LoadEvent(t, sample)) })
		}
	}
	if len(seen) != len(samples) {
		t.Errorf("emitted %v, want one of each of %v", seen, samples)
	}
}
