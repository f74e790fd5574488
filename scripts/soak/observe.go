package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/scripts/local/engine"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// stateTime is the layout of the IVS server's state times (ivstest.State).
const stateTime = "2006-01-02T15:04:05.000Z"

// learn fills the plan in with what IVS has: each session's start and end, the events IVS sent
// for it, each channel's history of changes and its configuration now.
func learn(st *engine.Stack, p *Plan) error {
	byStream := map[string]*Session{}
	for _, s := range p.Played() {
		byStream[s.StreamID] = s
	}
	state := st.IVS.State()
	for _, ch := range state.Channels {
		c := p.ByARN(ch.ARN)
		if c == nil {
			continue
		}
		c.History = ch.History
		c.Final.Type, c.Final.ContainerFormat = ch.Type, ch.ContainerFormat
		c.Final.MultitrackEnabled, c.Final.MultitrackPolicy, c.Final.MultitrackMaxResolution = ch.MultitrackEnabled, ch.MultitrackPolicy, ch.MultitrackMaxResolution
		for _, ss := range ch.Sessions {
			s := byStream[ss.StreamID]
			if s == nil {
				return fmt.Errorf("IVS has a session the soak did not play: %s on %s", ss.StreamID, c.Name)
			}
			var err error
			if s.Start, err = time.Parse(stateTime, ss.StartTime); err != nil {
				return fmt.Errorf("IVS's start of %s: %w", ss.StreamID, err)
			}
			if ss.EndTime != "" {
				if s.End, err = time.Parse(stateTime, ss.EndTime); err != nil {
					return fmt.Errorf("IVS's end of %s: %w", ss.StreamID, err)
				}
			}
		}
	}
	for _, ev := range st.IVS.Events() {
		e, err := ivsevent.Parse(ev.JSON)
		if err != nil {
			return fmt.Errorf("an event IVS sent does not parse: %w", err)
		}
		if s := byStream[e.StreamID()]; s != nil {
			s.Events = append(s.Events, EventFact{Time: e.Time, Name: e.Name(), Code: e.Code()})
		}
	}
	return nil
}

// observe reads what the run left: the archive, the queues, the DLQs, archive's log, and the
// injector's counts.
func observe(ctx context.Context, st *engine.Stack, inj *injector) (Observed, error) {
	arch, err := st.ReadArchive(ctx, nil)
	if err != nil {
		return Observed{}, err
	}
	obs := Observed{Left: map[string]int{}, DeadLetters: map[string][]DeadLetter{}, Injected: map[string]int{},
		LostUpdates: map[string]int{}, MaxReceives: map[string]int{}, AlarmAt: suite.DeadLetterAlarmThreshold}
	for _, s := range arch.Sessions {
		obs.Records = append(obs.Records, Archived[session.Record]{Key: s.Key, Doc: s.Record})
	}
	for _, c := range arch.Corrections {
		obs.Corrections = append(obs.Corrections, Archived[session.Corrected]{Key: c.Key, Doc: c.Corrected})
	}
	stats := st.Bus.Stats()
	for _, fn := range suite.Functions {
		q := stats.Queues[fn]
		obs.Left[fn] = q.InFlight + q.Waiting
		obs.MaxReceives[fn] = suite.Deployment[fn].MaxReceiveCount
		dls, err := st.Bus.DeadLetters(fn)
		if err != nil {
			return Observed{}, err
		}
		for _, d := range dls {
			obs.DeadLetters[fn] = append(obs.DeadLetters[fn], DeadLetter{Body: d.Body, ReceiveCount: d.ReceiveCount, Attributes: d.Attributes})
		}
	}
	if obs.Panics, err = countPanics(filepath.Join(st.Dir(), "logs", suite.FunctionArchive+".log")); err != nil {
		return Observed{}, err
	}
	obs.Undelivered = st.Bus.Held() // before inj.mu: the bus calls the injector under its own lock
	inj.mu.Lock()
	defer inj.mu.Unlock()
	for k, v := range inj.counts {
		obs.Injected[k] = v
	}
	for k, v := range inj.lostUpdates {
		obs.LostUpdates[k] = v
	}
	obs.ArchiveKills = inj.counts[kKillMidBatch+" "+suite.FunctionArchive]
	return obs, nil
}

// countPanics counts the lines of a function's log that report the poison message's work
// panicking (shared/batch: "the work panicked").
func countPanics(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, poisonMarker) {
			continue
		}
		// Each line: the engine's time and instance, then the function's JSON log entry.
		var entry struct {
			Message string `json:"message"`
		}
		if i := strings.Index(line, "{"); i >= 0 && json.Unmarshal([]byte(line[i:]), &entry) == nil && strings.HasPrefix(entry.Message, "the work panicked") {
			n++
		}
	}
	return n, sc.Err()
}
