package engine

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// Scenario is a script for the local stack: channels to create, then steps that connect and
// disconnect simulated encoders, wait, and inject raw events, and what should be true at the
// end. Its JSON form is the -file format of scripts/local; the built-in scenarios are written
// in it (scenarios/*.json). Read one with ParseScenario or LoadScenario.
type Scenario struct {
	// Name is a short identifier, such as "multitrack-not-allowed" (letters, digits, dashes).
	Name string `json:"name"`
	// Title is a one-line description shown in the timeline.
	Title string `json:"title"`
	// About, optional, says what the scenario shows, in a few sentences.
	About string `json:"about,omitempty"`
	// Timeline is "full" (every event, call and log line; the default) or "brief" (steps,
	// refusals, corrections and problems only), for scenarios with many sessions.
	Timeline string `json:"timeline,omitempty"`
	// Channels are created, in order, before the first step.
	Channels []ChannelSpec `json:"channels"`
	// Steps run in order; the runner waits for the pipeline to be idle after the last one.
	Steps []Step `json:"steps"`
	// Expect, optional, is checked when the scenario ends.
	Expect *Expect `json:"expect,omitempty"`
}

// ChannelSpec is a channel to create with CreateChannel. With Count above 1 it is a group of
// Count channels named <name>-01, <name>-02, ...; steps and expectations that name the group
// apply to each of them.
type ChannelSpec struct {
	Name  string `json:"name"`
	Count int    `json:"count,omitempty"`
	// Type is STANDARD (the default), BASIC, ADVANCED_SD or ADVANCED_HD.
	Type string `json:"type,omitempty"`
	// ContainerFormat is TS (the default) or FRAGMENTED_MP4.
	ContainerFormat string `json:"containerFormat,omitempty"`
	// Multitrack is the channel's multitrackInputConfiguration; nil leaves it off.
	Multitrack *MultitrackSpec `json:"multitrack,omitempty"`
	// Tags are the channel's tags (e.g. the opt-out tag).
	Tags map[string]string `json:"tags,omitempty"`
	// Region and Account put the channel in another region (e.g. eu-west-1) and another
	// account (a member account, 12 digits) than the stack's home ones (localaws.Region and
	// Account). A scenario that does plays on a fleet's stack (FleetOf): the channel's events
	// reach the suite through the fleet bus, and the suite calls that region's and account's
	// IVS for it.
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
	// AdConfiguration, when set, gives the channel an ad configuration (IVS server-side ad
	// insertion) of this name: the scenario creates it with CreateAdConfiguration before its
	// channels (once per name; channels that name the same one share it) and creates the
	// channel with its adConfigurationArn.
	AdConfiguration string `json:"adConfiguration,omitempty"`
}

// MultitrackSpec is a multitrackInputConfiguration.
type MultitrackSpec struct {
	Enabled           bool   `json:"enabled"`
	Policy            string `json:"policy,omitempty"`            // ALLOW or REQUIRE
	MaximumResolution string `json:"maximumResolution,omitempty"` // SD, HD or FULL_HD
}

// Step is one action. Exactly one of Note, Connect, Disconnect, Sleep, WaitFor, Inject, Hold,
// Release and Neighbour is set; the other fields qualify it.
type Step struct {
	// Note prints a line in the timeline.
	Note string `json:"note,omitempty"`

	// Connect connects an encoder to the channel (or to every channel of the group) of this
	// name: an OBS-like encoder sending Tracks video tracks (1 to 5, see ivstest.Ladder) and
	// one AAC track, or the explicit Video and Audio tracks.
	Connect string               `json:"connect,omitempty"`
	Tracks  int                  `json:"tracks,omitempty"`
	Video   []ivstest.VideoTrack `json:"video,omitempty"`
	Audio   []ivstest.AudioTrack `json:"audio,omitempty"`
	// Degradations, with Connect, make the encoder fall short of its targets in the metrics
	// IVS publishes for the session (bitrate dips, frame drops, a wrong keyframe interval).
	Degradations []ivstest.Degradation `json:"degradations,omitempty"`
	// Expect, with Connect, is the outcome the step requires: "live", a Session Ended code
	// (e.g. MultitrackInputNotAllowed) or a limit breach (e.g. "Ingest Bitrate"). Empty
	// accepts any outcome.
	Expect string `json:"expect,omitempty"`

	// Disconnect ends the live stream of the channel (or of every channel of the group).
	Disconnect string `json:"disconnect,omitempty"`

	// Starve makes the live stream of the channel (or group) stop receiving data (Starvation
	// Start); Recover ends it (Starvation End).
	Starve  string `json:"starve,omitempty"`
	Recover string `json:"recover,omitempty"`

	// Sleep waits this long (a Go duration such as "500ms").
	Sleep Duration `json:"sleep,omitempty"`

	// WaitFor waits, at most Timeout (default DefaultStepTimeout), for:
	//   - "idle": every queue drained and no function running;
	//   - "deferred": the corrector put a correction back to wait (ChangeMessageVisibility);
	//   - "channel": the channel named by Channel to match Multitrack (enabled, and policy and
	//     maximumResolution when given).
	WaitFor    string          `json:"waitFor,omitempty"`
	Channel    string          `json:"channel,omitempty"`
	Multitrack *MultitrackSpec `json:"multitrack,omitempty"`
	Timeout    Duration        `json:"timeout,omitempty"`

	// Inject puts a raw EventBridge event (a JSON object, envelope and detail) on the default
	// bus, as IVS would (with "replay-name", as an EventBridge replay of the suite's archive of
	// IVS events would). Placeholders in its strings are replaced first: {{arn:NAME}},
	// {{id:NAME}} and {{name:NAME}} (a channel's ARN, ID and name), {{stream:NAME}} (the
	// channel's latest stream ID), {{uuid}}, {{now}} (RFC 3339), {{ago:DURATION}} (now minus a Go
	// duration such as 30h, RFC 3339), {{account}} and {{region}}.
	Inject json.RawMessage `json:"inject,omitempty"`

	// Send puts Message (a JSON object, with Inject's placeholders) straight on the queue of the
	// function of this name with SQS SendMessage, as any principal of the account allowed
	// sqs:SendMessage could: a forged message. A deployed queue's policy refuses it (only the
	// suite's rules and roles may send); the local queues have no IAM, so what the function does
	// with it is the function's own defence.
	Send    string          `json:"send,omitempty"`
	Message json.RawMessage `json:"message,omitempty"`

	// Hold stops the queue of the function of this name from delivering (messages wait in it)
	// until a Release step names it: a harness control that fixes the order of two things a
	// real deployment leaves to timing, so that a scenario shows the same thing on any machine.
	Hold    string `json:"hold,omitempty"`
	Release string `json:"release,omitempty"`

	// Neighbour starts another application of the same account calling IVS in the background,
	// sharing the per-operation quota with the suite: Operation (GetStreamSession, GetChannel
	// or GetStream) PerSecond times a second for For, on the scenario's channels.
	Neighbour *Neighbour `json:"neighbour,omitempty"`

	// Faults makes the local bus lose, delay or repeat a share of the IVS events from now
	// to the end of the scenario, as EventBridge may (localbus.EventFaults).
	Faults *Faults `json:"faults,omitempty"`

	// Sweep invokes the sweep function (functions/sweep) with {"mode": Sweep} and, for
	// "backfill", Days: live, daily or backfill. The schedules of a deployment do this.
	// Region, in a fleet, sweeps that region only (every account of it).
	Sweep  string `json:"sweep,omitempty"`
	Days   int    `json:"days,omitempty"`
	Region string `json:"region,omitempty"`
}

// Faults is a share of the IVS events lost, late or repeated (localbus.EventFaults).
type Faults struct {
	// Region limits the faults to the IVS events of the home account in this region (in a
	// fleet, those of another region reach the suite through the fleet bus); empty: the home
	// region's.
	Region string `json:"region,omitempty"`
	// Names limits the faults to these IVS event names (e.g. "Session Ended"); empty: all.
	Names []string `json:"names,omitempty"`
	// Sessions makes Drop lose whole sessions (every event of a chosen stream).
	Sessions  bool     `json:"sessions,omitempty"`
	Drop      float64  `json:"drop,omitempty"`
	Delay     float64  `json:"delay,omitempty"`
	Duplicate float64  `json:"duplicate,omitempty"`
	DelayBy   Duration `json:"delayBy,omitempty"`
}

// Neighbour is background IVS load from outside the suite.
type Neighbour struct {
	Operation string   `json:"operation"`
	PerSecond float64  `json:"perSecond"`
	For       Duration `json:"for"`
}

// The values of Step.WaitFor.
const (
	WaitIdle     = "idle"
	WaitDeferred = "deferred"
	WaitChannel  = "channel"
)

// The values of Scenario.Timeline.
const (
	TimelineFull  = "full"
	TimelineBrief = "brief"
)

// ExpectLive is the Step.Expect of an encoder that goes live.
const ExpectLive = "live"

// DefaultStepTimeout bounds a WaitFor step without a Timeout.
const DefaultStepTimeout = 30 * time.Second

// Expect is what must hold when a scenario ends. Counts concern the scenario's own channels
// (sessions, refusals, corrections) or what happened during the scenario (calls, rejections,
// dead letters). Nil and empty fields are not checked.
type Expect struct {
	// Sessions is the number of session records archived.
	Sessions *int `json:"sessions,omitempty"`
	// Refusals counts the archived sessions refused, by code.
	Refusals map[string]int `json:"refusals,omitempty"`
	// Corrections counts the corrections by outcome (applied, unchanged, dry-run, failed, from
	// the archived corrections) and the decisions that change nothing (manual, broadcaster,
	// skipped, from the session records).
	Corrections map[string]int `json:"corrections,omitempty"`
	// Calls counts the successful IVS calls the functions made, by operation.
	Calls map[string]int `json:"calls,omitempty"`
	// Rejected is the number of events the functions rejected as malformed (RejectedEvents).
	Rejected *int `json:"rejected,omitempty"`
	// Metrics are the functions' EMF metrics during the scenario: "Name" (every dimension) or
	// "Name Dim=Value" (e.g. "Corrections Outcome=replay"), and the sum they must add up to.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// DeadLetters is the number of messages moved to a dead-letter queue.
	DeadLetters *int `json:"deadLetters,omitempty"`
	// Records must each match at least one archived session record.
	Records []RecordExpect `json:"records,omitempty"`
	// Channels is the final configuration of channels (or groups), by name, read with
	// GetChannel.
	Channels map[string]ChannelExpect `json:"channels,omitempty"`
	// Notifications counts the messages published to the alarm topic during the scenario, by
	// notification (suite.Notifications, e.g. NotifyChannelForAPerson): what reached a person.
	Notifications map[string]int `json:"notifications,omitempty"`
	// Regions, in a fleet, checks each region apart, by region name.
	Regions map[string]RegionExpect `json:"regions,omitempty"`
}

// RegionExpect is what must hold in one region of a fleet.
type RegionExpect struct {
	// Sessions is the number of session records archived with this region.
	Sessions *int `json:"sessions,omitempty"`
	// Calls counts the successful IVS calls the functions made in this region's IVS, by
	// operation (every account of the region).
	Calls map[string]int `json:"calls,omitempty"`
	// Throttled is the number of the functions' IVS calls this region's IVS throttled.
	Throttled *int `json:"throttled,omitempty"`
}

// RecordExpect describes an archived session record; empty fields match anything.
type RecordExpect struct {
	Channel string `json:"channel"`
	// Region and Account are the record's own (from its channel ARN).
	Region      string `json:"region,omitempty"`
	Account     string `json:"account,omitempty"`
	Outcome     string `json:"outcome,omitempty"` // live, ended or refused
	Code        string `json:"code,omitempty"`
	VideoTracks *int   `json:"videoTracks,omitempty"`
	AudioTracks *int   `json:"audioTracks,omitempty"`
	// Correction is the record's correction decision action (apply, manual, broadcaster,
	// skipped) or outcome (decided, applied, ...).
	Correction string `json:"correction,omitempty"`
	// Conflict is the conflict of the record's correction decision (ad-insertion: left alone
	// because of the channel's ads).
	Conflict string `json:"conflict,omitempty"`
	// Verdict is the record's quality verdict (healthy, degraded, unknown) and Reason a reason
	// code it must list (low-bitrate, low-frame-rate, keyframe-interval, starvation).
	Verdict string `json:"verdict,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ChannelExpect describes a channel's configuration; empty fields match anything.
type ChannelExpect struct {
	Type              string `json:"type,omitempty"`
	ContainerFormat   string `json:"containerFormat,omitempty"`
	MultitrackEnabled *bool  `json:"multitrackEnabled,omitempty"`
	Policy            string `json:"policy,omitempty"`
	MaximumResolution string `json:"maximumResolution,omitempty"`
	// AdConfiguration says whether the channel has an ad configuration.
	AdConfiguration *bool `json:"adConfiguration,omitempty"`
}

// Duration is a time.Duration written in JSON as a Go duration string ("1.5s").
type Duration time.Duration

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"500ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"500ms\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// maxGroup bounds ChannelSpec.Count.
const maxGroup = 100

var (
	scenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	// channelName is IVS's pattern for a channel name, without the empty name.
	channelName = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,125}$`)
	// adConfigurationName is IVS's pattern for an ad configuration's name, without the empty name.
	adConfigurationName = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,128}$`)
	placeholder         = regexp.MustCompile(`\{\{([a-z]+)(?::([a-zA-Z0-9-_]+))?\}\}`)
)

var (
	channelTypes     = []string{"STANDARD", "BASIC", "ADVANCED_SD", "ADVANCED_HD"}
	containerFormats = []string{"TS", "FRAGMENTED_MP4"}
	policies         = []string{"ALLOW", "REQUIRE"}
	resolutions      = []string{"SD", "HD", "FULL_HD"}
	neighbourOps     = []string{ivstest.OpGetStreamSession, ivstest.OpGetChannel, ivstest.OpGetStream}
	waitKinds        = []string{WaitIdle, WaitDeferred, WaitChannel}
	placeholderKinds = []string{"arn", "id", "name", "stream", "uuid", "now", "ago", "account", "region"}
)

// checkTemplate checks an injected event or a sent message: a JSON object whose placeholders
// are known, name a single channel of the scenario, or (ago) a duration.
func checkTemplate(field string, body json.RawMessage, want string, groups map[string]int) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return &invalid.FieldError{Field: field, Want: want, Got: shorten(string(body), 60)}
	}
	for _, m := range placeholder.FindAllStringSubmatch(string(body), -1) {
		if !slices.Contains(placeholderKinds, m[1]) {
			return &invalid.FieldError{Field: field, Want: "placeholders {{arn|id|name|stream:NAME}}, {{uuid}}, {{now}}, {{ago:DURATION}}, {{account}}, {{region}}", Got: m[0]}
		}
		switch m[1] {
		case "arn", "id", "name", "stream":
			if _, ok := groups[m[2]]; !ok || groups[m[2]] > 1 {
				return &invalid.FieldError{Field: field, Want: "a placeholder naming a single channel of the scenario", Got: m[0]}
			}
		case "ago":
			if d, err := time.ParseDuration(m[2]); err != nil || d < 0 {
				return &invalid.FieldError{Field: field, Want: "{{ago:DURATION}} with a Go duration such as 30h", Got: m[0]}
			}
		}
	}
	return nil
}

// ParseScenario reads a scenario from JSON and validates it. Unknown fields are errors. It
// returns a *invalid.FieldError naming the first invalid field (e.g. "steps[2].connect").
func ParseScenario(data []byte) (Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, &invalid.FieldError{Field: "scenario", Want: "a JSON scenario object (see shared/engine.Scenario)", Got: shorten(err.Error(), 120), Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Scenario{}, &invalid.FieldError{Field: "scenario", Want: "one JSON object", Got: "more data after it"}
	}
	if err := sc.Validate(); err != nil {
		return Scenario{}, err
	}
	return sc, nil
}

// LoadScenario reads and validates the scenario file path. Errors name the file.
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario file: %w", err)
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario file %s: %w", path, err)
	}
	return sc, nil
}

// Validate reports the first invalid field of the scenario as a *invalid.FieldError.
func (sc Scenario) Validate() error {
	if !scenarioName.MatchString(sc.Name) {
		return &invalid.FieldError{Field: "name", Want: "lowercase letters, digits and dashes, at most 63", Got: sc.Name}
	}
	if strings.TrimSpace(sc.Title) == "" {
		return &invalid.FieldError{Field: "title", Want: "a one-line description", Got: ""}
	}
	if sc.Timeline != "" && sc.Timeline != TimelineFull && sc.Timeline != TimelineBrief {
		return &invalid.FieldError{Field: "timeline", Want: `"full" or "brief"`, Got: sc.Timeline}
	}
	groups := map[string]int{} // name -> count
	for i, c := range sc.Channels {
		f := fmt.Sprintf("channels[%d]", i)
		if err := c.validate(f); err != nil {
			return err
		}
		if _, dup := groups[c.Name]; dup {
			return &invalid.FieldError{Field: f + ".name", Want: "a name not used by another channel of the scenario", Got: c.Name}
		}
		groups[c.Name] = max(c.Count, 1)
	}
	if len(sc.Steps) == 0 {
		return &invalid.FieldError{Field: "steps", Want: "at least one step", Got: "none"}
	}
	for i, st := range sc.Steps {
		if err := st.validate(fmt.Sprintf("steps[%d]", i), groups); err != nil {
			return err
		}
	}
	if sc.Expect != nil {
		if err := sc.Expect.validate(groups); err != nil {
			return err
		}
	}
	return nil
}

func (c ChannelSpec) validate(f string) error {
	switch {
	case !channelName.MatchString(c.Name):
		return &invalid.FieldError{Field: f + ".name", Want: "an IVS channel name (letters, digits, - and _)", Got: c.Name}
	case c.Count < 0 || c.Count > maxGroup:
		return &invalid.FieldError{Field: f + ".count", Want: fmt.Sprintf("0 to %d", maxGroup), Got: strconv.Itoa(c.Count)}
	case c.Type != "" && !slices.Contains(channelTypes, c.Type):
		return &invalid.FieldError{Field: f + ".type", Want: "one of " + strings.Join(channelTypes, ", "), Got: c.Type}
	case c.ContainerFormat != "" && !slices.Contains(containerFormats, c.ContainerFormat):
		return &invalid.FieldError{Field: f + ".containerFormat", Want: "one of " + strings.Join(containerFormats, ", "), Got: c.ContainerFormat}
	case c.AdConfiguration != "" && !adConfigurationName.MatchString(c.AdConfiguration):
		return &invalid.FieldError{Field: f + ".adConfiguration", Want: "the name of an ad configuration (letters, digits, - and _, at most 128)", Got: c.AdConfiguration}
	case c.Region != "" && ivsevent.CheckRegion(f+".region", c.Region) != nil:
		return ivsevent.CheckRegion(f+".region", c.Region)
	case c.Account != "" && ivsevent.CheckAccount(f+".account", c.Account) != nil:
		return ivsevent.CheckAccount(f+".account", c.Account)
	}
	if c.Multitrack != nil {
		return c.Multitrack.validate(f+".multitrack", c.Multitrack.Enabled)
	}
	return nil
}

func (m MultitrackSpec) validate(f string, needAll bool) error {
	switch {
	case (m.Policy != "" || needAll) && !slices.Contains(policies, m.Policy):
		return &invalid.FieldError{Field: f + ".policy", Want: "ALLOW or REQUIRE", Got: m.Policy}
	case (m.MaximumResolution != "" || needAll) && !slices.Contains(resolutions, m.MaximumResolution):
		return &invalid.FieldError{Field: f + ".maximumResolution", Want: "SD, HD or FULL_HD", Got: m.MaximumResolution}
	}
	return nil
}

func (st Step) validate(f string, groups map[string]int) error {
	var actions []string
	for name, set := range map[string]bool{
		"note": st.Note != "", "connect": st.Connect != "", "disconnect": st.Disconnect != "",
		"sleep": st.Sleep != 0, "waitFor": st.WaitFor != "", "inject": len(st.Inject) > 0, "neighbour": st.Neighbour != nil,
		"hold": st.Hold != "", "release": st.Release != "", "faults": st.Faults != nil, "sweep": st.Sweep != "",
		"starve": st.Starve != "", "recover": st.Recover != "", "send": st.Send != "",
	} {
		if set {
			actions = append(actions, name)
		}
	}
	if len(actions) != 1 {
		slices.Sort(actions)
		return &invalid.FieldError{Field: f, Want: "exactly one of note, connect, disconnect, starve, recover, sleep, waitFor, inject, send, hold, release, neighbour, faults, sweep", Got: strings.Join(actions, ", ")}
	}
	if len(st.Message) > 0 && st.Send == "" {
		return &invalid.FieldError{Field: f + ".message", Want: "a message only with send", Got: shorten(string(st.Message), 60)}
	}
	known := func(field, name string) error {
		if _, ok := groups[name]; !ok {
			return &invalid.FieldError{Field: f + "." + field, Want: "the name of a channel of the scenario", Got: name}
		}
		return nil
	}
	switch actions[0] {
	case "connect":
		if err := known("connect", st.Connect); err != nil {
			return err
		}
		if len(st.Video) == 0 && (st.Tracks < 1 || st.Tracks > 5) {
			return &invalid.FieldError{Field: f + ".tracks", Want: "1 to 5 video tracks (or an explicit video ladder)", Got: strconv.Itoa(st.Tracks)}
		}
		if len(st.Video) > 0 && st.Tracks != 0 {
			return &invalid.FieldError{Field: f + ".tracks", Want: "tracks or video, not both", Got: strconv.Itoa(st.Tracks)}
		}
		for i, d := range st.Degradations {
			if err := d.Validate(max(st.Tracks, len(st.Video))); err != nil {
				return &invalid.FieldError{Field: fmt.Sprintf("%s.degradations[%d]", f, i), Want: "a degradation of one of the encoder's video tracks", Got: err.Error()}
			}
		}
	case "disconnect":
		return known("disconnect", st.Disconnect)
	case "starve", "recover":
		return known(actions[0], st.Starve+st.Recover)
	case "hold", "release":
		if fn := st.Hold + st.Release; !slices.Contains(suite.Functions, fn) {
			return &invalid.FieldError{Field: f + "." + actions[0], Want: "a function of the suite (" + strings.Join(suite.Functions, ", ") + ")", Got: fn}
		}
	case "sleep":
		if st.Sleep < 0 || time.Duration(st.Sleep) > 10*time.Minute {
			return &invalid.FieldError{Field: f + ".sleep", Want: "a duration from 0 to 10m", Got: time.Duration(st.Sleep).String()}
		}
	case "waitFor":
		if !slices.Contains(waitKinds, st.WaitFor) {
			return &invalid.FieldError{Field: f + ".waitFor", Want: "one of " + strings.Join(waitKinds, ", "), Got: st.WaitFor}
		}
		if st.Timeout < 0 {
			return &invalid.FieldError{Field: f + ".timeout", Want: "a positive duration", Got: time.Duration(st.Timeout).String()}
		}
		if st.WaitFor == WaitChannel {
			if err := known("channel", st.Channel); err != nil {
				return err
			}
			if st.Multitrack == nil {
				return &invalid.FieldError{Field: f + ".multitrack", Want: "the multitrack configuration to wait for", Got: ""}
			}
			return st.Multitrack.validate(f+".multitrack", false)
		}
	case "inject":
		return checkTemplate(f+".inject", st.Inject, "an EventBridge event as a JSON object", groups)
	case "send":
		if !slices.Contains(suite.Functions, st.Send) {
			return &invalid.FieldError{Field: f + ".send", Want: "a function of the suite (" + strings.Join(suite.Functions, ", ") + ")", Got: st.Send}
		}
		return checkTemplate(f+".message", st.Message, "the message's body as a JSON object", groups)
	case "neighbour":
		n := st.Neighbour
		switch {
		case !slices.Contains(neighbourOps, n.Operation):
			return &invalid.FieldError{Field: f + ".neighbour.operation", Want: "one of " + strings.Join(neighbourOps, ", "), Got: n.Operation}
		case n.PerSecond <= 0 || n.PerSecond > 50:
			return &invalid.FieldError{Field: f + ".neighbour.perSecond", Want: "more than 0, at most 50", Got: strconv.FormatFloat(n.PerSecond, 'g', -1, 64)}
		case n.For <= 0 || time.Duration(n.For) > 5*time.Minute:
			return &invalid.FieldError{Field: f + ".neighbour.for", Want: "a duration up to 5m", Got: time.Duration(n.For).String()}
		}
	case "faults":
		if r := st.Faults.Region; r != "" {
			return ivsevent.CheckRegion(f+".faults.region", r)
		}
	case "sweep":
		if st.Region != "" {
			return ivsevent.CheckRegion(f+".region", st.Region)
		}
	}
	if st.Region != "" && actions[0] != "sweep" {
		return &invalid.FieldError{Field: f + ".region", Want: "a region only on a sweep step", Got: st.Region}
	}
	return nil
}

func (e Expect) validate(groups map[string]int) error {
	for i, r := range e.Records {
		if _, ok := groups[r.Channel]; !ok {
			return &invalid.FieldError{Field: fmt.Sprintf("expect.records[%d].channel", i), Want: "the name of a channel of the scenario", Got: r.Channel}
		}
	}
	for name := range e.Channels {
		if _, ok := groups[name]; !ok {
			return &invalid.FieldError{Field: "expect.channels", Want: "names of channels of the scenario", Got: name}
		}
	}
	for region := range e.Regions {
		if err := ivsevent.CheckRegion("expect.regions", region); err != nil {
			return err
		}
	}
	for name := range e.Notifications {
		if !slices.ContainsFunc(suite.Notifications, func(n suite.Notification) bool { return n.Name == name }) {
			var names []string
			for _, n := range suite.Notifications {
				names = append(names, n.Name)
			}
			return &invalid.FieldError{Field: "expect.notifications", Want: "names of notifications: " + strings.Join(names, ", "), Got: name}
		}
	}
	return nil
}

// memberNames returns the channel names of a spec: its name, or name-01 ... for a group.
func (c ChannelSpec) memberNames() []string {
	if c.Count <= 1 {
		return []string{c.Name}
	}
	names := make([]string, c.Count)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%02d", c.Name, i+1)
	}
	return names
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

//go:embed scenarios/*.json
var builtinFS embed.FS

// builtinOrder lists the built-in scenarios, numbered from 1 as in the issue.
var builtinOrder = []string{
	"multitrack-not-allowed",
	"require-to-allow",
	"basic-manual",
	"wait-while-live",
	"burst",
	"malformed-event",
	"ingest-quality",
	"lost-events",
	"ads-multitrack",
	"border",
	"fleet",
}

// Builtin returns the built-in scenarios, in order: 1 multitrack-not-allowed, 2
// require-to-allow, 3 basic-manual, 4 wait-while-live, 5 burst, 6 malformed-event, 7
// ingest-quality, 8 lost-events, 9 ads-multitrack, 10 border, 11 fleet. It panics
// if an embedded scenario is invalid (a test catches that).
func Builtin() []Scenario {
	out := make([]Scenario, 0, len(builtinOrder))
	for i, name := range builtinOrder {
		data, err := builtinFS.ReadFile(fmt.Sprintf("scenarios/%d-%s.json", i+1, name))
		if err != nil {
			panic("engine: built-in scenario: " + err.Error())
		}
		sc, err := ParseScenario(data)
		if err != nil {
			panic(fmt.Sprintf("engine: built-in scenario %s: %v", name, err))
		}
		out = append(out, sc)
	}
	return out
}

// Select returns the built-in scenarios that sel names: "" or "all" for every one, or a
// comma-separated list of numbers (1 to 10) and names. It returns an error naming what does not
// match.
func Select(sel string) ([]Scenario, error) {
	all := Builtin()
	if sel == "" || sel == "all" {
		return all, nil
	}
	var out []Scenario
	for _, part := range strings.Split(sel, ",") {
		part = strings.TrimSpace(part)
		idx := -1
		if n, err := strconv.Atoi(part); err == nil && n >= 1 && n <= len(all) {
			idx = n - 1
		}
		for i, sc := range all {
			if sc.Name == part {
				idx = i
			}
		}
		if idx < 0 {
			var names []string
			for i, sc := range all {
				names = append(names, fmt.Sprintf("%d %s", i+1, sc.Name))
			}
			return nil, fmt.Errorf("scenario %q: want all, a number or a name: %s", part, strings.Join(names, ", "))
		}
		out = append(out, all[idx])
	}
	return out, nil
}
