package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// BenchmarkHandle measures one invocation with one message, over real SDK clients and loopback
// HTTP to the local IVS and bus (their allocations count too): "applied" makes GetChannel,
// GetStream, UpdateChannel and PutEvents; "unchanged" (a duplicate) GetChannel and PutEvents.
func BenchmarkHandle(b *testing.B) {
	e := newEnv(b, envOptions{})
	arn, key := e.createChannel(standardTS)
	body := envelope(b, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	reset := &ivs.UpdateChannelInput{Arn: aws.String(arn), ContainerFormat: types.ContainerFormatTs, MultitrackInputConfiguration: &types.MultitrackInputConfiguration{}}
	rec := sqsRecord("m1", body, 1, time.Now())

	b.Run("applied", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			if _, err := e.Admin.UpdateChannel(context.Background(), reset); err != nil {
				b.Fatal(err)
			}
			e.IVSWire.Reset()
			e.BusWire.Reset()
			b.StartTimer()
			if failed := e.process(rec); len(failed) != 0 {
				b.Fatalf("failures %v", failed)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if failed := e.process(rec); len(failed) != 0 {
				b.Fatalf("failures %v", failed)
			}
		}
	})
}
