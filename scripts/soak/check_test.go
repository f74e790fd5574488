package main

import (
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/session"
)

const (
	arnLive    = "arn:aws:ivs:us-west-2:123456789012:channel/LiveChannel1"
	arnRefused = "arn:aws:ivs:us-west-2:123456789012:channel/RefusedChan1"
	streamLive = "st-1AuTyMDASvHUTSb8p5PvbsO"
	streamRef  = "st-2BvUzNEBTwIVUTc9q6QwctP"
)

func testPlan() []Planned {
	return []Planned{
		{Name: "live", ChannelARN: arnLive, StreamID: streamLive},
		{Name: "refused", ChannelARN: arnRefused, StreamID: streamRef, Refused: true},
	}
}

// goodRun is what a run that went right leaves behind.
func goodRun() Observed {
	applied := &session.Correction{Outcome: session.CorrectionApplied}
	return Observed{
		Records: []session.Record{
			{ChannelARN: arnLive, StreamID: streamLive, Outcome: session.OutcomeEnded},
			{ChannelARN: arnRefused, StreamID: streamRef, Outcome: session.OutcomeRefused, Correction: applied},
		},
		Corrections: []session.Corrected{{ChannelARN: arnRefused, StreamID: streamRef, Correction: *applied}},
		Updates:     map[string]int{arnRefused: 1},
		Corrected:   map[string]bool{arnRefused: true},
		Left:        map[string]int{"enrich": 0, "correct": 0, "archive": 0},
		DeadLetters: map[string][]DeadLetter{},
		Faults:      map[string]map[string]int{},
		Alarmed:     map[string]bool{"enrich": true, "correct": true, "archive": true},
		Injected:    allKinds(),
	}
}

func allKinds() map[string]int {
	out := map[string]int{}
	for _, k := range faultKinds {
		out[k] = 1
	}
	return out
}

// TestCheckExercised: a kind of fault the run never injected is named as a gap.
func TestCheckExercised(t *testing.T) {
	obs := goodRun()
	delete(obs.Injected, kEventLost)
	r := exercised(obs)
	if !r.OK || !strings.Contains(r.Gap, kEventLost) || strings.Contains(r.Gap, kEventLate) {
		t.Errorf("exercised = %+v, want it to hold and name only %q", r, kEventLost)
	}
	if r := exercised(goodRun()); r.Gap != "" {
		t.Errorf("every kind injected: gap %q", r.Gap)
	}
}

func TestCheckHolds(t *testing.T) {
	for _, r := range Check(testPlan(), goodRun()) {
		if !r.OK {
			t.Errorf("%s: failed on a good run: %s", r.Check, r.Detail)
		}
	}
}

// TestCheckCatches breaks one thing at a time and wants exactly the check about it to fail,
// naming what is wrong.
func TestCheckCatches(t *testing.T) {
	tests := []struct {
		name, check, detail string
		breakIt             func(*Observed)
	}{
		{"a session archived twice", "archived exactly once", "live: 2 records", func(o *Observed) {
			o.Records = append(o.Records, o.Records[0])
		}},
		{"a session never archived", "archived exactly once", "live: 0 records", func(o *Observed) {
			o.Records = o.Records[1:]
		}},
		{"a record left live", "archived exactly once", "outcome live, want ended", func(o *Observed) {
			o.Records[0].Outcome = session.OutcomeLive
		}},
		{"a correction applied twice", "applied exactly once", "applied 2 times", func(o *Observed) {
			o.Updates[arnRefused] = 2
		}},
		{"a channel changed that needed nothing", "applied exactly once", "needed none", func(o *Observed) {
			o.Updates[arnLive] = 1
		}},
		{"a channel left uncorrected", "applied exactly once", "not corrected", func(o *Observed) {
			o.Corrected[arnRefused] = false
		}},
		{"a correction off the record", "on record", "0 applied corrections archived", func(o *Observed) {
			o.Corrections = nil
		}},
		{"a record that says unchanged", "on record", `says correction "unchanged"`, func(o *Observed) {
			o.Records[1].Correction = &session.Correction{Outcome: session.CorrectionUnchanged}
		}},
		{"a message left in a queue", "nothing left", "queue correct: 1 messages", func(o *Observed) {
			o.Left["correct"] = 1
		}},
		{"an event never delivered", "nothing left", "never delivered", func(o *Observed) {
			o.Undelivered = 2
		}},
		{"an unexplained dead letter", "explained", "unexplained", func(o *Observed) {
			o.DeadLetters["archive"] = []DeadLetter{{Body: `{"streamId":"` + streamLive + `"}`, ReceiveCount: 5}}
		}},
		{"a dead letter without an alarm", "alarmed", "no depth alarm", func(o *Observed) {
			o.DeadLetters["archive"] = []DeadLetter{{Body: `{"streamId":"` + streamLive + `"}`, ReceiveCount: 5}}
			o.Faults[streamLive] = map[string]int{kS3Error: 5}
			o.Alarmed["archive"] = false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := goodRun()
			tt.breakIt(&obs)
			for _, r := range Check(testPlan(), obs) {
				about := strings.Contains(r.Check, tt.check)
				switch {
				case about && r.OK:
					t.Errorf("%s: holds, want a failure", r.Check)
				case about && !strings.Contains(r.Detail, tt.detail):
					t.Errorf("%s: detail %q, want it to name %q", r.Check, r.Detail, tt.detail)
				case !about && !r.OK:
					t.Errorf("%s: fails too: %s", r.Check, r.Detail)
				}
			}
		})
	}
}

// TestExplain: a dead letter is explained by the faults injected into what it is about.
func TestExplain(t *testing.T) {
	faults := map[string]map[string]int{streamLive: {kS3Error: 3, kKillMidBatch: 1}}
	got := explain(DeadLetter{Body: `{"detail":{"stream_id":"` + streamLive + `"}}`, ReceiveCount: 5}, faults)
	for _, want := range []string{"5 receives", kS3Error + " ×3", kKillMidBatch + " ×1"} {
		if !strings.Contains(got, want) {
			t.Errorf("explain = %q, want it to hold %q", got, want)
		}
	}
	if got := explain(DeadLetter{Body: `{"detail":{"stream_id":"` + streamRef + `"}}`}, faults); got != "" {
		t.Errorf("explain of a message no fault touched = %q, want empty", got)
	}
}

// TestUnitIsSeeded: fault decisions depend on the seed, the kind, the subject and the sighting
// only, and spread evenly.
func TestUnitIsSeeded(t *testing.T) {
	if unit(1, "k", "s", 0) != unit(1, "k", "s", 0) {
		t.Fatal("the same inputs gave two decisions")
	}
	if unit(1, "k", "s", 0) == unit(2, "k", "s", 0) {
		t.Error("the seed does not change the decision")
	}
	below := 0
	const n = 20000
	for i := range n {
		if unit(7, "kind", "subject", i) < 0.05 {
			below++
		}
	}
	if below < n*4/100 || below > n*6/100 {
		t.Errorf("%d of %d sightings below 0.05, want about 5%%", below, n)
	}
}
