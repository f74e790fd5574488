package localaws

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ivs"

	"github.com/ivs-sessions/ivs-sessions/shared/fleet"
	"github.com/ivs-sessions/ivs-sessions/shared/local/cloudwatchtest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localsts"
	"github.com/ivs-sessions/ivs-sessions/shared/sdkhttp"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// HeaderTarget names, on an unsigned request (the local IVS's admin API, say), the account and
// region it is for: "<account>/<region>". Without it, and without a signature, a request is
// the home target's.
const HeaderTarget = "X-Local-Target"

// FunctionAccessKey is the access key ID function fn signs with in a fleet's local AWS: it
// stands for the function's role in the home account (suite.FleetRoleName), the one principal
// each member role trusts.
func FunctionAccessKey(fn string) string { return "AKIDLOCAL" + strings.ToUpper(fn) }

// MemberAccessKey is the access key ID of a person of a member account (CredentialsFor; its
// secret is SecretAccessKey): what reaches that account's IVS and CloudWatch in a fleet.
func MemberAccessKey(account string) string { return "AKIDLOCAL" + account }

// startFleet starts a fleet's peers (see Config.Fleet): for each target a local IVS (cfg.IVS's
// options in the target's region and account, its series to the target's CloudWatch) and a
// local CloudWatch, a regional router in front of each service, and the local STS, which knows
// the home account's keys (Credentials, the functions') and the member roles of every function
// of suite.FleetFunctions in every region.
func (a *AWS) startFleet(cfg Config) error {
	a.STS = localsts.New()
	a.STS.AddKey(AccessKeyID, localsts.Identity{Account: a.Account, Principal: "arn:aws:iam::" + a.Account + ":user/local"})
	home := fleet.Target{Account: a.Account, Region: a.Region}
	for _, fn := range suite.FleetFunctions {
		principal := "arn:aws:iam::" + a.Account + ":role/" + suite.FleetRoleName(fn, a.Fleet.Home())
		a.STS.AddKey(FunctionAccessKey(fn), localsts.Identity{Account: a.Account, Principal: principal})
		for _, member := range a.Fleet.Accounts {
			for _, region := range a.Fleet.Regions {
				a.STS.AddRole(fleet.RoleARN(member, fn, region), principal)
			}
		}
	}
	for _, account := range a.Fleet.Accounts {
		a.STS.AddKey(MemberAccessKey(account), localsts.Identity{Account: account, Principal: "arn:aws:iam::" + account + ":user/local"})
	}
	var err error
	if a.STSURL, err = a.serve(a.STS); err != nil {
		return err
	}

	a.ivsAt, a.cloudWatchAt = map[fleet.Target]*ivstest.Server{}, map[fleet.Target]*cloudwatchtest.Server{}
	ivsHandlers, cwHandlers := map[fleet.Target]http.Handler{}, map[fleet.Target]http.Handler{}
	for _, t := range a.Targets() {
		if cfg.CloudWatch != nil {
			cw := cloudwatchtest.New(*cfg.CloudWatch)
			a.cloudWatchAt[t], cwHandlers[t] = cw, cw
		}
		if cfg.IVS != nil {
			o := *cfg.IVS
			o.Region, o.Account = t.Region, t.Account
			if o.Metrics == nil && a.cloudWatchAt[t] != nil {
				o.Metrics = a.cloudWatchAt[t]
			}
			if o.Logger != nil {
				o.Logger = o.Logger.With(slog.String(LogKeyRegion, t.Region), slog.String(LogKeyAccount, t.Account))
			}
			if err := o.Validate(); err != nil {
				return fmt.Errorf("localaws: %w", err)
			}
			srv := ivstest.NewServer(o)
			a.ivsAt[t], ivsHandlers[t] = srv, srv.Handler()
		}
	}
	a.IVS, a.CloudWatch = a.ivsAt[home], a.cloudWatchAt[home]
	if len(cwHandlers) > 0 {
		if a.CloudWatchURL, err = a.serve(a.regional("CloudWatch", cwHandlers)); err != nil {
			return err
		}
	}
	if len(ivsHandlers) > 0 {
		if a.IVSURL, err = a.serve(wrap(a.regional("IVS", ivsHandlers), cfg.WrapIVS)); err != nil {
			return err
		}
	}
	return nil
}

// The attributes a fleet's local IVS adds to its log lines: the account and region of the
// server that answered.
const (
	LogKeyRegion  = "region"
	LogKeyAccount = "account"
)

// Targets lists the accounts and regions the local AWS serves: its account, then each member
// account, in each region; one target in a single-region local AWS.
func (a *AWS) Targets() []fleet.Target {
	if !a.Fleet.Enabled() {
		return []fleet.Target{{Account: a.Account, Region: a.Region}}
	}
	var out []fleet.Target
	for _, account := range append([]string{a.Account}, a.Fleet.Accounts...) {
		for _, region := range a.Fleet.Regions {
			out = append(out, fleet.Target{Account: account, Region: region})
		}
	}
	return out
}

// IVSAt returns the local IVS of account and region, or nil when the local AWS serves none
// there. In a single-region local AWS, it is IVS for its own account and region.
func (a *AWS) IVSAt(account, region string) *ivstest.Server {
	if !a.Fleet.Enabled() {
		if account == a.Account && region == a.Region {
			return a.IVS
		}
		return nil
	}
	return a.ivsAt[fleet.Target{Account: account, Region: region}]
}

// CloudWatchAt returns the local CloudWatch of account and region, like IVSAt.
func (a *AWS) CloudWatchAt(account, region string) *cloudwatchtest.Server {
	if !a.Fleet.Enabled() {
		if account == a.Account && region == a.Region {
			return a.CloudWatch
		}
		return nil
	}
	return a.cloudWatchAt[fleet.Target{Account: account, Region: region}]
}

// CredentialsFor returns static credentials of account (the local AWS's, or a member's): what
// a person of that account signs with, e.g. to create its channels.
func (a *AWS) CredentialsFor(account string) aws.CredentialsProvider {
	if account == a.Account || account == "" {
		return Credentials()
	}
	return credentials.NewStaticCredentialsProvider(MemberAccessKey(account), SecretAccessKey, "")
}

// IVSClientAt returns a real IVS client, like IVSClient, signed for region with account's
// credentials (CredentialsFor): the local AWS routes its calls to that account's IVS there.
func (a *AWS) IVSClientAt(account, region string, optFns ...func(*ivs.Options)) *ivs.Client {
	return a.IVSClient(append([]func(*ivs.Options){func(o *ivs.Options) {
		o.Region, o.Credentials = region, a.CredentialsFor(account)
	}}, optFns...)...)
}

// CloudWatchClientAt returns a real CloudWatch client, like CloudWatchClient, for account and
// region.
func (a *AWS) CloudWatchClientAt(account, region string, optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	must(a.CloudWatchURL, "CloudWatch")
	return cloudwatch.New(cloudwatch.Options{Region: region, BaseEndpoint: aws.String(a.CloudWatchURL), Credentials: a.CredentialsFor(account),
		Retryer: aws.NopRetryer{}, HTTPClient: sdkhttp.New()}, optFns...)
}

// regional is a fleet's front of one service: each request is served by the handler of its
// target, the region its signature names and the account its access key stands for (the local
// STS knows every key), as AWS endpoints are regional and credentials an account's.
func (a *AWS) regional(service string, handlers map[fleet.Target]http.Handler) http.Handler {
	home := fleet.Target{Account: a.Account, Region: a.Region}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := home
		if v := r.Header.Get(HeaderTarget); v != "" {
			account, region, _ := strings.Cut(v, "/")
			t = fleet.Target{Account: account, Region: region}
		} else if akid, region := localsts.AccessKeyID(r); akid != "" {
			id, ok := a.STS.IdentityOf(akid)
			if !ok {
				refuse(w, "UnrecognizedClientException", "The security token included in the request is invalid: the local AWS does not know access key "+akid)
				return
			}
			t = fleet.Target{Account: id.Account, Region: region}
		}
		h, ok := handlers[t]
		if !ok {
			served := make([]string, 0, len(handlers))
			for k := range handlers {
				served = append(served, k.String())
			}
			slices.Sort(served)
			refuse(w, "UnrecognizedClientException", fmt.Sprintf("the local AWS has no %s for account %s in %s (it serves %s)", service, t.Account, t.Region, strings.Join(served, ", ")))
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, t)))
	})
}

// refuse answers 403 with code, as AWS answers a request it cannot attribute to an account.
func refuse(w http.ResponseWriter, code, msg string) {
	w.Header().Set("x-amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

type targetKey struct{}

// TargetOf returns the target a fleet's router served the request of ctx for.
func TargetOf(ctx context.Context) (fleet.Target, bool) {
	t, ok := ctx.Value(targetKey{}).(fleet.Target)
	return t, ok
}
