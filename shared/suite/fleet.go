package suite

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// A fleet is one deployment covering several regions, and member accounts, of a team's IVS
// channels. IVS is regional (a channel, its events, its quota and its UpdateChannel live in one
// region of one account), so the functions stay in the home region, next to the one archive,
// and call IVS (and CloudWatch) in each channel's own account and region; every other region
// and every member account forwards its IVS events to the fleet bus in the home region
// (infra/README.md, "A fleet").

// BusFleet is the logical name of the fleet bus: the bus in the home region that receives the
// IVS events of the fleet's other regions and of its member accounts.
const BusFleet = "fleet"

// FleetBusName is the deployed name of the fleet bus. It is fixed, unlike the suite's other
// resources, because the forwarding rules of other regions and accounts target it by ARN
// (arn:aws:events:<home region>:<home account>:event-bus/ivs-sessions-fleet), which a generated
// name would turn into a cross-region reference.
const FleetBusName = Name + "-fleet"

// The fixed names of what a forwarding stack deploys in each region (infra: the forwarder),
// so that the home region's dashboard can graph them by name.
const (
	// ForwarderRuleName is the rule on a region's default bus that sends its IVS events to
	// the fleet bus.
	ForwarderRuleName = Name + "-forward-ivs-events"
	// ForwarderDeadLetterQueueName holds the events EventBridge could not deliver to the
	// fleet bus after its retries (24 hours, 185 attempts).
	ForwarderDeadLetterQueueName = Name + "-forwarder-dlq"
)

// Environment variables of a fleet's functions (unset in a single-region deployment).
const (
	// EnvFleetRegions lists the fleet's regions, comma-separated, the home region first.
	EnvFleetRegions = "FLEET_REGIONS"
	// EnvFleetMemberAccounts lists the member accounts, comma-separated: their channels are
	// called through the role FleetRoleName in each of them.
	EnvFleetMemberAccounts = "FLEET_MEMBER_ACCOUNTS"
)

// RegionalFunctions are the queue-fed functions that call a regional API for each message
// (IVS; CloudWatch for quality). In a fleet each region has its own queue and event source
// mapping for each of them, so one region's backlog or failing calls never hold up another's.
var RegionalFunctions = []string{FunctionEnrich, FunctionCorrect, FunctionQuality}

// IsRegional reports whether fn is one of RegionalFunctions.
func IsRegional(fn string) bool { return slices.Contains(RegionalFunctions, fn) }

// FleetFunctions are the functions that call IVS or CloudWatch in the channels' accounts and
// regions: RegionalFunctions and the sweep. In a fleet with member accounts each has a role
// named FleetRoleName in the home account, and one in each member account and region.
var FleetFunctions = append(slices.Clone(RegionalFunctions), FunctionSweep)

// FleetRoleName is the name of function fn's role in region: in the home account (region is
// the home region) the function's own role, and in a member account (region is one of the
// fleet's) the role the home function assumes to call IVS and CloudWatch there. Fixed, because
// each side names the other in its policies.
func FleetRoleName(fn, region string) string { return Name + "-" + fn + "-" + region }

// Fleet is what one deployment covers. Its zero value is the single-region deployment: no fleet
// bus, one queue per function, and the functions call IVS in their own region only.
type Fleet struct {
	// Regions are the regions whose channels the deployment covers, the home region first:
	// the home region holds the functions, the archive, the Glue tables and the Athena
	// workgroup, and the alarm topic.
	Regions []string
	// Accounts are the member accounts whose channels the deployment covers besides its own,
	// in every region of Regions.
	Accounts []string
	// Organization, when set, is the AWS Organization (o-...) whose accounts the fleet bus
	// accepts events from, instead of Accounts one by one.
	Organization string
}

// Enabled reports whether f is a fleet (a list of regions), not the single-region deployment.
func (f Fleet) Enabled() bool { return len(f.Regions) > 0 }

// Home returns the home region, or "" in a single-region deployment.
func (f Fleet) Home() string {
	if !f.Enabled() {
		return ""
	}
	return f.Regions[0]
}

// Covers reports whether account and region are the fleet's: region one of Regions, account
// own (the deployment's) or one of Accounts.
func (f Fleet) Covers(own, account, region string) bool {
	return slices.Contains(f.Regions, region) && (account == own || slices.Contains(f.Accounts, account))
}

// CheckCovers returns a *invalid.FieldError naming "region" or "account" when account and
// region are not the fleet's (Covers), else nil: a function of a fleet calls nothing, and
// archives nothing, for a channel elsewhere.
func (f Fleet) CheckCovers(own, account, region string) error {
	if !slices.Contains(f.Regions, region) {
		return &invalid.FieldError{Field: "region", Want: "one of the fleet's regions (" + strings.Join(f.Regions, ", ") + ")", Got: region}
	}
	if account != own && !slices.Contains(f.Accounts, account) {
		return &invalid.FieldError{Field: "account", Want: "the deployment's account or one of the fleet's member accounts (" +
			strings.Join(append([]string{own}, f.Accounts...), ", ") + ")", Got: account}
	}
	return nil
}

// organizationPattern is an AWS Organizations organization ID.
var organizationPattern = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// Check returns the fleet's problems, each a *invalid.FieldError naming "regions",
// "accounts" or "organization": a region or account that is not one, one listed twice, or
// member accounts (or an organization) without regions (the home region must be named).
func (f Fleet) Check() error {
	var errs []error
	seen := map[string]bool{}
	for _, r := range f.Regions {
		if ivsevent.CheckRegion("regions", r) != nil || seen[r] {
			errs = append(errs, &invalid.FieldError{Field: "regions", Want: "distinct AWS regions such as us-west-2,eu-west-1 (the home region first)", Got: strings.Join(f.Regions, ",")})
			break
		}
		seen[r] = true
	}
	seen = map[string]bool{}
	for _, a := range f.Accounts {
		if ivsevent.CheckAccount("accounts", a) != nil || seen[a] {
			errs = append(errs, &invalid.FieldError{Field: "accounts", Want: "distinct 12-digit AWS account IDs, comma-separated", Got: strings.Join(f.Accounts, ",")})
			break
		}
		seen[a] = true
	}
	if f.Organization != "" && !organizationPattern.MatchString(f.Organization) {
		errs = append(errs, &invalid.FieldError{Field: "organization", Want: "an AWS Organizations ID (o- and 10 to 32 lowercase letters or digits)", Got: f.Organization})
	}
	if !f.Enabled() && (len(f.Accounts) > 0 || f.Organization != "") {
		errs = append(errs, &invalid.FieldError{Field: "regions", Want: "the fleet's regions, the home region first, when member accounts or an organization are given", Got: ""})
	}
	if f.Organization != "" && len(f.Accounts) == 0 {
		errs = append(errs, &invalid.FieldError{Field: "accounts", Want: "the member accounts the suite calls IVS in, when an organization is given", Got: ""})
	}
	return errors.Join(errs...)
}

// QueueName is the name of the queue that feeds function fn the messages of region: fn for
// the home region (and in a single-region deployment, and for a function that is not
// regional), fn-region for another region of the fleet. The local bus names its queues so; the
// CDK app names the queues' constructs after it.
func (f Fleet) QueueName(fn, region string) string {
	if !f.Enabled() || !IsRegional(fn) || region == "" || region == f.Home() {
		return fn
	}
	return fn + "-" + region
}

// QueueRegions lists the regions that have their own queue of function fn, the home region
// first ("" in a single-region deployment, or for a function that is not regional).
func (f Fleet) QueueRegions(fn string) []string {
	if !f.Enabled() || !IsRegional(fn) {
		return []string{""}
	}
	return slices.Clone(f.Regions)
}

// Routes returns every rule the deployment has: Routes in a single-region deployment. In a
// fleet:
//   - the home account's IVS events of the home region reach enrich's home queue from the
//     default bus, as in a single-region deployment (IvsEvents, unchanged);
//   - the IVS events the fleet bus receives (other regions; member accounts) reach the enrich
//     queue of their region: IvsEvents-<region> matches the envelope's region (one for the home
//     region too when there are member accounts);
//   - the routes to the other regional functions (correct, quality) are one per region,
//     matching the record's region (detail.record.region), named <route>-<region> except the
//     home region's, which keeps its name;
//   - the routes to archive are the single-region deployment's: one archive for the fleet.
func (f Fleet) Routes() []Route {
	if !f.Enabled() {
		return slices.Clone(Routes)
	}
	var out []Route
	for _, r := range Routes {
		switch {
		case r.Bus == BusDefault:
			// Only the home region's events of the home account are on this bus.
			out = append(out, Route{Name: r.Name, Bus: r.Bus, Pattern: r.Pattern, Function: r.Function, Region: f.Home()})
			for _, region := range f.Regions {
				if region == f.Home() && len(f.Accounts) == 0 {
					continue // nothing else of the home region reaches the fleet bus
				}
				p := clonePattern(r.Pattern)
				p.Region = []string{region}
				out = append(out, Route{Name: r.Name + "-" + region, Bus: BusFleet, Pattern: p, Function: r.Function, Region: region})
			}
		case IsRegional(r.Function):
			for _, region := range f.Regions {
				name := r.Name
				if region != f.Home() {
					name += "-" + region
				}
				out = append(out, Route{Name: name, Bus: r.Bus, Pattern: withRecordRegion(r.Pattern, region), Function: r.Function, Region: region})
			}
		default:
			out = append(out, r)
		}
	}
	return out
}

// withRecordRegion returns p narrowed to the suite's events whose record is of region.
func withRecordRegion(p ivsevent.Pattern, region string) ivsevent.Pattern {
	out := clonePattern(p)
	if out.Detail == nil {
		out.Detail = map[string]any{}
	}
	record, _ := out.Detail["record"].(map[string]any)
	record = maps.Clone(record)
	if record == nil {
		record = map[string]any{}
	}
	record["region"] = []string{region}
	out.Detail["record"] = record
	return out
}

// clonePattern copies p deeply enough to change its top-level lists and detail maps.
func clonePattern(p ivsevent.Pattern) ivsevent.Pattern {
	out := p
	out.Source = slices.Clone(p.Source)
	out.DetailType = slices.Clone(p.DetailType)
	out.Region = slices.Clone(p.Region)
	if p.Detail != nil {
		out.Detail = make(map[string]any, len(p.Detail))
		for k, v := range p.Detail {
			if m, ok := v.(map[string]any); ok {
				v = maps.Clone(m)
			}
			out.Detail[k] = v
		}
	}
	return out
}

// fleetEnvironment adds the fleet's variables to env for function fn (one of FleetFunctions),
// with account the deployment's own account. It adds nothing in a single-region deployment.
func (f Fleet) fleetEnvironment(env map[string]string, fn, account string) {
	if !f.Enabled() || !slices.Contains(FleetFunctions, fn) {
		return
	}
	env[EnvAccountID] = account
	env[EnvFleetRegions] = strings.Join(f.Regions, ",")
	if len(f.Accounts) > 0 {
		env[EnvFleetMemberAccounts] = strings.Join(f.Accounts, ",")
	}
}

// LoadFleet reads a function's fleet from getenv: the zero Fleet and "" when EnvFleetRegions is
// unset (a single-region deployment), else the fleet and the deployment's own account
// (EnvAccountID, required then). Errors are *invalid.FieldError naming the variable.
func LoadFleet(getenv Getenv) (Fleet, string, error) {
	regions := List(getenv(EnvFleetRegions))
	if len(regions) == 0 {
		return Fleet{}, "", nil
	}
	own, err := Required(getenv, EnvAccountID, "the deployment's own 12-digit account ID")
	if err != nil {
		return Fleet{}, "", err
	}
	if err := ivsevent.CheckAccount(EnvAccountID, own); err != nil {
		return Fleet{}, "", err
	}
	f := Fleet{Regions: regions, Accounts: List(getenv(EnvFleetMemberAccounts))}
	if err := f.Check(); err != nil {
		var fe *invalid.FieldError
		if errors.As(err, &fe) {
			field := EnvFleetRegions
			if fe.Field == "accounts" {
				field = EnvFleetMemberAccounts
			}
			return Fleet{}, "", &invalid.FieldError{Field: field, Want: fe.Want, Got: fe.Got}
		}
		return Fleet{}, "", err
	}
	if slices.Contains(f.Accounts, own) {
		return Fleet{}, "", &invalid.FieldError{Field: EnvFleetMemberAccounts, Want: "member accounts other than the deployment's own (" + own + ")", Got: strings.Join(f.Accounts, ",")}
	}
	return f, own, nil
}

// List splits a comma-separated list, trimming spaces and dropping empty items.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
