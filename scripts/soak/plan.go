package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
)

// Role is what a channel of the plan is there to prove. Every run has one channel of each
// special role, plus -sessions plain channels (RoleLive or RoleRefused).
type Role string

// The roles.
const (
	// RoleLive: a multitrack channel (ALLOW, FRAGMENTED_MP4); a three-track encoder goes live
	// and disconnects: archived ended, quality healthy, the channel untouched.
	RoleLive Role = "live"
	// RoleRefused: a channel without multitrack input; a five-track encoder is refused
	// (MultitrackInputNotAllowed): archived refused, the channel changed once by the corrector.
	RoleRefused Role = "refused"
	// RoleDegraded: as RoleLive, Track1's bitrate at 30% of its target for the middle half of
	// the session: quality degraded, low-bitrate on Track1.
	RoleDegraded Role = "degraded"
	// RoleStarved: as RoleLive, the stream starves for a second mid-session: quality degraded,
	// starvation.
	RoleStarved Role = "starved"
	// RoleTwice: as RoleLive, two sessions one after the other on the same channel.
	RoleTwice Role = "twice"
	// RoleReconnect: as RoleRefused, then the encoder connects again once the channel is
	// corrected and goes live: the refused record links that session (nextSession).
	RoleReconnect Role = "reconnect"
	// RoleOptOut: as RoleRefused on a channel with the opt-out tag: skipped, never changed.
	RoleOptOut Role = "opt-out"
	// RoleFailed: as RoleRefused; a person makes the channel BASIC just before the corrector's
	// UpdateChannel, which IVS refuses (ValidationException): failed, sent to the DLQ.
	RoleFailed Role = "failed"
	// RoleExpired: as RoleRefused, but hours ago on IVS's clock, its events delivered only at
	// the end of the run, past correctionMaxAge: given up (failed), sent to the DLQ.
	RoleExpired Role = "expired"
	// RoleMidnight: as RoleLive, a session that starts before 00:00 UTC (IVS's clock) and
	// ends after it: archived once, under its start's day.
	RoleMidnight Role = "midnight"
	// RoleSwept: as RoleLive, its Session Ended and Stream End lost on the way to EventBridge:
	// the live sweep finishes it.
	RoleSwept Role = "swept"
	// RoleReplayed: as RoleRefused and corrected; then a person changes the channel back and the
	// suite's events of the session are replayed (an EventBridge archive replay): the archive is
	// rebuilt unchanged and no channel is touched again.
	RoleReplayed Role = "replayed"
)

// specialRoles are the roles every plan has one channel of, in plan order.
var specialRoles = []Role{RoleDegraded, RoleStarved, RoleTwice, RoleReconnect, RoleOptOut, RoleFailed, RoleExpired,
	RoleMidnight, RoleSwept, RoleReplayed}

// refusedRole reports whether the role's (first) session is refused: a five-track encoder on
// a channel without multitrack input.
func (r Role) refusedRole() bool {
	switch r {
	case RoleRefused, RoleReconnect, RoleOptOut, RoleFailed, RoleExpired, RoleReplayed:
		return true
	}
	return false
}

// corrected reports whether the corrector must change the channel of the role once.
func (r Role) corrected() bool {
	return r == RoleRefused || r == RoleReconnect || r == RoleReplayed
}

// Phases of a run, in order, on IVS's clock.
const (
	// PhaseHoursAgo plays RoleExpired, with IVS's clock set back past correctionMaxAge.
	PhaseHoursAgo = "hours ago"
	// PhaseMidnight plays RoleMidnight, with IVS's clock just before a midnight UTC.
	PhaseMidnight = "midnight"
	// PhaseNow plays everything else, on IVS's clock set back to the real time.
	PhaseNow = "now"
)

// Plan is a run: the channels and their sessions, and which channel each designated fault
// hits. It is a pure function of the options (NewPlan); playing it fills in what IVS gave.
type Plan struct {
	Seed     uint64
	Channels []*Channel
	// Designated names, for each fault kind that must hit a chosen target on every run, the
	// plan's channel it hits (the rest of the kinds are drawn at their rate from the seed).
	Designated map[string]string
	// Outage is the dependency that is down for OutageFor, OutageAt into the now phase.
	Outage              string
	OutageAt, OutageFor time.Duration
}

// Channel is one channel of the plan.
type Channel struct {
	Name     string
	Role     Role
	Sessions []*Session

	// Filled in when played and observed.
	ARN     string
	History []ivstest.ChannelChange // IVS's record of every UpdateChannel applied, oldest first
	Final   ivstest.ChannelConfig   // the channel as IVS has it at the end
}

// Session is one connection of an encoder to a channel.
type Session struct {
	Channel *Channel
	Index   int           // the session's place on its channel (0: first)
	Phase   string        // PhaseHoursAgo, PhaseMidnight or PhaseNow
	At      time.Duration // when it connects, from the start of its phase
	OnAir   time.Duration // how long a live session stays live
	Tracks  int           // video tracks the encoder sends (ivstest.Ladder)
	// Degraded: Track1 at 30% of its bitrate for the middle half (RoleDegraded); Starved: the
	// stream starves from 35% to 65% of the session (RoleStarved).
	Degraded, Starved bool

	// Filled in when played.
	Encoder  ivstest.Encoder // what the encoder sent (without its stream key)
	StreamID string
	Code     string // the Session Ended code IVS refused it with, or ""
	Live     bool   // IVS accepted it
	// NotPlayed says why the session was not played (a reconnect whose channel was never
	// corrected), or "".
	NotPlayed string

	// Filled in from IVS at the end: the stream session as IVS has it.
	Start, End time.Time
	Events     []EventFact // every event IVS emitted for it
}

// EventFact is one event IVS emitted: what a record's events must hold.
type EventFact struct {
	Time time.Time
	Name string
	Code string
}

// Name is the session's name in reports: its channel's, with its place on the channel.
func (s *Session) Name() string {
	if s.Index == 0 {
		return s.Channel.Name
	}
	return fmt.Sprintf("%s#%d", s.Channel.Name, s.Index+1)
}

// Designated fault kinds: each hits the first chance it gets on its designated channel, so that
// every run proves it.
var designatedKinds = []struct {
	kind string
	role Role // the role of the channels it may hit
}{
	{kKillAfterUpdate, RoleRefused},
	{kIVSLostAnswer, RoleRefused},
	{kLambdaTimeout, RoleRefused},
	{kIVSNotYet, RoleLive},
	{kS3Conflict, RoleLive},
	{kSQSDouble, RoleRefused},
}

// outageDependencies are the dependencies a run may lose for a while, one per run.
var outageDependencies = []string{depS3, depEventBridge, depIVS}

// NewPlan returns the plan of a run: the special roles' channels, then plain channels (refused
// at the share refused), their timings within spread, the designated faults' channels and the
// outage, all drawn from the seed.
func NewPlan(seed uint64, plain int, refused float64, spread time.Duration) *Plan {
	rng := rand.New(rand.NewPCG(seed, 0x50a4))
	p := &Plan{Seed: seed, Designated: map[string]string{}}
	add := func(role Role) *Channel {
		c := &Channel{Name: fmt.Sprintf("soak-%03d-%s", len(p.Channels), role), Role: role}
		p.Channels = append(p.Channels, c)
		return c
	}
	onAir := func() time.Duration { return 3*time.Second + time.Duration(rng.Int64N(int64(2*time.Second))) }
	at := func() time.Duration { return time.Duration(rng.Int64N(int64(spread))) }
	for _, r := range specialRoles {
		c := add(r)
		s := &Session{Channel: c, Phase: PhaseNow, At: at(), OnAir: onAir(), Tracks: 3}
		switch r {
		case RoleExpired:
			s.Phase, s.At = PhaseHoursAgo, 0
		case RoleMidnight:
			s.Phase, s.At = PhaseMidnight, 0
		case RoleDegraded:
			s.Degraded = true
		case RoleStarved:
			s.Starved = true
		}
		if r.refusedRole() {
			s.Tracks = 5
		}
		c.Sessions = append(c.Sessions, s)
		switch r {
		case RoleTwice:
			// The second session starts a second after the first ends.
			c.Sessions = append(c.Sessions, &Session{Channel: c, Index: 1, Phase: PhaseNow, At: s.At + s.OnAir + time.Second, OnAir: onAir(), Tracks: 3})
		case RoleReconnect:
			// Plays once the channel is corrected (play waits for it).
			c.Sessions = append(c.Sessions, &Session{Channel: c, Index: 1, Phase: PhaseNow, OnAir: onAir(), Tracks: 5})
		}
	}
	nRefused := int(float64(plain)*refused + 0.5)
	isRefused := map[int]bool{}
	for _, i := range rng.Perm(plain)[:nRefused] {
		isRefused[i] = true
	}
	for i := range plain {
		role := RoleLive
		if isRefused[i] {
			role = RoleRefused
		}
		c := add(role)
		s := &Session{Channel: c, Phase: PhaseNow, At: at(), OnAir: onAir(), Tracks: 3}
		if isRefused[i] {
			s.Tracks = 5
		}
		c.Sessions = append(c.Sessions, s)
	}
	// Each designated kind on its own channel where there are enough of the role.
	taken := map[string]bool{}
	for _, d := range designatedKinds {
		var eligible []string
		for _, c := range p.Channels {
			if c.Role == d.role && !taken[c.Name] {
				eligible = append(eligible, c.Name)
			}
		}
		if len(eligible) == 0 {
			for _, c := range p.Channels {
				if c.Role == d.role {
					eligible = append(eligible, c.Name)
				}
			}
		}
		if len(eligible) == 0 {
			continue
		}
		name := eligible[rng.IntN(len(eligible))]
		p.Designated[d.kind] = name
		taken[name] = true
	}
	p.Outage = outageDependencies[rng.IntN(len(outageDependencies))]
	p.OutageFor = 15 * time.Second
	p.OutageAt = spread/4 + time.Duration(rng.Int64N(int64(spread/2)))
	return p
}

// Sessions returns every session of the plan, in channel order.
func (p *Plan) Sessions() []*Session {
	var out []*Session
	for _, c := range p.Channels {
		out = append(out, c.Sessions...)
	}
	return out
}

// Played returns the sessions that were played (they have a stream ID).
func (p *Plan) Played() []*Session {
	return slices.DeleteFunc(p.Sessions(), func(s *Session) bool { return s.StreamID == "" })
}

// Channel returns the plan's channel named name, or nil.
func (p *Plan) Channel(name string) *Channel {
	for _, c := range p.Channels {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ByARN returns the plan's channel of arn, or nil.
func (p *Plan) ByARN(arn string) *Channel {
	for _, c := range p.Channels {
		if c.ARN == arn {
			return c
		}
	}
	return nil
}
