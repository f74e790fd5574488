package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Channel is a channel created on the local IVS, with its secrets.
type Channel struct {
	ARN        string
	ID         string // the ARN's resource ID
	StreamKey  string
	Passphrase string // the SRT passphrase
}

// CreateChannel creates a channel on the local IVS with the test's own client (Admin) and adds
// its stream key and SRT passphrase to Secrets. It fails tb when the channel has no stream key
// or passphrase: the leak checks would prove nothing.
func (s *Stack) CreateChannel(tb testing.TB, in *ivs.CreateChannelInput) Channel {
	tb.Helper()
	if s.Admin == nil {
		tb.Fatal("awstest: CreateChannel: the stack has no local IVS")
	}
	out, err := s.Admin.CreateChannel(context.Background(), in)
	if err != nil {
		tb.Fatalf("create channel: %v", err)
	}
	ch := Channel{ARN: aws.ToString(out.Channel.Arn)}
	arn, err := ivsevent.ParseChannelARN(ch.ARN)
	if err != nil {
		tb.Fatalf("create channel: %v", err)
	}
	ch.ID = arn.ID
	if out.StreamKey != nil {
		ch.StreamKey = aws.ToString(out.StreamKey.Value)
	}
	if out.Channel.Srt != nil {
		ch.Passphrase = aws.ToString(out.Channel.Srt.Passphrase)
	}
	if ch.StreamKey == "" || ch.Passphrase == "" {
		tb.Fatal("create channel: the local channel has no stream key or SRT passphrase: the leak checks would prove nothing")
	}
	s.Secrets.Add("a stream key", ch.StreamKey)
	s.Secrets.Add("an SRT passphrase", ch.Passphrase)
	return ch
}

// CreateAdConfiguration creates an ad configuration (server-side ad insertion) on the local IVS
// with the test's own client and returns its ARN, for a channel's adConfigurationArn.
func (s *Stack) CreateAdConfiguration(tb testing.TB, name string) string {
	tb.Helper()
	if s.Admin == nil {
		tb.Fatal("awstest: CreateAdConfiguration: the stack has no local IVS")
	}
	out, err := s.Admin.CreateAdConfiguration(context.Background(), &ivs.CreateAdConfigurationInput{
		Name: aws.String(name),
		MediaTailorPlaybackConfigurations: []types.MediaTailorPlaybackConfiguration{{
			PlaybackConfigurationArn: aws.String("arn:aws:mediatailor:" + s.IVS.Region() + ":" + s.IVS.Account() + ":playbackConfiguration/" + name),
		}},
	})
	if err != nil {
		tb.Fatalf("create ad configuration: %v", err)
	}
	return aws.ToString(out.AdConfiguration.Arn)
}
