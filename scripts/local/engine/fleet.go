package engine

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localaws"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// FleetOf returns the fleet a stack must run to play scenarios: the zero Fleet (a
// single-region deployment) when every channel is in the home region (localaws.Region) and
// account (localaws.Account); else the home region then every other region a channel names,
// and every other account a channel names as a member account.
func FleetOf(scenarios []Scenario) suite.Fleet {
	var regions, accounts []string
	for _, sc := range scenarios {
		for _, c := range sc.Channels {
			if c.Region != "" && c.Region != localaws.Region && !slices.Contains(regions, c.Region) {
				regions = append(regions, c.Region)
			}
			if c.Account != "" && c.Account != localaws.Account && !slices.Contains(accounts, c.Account) {
				accounts = append(accounts, c.Account)
			}
		}
	}
	if len(regions) == 0 && len(accounts) == 0 {
		return suite.Fleet{}
	}
	slices.Sort(regions)
	slices.Sort(accounts)
	return suite.Fleet{Regions: append([]string{localaws.Region}, regions...), Accounts: accounts}
}

// targetOfSpec is the account and region of a scenario's channel: the home ones unless it
// names others.
func (r *runner) targetOfSpec(spec ChannelSpec) fleet.Target {
	return fleet.Target{Account: cmp.Or(spec.Account, r.s.Account), Region: cmp.Or(spec.Region, r.s.Region)}
}

// checkTargets returns an error naming the first channel whose account and region the stack
// does not serve (a scenario file played on a stack started for others).
func (r *runner) checkTargets() error {
	for i, spec := range r.sc.Channels {
		t := r.targetOfSpec(spec)
		if r.s.IVSAt(t.Account, t.Region) == nil {
			return fmt.Errorf("channels[%d] %s: the stack serves no IVS for account %s in %s (it runs %v: play the scenario on its own, or with those that need a fleet)",
				i, spec.Name, t.Account, t.Region, r.s.Targets())
		}
	}
	return nil
}

// server returns the local IVS of the channel named name (its account and region).
func (r *runner) server(name string) *ivstest.Server {
	t := r.targets[name]
	return r.s.IVSAt(t.Account, t.Region)
}

// clientAt returns the scenario's IVS client of target (made once).
func (r *runner) clientAt(t fleet.Target) *ivs.Client {
	if t == (fleet.Target{Account: r.s.Account, Region: r.s.Region}) {
		return r.client
	}
	if c, ok := r.clients[t]; ok {
		return c
	}
	c := r.s.IVSClientAt(ActorScenario, t.Account, t.Region)
	r.clients[t] = c
	return c
}

// checkRegions evaluates the scenario's expectations of each region of a fleet.
func (r *runner) checkRegions(e map[string]RegionExpect, add func(string, bool, string)) {
	for _, region := range sortedKeys(e) {
		re := e[region]
		if re.Sessions != nil {
			n := 0
			for _, as := range r.res.Archive.Sessions {
				if as.Record.Region == region {
					n++
				}
			}
			add(fmt.Sprintf("%s: sessions archived", region), n == *re.Sessions, fmt.Sprintf("got %d, want %d", n, *re.Sessions))
		}
		calls := r.res.Counters.RegionCalls[region]
		for _, op := range sortedKeys(re.Calls) {
			got := calls[op].OK
			add(fmt.Sprintf("%s: successful IVS calls %s", region, op), got == re.Calls[op], fmt.Sprintf("got %d, want %d (answered by %s's IVS)", got, re.Calls[op], region))
		}
		if re.Throttled != nil {
			got := 0
			for _, n := range calls {
				got += n.Throttled
			}
			add(fmt.Sprintf("%s: the functions' throttled IVS calls", region), got == *re.Throttled, fmt.Sprintf("got %d, want %d", got, *re.Throttled))
		}
	}
}

// recordIn reports whether rec is of re's region and account, when re names them.
func recordIn(re RecordExpect, rec session.Record) bool {
	return (re.Region == "" || rec.Region == re.Region) && (re.Account == "" || rec.Account == re.Account)
}
