package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
)

// faults sets the local bus's event faults for the rest of the scenario.
func (r *runner) faults(f Faults) (string, error) {
	ef := localbus.EventFaults{Names: f.Names, Sessions: f.Sessions, Drop: f.Drop, Delay: f.Delay, Duplicate: f.Duplicate, DelayBy: time.Duration(f.DelayBy)}
	if f.Region != "" && r.s.Fleet().Enabled() {
		// That region's events of the home account, where they reach the suite.
		ef.Bus, ef.Regions, ef.Accounts = r.s.BusOfRegion(f.Region), []string{f.Region}, []string{r.s.Account}
	}
	if err := r.s.Bus.SetEventFaults(ef); err != nil {
		return "", err
	}
	var parts []string
	unit := "events"
	if f.Sessions {
		unit = "sessions"
	}
	if f.Drop > 0 {
		parts = append(parts, fmt.Sprintf("loses %.0f%% of the %s", 100*f.Drop, unit))
	}
	if f.Delay > 0 {
		parts = append(parts, fmt.Sprintf("delays %.0f%% by %s", 100*f.Delay, time.Duration(f.DelayBy)))
	}
	if f.Duplicate > 0 {
		parts = append(parts, fmt.Sprintf("delivers %.0f%% twice", 100*f.Duplicate))
	}
	which := "IVS events"
	if len(f.Names) > 0 {
		which = strings.Join(f.Names, ", ") + " events"
	}
	if f.Region != "" {
		which += " of " + f.Region
	}
	text := "EventBridge " + strings.Join(parts, ", ") + " (" + which + ")"
	if len(parts) == 0 {
		text = "EventBridge delivers every IVS event once"
	}
	r.s.Note(ActorScenario, LevelKey, text)
	return text, nil
}
