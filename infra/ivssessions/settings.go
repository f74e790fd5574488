package ivssessions

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/jsii-runtime-go"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// setting is one deployment setting: its CDK context key, the IvsSessionsProps field it sets,
// its default, the functions' variable it becomes (if any), what it accepts and what it means.
// The table settings drives PropsFromContext (reading the context), WithDefaults, Validate (each
// setting's own check) and infra/README.md's table of settings (TestSettingsDocumented), so a
// setting is added in one place.
type setting struct {
	key  string // the CDK context key: the IvsSessionsProps field of the same name
	env  string // the functions' environment variable it becomes, checked by suite.LoadCorrection; "" if none
	show string // the default as the README shows it
	doc  string // what it means, for the README
	// read sets the field from a context value (a string from -c, a JSON type from cdk.json).
	read func(p *IvsSessionsProps, v any) *SettingError
	// fill sets the field to its default when it is unset.
	fill func(p *IvsSessionsProps)
	// check returns the problem of the field's value (defaults applied), or nil.
	check func(p *IvsSessionsProps) *SettingError
}

// settings is the table of the deployment settings, in the README's order.
var settings = []setting{
	text(ContextCorrectionMode, func(p *IvsSessionsProps) *multitrack.Mode { return &p.CorrectionMode }, multitrack.Mode(suite.DefaultCorrectionMode), nil).
		becomes(suite.EnvCorrectionMode).
		means("`apply`: corrections call UpdateChannel; `dry-run`: decided, published and archived, not applied; `off`: no decisions"),
	text(ContextDefaultMaximumResolution, func(p *IvsSessionsProps) *string { return &p.DefaultMaximumResolution }, "", nil).
		becomes(suite.EnvDefaultMaximumResolution).shown("(empty)").
		means("`SD`, `HD` or `FULL_HD` for a channel the corrector enables multitrack on; empty: the class of the session's highest track"),
	boolean(ContextAllowTypeChange, func(p *IvsSessionsProps) **bool { return &p.AllowTypeChange }, suite.DefaultAllowTypeChange).
		becomes(suite.EnvAllowTypeChange).
		means("the corrector may change a channel's type to `STANDARD` (changes transcoding and price)"),
	boolean(ContextAllowContainerFormatChange, func(p *IvsSessionsProps) **bool { return &p.AllowContainerFormatChange }, suite.DefaultAllowContainerFormatChange).
		becomes(suite.EnvAllowContainerFormatChange).
		means("the corrector may set `containerFormat` to `FRAGMENTED_MP4`, which multitrack input requires (also changes the recordings' format); never on a channel with an ad configuration, whose server-side ad insertion needs `TS` (the decision is `manual`)"),
	text(ContextOptOutTag, func(p *IvsSessionsProps) *string { return &p.OptOutTag }, suite.DefaultOptOutTag, func(t string) string {
		// AWS reserves the aws: prefix: no channel can carry such a tag, so opting out would not work.
		if strings.HasPrefix(strings.ToLower(t), "aws:") {
			return "a tag key not starting with aws:"
		}
		return ""
	}).becomes(suite.EnvOptOutTag).
		means("channels with this tag key are never changed"),
	duration(ContextCorrectionMaxAge, func(p *IvsSessionsProps) *time.Duration { return &p.CorrectionMaxAge }, suite.DefaultCorrectionMaxAge, time.Minute, maxCorrectionMaxAge).
		means("how long after its trigger (the IVS event's own time, not the queue's) a correction may still be applied; a correction waiting for its channel to go offline is given up then, and a redrive or late delivery after it never changes the channel (Go duration, at most 312h)"),
	whole(ContextEnrichMaxAttempts, func(p *IvsSessionsProps) *int { return &p.EnrichMaxAttempts }, suite.DefaultEnrichMaxAttempts, func(n int) string {
		if n < 1 || n > maxEnrichMaxAttempts {
			return fmt.Sprintf("an integer from 1 to %d", maxEnrichMaxAttempts)
		}
		return ""
	}).means("deliveries enrich waits for a session to appear in GetStreamSession (1 to 50)"),
	boolean(ContextEnrichLivePhase, func(p *IvsSessionsProps) **bool { return &p.EnrichLivePhase }, suite.DefaultEnrichLivePhase).
		means("GetStreamSession when a session goes live as well as when it ends; `false`: one call per session, at its end"),
	text(ContextSweepSchedule, func(p *IvsSessionsProps) *string { return &p.SweepSchedule }, suite.DefaultSweepSchedule, schedule).
		means("when the live sweep finishes the sessions of the live index whose stream ended (a run that cannot finish resumes at the next)"),
	text(ContextSweepDailySchedule, func(p *IvsSessionsProps) *string { return &p.SweepDailySchedule }, suite.DefaultSweepDailySchedule, schedule).
		means("when the window's runs go on: each resumes an unfinished backfill or daily window, or starts the next daily window once a day has passed since the last ended (every session since then that the archive lacks)"),
	share(ContextIVSQuotaShare, func(p *IvsSessionsProps) *float64 { return &p.IVSQuotaShare }, suite.DefaultIVSQuotaShare).
		means("share (above 0, at most 1) of each IVS operation's 5 calls/s the suite may use; 80% of it for the live path (enrich, correct, each paced to its part over its maximum concurrency), 20% for the sweep and backfill"),
	whole(ContextArchiveRetentionDays, func(p *IvsSessionsProps) *int { return &p.ArchiveRetentionDays }, suite.DefaultArchiveRetentionDays, positiveDays).
		means("days a session record is kept (Intelligent-Tiering after 30 days for records of 128 KB or more)"),
	whole(ContextEventArchiveRetentionDays, func(p *IvsSessionsProps) *int { return &p.EventArchiveRetentionDays }, DefaultEventArchiveRetentionDays, positiveDays).
		means("days the EventBridge archive keeps the suite's events for replay"),
	whole(ContextLogRetentionDays, func(p *IvsSessionsProps) *int { return &p.LogRetentionDays }, DefaultLogRetentionDays, func(n int) string {
		if _, ok := logRetentions[n]; !ok {
			return "a CloudWatch Logs retention in days (" + logRetentionList() + ")"
		}
		return ""
	}).means("the functions' log retention (a CloudWatch Logs value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)"),
	text(ContextAlarmEmail, func(p *IvsSessionsProps) *string { return &p.AlarmEmail }, "", func(e string) string {
		if e != "" && !emailPattern.MatchString(e) {
			return "an e-mail address or nothing"
		}
		return ""
	}).shown("(none)").
		means("subscribe this address to the alarm topic (confirm the e-mail SNS sends)"),
	text(ContextQueueSenders, func(p *IvsSessionsProps) *string { return &p.QueueSenders }, "", func(v string) string {
		for _, a := range (IvsSessionsProps{QueueSenders: v}).QueueSenderARNs() {
			if !roleARNPattern.MatchString(a) {
				return "IAM role ARNs (arn:aws:iam::<account>:role/<name>), comma-separated, or nothing"
			}
		}
		return ""
	}).shown("(none)").
		means("IAM roles, comma-separated, that may send to the functions' queues besides the suite's own rules and roles: the roles people redrive a dead-letter queue with (a redrive sends as its caller); nobody else may"),
	text(ContextAssetsDir, func(p *IvsSessionsProps) *string { return &p.AssetsDir }, DefaultAssetsDir, nil).
		means("where `<function>/bootstrap` are"),
	list(ContextRegions, func(p *IvsSessionsProps) *[]string { return &p.Regions }).
		means("a fleet: the regions whose IVS channels one deployment covers, comma-separated, the home region first (it holds the functions, the archive, the Athena workgroup and the alarm topic); each other region gets a forwarding stack (see [A fleet](#a-fleet-several-regions-and-accounts)); empty: one region, the stack's"),
	list(ContextAccounts, func(p *IvsSessionsProps) *[]string { return &p.Accounts }).
		means("a fleet's member accounts, comma-separated: their IVS events are accepted on the fleet bus, and the functions call IVS there through the role the member template creates (needs `regions`)"),
	text(ContextOrganization, func(p *IvsSessionsProps) *string { return &p.Organization }, "", nil).shown("(none)").
		means("an AWS Organizations ID (`o-...`): the fleet bus accepts events from the organization's accounts instead of `accounts` one by one (`accounts` still lists those the suite calls IVS in)"),
}

// becomes names the functions' variable the setting becomes.
func (s setting) becomes(env string) setting { s.env = env; return s }

// shown sets how the README shows the default.
func (s setting) shown(def string) setting { s.show = def; return s }

// means sets the README's description.
func (s setting) means(doc string) setting { s.doc = doc; return s }

// text is a string setting; valid returns what is accepted when v is not (nil: anything).
func text[T ~string](key string, field func(*IvsSessionsProps) *T, def T, valid func(string) string) setting {
	return setting{
		key: key, show: "`" + string(def) + "`",
		read: func(p *IvsSessionsProps, v any) *SettingError {
			s, ok := v.(string)
			if !ok {
				return &SettingError{Setting: key, Want: "a string", Got: fmt.Sprint(v)}
			}
			*field(p) = T(s)
			return nil
		},
		fill: func(p *IvsSessionsProps) {
			if *field(p) == "" {
				*field(p) = def
			}
		},
		check: func(p *IvsSessionsProps) *SettingError {
			if valid == nil {
				return nil
			}
			if want := valid(string(*field(p))); want != "" {
				return &SettingError{Setting: key, Want: want, Got: string(*field(p))}
			}
			return nil
		},
	}
}

// list is a list of strings: comma-separated from -c, a JSON array from cdk.json. Its values are
// checked with the fleet (Validate); its default is none.
func list(key string, field func(*IvsSessionsProps) *[]string) setting {
	return setting{
		key: key, show: "(none)",
		read: func(p *IvsSessionsProps, v any) *SettingError {
			l, err := contextList(v)
			if err != nil {
				return &SettingError{Setting: key, Want: "a comma-separated list", Got: fmt.Sprint(v)}
			}
			*field(p) = l
			return nil
		},
		fill:  func(*IvsSessionsProps) {},
		check: func(*IvsSessionsProps) *SettingError { return nil },
	}
}

// boolean is a boolean setting: true or false (a string from -c, a JSON boolean from cdk.json).
func boolean(key string, field func(*IvsSessionsProps) **bool, def bool) setting {
	return setting{
		key: key, show: "`" + strconv.FormatBool(def) + "`",
		read: func(p *IvsSessionsProps, v any) *SettingError {
			b, err := contextBool(v)
			if err != nil {
				return &SettingError{Setting: key, Want: "true or false", Got: fmt.Sprint(v)}
			}
			*field(p) = jsii.Bool(b)
			return nil
		},
		fill: func(p *IvsSessionsProps) {
			if *field(p) == nil {
				*field(p) = jsii.Bool(def)
			}
		},
		check: func(*IvsSessionsProps) *SettingError { return nil },
	}
}

// whole is an integer setting; valid returns what is accepted when n is not.
func whole(key string, field func(*IvsSessionsProps) *int, def int, valid func(int) string) setting {
	return setting{
		key: key, show: "`" + strconv.Itoa(def) + "`",
		read: func(p *IvsSessionsProps, v any) *SettingError {
			n, err := contextInt(v)
			if err != nil {
				return &SettingError{Setting: key, Want: "an integer", Got: fmt.Sprint(v)}
			}
			*field(p) = n
			return nil
		},
		fill: func(p *IvsSessionsProps) {
			if *field(p) == 0 {
				*field(p) = def
			}
		},
		check: func(p *IvsSessionsProps) *SettingError {
			if want := valid(*field(p)); want != "" {
				return &SettingError{Setting: key, Want: want, Got: strconv.Itoa(*field(p))}
			}
			return nil
		},
	}
}

// share is a share of the IVS quota: above 0, at most 1.
func share(key string, field func(*IvsSessionsProps) *float64, def float64) setting {
	const want = "a share above 0 and at most 1, such as 0.6"
	return setting{
		key: key, show: "`" + strconv.FormatFloat(def, 'g', -1, 64) + "`",
		read: func(p *IvsSessionsProps, v any) *SettingError {
			f, err := contextFloat(v)
			if err != nil {
				return &SettingError{Setting: key, Want: want, Got: fmt.Sprint(v)}
			}
			*field(p) = f
			return nil
		},
		fill: func(p *IvsSessionsProps) {
			if *field(p) == 0 {
				*field(p) = def
			}
		},
		check: func(p *IvsSessionsProps) *SettingError {
			if err := suite.QuotaShare(key, *field(p)); err != nil {
				return &SettingError{Setting: key, Want: want, Got: strconv.FormatFloat(*field(p), 'g', -1, 64)}
			}
			return nil
		},
	}
}

// duration is a Go duration from least to most; def is a constant of shared/suite
// (TestDefaults keeps it parseable).
func duration(key string, field func(*IvsSessionsProps) *time.Duration, def string, least, most time.Duration) setting {
	return setting{
		key: key, show: "`" + def + "`",
		read: func(p *IvsSessionsProps, v any) *SettingError {
			s, ok := v.(string)
			d, err := time.ParseDuration(s)
			if !ok || err != nil || d <= 0 {
				return &SettingError{Setting: key, Want: "a Go duration such as 24h or 90m", Got: fmt.Sprint(v)}
			}
			*field(p) = d
			return nil
		},
		fill: func(p *IvsSessionsProps) {
			if *field(p) == 0 {
				d, err := time.ParseDuration(def)
				if err != nil {
					panic("ivssessions: the default of " + key + ": " + err.Error())
				}
				*field(p) = d
			}
		},
		check: func(p *IvsSessionsProps) *SettingError {
			if d := *field(p); d < least || d > most {
				return &SettingError{Setting: key, Want: "a duration from " + least.String() + " to " + most.String(), Got: d.String()}
			}
			return nil
		},
	}
}

// schedule accepts the shape of an EventBridge rule's schedule; EventBridge checks the rest.
func schedule(expr string) string {
	if !scheduleExpression.MatchString(expr) {
		return "an EventBridge schedule expression, rate(...) or cron(...)"
	}
	return ""
}

func positiveDays(n int) string {
	if n < 1 {
		return "a positive number of days"
	}
	return ""
}
