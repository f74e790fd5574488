package ivstest_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// TestConcurrentClients runs parallel SDK clients and broadcasts against one server (run with
// -race) and checks that nothing is lost: every call counted, every session recorded, every
// event delivered to the sink once.
func TestConcurrentClients(t *testing.T) {
	var delivered atomic.Int64
	sink := ivstest.SinkFunc(func(context.Context, ivstest.Event) error { delivered.Add(1); return nil })
	srv, _ := newServer(t, ivstest.Options{Sink: sink})
	const workers, rounds = 6, 5
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := ivstest.Client(srv)
			out, err := client.CreateChannel(ctx, &ivs.CreateChannelInput{Name: aws.String(fmt.Sprintf("worker-%d", w))})
			if err != nil {
				errs <- err
				return
			}
			arn, key := out.Channel.Arn, aws.ToString(out.StreamKey.Value)
			for r := range rounds {
				if _, err := srv.Connect(ctx, ivstest.OBS(key, 1+r%2)); err != nil {
					errs <- err
					return
				}
				_ = srv.Disconnect(ctx, *arn) // refused sessions are not live: ErrNotLive is fine
				if _, err := client.ListStreamSessions(ctx, &ivs.ListStreamSessionsInput{ChannelArn: arn}); err != nil {
					errs <- err
					return
				}
				if _, err := client.ListChannels(ctx, &ivs.ListChannelsInput{}); err != nil {
					errs <- err
					return
				}
				if _, err := client.TagResource(ctx, &ivs.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"round": fmt.Sprint(r)}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := srv.State()
	sessions := 0
	for _, c := range st.Channels {
		sessions += len(c.Sessions)
	}
	if len(st.Channels) != workers || sessions != workers*rounds {
		t.Errorf("got %d channels and %d sessions, want %d and %d", len(st.Channels), sessions, workers, workers*rounds)
	}
	if n := int64(len(srv.Events())); delivered.Load() != n || n == 0 {
		t.Errorf("sink got %d events, server emitted %d", delivered.Load(), n)
	}
	if got := srv.Stats()[ivstest.OpListStreamSessions].Calls; got != workers*rounds {
		t.Errorf("ListStreamSessions calls: got %d, want %d", got, workers*rounds)
	}
}
