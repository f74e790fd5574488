package ivstest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

func TestListStreams(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{})
	ctx := context.Background()
	var live []string
	for i := range 3 {
		arn, key := createChannel(t, client, nil)
		if i == 1 {
			continue // offline
		}
		if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil {
			t.Fatal(err)
		}
		live = append(live, arn)
	}
	slices.Sort(live)
	first, err := client.ListStreams(ctx, &ivs.ListStreamsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := client.ListStreams(ctx, &ivs.ListStreamsInput{MaxResults: aws.Int32(1), NextToken: first.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Streams) != 1 || len(second.Streams) != 1 || second.NextToken != nil ||
		aws.ToString(first.Streams[0].ChannelArn) != live[0] || aws.ToString(second.Streams[0].ChannelArn) != live[1] {
		t.Errorf("pages: got %s then %s, want %v", mustJSON(t, first), mustJSON(t, second), live)
	}
	if first.Streams[0].State != types.StreamStateStreamLive || first.Streams[0].Health != types.StreamHealthStreamHealthy {
		t.Errorf("got %s, want LIVE HEALTHY", mustJSON(t, first.Streams[0]))
	}
	starving, err := client.ListStreams(ctx, &ivs.ListStreamsInput{FilterBy: &types.StreamFilters{Health: types.StreamHealthStarving}})
	if err != nil || len(starving.Streams) != 0 {
		t.Errorf("STARVING: got %v, %v; want none", starving, err)
	}
	_, err = client.ListStreams(ctx, &ivs.ListStreamsInput{FilterBy: &types.StreamFilters{Health: "SICK"}})
	wantAPIError[*types.ValidationException](t, err, "ValidationException")
}

func TestGetStreamSessionErrors(t *testing.T) {
	_, client := newServer(t, ivstest.Options{})
	arn, _ := createChannel(t, client, nil)
	ctx := context.Background()
	tests := map[string]struct {
		in       ivs.GetStreamSessionInput
		wantCode string
	}{
		"no session yet":      {ivs.GetStreamSessionInput{ChannelArn: aws.String(arn)}, "ResourceNotFoundException"},
		"unknown stream":      {ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String("st-1AuTyMDASvHUTSb8p5PvbsO")}, "ResourceNotFoundException"},
		"unknown channel":     {ivs.GetStreamSessionInput{ChannelArn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/none")}, "ResourceNotFoundException"},
		"stream id too short": {ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String("st-123")}, "ValidationException"},
		"stream id pattern":   {ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String("xx-1AuTyMDASvHUTSb8p5PvbsO")}, "ValidationException"},
		"channel arn":         {ivs.GetStreamSessionInput{ChannelArn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/")}, "ValidationException"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := client.GetStreamSession(ctx, &tc.in)
			switch tc.wantCode {
			case "ValidationException":
				wantAPIError[*types.ValidationException](t, err, tc.wantCode)
			default:
				wantAPIError[*types.ResourceNotFoundException](t, err, tc.wantCode)
			}
		})
	}
}

func TestListStreamSessionsPaginationAndRetention(t *testing.T) {
	clock := ivstest.NewFakeClock(t0)
	srv, client := newServer(t, ivstest.Options{Clock: clock})
	arn, key := createChannel(t, client, nil)
	ctx := context.Background()
	var ids []string // oldest first
	for i := range 5 {
		tracks := 1
		if i == 2 {
			tracks = 5 // refused: MultitrackInputNotAllowed
		}
		res, err := srv.Connect(ctx, ivstest.OBS(key, tracks))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.StreamID)
		if res.Live {
			clock.Advance(time.Hour)
			if err := srv.Disconnect(ctx, arn); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(10 * 24 * time.Hour)
	}

	list := func() ([]string, []bool) {
		t.Helper()
		var got []string
		var errs []bool
		p := ivs.NewListStreamSessionsPaginator(client, &ivs.ListStreamSessionsInput{ChannelArn: aws.String(arn), MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListStreamSessions: %v", err)
			}
			for _, s := range out.StreamSessions {
				got = append(got, aws.ToString(s.StreamId))
				errs = append(errs, s.HasErrorEvent)
				if s.EndTime == nil || s.StartTime == nil {
					t.Errorf("session %s: got start %v end %v, want both", aws.ToString(s.StreamId), s.StartTime, s.EndTime)
				}
			}
		}
		return got, errs
	}
	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)
	got, errs := list()
	if !slices.Equal(got, newestFirst) || !slices.Equal(errs, []bool{false, false, true, false, false}) {
		t.Errorf("got %v %v, want %v with only the refused session flagged", got, errs, newestFirst)
	}

	// Now is 50 days and 4 hours after the first session started; 21 more days age out the
	// first two sessions (ended 71 and 61 days ago); the third ended 51 days ago and stays.
	clock.Advance(21 * 24 * time.Hour)
	got, _ = list()
	if !slices.Equal(got, newestFirst[:3]) {
		t.Errorf("21 days later: got %v, want %v", got, newestFirst[:3])
	}
	_, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn), StreamId: aws.String(ids[0])})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")

	_, err = client.ListStreamSessions(ctx, &ivs.ListStreamSessionsInput{ChannelArn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/none")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = client.ListStreamSessions(ctx, &ivs.ListStreamSessionsInput{ChannelArn: aws.String(arn), MaxResults: aws.Int32(500)})
	if !strings.Contains(exceptionMessage(err), "less than or equal to 100") {
		t.Errorf("maxResults 500: got %v", err)
	}
}

func TestTruncatedEventsKeepsNewest500(t *testing.T) {
	clock := ivstest.NewFakeClock(t0)
	srv, client := newServer(t, ivstest.Options{Clock: clock})
	arn, key := createChannel(t, client, nil)
	ctx := context.Background()
	if _, err := srv.Connect(ctx, ivstest.OBS(key, 1)); err != nil {
		t.Fatal(err)
	}
	for range 300 { // 600 starvation events after Session Created and Stream Start
		clock.Advance(time.Second)
		if err := srv.Starve(ctx, arn); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if err := srv.Recover(ctx, arn); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	evs := out.StreamSession.TruncatedEvents
	if len(evs) != 500 {
		t.Fatalf("truncatedEvents: got %d, want 500", len(evs))
	}
	if aws.ToString(evs[0].Name) != "Starvation End" || !aws.ToTime(evs[0].EventTime).Equal(t0.Add(600*time.Second)) {
		t.Errorf("newest: got %s, want Starvation End at %s", mustJSON(t, evs[0]), t0.Add(600*time.Second))
	}
	for i := 1; i < len(evs); i++ {
		if aws.ToTime(evs[i].EventTime).After(aws.ToTime(evs[i-1].EventTime)) {
			t.Fatalf("truncatedEvents[%d] is newer than [%d]", i, i-1)
		}
	}
	if slices.ContainsFunc(evs, func(e types.StreamEvent) bool { return aws.ToString(e.Name) == "Session Created" }) {
		t.Error("Session Created should have been pushed out of the newest 500")
	}
}

func TestSessionsAtTheSameInstantListInConnectionOrder(t *testing.T) {
	srv, client := newServer(t, ivstest.Options{Clock: ivstest.NewFakeClock(t0)})
	arn, key := createChannel(t, client, nil)
	ctx := context.Background()
	var ids []string
	for range 6 {
		res, err := srv.Connect(ctx, ivstest.OBS(key, 2)) // refused: ends at once
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]string{res.StreamID}, ids...)
	}
	out, err := client.ListStreamSessions(ctx, &ivs.ListStreamSessionsInput{ChannelArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.StreamSessions {
		got = append(got, aws.ToString(s.StreamId))
	}
	if !slices.Equal(got, ids) {
		t.Errorf("got %v, want newest connection first %v", got, ids)
	}
	latest, err := client.GetStreamSession(ctx, &ivs.GetStreamSessionInput{ChannelArn: aws.String(arn)})
	if err != nil || aws.ToString(latest.StreamSession.StreamId) != ids[0] {
		t.Errorf("latest: got %v, %v; want %s", latest, err, ids[0])
	}
}
