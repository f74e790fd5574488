package ivssessions

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// The CDK context keys the app reads (cdk.json "context", or `cdk synth -c key=value`). Each one
// sets the IvsSessionsProps field of the same name; the table settings (settings.go) reads,
// defaults, checks and documents each.
const (
	ContextAssetsDir                  = "assetsDir"
	ContextCorrectionMode             = "correctionMode"
	ContextDefaultMaximumResolution   = "defaultMaximumResolution"
	ContextAllowTypeChange            = "allowTypeChange"
	ContextAllowContainerFormatChange = "allowContainerFormatChange"
	ContextOptOutTag                  = "optOutTag"
	ContextCorrectionMaxAge           = "correctionMaxAge"
	ContextEnrichMaxAttempts          = "enrichMaxAttempts"
	ContextEnrichLivePhase            = "enrichLivePhase"
	ContextIVSQuotaShare              = "ivsQuotaShare"
	ContextSweepSchedule              = "sweepSchedule"
	ContextSweepDailySchedule         = "sweepDailySchedule"
	ContextArchiveRetentionDays       = "archiveRetentionDays"
	ContextEventArchiveRetentionDays  = "eventArchiveRetentionDays"
	ContextLogRetentionDays           = "logRetentionDays"
	ContextAlarmEmail                 = "alarmEmail"
	ContextQueueSenders               = "queueSenders"
	// ContextRegions, ContextAccounts and ContextOrganization make the deployment a fleet
	// (suite.Fleet): regions, the home region first; member accounts; the organization whose
	// accounts the fleet bus accepts.
	ContextRegions      = "regions"
	ContextAccounts     = "accounts"
	ContextOrganization = "organization"
)

// Defaults of the deployment settings that only the CDK app has. The settings the functions
// also read default to the suite.Default* constants, which the functions use too.
const (
	// DefaultAssetsDir holds <function>/bootstrap for every function (the Makefile's build/).
	DefaultAssetsDir = "build"
	// DefaultEventArchiveRetentionDays is how long the EventBridge archive keeps the suite's
	// events for replay.
	DefaultEventArchiveRetentionDays = 90
	// DefaultLogRetentionDays is how long the functions' CloudWatch log groups keep logs.
	DefaultLogRetentionDays = 90
)

// maxCorrectionMaxAge keeps a waiting correction inside SQS's 14-day message retention (the
// correct queue keeps messages one day longer than the maximum age).
const maxCorrectionMaxAge = 13 * 24 * time.Hour

// maxEnrichMaxAttempts keeps the enrich queue's maxReceiveCount reasonable.
const maxEnrichMaxAttempts = 50

// IvsSessionsProps configures an IvsSessions construct. The zero value of every field means
// its default, so &IvsSessionsProps{} (or nil) is a valid configuration.
type IvsSessionsProps struct {
	// AssetsDir is the directory that holds <function>/bootstrap for each of suite.Functions.
	// Default DefaultAssetsDir.
	AssetsDir string
	// CorrectionMode is apply, dry-run or off. Default suite.DefaultCorrectionMode.
	CorrectionMode multitrack.Mode
	// DefaultMaximumResolution is the maximumResolution a correction sets (SD, HD or FULL_HD);
	// empty means "the highest track the session sent". Default empty.
	DefaultMaximumResolution string
	// AllowTypeChange lets the corrector change a channel's type to STANDARD.
	// Default suite.DefaultAllowTypeChange.
	AllowTypeChange *bool
	// AllowContainerFormatChange lets the corrector set containerFormat to FRAGMENTED_MP4, which
	// also changes the format of the channel's recordings. Default
	// suite.DefaultAllowContainerFormatChange.
	AllowContainerFormatChange *bool
	// OptOutTag is the channel tag key that makes the corrector leave a channel alone.
	// Default suite.DefaultOptOutTag.
	OptOutTag string
	// CorrectionMaxAge is how long a correction may wait for its channel to go offline before
	// it is dead-lettered (at most 13 days). Default suite.DefaultCorrectionMaxAge.
	CorrectionMaxAge time.Duration
	// EnrichMaxAttempts is how many deliveries enrich waits for a session to appear in
	// GetStreamSession (1 to 50). Default suite.DefaultEnrichMaxAttempts.
	EnrichMaxAttempts int
	// EnrichLivePhase: enrich calls GetStreamSession when a session goes live as well as when
	// it ends; false: once per session, at its end. Default suite.DefaultEnrichLivePhase.
	EnrichLivePhase *bool
	// IVSQuotaShare is the share (above 0, at most 1) of each IVS operation's 5 calls per
	// second the suite may use, split between the live path and the sweep. Default
	// suite.DefaultIVSQuotaShare.
	IVSQuotaShare float64
	// SweepSchedule is when the live sweep runs (an EventBridge schedule expression, rate(...)
	// or cron(...)). Default suite.DefaultSweepSchedule.
	SweepSchedule string
	// SweepDailySchedule is when the window's runs go on (each resumes or starts a daily window
	// when one is due). Default suite.DefaultSweepDailySchedule.
	SweepDailySchedule string
	// ArchiveRetentionDays is how long session records are kept in S3.
	// Default suite.DefaultArchiveRetentionDays.
	ArchiveRetentionDays int
	// EventArchiveRetentionDays is how long the EventBridge archive keeps the suite's events.
	// Default DefaultEventArchiveRetentionDays.
	EventArchiveRetentionDays int
	// LogRetentionDays is the functions' log retention; one of the values CloudWatch Logs
	// accepts (1, 3, 5, 7, 14, 30, 60, 90, ...). Default DefaultLogRetentionDays.
	LogRetentionDays int
	// AlarmEmail, when set, subscribes this address to the alarm topic. Default none.
	AlarmEmail string
	// QueueSenders are IAM role ARNs, comma-separated, that may send to the functions' queues
	// besides the suite's rules and roles: the roles people redrive a dead-letter queue with
	// (a redrive sends as its caller). Default none: nobody else may send (QueueSenderARNs).
	QueueSenders string

	// Regions, when set, makes the deployment a fleet: the regions whose IVS channels it
	// covers, the home region (the stack's own) first. Default none: a single-region
	// deployment, in the stack's region.
	Regions []string
	// Accounts are the member accounts whose channels a fleet covers besides its own (each
	// deploys the member template). Default none.
	Accounts []string
	// Organization, when set, makes the fleet bus accept events from the accounts of this AWS
	// Organization rather than from Accounts one by one. Default none.
	Organization string
}

// Fleet returns the regions and member accounts p covers; the zero Fleet without Regions.
func (p IvsSessionsProps) Fleet() suite.Fleet {
	return suite.Fleet{Regions: p.Regions, Accounts: p.Accounts, Organization: p.Organization}
}

// QueueSenderARNs returns QueueSenders as a list; nil for none.
func (p IvsSessionsProps) QueueSenderARNs() []string {
	var out []string
	for _, a := range strings.Split(p.QueueSenders, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// SettingError reports a deployment setting whose value is not usable: Setting is the CDK
// context key (which is also the name of the IvsSessionsProps field, capitalised).
type SettingError struct {
	Setting string // e.g. "correctionMode"
	Want    string // what is accepted, e.g. "apply, dry-run or off"
	Got     string // the value found
}

// Error returns "setting <name>: want <want>, got <got>".
func (e *SettingError) Error() string {
	return fmt.Sprintf("setting %s: want %s, got %q", e.Setting, e.Want, e.Got)
}

// logRetentions maps the retention periods CloudWatch Logs accepts, in days, to the CDK enum.
var logRetentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

// scheduleExpression is the shape of an EventBridge rule's schedule; EventBridge checks the rest.
var scheduleExpression = regexp.MustCompile(`^(rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$`)

// roleARNPattern is an IAM role's ARN in any partition.
var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)

// emailPattern is a sanity check, not RFC 5322: SNS itself confirms the address.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// WithDefaults returns a copy of p (nil is the zero value) with every unset field set to its
// default. It does not validate.
func (p *IvsSessionsProps) WithDefaults() IvsSessionsProps {
	var out IvsSessionsProps
	if p != nil {
		out = *p
	}
	for _, s := range settings {
		s.fill(&out)
	}
	return out
}

// Validate checks every setting of p after defaults are applied and returns all the problems
// found, each a *SettingError (joined with errors.Join), or nil.
func (p *IvsSessionsProps) Validate() error {
	v := p.WithDefaults()
	var errs []error
	// The correction settings are checked by the loader the functions use, so a value the
	// functions would refuse fails the synth instead of every invocation.
	env := v.Settings().CorrectionEnvironment()
	if _, err := suite.LoadCorrection(func(k string) string { return env[k] }); err != nil {
		if key, fe := contextOf(err); key != "" {
			errs = append(errs, &SettingError{Setting: key, Want: fe.Want, Got: fe.Got})
		} else {
			errs = append(errs, fmt.Errorf("correction settings: %w", err))
		}
	}
	for _, s := range settings {
		if err := s.check(&v); err != nil {
			errs = append(errs, err)
		}
	}
	// The fleet's settings are checked together: member accounts need the regions, an
	// organization needs the accounts.
	for _, err := range unjoin(v.Fleet().Check()) {
		var fe *invalid.FieldError
		if errors.As(err, &fe) {
			errs = append(errs, &SettingError{Setting: fe.Field, Want: fe.Want, Got: fe.Got})
		}
	}
	return errors.Join(errs...)
}

// unjoin returns the errors joined in err (errors.Join), err alone, or none.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// contextOf returns the context key of the setting that becomes the variable err names (a
// *invalid.FieldError), and that error; "" when err names none.
func contextOf(err error) (string, *invalid.FieldError) {
	var fe *invalid.FieldError
	if !errors.As(err, &fe) {
		return "", nil
	}
	for _, s := range settings {
		if s.env != "" && s.env == fe.Field {
			return s.key, fe
		}
	}
	return "", nil
}

// Settings returns the props (defaults applied) as the suite's settings, from which the
// functions' sizing and environment are derived.
func (p IvsSessionsProps) Settings() suite.Settings {
	s := suite.DefaultSettings()
	s.CorrectionMode = string(p.CorrectionMode)
	s.DefaultMaximumResolution = p.DefaultMaximumResolution
	s.AllowTypeChange = *p.AllowTypeChange
	s.AllowContainerFormatChange = *p.AllowContainerFormatChange
	s.OptOutTag = p.OptOutTag
	s.CorrectionMaxAge = p.CorrectionMaxAge
	s.EnrichMaxAttempts = p.EnrichMaxAttempts
	if p.EnrichLivePhase != nil {
		s.EnrichLivePhase = *p.EnrichLivePhase
	}
	if p.IVSQuotaShare != 0 {
		s.IVSQuotaShare = p.IVSQuotaShare
	}
	s.Fleet = p.Fleet()
	return s
}

func logRetentionList() string {
	days := make([]int, 0, len(logRetentions))
	for d := range logRetentions {
		days = append(days, d)
	}
	slices.Sort(days)
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}

// PropsFromContext reads the deployment settings from the CDK context of node (cdk.json or
// `-c key=value`; see the Context* keys), applies the defaults and validates them. Values given
// with -c arrive as strings, values in cdk.json as JSON types; both are accepted. It returns
// every problem found, each a *SettingError.
func PropsFromContext(node constructs.Node) (*IvsSessionsProps, error) {
	var (
		p    IvsSessionsProps
		errs []error
	)
	for _, s := range settings {
		if v := node.TryGetContext(jsii.String(s.key)); v != nil {
			if err := s.read(&p, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := p.WithDefaults()
	return &out, nil
}

// contextList reads a list: a comma-separated string (from -c) or a JSON array of strings
// (from cdk.json).
func contextList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return suite.List(v), nil
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("not a string: %v", item)
			}
			out = append(out, suite.List(s)...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("not a list: %v", v)
}

func contextBool(v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		return strconv.ParseBool(v)
	}
	return false, fmt.Errorf("not a boolean: %v", v)
}

func contextFloat(v any) (float64, error) {
	switch v := v.(type) {
	case float64:
		return v, nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(v), 64)
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

func contextInt(v any) (int, error) {
	switch v := v.(type) {
	case float64:
		if v != float64(int(v)) {
			return 0, fmt.Errorf("not an integer: %v", v)
		}
		return int(v), nil
	case string:
		return strconv.Atoi(strings.TrimSpace(v))
	}
	return 0, fmt.Errorf("not an integer: %v", v)
}
