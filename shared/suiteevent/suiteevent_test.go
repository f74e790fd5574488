package suiteevent_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/suiteevent"
)

const (
	channelARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	streamID   = "st-1A2b3c4D5e6F78ghij9Klmn"
)

var at = time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)

func enriched() session.Enriched {
	return session.Enriched{
		Record:   session.Record{SchemaVersion: session.SchemaVersion, ChannelARN: channelARN, StreamID: streamID, Outcome: session.OutcomeRefused, Code: ivsevent.CodeMultitrackInputNotAllowed},
		Decision: multitrack.Decision{Action: multitrack.ActionApply, Code: ivsevent.CodeMultitrackInputNotAllowed, Reason: "x"},
		Trigger:  session.Trigger{EventID: "e1", DetailType: ivsevent.DetailTypeStreamStateChange, Name: ivsevent.EventSessionEnded, Time: at},
	}
}

func corrected() session.Corrected {
	return session.Corrected{ChannelARN: channelARN, StreamID: streamID,
		Correction: session.Correction{Outcome: session.CorrectionApplied, At: at}, Trigger: enriched().Trigger}
}

func measured() session.Measured {
	return session.Measured{ChannelARN: channelARN, StreamID: streamID, SessionKey: "sessions/x.json", Trigger: enriched().Trigger,
		Quality: quality.Report{Verdict: quality.VerdictDegraded, WorstTrack: "video-0", WindowStart: at, WindowEnd: at.Add(time.Hour), MeasuredAt: at.Add(2 * time.Hour), Attempts: 1,
			Reasons: []quality.Reason{{Code: quality.ReasonLowBitrate, Track: "video-0"}}}}
}

// delivered returns entry as EventBridge delivers it to a target.
func delivered(t *testing.T, entry suiteevent.Entry) []byte {
	t.Helper()
	b, err := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: "0d4c2b1e-9d7c-4f5e-8a3b-2c1d0e9f8a7b", DetailType: entry.DetailType, Source: entry.Source,
		AccountID: "123456789012", Time: at, Region: "us-west-2", Resources: entry.Resources, Detail: json.RawMessage(entry.Detail),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTrip encodes the three detail-types and decodes them as a target receives them.
func TestRoundTrip(t *testing.T) {
	e := enriched()
	entry, dropped, err := suiteevent.EnrichedEntry("bus", e)
	if err != nil || dropped != 0 {
		t.Fatalf("EnrichedEntry: dropped %d, %v", dropped, err)
	}
	if entry.EventBus != "bus" || entry.Source != suite.EventSource ||
		entry.DetailType != suite.DetailTypeSessionEnriched || !reflect.DeepEqual(entry.Resources, []string{channelARN}) {
		t.Errorf("entry %+v", entry)
	}
	ev, err := suiteevent.Decode(delivered(t, entry))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Corrected != nil || !reflect.DeepEqual(*ev.Enriched, e) || !ev.Time.Equal(at) {
		t.Errorf("decoded %+v, want %+v", ev.Enriched, e)
	}

	c := corrected()
	entry, err = suiteevent.CorrectedEntry("bus", c)
	if err != nil {
		t.Fatal(err)
	}
	ev, err = suiteevent.Decode(delivered(t, entry))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Enriched != nil || !reflect.DeepEqual(*ev.Corrected, c) || ev.DetailType != suite.DetailTypeChannelCorrected {
		t.Errorf("decoded %+v, want %+v", ev.Corrected, c)
	}

	m := measured()
	entry, err = suiteevent.QualityEntry("bus", m)
	if err != nil {
		t.Fatal(err)
	}
	if entry.DetailType != suite.DetailTypeSessionQuality || !reflect.DeepEqual(entry.Resources, []string{channelARN}) {
		t.Errorf("entry %+v", entry)
	}
	ev, err = suiteevent.Decode(delivered(t, entry))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Enriched != nil || ev.Corrected != nil || !reflect.DeepEqual(*ev.Measured, m) || ev.DetailType != suite.DetailTypeSessionQuality {
		t.Errorf("decoded %+v, want %+v", ev.Measured, m)
	}
}

// TestReplayName: an event EventBridge replays says which replay delivered it.
func TestReplayName(t *testing.T) {
	body := delivered(t, must(suiteevent.CorrectedEntry("bus", corrected())))
	ev, err := suiteevent.Decode(body)
	if err != nil || ev.ReplayName != "" {
		t.Fatalf("Decode = %+v, %v; want no replay name", ev, err)
	}
	replayed := strings.Replace(string(body), `{"version"`, `{"replay-name":"rebuild-archive","version"`, 1)
	if ev, err := suiteevent.Decode([]byte(replayed)); err != nil || ev.ReplayName != "rebuild-archive" || ev.Corrected == nil {
		t.Errorf("Decode(replayed) = %+v, %v; want replay name rebuild-archive", ev, err)
	}
}

// TestAccountLevelHasNoResources: an account-level record names no channel.
func TestAccountLevelHasNoResources(t *testing.T) {
	e := enriched()
	e.Record.ChannelARN, e.Record.StreamID = "", ""
	entry, _, err := suiteevent.EnrichedEntry("bus", e)
	if err != nil || entry.Resources != nil {
		t.Errorf("resources %v, err %v: want none", entry.Resources, err)
	}
}

// TestEnrichedEntryFits: a record too large for one entry loses its oldest events until the
// entry fits EventBridge's limit, and says how many it lost.
func TestEnrichedEntryFits(t *testing.T) {
	e := enriched()
	long := strings.Repeat("x", 2000)
	for i := range 400 {
		e.Record.Events = append(e.Record.Events, session.Event{Time: at.Add(time.Duration(i) * time.Second), DetailType: "IVS Stream Health Change", Name: "Starvation Start", Code: long})
	}
	entry, dropped, err := suiteevent.EnrichedEntry("bus", e)
	if err != nil {
		t.Fatal(err)
	}
	if size := entry.Size(); size > session.MaxEventBytes {
		t.Errorf("entry of %d bytes, limit %d", size, session.MaxEventBytes)
	}
	var got session.Enriched
	if err := json.Unmarshal([]byte(entry.Detail), &got); err != nil {
		t.Fatal(err)
	}
	if dropped == 0 || got.Record.EventsDropped != dropped || len(got.Record.Events)+dropped != 400 {
		t.Errorf("dropped %d, record says %d, kept %d: want kept + dropped = 400", dropped, got.Record.EventsDropped, len(got.Record.Events))
	}
	if !got.Record.Events[len(got.Record.Events)-1].Time.Equal(at.Add(399 * time.Second)) {
		t.Error("the newest event was dropped; want the oldest dropped first")
	}
}

// TestEntrySize: Size follows EventBridge's documented calculation.
func TestEntrySize(t *testing.T) {
	entry := suiteevent.Entry{Source: "abc", DetailType: "de", Detail: `{"é":1}`, Resources: []string{"r1", "r22"}}
	if got, want := entry.Size(), 14+3+2+len(`{"é":1}`)+2+3; got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := string(delivered(t, must(suiteevent.CorrectedEntry("bus", corrected()))))
	tests := map[string]struct {
		body    string
		field   string
		unknown bool
	}{
		"not JSON":          {`{"detail-type":`, "", false},
		"IVS event":         {strings.Replace(good, `"source":"`+suite.EventSource+`"`, `"source":"aws.ivs"`, 1), "source", true},
		"other detail-type": {strings.Replace(good, suite.DetailTypeChannelCorrected, "IVS Something Else", 1), "detail-type", true},
		"detail not object": {`{"source":"` + suite.EventSource + `","detail-type":"` + suite.DetailTypeSessionEnriched + `","detail":"x"}`, "detail", false},
		"no detail":         {`{"source":"` + suite.EventSource + `","detail-type":"` + suite.DetailTypeSessionEnriched + `"}`, "detail", false},
		"detail wrong type": {`{"source":"` + suite.EventSource + `","detail-type":"` + suite.DetailTypeSessionEnriched + `","detail":{"record":[]}}`, "detail.record", false},
		"duplicate member":  {strings.Replace(good, `"source":"`+suite.EventSource+`"`, `"source":"`+suite.EventSource+`","source":"`+suite.EventSource+`"`, 1), "source", false},
		"trailing data":     {good + `{}`, "", false},
		"secret quoted":     {`{"source":"` + suite.EventSource + `","detail-type":"` + suite.DetailTypeSessionEnriched + `","detail":"sk_us-west-2_abcdABCDefgh_567890abcdef"}`, "detail", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := suiteevent.Decode([]byte(tc.body))
			var fe *invalid.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || errors.Is(err, invalid.ErrUnknown) != tc.unknown {
				t.Fatalf("err = %v, want a FieldError on %q (unknown %v)", err, tc.field, tc.unknown)
			}
			if retryable.Is(err) {
				t.Error("a decoding error is transient; want permanent")
			}
			if strings.Contains(err.Error(), "sk_us-west-2") {
				t.Errorf("the error quotes a stream key: %v", err)
			}
		})
	}
}

func must(e suiteevent.Entry, err error) suiteevent.Entry {
	if err != nil {
		panic(err)
	}
	return e
}
