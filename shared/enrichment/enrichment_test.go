package enrichment

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

func event(t *testing.T, code string) *ivsevent.Event {
	t.Helper()
	body := `{"version":"0","id":"e","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"123456789012","time":"2026-11-03T17:40:03Z",` +
		`"region":"us-west-2","resources":["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],` +
		`"detail":{"event_name":"Session Ended","channel_name":"a","stream_id":"st-1A2b3c4D5e6F78ghij9Klmn","code":"` + code + `"}}`
	ev, err := ivsevent.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestDecideVerifies(t *testing.T) {
	cfg := multitrack.Config{Mode: multitrack.ModeApply, AllowContainerFormatChange: true}
	ch := &types.Channel{Arn: aws.String("arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"), Type: types.ChannelTypeStandardChannelType}
	carrying := func(code string) *types.StreamSession {
		return &types.StreamSession{Channel: ch, TruncatedEvents: []types.StreamEvent{{Name: aws.String("Session Ended"), Code: aws.String(code)}}}
	}
	refusal := ivsevent.CodeMultitrackInputNotAllowed
	tests := map[string]struct {
		code   string
		ss     *types.StreamSession
		want   multitrack.Action
		reason string
	}{
		"confirmed":          {refusal, carrying(refusal), multitrack.ActionApply, ""},
		"no session":         {refusal, nil, multitrack.ActionUnverified, "does not show"},
		"another code":       {refusal, carrying(ivsevent.CodeMultitrackInputRequired), multitrack.ActionUnverified, "carry no"},
		"no code":            {"", carrying(""), multitrack.ActionNone, ""},
		"broadcaster's code": {ivsevent.CodeInvalidGetClientConfigurationStreamKey, nil, multitrack.ActionBroadcaster, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := Decide(event(t, tc.code), session.Record{}, tc.ss, cfg)
			if d.Action != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("Decide = %+v, want %s with %q in the reason", d, tc.want, tc.reason)
			}
			var rec session.Record
			Annotate(&rec, d, time.Unix(0, 0))
			switch {
			case d.Action == multitrack.ActionNone && rec.Correction != nil:
				t.Errorf("none annotated %+v", rec.Correction)
			case d.Action == multitrack.ActionApply && rec.Correction.Outcome != session.CorrectionDecided:
				t.Errorf("apply annotated %+v", rec.Correction)
			case d.Action == multitrack.ActionUnverified && rec.Correction.Outcome != session.CorrectionUnchanged:
				t.Errorf("unverified annotated %+v", rec.Correction)
			}
		})
	}
}
