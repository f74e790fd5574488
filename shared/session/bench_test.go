package session

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// BenchmarkEvent measures what the functions do with one event of a five-track session
// (multitrackSession: five video and two audio tracks), IVS and S3 excluded: enrich parses the
// IVS event, builds the record from GetStreamSession's answer, decides on the refusal code and
// encodes the published event (suiteevent.EnrichedEntry: the record's size, for Trim, then the
// entry); archive decodes that event and the record already archived, merges them, checks
// whether the merge changed anything (Same, as the handler does) and encodes the result. "enrich" and "archive" are each handler's share, "all" the whole path once; make
// bench reports them (BENCHMARKS.md: target under 100 µs per event, allocations bounded).
func BenchmarkEvent(b *testing.B) {
	ss := multitrackSession()
	end := at(2*time.Hour + 15*time.Minute + time.Second)
	raw := envelopeBytes(b, end, ivsevent.EventSessionEnded, ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties)
	ev, err := ivsevent.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	live, err := FromStreamSession(ss, stateEvent(b, at(4*time.Second), ivsevent.EventStreamStart, ""))
	if err != nil {
		b.Fatal(err)
	}
	live.EndTime, live.Outcome = time.Time{}, OutcomeLive
	cfg := multitrack.Config{Mode: multitrack.ModeApply, DefaultMaximumResolution: "HD"}

	build := func(ev *ivsevent.Event) (Record, multitrack.Decision) {
		rec, err := FromStreamSession(ss, ev)
		if err != nil {
			b.Fatal(err)
		}
		ch := *ss.Channel
		ch.MultitrackInputConfiguration.MaximumResolution = "SD" // the 1080p track is above it: a raise
		d := multitrack.Decide(multitrack.Input{Code: ev.Code(), TopVideoHeight: rec.TopVideoHeight(), Channel: ch, Tags: ch.Tags}, cfg)
		return rec, d
	}
	rec, d := build(ev)
	published, err := json.Marshal(Enriched{Record: rec, Decision: d, Trigger: TriggerOf(ev)})
	if err != nil {
		b.Fatal(err)
	}
	archived, err := json.Marshal(live)
	if err != nil {
		b.Fatal(err)
	}
	// publish encodes the published event as suiteevent.EnrichedEntry does: the record's size
	// (Trim), then the entry.
	publish := func(b *testing.B, e Enriched) {
		if e.Record.Size() == 0 {
			b.Fatal("no size")
		}
		if _, err := e.EncodeJSON(); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("parse", perOp(func(b *testing.B) {
		if _, err := ivsevent.Parse(raw); err != nil {
			b.Fatal(err)
		}
	}))
	b.Run("build", perOp(func(b *testing.B) {
		if _, err := FromStreamSession(ss, ev); err != nil {
			b.Fatal(err)
		}
	}))
	in := multitrack.Input{Code: ev.Code(), TopVideoHeight: rec.TopVideoHeight(), Channel: *ss.Channel, Tags: ss.Channel.Tags}
	b.Run("decide", perOp(func(b *testing.B) {
		if d := multitrack.Decide(in, cfg); d.Action == "" {
			b.Fatal("no decision")
		}
	}))
	b.Run("merge", perOp(func(b *testing.B) {
		if m := Merge(live, rec); m.Outcome != rec.Outcome {
			b.Fatalf("merged outcome %q, want %q", m.Outcome, rec.Outcome)
		}
	}))
	b.Run("marshal", perOp(func(b *testing.B) {
		publish(b, Enriched{Record: rec, Decision: d, Trigger: TriggerOf(ev)})
	}))
	enrich := func(b *testing.B) {
		ev, err := ivsevent.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		rec, d := build(ev)
		publish(b, Enriched{Record: rec, Decision: d, Trigger: TriggerOf(ev)})
	}
	archive := func(b *testing.B) {
		var got Enriched
		if err := json.Unmarshal(published, &got); err != nil {
			b.Fatal(err)
		}
		var existing Record
		if err := json.Unmarshal(archived, &existing); err != nil {
			b.Fatal(err)
		}
		merged := Merge(existing, got.Record)
		if Same(merged, existing) {
			b.Fatal("the merge changed nothing")
		}
		if _, err := merged.EncodeJSON(); err != nil {
			b.Fatal(err)
		}
	}
	// enrich's handler: parse the IVS event, build, decide, encode the published event.
	b.Run("enrich", perOp(enrich))
	// archive's handler: decode the published event and the archived record, merge, compare,
	// encode.
	b.Run("archive", perOp(archive))
	// archive's handler as measured before issue 21: the published event decoded, merged,
	// encoded (without the archived record's decoding and the unchanged check).
	b.Run("archive-event", perOp(func(b *testing.B) {
		var got Enriched
		if err := json.Unmarshal(published, &got); err != nil {
			b.Fatal(err)
		}
		if _, err := Merge(live, got.Record).EncodeJSON(); err != nil {
			b.Fatal(err)
		}
	}))
	// all: both, the whole path of one event.
	b.Run("all", perOp(func(b *testing.B) {
		enrich(b)
		archive(b)
	}))
}

// perOp runs op in a benchmark loop and reports, besides time and allocations, the process's
// CPU time per op (cpu-ns/op, from getrusage): on a shared, loaded machine the wall-clock
// ns/op grows with the load, the CPU time much less.
func perOp(op func(b *testing.B)) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		start := cpuNow()
		for b.Loop() {
			op(b)
		}
		b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
	}
}

// cpuNow is the CPU time (user and system) the process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// envelopeBytes is a Stream State Change event of the test session, as EventBridge delivers it.
func envelopeBytes(t testing.TB, when time.Time, name, code string) []byte {
	t.Helper()
	d := map[string]any{"event_name": name, "channel_name": "main-stage", "stream_id": testStreamID}
	if code != "" {
		d["code"] = code
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "6f7e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b", "detail-type": ivsevent.DetailTypeStreamStateChange, "source": "aws.ivs",
		"account": "123456789012", "time": when.Format(time.RFC3339Nano), "region": "us-west-2",
		"resources": []string{testARN}, "detail": d,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
