package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// TestNothingUnverifiedIsActedOn: a message on the correct queue that the suite did not
// publish, or whose refusal IVS does not confirm, changes no channel: no UpdateChannel, no
// GetChannel, no correction published; it is rejected and counted. Each case is an apply
// decision that, before the corrector checked, would have changed an offline TS channel.
func TestNothingUnverifiedIsActedOn(t *testing.T) {
	tests := map[string]struct {
		forge func(t *testing.T, e *env, en *session.Enriched, key string, body []byte) []byte
		want  string // the rejection's message holds this
	}{
		"a stream session that never existed": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, _ []byte) []byte {
				en.Record.StreamID = "st-0000000000000000000000A"
				return envelope(t, *en)
			},
			want: "ResourceNotFoundException",
		},
		"a session that ended normally, claimed refused": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, _ []byte) []byte {
				// A single-track session that went live and ended normally on the channel.
				e.goLive(key)
				if err := e.IVS.Disconnect(context.Background(), en.Record.ChannelARN); err != nil {
					t.Fatal(err)
				}
				out, err := e.Admin.ListStreamSessions(context.Background(), &ivs.ListStreamSessionsInput{ChannelArn: aws.String(en.Record.ChannelARN)})
				if err != nil {
					t.Fatal(err)
				}
				refused := en.Record.StreamID
				for _, ss := range out.StreamSessions {
					if id := aws.ToString(ss.StreamId); id != refused {
						en.Record.StreamID = id
					}
				}
				if en.Record.StreamID == refused {
					t.Fatal("no other stream session on the channel")
				}
				return envelope(t, *en)
			},
			want: "carry no MultitrackInputNotAllowed",
		},
		"a channel deleted since": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, body []byte) []byte {
				if _, err := e.Admin.DeleteChannel(context.Background(), &ivs.DeleteChannelInput{Arn: aws.String(en.Record.ChannelARN)}); err != nil {
					t.Fatal(err)
				}
				return body
			},
			want: "ResourceNotFoundException",
		},
		"another code than the session's": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, _ []byte) []byte {
				en.Decision.Code = ivsevent.CodeMultitrackInputRequired
				return envelope(t, *en)
			},
			want: "carry no MultitrackInputRequired",
		},
		"a code that is no refusal": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, _ []byte) []byte {
				en.Decision.Code = "StreamTakeoverMediaMismatch"
				return envelope(t, *en)
			},
			want: "is not a refusal code",
		},
		"resources naming another channel": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, body []byte) []byte {
				other, _ := e.createChannel(standardTS)
				return []byte(strings.Replace(string(body), `"resources":["`+en.Record.ChannelARN+`"]`, `"resources":["`+other+`"]`, 1))
			},
			want: "resources: want",
		},
		"no resources": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, body []byte) []byte {
				return []byte(strings.Replace(string(body), `"resources":["`+en.Record.ChannelARN+`"]`, `"resources":[]`, 1))
			},
			want: "resources: want",
		},
		"an envelope from another account": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, body []byte) []byte {
				return []byte(strings.Replace(string(body), `"account":"`+e.Account+`"`, `"account":"999999999999"`, 1))
			},
			want: "account: want",
		},
		"an envelope from another region": {
			forge: func(t *testing.T, e *env, en *session.Enriched, key string, body []byte) []byte {
				return []byte(strings.Replace(string(body), `"region":"`+e.Region+`"`, `"region":"eu-west-1"`, 1))
			},
			want: "region: want",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			arn, key := e.createChannel(standardTS)
			en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
			body := tc.forge(t, e, &en, key, envelope(t, en))
			e.IVS.ResetStats()
			if failed := e.process(sqsRecord("forged", body, 1, time.Now())); len(failed) != 0 {
				t.Fatalf("batch item failures %v, want the message rejected", failed)
			}
			if pub := e.published(); len(pub) != 0 {
				t.Errorf("published %+v, want nothing", pub)
			}
			for _, op := range []string{ivstest.OpGetChannel, ivstest.OpGetStream, ivstest.OpUpdateChannel} {
				if n := e.IVS.Stats()[op].Calls; n != 0 {
					t.Errorf("%d %s calls, want none", n, op)
				}
			}
			if out, err := e.Admin.GetChannel(context.Background(), &ivs.GetChannelInput{Arn: aws.String(arn)}); err == nil && out.Channel.ContainerFormat != types.ContainerFormatTs {
				t.Errorf("channel changed to %s", out.Channel.ContainerFormat)
			}
			if got := e.Metric(t, suite.MetricRejected, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionCorrect}); got != 1 {
				t.Errorf("RejectedEvents = %v, want 1", got)
			}
			if logs := e.Logs.String(); !strings.Contains(logs, tc.want) {
				t.Errorf("the rejection does not say %q:\n%s", tc.want, logs)
			}
		})
	}
}

// TestFreshFromWhenIVSSaysSo: a correction is fresh from when IVS says the refusal happened,
// not from a time its message claims: a refusal IVS confirms a day and a half ago, delivered
// with a trigger of a minute ago, is given up on (failed, dead-lettered), never applied.
func TestFreshFromWhenIVSSaysSo(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	refused := en.Trigger.Time
	en.Trigger.Time = refused.Add(36 * time.Hour) // what a forged message may claim
	e.h.Now = func() time.Time { return refused.Add(36*time.Hour + time.Minute) }
	body := envelope(t, en)
	if failed := e.process(sqsRecord("late", body, 1, refused.Add(36*time.Hour))); len(failed) != 0 {
		t.Fatalf("batch item failures %v", failed)
	}
	wantOutcomes(t, e.published(), session.CorrectionFailed)
	if n := len(e.IVSWire.Bodies(ivstest.OpUpdateChannel)); n != 0 {
		t.Errorf("UpdateChannel called %d times, want never", n)
	}
	if ch := e.channel(arn); ch.ContainerFormat != types.ContainerFormatTs {
		t.Errorf("channel changed to %s", ch.ContainerFormat)
	}
}
