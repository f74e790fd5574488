package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// base is when the test run's sessions start.
var base = time.Date(2026, 11, 3, 17, 40, 3, 120e6, time.UTC)

// goodRun returns a plan, filled in as IVS would have it, with one channel of each role and a
// plain live and refused one, and what a run that went right leaves behind.
func goodRun(t *testing.T) (*Plan, Observed) {
	t.Helper()
	p := &Plan{Seed: 1, Designated: map[string]string{}}
	obs := Observed{Left: map[string]int{}, DeadLetters: map[string][]DeadLetter{}, Injected: map[string]int{},
		LostUpdates: map[string]int{}, MaxReceives: map[string]int{}, AlarmAt: suite.DeadLetterAlarmThreshold}
	for _, fn := range suite.Functions {
		obs.Left[fn] = 0
		obs.MaxReceives[fn] = suite.Deployment[fn].MaxReceiveCount
	}
	for _, k := range faultKinds {
		obs.Injected[k] = 1
	}
	roles := append([]Role{RoleLive, RoleRefused}, specialRoles...)
	for i, role := range roles {
		id := fmt.Sprintf("Chan%08d", i)
		c := &Channel{Name: fmt.Sprintf("soak-%03d-%s", i, role), Role: role, ARN: "arn:aws:ivs:us-west-2:123456789012:channel/" + id}
		c.Final = ivstest.ChannelConfig{Type: ivstest.TypeStandard, ContainerFormat: ivstest.ContainerFragmentedMP4, MultitrackEnabled: true,
			MultitrackPolicy: ivstest.PolicyAllow, MultitrackMaxResolution: ivstest.ResolutionFullHD}
		p.Channels = append(p.Channels, c)
		n := 1
		if role == RoleTwice || role == RoleReconnect {
			n = 2
		}
		for j := range n {
			start := base.Add(time.Duration(i*10+j*5) * time.Second)
			s := &Session{Channel: c, Index: j, Phase: PhaseNow, Tracks: 3, StreamID: fmt.Sprintf("st-%02d%02dAbCdEfGhIjKlMnOpQrS", i, j), Start: start}
			if role == RoleDegraded {
				s.Degraded = true
			}
			if role == RoleStarved {
				s.Starved = true
			}
			if role.refusedRole() && j == 0 {
				s.Tracks = 5
				s.Code = ivsevent.CodeMultitrackInputNotAllowed
			}
			s.Live = s.Code == ""
			s.Encoder = ivstest.OBS("", s.Tracks)
			s.Encoder.StreamKey = ""
			s.End = start
			if s.Live {
				s.End = start.Add(3500 * time.Millisecond)
			}
			s.Events = []EventFact{{Time: start.Truncate(time.Second), Name: ivsevent.EventSessionCreated}}
			if s.Live {
				s.Events = append(s.Events, EventFact{Time: start.Truncate(time.Second), Name: ivsevent.EventStreamStart},
					EventFact{Time: s.End.Truncate(time.Second), Name: ivsevent.EventSessionEnded}, EventFact{Time: s.End.Truncate(time.Second), Name: ivsevent.EventStreamEnd})
			} else {
				s.Events = append(s.Events, EventFact{Time: s.End.Truncate(time.Second), Name: ivsevent.EventSessionEnded, Code: s.Code})
			}
			c.Sessions = append(c.Sessions, s)
		}
		goodChannel(c, &obs)
		for _, s := range c.Sessions {
			obs.Records = append(obs.Records, Archived[session.Record]{Key: keyOf(t, s), Doc: goodRecord(s)})
			if _, obj, _ := wantCorrection(s); obj != "" {
				obs.Corrections = append(obs.Corrections, Archived[session.Corrected]{Key: "corrections/" + s.StreamID,
					Doc: session.Corrected{ChannelARN: c.ARN, StreamID: s.StreamID, Correction: *goodRecord(s).Correction}})
			}
		}
	}
	obs.DeadLetters[suite.FunctionArchive] = []DeadLetter{{Body: `{"id":"` + poisonMarker + `"}`, ReceiveCount: obs.MaxReceives[suite.FunctionArchive]}}
	obs.Panics = obs.MaxReceives[suite.FunctionArchive]
	return p, obs
}

// goodChannel gives c the history and final configuration its role must end with, and the
// dead letters it must leave.
func goodChannel(c *Channel, obs *Observed) {
	off := ivstest.ChannelConfig{Name: c.Name, Type: ivstest.TypeStandard, ContainerFormat: ivstest.ContainerTS,
		MultitrackPolicy: ivstest.PolicyAllow, MultitrackMaxResolution: ivstest.ResolutionFullHD}
	on := off
	on.ContainerFormat, on.MultitrackEnabled = ivstest.ContainerFragmentedMP4, true
	change := func(caller string, before, after ivstest.ChannelConfig, changed ...string) ivstest.ChannelChange {
		return ivstest.ChannelChange{Time: "2026-11-03T17:41:00.000Z", Caller: caller, Changed: changed, Before: before, After: after}
	}
	if !c.Role.refusedRole() {
		return
	}
	c.Final = off
	stream := c.Sessions[0].StreamID
	switch c.Role {
	case RoleRefused, RoleReconnect:
		c.History = []ivstest.ChannelChange{change(suite.FunctionCorrect, off, on, "containerFormat", "multitrackInputConfiguration.enabled")}
		c.Final = on
	case RoleReplayed:
		c.History = []ivstest.ChannelChange{change(suite.FunctionCorrect, off, on, "containerFormat", "multitrackInputConfiguration.enabled"),
			change("you", on, off, "containerFormat", "multitrackInputConfiguration.enabled")}
	case RoleFailed:
		basic := off
		basic.Type = ivstest.TypeBasic
		c.History = []ivstest.ChannelChange{change("you", off, basic, "type")}
		c.Final = basic
		obs.DeadLetters[suite.FunctionCorrect] = append(obs.DeadLetters[suite.FunctionCorrect], DeadLetter{
			Body: `{"detail":{"record":{"streamId":"` + stream + `"}}}`, Attributes: map[string]string{"reason": reasonFailed + "UpdateChannel: " + ivstest.CodeValidation + ": multitrack input can be enabled only on channel type STANDARD"}})
	case RoleExpired:
		obs.DeadLetters[suite.FunctionCorrect] = append(obs.DeadLetters[suite.FunctionCorrect], DeadLetter{
			Body: `{"detail":{"record":{"streamId":"` + stream + `"}}}`, Attributes: map[string]string{"reason": reasonExpired + "not applied: more than 24h0m0s (" + suite.EnvCorrectionMaxAge + ") old"}})
	}
}

func keyOf(t *testing.T, s *Session) string {
	t.Helper()
	a, err := ivsevent.ParseChannelARN(s.Channel.ARN)
	if err != nil {
		t.Fatal(err)
	}
	id, err := session.IdentityOf(a, s.StreamID)
	if err != nil {
		t.Fatal(err)
	}
	key, err := session.SessionKey(id, s.Start)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// goodRecord is the record the archive must hold for s.
func goodRecord(s *Session) session.Record {
	r := session.Record{StreamID: s.StreamID, ChannelARN: s.Channel.ARN, StartTime: s.Start.Truncate(time.Millisecond),
		EndTime: s.End.Truncate(time.Millisecond), Enriched: true, Outcome: session.OutcomeEnded, Code: s.Code}
	if s.Code != "" {
		r.Outcome = session.OutcomeRefused
	}
	for i, v := range s.Encoder.Video {
		r.Video = append(r.Video, session.VideoTrack{Track: fmt.Sprintf("Track%d", i), Codec: v.Codec, Profile: v.Profile, Level: v.Level,
			Encoder: s.Encoder.Software, Width: int64(v.Width), Height: int64(v.Height), FrameRate: int64(v.Framerate), TargetBitrate: int64(v.Bitrate)})
	}
	for i, a := range s.Encoder.Audio {
		r.Audio = append(r.Audio, session.AudioTrack{Track: fmt.Sprintf("Track%d", i), Codec: a.Codec, Channels: int64(a.Channels),
			SampleRate: int64(a.SampleRate), TargetBitrate: int64(a.Bitrate)})
	}
	for _, e := range s.Events {
		r.Events = append(r.Events, session.Event{Time: e.Time, Name: e.Name, Code: e.Code})
	}
	if s.Live {
		r.Quality = &quality.Report{Verdict: quality.VerdictHealthy}
		switch {
		case s.Degraded:
			r.Quality = &quality.Report{Verdict: quality.VerdictDegraded, Reasons: []quality.Reason{{Code: quality.ReasonLowBitrate, Track: "Track1"}}}
		case s.Starved:
			r.Quality = &quality.Report{Verdict: quality.VerdictDegraded, Reasons: []quality.Reason{{Code: quality.ReasonStarvation}}}
		}
	}
	if rec, _, action := wantCorrection(s); rec != "" {
		r.Correction = &session.Correction{Outcome: rec, Decision: multitrack.Decision{Action: multitrack.ActionApply}}
		switch {
		case action != "":
			r.Correction.Decision.Action = multitrack.Action(action)
		case s.Channel.Role == RoleExpired:
			r.Correction.Detail = "not applied: its trigger is more than 24h0m0s (" + suite.EnvCorrectionMaxAge + ") old"
		}
	}
	if s.Channel.Role == RoleReconnect && s.Index == 0 {
		r.NextSession = &session.SessionLink{StreamID: s.Channel.Sessions[1].StreamID}
	}
	return r
}

func TestCheckHolds(t *testing.T) {
	p, obs := goodRun(t)
	for _, r := range Check(p, obs) {
		if !r.OK {
			t.Errorf("%s: failed on a good run: %s", r.Check, r.Detail)
		}
	}
}

// find returns the plan's first session of role.
func find(p *Plan, role Role) *Session {
	for _, c := range p.Channels {
		if c.Role == role {
			return c.Sessions[0]
		}
	}
	panic("no channel of role " + string(role))
}

// rec returns the observed record of s, to doctor.
func rec(obs *Observed, s *Session) *session.Record {
	for i := range obs.Records {
		if obs.Records[i].Doc.StreamID == s.StreamID {
			return &obs.Records[i].Doc
		}
	}
	panic("no record of " + s.StreamID)
}

// TestCheckCatches doctors a good run's archive (or what else the run left) one way at a time
// and wants exactly the row about it to fail, naming what is wrong: every row can fail.
func TestCheckCatches(t *testing.T) {
	tests := []struct {
		name, check, detail string
		doctor              func(*Plan, *Observed)
	}{
		{"a session archived twice", "archived once", "2 records", func(p *Plan, o *Observed) {
			o.Records = append(o.Records, o.Records[0])
		}},
		{"a session never archived", "archived once", "0 records", func(p *Plan, o *Observed) {
			o.Records = o.Records[1:]
		}},
		{"a session archived under its end's day", "archived once", "not under its start's day", func(p *Plan, o *Observed) {
			o.Records[0].Key = strings.Replace(o.Records[0].Key, "day=03", "day=04", 1)
		}},
		{"a record of a session IVS never had", "archived once", "never had", func(p *Plan, o *Observed) {
			o.Records = append(o.Records, Archived[session.Record]{Key: "sessions/x", Doc: session.Record{StreamID: "st-NoSuchSessionAtAllXyz"}})
		}},
		{"a reconnect never played", "archived once", "not played", func(p *Plan, o *Observed) {
			find(p, RoleReconnect).Channel.Sessions[1].NotPlayed = "the channel was not corrected"
		}},
		{"a record left live", "outcome", "outcome live", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleLive)).Outcome = session.OutcomeLive
		}},
		{"a refusal's code lost", "outcome", `code ""`, func(p *Plan, o *Observed) {
			rec(o, find(p, RoleRefused)).Code = ""
		}},
		{"an end time from the event, not IVS", "start, end", "end", func(p *Plan, o *Observed) {
			r := rec(o, find(p, RoleLive))
			r.EndTime = r.EndTime.Truncate(time.Second)
		}},
		{"a track's resolution wrong", "start, end", "video 1", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleLive)).Video[1].Height = 720
		}},
		{"a track missing", "start, end", "2 video and 1 audio", func(p *Plan, o *Observed) {
			r := rec(o, find(p, RoleLive))
			r.Video = r.Video[:2]
		}},
		{"a record not enriched", "start, end", "not enriched", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleLive)).Enriched = false
		}},
		{"an event missing from a record", "every event", ivsevent.EventStreamStart, func(p *Plan, o *Observed) {
			r := rec(o, find(p, RoleLive))
			r.Events = r.Events[:1]
		}},
		{"a quality verdict lost", "quality", "not measured", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleStarved)).Quality = nil
		}},
		{"a degraded session said healthy", "quality", "want degraded", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleDegraded)).Quality = &quality.Report{Verdict: quality.VerdictHealthy}
		}},
		{"degraded for the wrong track", "quality", "not low-bitrate Track1", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleDegraded)).Quality.Reasons[0].Track = "Track0"
		}},
		{"a healthy session said unknown", "quality", "unknown", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleMidnight)).Quality = &quality.Report{Verdict: quality.VerdictUnknown}
		}},
		{"a refused session measured", "quality", "refused, yet measured", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleRefused)).Quality = &quality.Report{Verdict: quality.VerdictUnknown}
		}},
		{"a correction off the record", "correction on record", "want one applied", func(p *Plan, o *Observed) {
			s := find(p, RoleRefused)
			var kept []Archived[session.Corrected]
			for _, c := range o.Corrections {
				if c.Doc.StreamID != s.StreamID {
					kept = append(kept, c)
				}
			}
			o.Corrections = kept
		}},
		{"a record that says unchanged", "correction on record", `says correction "unchanged"`, func(p *Plan, o *Observed) {
			rec(o, find(p, RoleRefused)).Correction.Outcome = session.CorrectionUnchanged
		}},
		{"an opted-out channel decided apply", "correction on record", "decided apply, want skipped", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleOptOut)).Correction.Decision.Action = multitrack.ActionApply
		}},
		{"an expired correction failed for another reason", "correction on record", "not its age", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleExpired)).Correction.Detail = "UpdateChannel: ValidationException"
		}},
		{"a correction on a live session", "correction on record", "want none", func(p *Plan, o *Observed) {
			s := find(p, RoleLive)
			o.Corrections = append(o.Corrections, Archived[session.Corrected]{Doc: session.Corrected{StreamID: s.StreamID, Correction: session.Correction{Outcome: session.CorrectionUnchanged}}})
		}},
		{"a correction applied twice", "made to its channel once", "changed by the corrector 2 times", func(p *Plan, o *Observed) {
			c := find(p, RoleRefused).Channel
			c.History = append(c.History, c.History[0])
		}},
		{"the same call sent twice, no answer lost", "made to its channel once", "applied 2 times for one change", func(p *Plan, o *Observed) {
			c := find(p, RoleRefused).Channel
			again := c.History[0]
			again.Changed = []string{}
			c.History = append(c.History, again)
		}},
		{"a channel changed that needed nothing", "made to its channel once", "want 0", func(p *Plan, o *Observed) {
			c := find(p, RoleOptOut).Channel
			c.History = append(c.History, ivstest.ChannelChange{Caller: suite.FunctionCorrect, Changed: []string{"type"}})
		}},
		{"a channel left uncorrected", "made to its channel once", "not corrected", func(p *Plan, o *Observed) {
			find(p, RoleRefused).Channel.Final.MultitrackEnabled = false
		}},
		{"a replay that re-applied the correction", "replay", "again after the revert", func(p *Plan, o *Observed) {
			c := find(p, RoleReplayed).Channel
			c.History = append(c.History, c.History[0])
		}},
		{"a replay that changed the record", "replay", "no longer says applied", func(p *Plan, o *Observed) {
			rec(o, find(p, RoleReplayed)).Correction.Outcome = session.CorrectionUnchanged
		}},
		{"a refusal not linked to the session after it", "linked", `next session ""`, func(p *Plan, o *Observed) {
			rec(o, find(p, RoleReconnect)).NextSession = nil
		}},
		{"a message left in a queue", "nothing left", "queue correct: 1 messages", func(p *Plan, o *Observed) {
			o.Left[suite.FunctionCorrect] = 1
		}},
		{"an event never delivered", "nothing left", "never delivered", func(p *Plan, o *Observed) {
			o.Undelivered = 2
		}},
		{"a message dead-lettered that should not be", "DLQs hold exactly", "not expected", func(p *Plan, o *Observed) {
			o.DeadLetters[suite.FunctionArchive] = append(o.DeadLetters[suite.FunctionArchive], DeadLetter{Body: `{"streamId":"` + find(p, RoleLive).StreamID + `"}`, ReceiveCount: 5})
		}},
		{"a failed correction dead-lettered for another reason", "DLQs hold exactly", "not in correct's DLQ", func(p *Plan, o *Observed) {
			for i := range o.DeadLetters[suite.FunctionCorrect] {
				if strings.HasPrefix(o.DeadLetters[suite.FunctionCorrect][i].Attributes["reason"], reasonExpired) {
					o.DeadLetters[suite.FunctionCorrect][i].Attributes = map[string]string{"reason": reasonFailed + "the channel no longer exists"}
				}
			}
		}},
		{"a failed correction not dead-lettered", "DLQs hold exactly", "not in correct's DLQ", func(p *Plan, o *Observed) {
			o.DeadLetters[suite.FunctionCorrect] = nil
		}},
		{"the poison message dead-lettered early", "panics", "after 2 receives", func(p *Plan, o *Observed) {
			o.DeadLetters[suite.FunctionArchive][0].ReceiveCount = 2
		}},
		{"the poison message never panicked", "panics", "reports 0 panics", func(p *Plan, o *Observed) {
			o.Panics = 0
		}},
		{"a DLQ below its alarm's threshold", "alarmed", "its alarm fires at 2", func(p *Plan, o *Observed) {
			o.AlarmAt = 2
		}},
		{"a kind of fault never injected", "every kind", "never injected: " + kS3Conflict, func(p *Plan, o *Observed) {
			delete(o.Injected, kS3Conflict)
		}},
	}
	// Doctorings that make another row fail too, and which.
	also := map[string]string{
		"a replay that re-applied the correction": "made to its channel once",
		"a replay that changed the record":        "correction on record",
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, obs := goodRun(t)
			tt.doctor(p, &obs)
			for _, r := range Check(p, obs) {
				about := strings.Contains(r.Check, tt.check)
				switch {
				case about && r.OK:
					t.Errorf("%s: holds, want a failure", r.Check)
				case about && !strings.Contains(r.Detail, tt.detail):
					t.Errorf("%s: detail %q, want it to name %q", r.Check, r.Detail, tt.detail)
				case about:
					covered[r.Check] = true
				case !r.OK && (also[tt.name] == "" || !strings.Contains(r.Check, also[tt.name])):
					t.Errorf("%s: fails too: %s", r.Check, r.Detail)
				}
			}
		})
	}
	p, obs := goodRun(t)
	for _, r := range Check(p, obs) {
		if !covered[r.Check] {
			t.Errorf("%s: no doctored run makes it fail", r.Check)
		}
	}
}
