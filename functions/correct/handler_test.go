package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/batch"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/lease"
	"github.com/ivs-sessions/ivs-sessions/shared/local/awstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/eventpattern"
	"github.com/ivs-sessions/ivs-sessions/shared/local/ivstest"
	"github.com/ivs-sessions/ivs-sessions/shared/local/localbus"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/retryable"
	"github.com/ivs-sessions/ivs-sessions/shared/session"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
)

// correctionsNeeded is the rule that routes enriched sessions to the corrector.
var correctionsNeeded = eventpattern.MustCompile(suite.CorrectionsNeeded.JSON())

// routed reports whether the CorrectionsNeeded rule sends body to the correct queue.
func routed(t testing.TB, body []byte) bool {
	t.Helper()
	ok, err := correctionsNeeded.Match(body)
	if err != nil {
		t.Fatalf("match CorrectionsNeeded: %v", err)
	}
	return ok
}

func mt(policy types.MultitrackPolicy, res types.MultitrackMaximumResolution) *types.MultitrackInputConfiguration {
	return &types.MultitrackInputConfiguration{Enabled: true, Policy: policy, MaximumResolution: res}
}

var (
	standardTS   = channelSpec{typ: types.ChannelTypeStandardChannelType, container: types.ContainerFormatTs}
	obs5         = func(key string) ivstest.Encoder { return ivstest.OBS(key, 5) }
	obs3         = func(key string) ivstest.Encoder { return ivstest.OBS(key, 3) }
	singleTrack  = func(key string) ivstest.Encoder { return ivstest.OBS(key, 1) }
	allowTypeCfg = func() multitrack.Config { c := applyCfg; c.AllowTypeChange = true; return c }()
	dryRunCfg    = func() multitrack.Config { c := applyCfg; c.Mode = multitrack.ModeDryRun; return c }()
	offCfg       = func() multitrack.Config { c := applyCfg; c.Mode = multitrack.ModeOff; return c }()
)

// TestScenarios runs one refused session per case through the policy as enrich applies it,
// the CorrectionsNeeded rule, and the corrector, and checks the exact UpdateChannel request,
// the channel the server ends with and the correction published.
func TestScenarios(t *testing.T) {
	const fullHDAllow = `"multitrackInputConfiguration":{"enabled":true,"maximumResolution":"FULL_HD","policy":"ALLOW"}`
	tests := map[string]struct {
		channel    channelSpec
		encoder    func(key string) ivstest.Encoder
		code       string
		enrichCfg  multitrack.Config // the policy as enrich ran it
		correctCfg multitrack.Config // the corrector's; zero: applyCfg
		before     func(t *testing.T, e *env, arn string)

		wantRouted  bool
		wantOutcome session.CorrectionOutcome
		wantAction  multitrack.Action
		wantMetric  string
		wantBody    string // the exact UpdateChannel body, ARN for the channel's ARN; "": no call
		wantGets    int    // GetChannel calls
		wantChannel func(t *testing.T, ch types.Channel)
		// wantAds: the channel has an ad configuration when the corrector reads it: the
		// correction's before and after name it, and the decision's conflict is wantConflict.
		wantAds      bool
		wantConflict multitrack.Conflict
	}{
		"not allowed on a STANDARD TS channel: enable multitrack": {
			channel: standardTS, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg,
			wantRouted: true, wantOutcome: session.CorrectionApplied, wantAction: multitrack.ActionApply, wantMetric: "applied", wantGets: 1,
			wantBody: `{"arn":"ARN","containerFormat":"FRAGMENTED_MP4",` + fullHDAllow + `}`,
			wantChannel: func(t *testing.T, ch types.Channel) {
				wantMultitrack(t, ch, types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
			},
		},
		"required: REQUIRE becomes ALLOW": {
			channel: channelSpec{container: types.ContainerFormatFragmentedMP4, multitrack: mt(types.MultitrackPolicyRequire, types.MultitrackMaximumResolutionHd)},
			encoder: singleTrack, code: ivsevent.CodeMultitrackInputRequired, enrichCfg: applyCfg,
			wantRouted: true, wantOutcome: session.CorrectionApplied, wantAction: multitrack.ActionApply, wantMetric: "applied", wantGets: 1,
			wantBody: `{"arn":"ARN","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"HD","policy":"ALLOW"}}`,
			wantChannel: func(t *testing.T, ch types.Channel) {
				wantMultitrack(t, ch, types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionHd)
			},
		},
		"media properties: raise maximumResolution to the top track": {
			channel: channelSpec{container: types.ContainerFormatFragmentedMP4, multitrack: mt(types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionSd)},
			encoder: obs3, code: ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, enrichCfg: applyCfg,
			wantRouted: true, wantOutcome: session.CorrectionApplied, wantAction: multitrack.ActionApply, wantMetric: "applied", wantGets: 1,
			wantBody: `{"arn":"ARN","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"HD","policy":"ALLOW"}}`,
			wantChannel: func(t *testing.T, ch types.Channel) {
				wantMultitrack(t, ch, types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionHd)
			},
		},
		"ADVANCED_HD with type change allowed: STANDARD and preset cleared": {
			channel: channelSpec{typ: types.ChannelTypeAdvancedHDChannelType, container: types.ContainerFormatTs},
			encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: allowTypeCfg, correctCfg: allowTypeCfg,
			wantRouted: true, wantOutcome: session.CorrectionApplied, wantAction: multitrack.ActionApply, wantMetric: "applied", wantGets: 1,
			wantBody: `{"arn":"ARN","containerFormat":"FRAGMENTED_MP4",` + fullHDAllow + `,"preset":"","type":"STANDARD"}`,
			wantChannel: func(t *testing.T, ch types.Channel) {
				wantMultitrack(t, ch, types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
				if ch.Preset != "" {
					t.Errorf("preset %q, want cleared", ch.Preset)
				}
			},
		},
		"BASIC without permission: manual, never routed": {
			channel: channelSpec{typ: types.ChannelTypeBasicChannelType}, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg,
			wantRouted: false,
		},
		"BASIC, permission withdrawn since enrich decided: manual, unchanged": {
			channel: channelSpec{typ: types.ChannelTypeBasicChannelType}, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed,
			enrichCfg: allowTypeCfg, correctCfg: applyCfg,
			wantRouted: true, wantOutcome: session.CorrectionUnchanged, wantAction: multitrack.ActionManual, wantMetric: "manual", wantGets: 1,
		},
		"ad configuration added since enrich decided: manual for ads, never updated": {
			channel: standardTS, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg,
			before: func(t *testing.T, e *env, arn string) {
				ad := e.CreateAdConfiguration(t, "added-later")
				if _, err := e.Admin.UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), AdConfigurationArn: aws.String(ad)}); err != nil {
					t.Fatal(err)
				}
			},
			wantRouted: true, wantOutcome: session.CorrectionUnchanged, wantAction: multitrack.ActionManual, wantMetric: "manual", wantGets: 1,
			wantAds: true, wantConflict: multitrack.ConflictAdInsertion,
			wantChannel: func(t *testing.T, ch types.Channel) {
				if m := ch.MultitrackInputConfiguration; ch.ContainerFormat != types.ContainerFormatTs || (m != nil && m.Enabled) {
					t.Errorf("channel %s, multitrack %+v; want TS, multitrack off: its ads kept", ch.ContainerFormat, m)
				}
			},
		},
		"not allowed on a channel with ads: manual, never routed": {
			channel: channelSpec{typ: types.ChannelTypeStandardChannelType, container: types.ContainerFormatTs, ads: true},
			encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg,
			wantRouted: false,
		},
		"required on a channel with ads and multitrack: REQUIRE becomes ALLOW, the ads' configuration kept": {
			channel: channelSpec{container: types.ContainerFormatFragmentedMP4, multitrack: mt(types.MultitrackPolicyRequire, types.MultitrackMaximumResolutionHd), ads: true},
			encoder: singleTrack, code: ivsevent.CodeMultitrackInputRequired, enrichCfg: applyCfg,
			wantRouted: true, wantOutcome: session.CorrectionApplied, wantAction: multitrack.ActionApply, wantMetric: "applied", wantGets: 1, wantAds: true,
			wantBody: `{"arn":"ARN","containerFormat":"FRAGMENTED_MP4","multitrackInputConfiguration":{"enabled":true,"maximumResolution":"HD","policy":"ALLOW"}}`,
			wantChannel: func(t *testing.T, ch types.Channel) {
				wantMultitrack(t, ch, types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionHd)
				if aws.ToString(ch.AdConfigurationArn) == "" {
					t.Error("the channel lost its ad configuration")
				}
			},
		},
		"opt-out tag added since enrich decided: skipped": {
			channel: standardTS, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg,
			before: func(t *testing.T, e *env, arn string) {
				if _, err := e.Admin.TagResource(context.Background(), &ivs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{suite.DefaultOptOutTag: "yes"}}); err != nil {
					t.Fatal(err)
				}
			},
			wantRouted: true, wantOutcome: session.CorrectionUnchanged, wantAction: multitrack.ActionSkipped, wantMetric: "skipped", wantGets: 1,
		},
		"already corrected by someone else: none": {
			channel: standardTS, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg,
			before: func(t *testing.T, e *env, arn string) {
				if _, err := e.Admin.UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn),
					ContainerFormat: types.ContainerFormatFragmentedMP4, MultitrackInputConfiguration: mt(types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionHd)}); err != nil {
					t.Fatal(err)
				}
			},
			wantRouted: true, wantOutcome: session.CorrectionUnchanged, wantAction: multitrack.ActionNone, wantMetric: "none", wantGets: 1,
			wantChannel: func(t *testing.T, ch types.Channel) {
				wantMultitrack(t, ch, types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionHd)
			},
		},
		"dry-run: published, never applied": {
			channel: standardTS, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: dryRunCfg, correctCfg: dryRunCfg,
			wantRouted: true, wantOutcome: session.CorrectionDryRun, wantAction: multitrack.ActionApply, wantMetric: "dry-run", wantGets: 1,
			wantChannel: func(t *testing.T, ch types.Channel) {
				if ch.ContainerFormat != types.ContainerFormatTs || (ch.MultitrackInputConfiguration != nil && ch.MultitrackInputConfiguration.Enabled) {
					t.Errorf("dry-run changed the channel: %s, %+v", ch.ContainerFormat, ch.MultitrackInputConfiguration)
				}
			},
		},
		"mode off: skipped without reading the channel": {
			channel: standardTS, encoder: obs5, code: ivsevent.CodeMultitrackInputNotAllowed, enrichCfg: applyCfg, correctCfg: offCfg,
			wantRouted: true, wantOutcome: session.CorrectionUnchanged, wantAction: multitrack.ActionSkipped, wantMetric: "skipped", wantGets: 0,
		},
		// A channel deleted since the refusal: IVS no longer confirms it (TestNothingUnverifiedIsActedOn).
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := tc.correctCfg
			if cfg.Mode == "" {
				cfg = applyCfg
			}
			e := newEnv(t, envOptions{cfg: cfg})
			arn, key := e.createChannel(tc.channel)
			res := e.refuse(tc.encoder(key), tc.code)
			en := e.enrich(res, tc.enrichCfg)
			body := envelope(t, en)
			if got := routed(t, body); got != tc.wantRouted {
				t.Fatalf("routed to the corrector: %v, want %v (decision %+v)", got, tc.wantRouted, en.Decision)
			}
			if tc.before != nil {
				tc.before(t, e, arn)
			}
			e.IVS.ResetStats()
			failed := e.process(sqsRecord("m1", body, 1, time.Now()))
			if len(failed) != 0 {
				t.Fatalf("batch item failures %v, want none", failed)
			}
			pub := e.published()
			if !tc.wantRouted {
				// Delivered anyway (a hand-made rule, a replay): rejected, counted, not acted on.
				if len(pub) != 0 || len(e.IVS.Stats()) != 0 {
					t.Errorf("published %d, IVS calls %v; want none", len(pub), e.IVS.Stats())
				}
				if got := e.Metric(t, suite.MetricRejected, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionCorrect}); got != 1 {
					t.Errorf("RejectedEvents = %v, want 1", got)
				}
				if l := e.leaseOf(arn); l != nil {
					t.Errorf("lease %v, want none for a rejected message", l)
				}
				return
			}
			// Whatever the outcome, the channel's lease was taken and given back; mode off reads
			// nothing and takes none.
			if cfg.Mode == multitrack.ModeOff {
				if l := e.leaseOf(arn); l != nil {
					t.Errorf("lease %v, want none in mode off", l)
				}
			} else {
				e.wantReleased(arn)
			}
			if len(pub) != 1 {
				t.Fatalf("published %d corrections, want 1", len(pub))
			}
			c := pub[0]
			if c.Correction.Outcome != tc.wantOutcome || c.Correction.Decision.Action != tc.wantAction {
				t.Errorf("outcome %s, action %s (%s); want %s, %s", c.Correction.Outcome, c.Correction.Decision.Action, c.Correction.Detail, tc.wantOutcome, tc.wantAction)
			}
			if c.ChannelARN != arn || c.StreamID != res.StreamID || c.SessionKey != en.Record.Key() || c.SessionKey == "" || c.Trigger != en.Trigger {
				t.Errorf("identity: %s %s %s %+v; want %s %s %s %+v", c.ChannelARN, c.StreamID, c.SessionKey, c.Trigger, arn, res.StreamID, en.Record.Key(), en.Trigger)
			}
			if c.Correction.At.IsZero() || c.Correction.Detail == "" || c.Correction.Decision.Code != tc.code {
				t.Errorf("correction %+v: want a time, a detail and code %s", c.Correction, tc.code)
			}
			if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: tc.wantMetric}); got != 1 {
				t.Errorf("Corrections{Outcome=%s} = %v, want 1", tc.wantMetric, got)
			}
			if got := e.IVS.Stats()[ivstest.OpGetChannel].Calls; got != tc.wantGets {
				t.Errorf("GetChannel calls %d, want %d", got, tc.wantGets)
			}
			updates := e.IVSWire.Bodies(ivstest.OpUpdateChannel)
			switch {
			case tc.wantBody == "" && len(updates) != 0:
				t.Errorf("UpdateChannel called %d times, want never: %s", len(updates), updates[0])
			case tc.wantBody != "":
				want := strings.ReplaceAll(tc.wantBody, "ARN", arn)
				if len(updates) != 1 || string(updates[0]) != want {
					t.Errorf("UpdateChannel bodies %q, want exactly [%s]", updates, want)
				}
				if e.successes(ivstest.OpUpdateChannel) != 1 {
					t.Errorf("UpdateChannel stats %+v, want one success", e.IVS.Stats()[ivstest.OpUpdateChannel])
				}
			}
			switch tc.wantOutcome {
			case session.CorrectionApplied, session.CorrectionDryRun:
				if c.Before == nil || c.After == nil || c.After.MultitrackInputConfiguration == nil || !c.After.MultitrackInputConfiguration.Enabled ||
					c.After.ContainerFormat != string(types.ContainerFormatFragmentedMP4) {
					t.Errorf("before %+v, after %+v: want both, after with multitrack enabled on FRAGMENTED_MP4", c.Before, c.After)
				}
			case session.CorrectionUnchanged:
				if tc.wantGets > 0 && (c.Before == nil || c.After == nil || c.Before.Type != c.After.Type) {
					t.Errorf("before %+v, after %+v: want the channel as read, twice", c.Before, c.After)
				}
			}
			if c.Correction.Decision.Conflict != tc.wantConflict {
				t.Errorf("conflict %q, want %q", c.Correction.Decision.Conflict, tc.wantConflict)
			}
			// A manual decision of the corrector's reaches a person (NotifyCorrectionForAPerson).
			if told := matches(t, suite.CorrectionsForAPerson, suite.DetailTypeChannelCorrected, c); told != (tc.wantAction == multitrack.ActionManual) {
				t.Errorf("matched by CorrectionsForAPerson: %v, want %v", told, tc.wantAction == multitrack.ActionManual)
			}
			if tc.wantAds {
				ad := aws.ToString(e.channel(arn).AdConfigurationArn)
				if ad == "" || c.Before == nil || c.After == nil || c.Before.AdConfigurationARN != ad || c.After.AdConfigurationARN != ad {
					t.Errorf("before %+v, after %+v: want both to name the ad configuration %q", c.Before, c.After, ad)
				}
			}
			if tc.wantChannel != nil {
				tc.wantChannel(t, e.channel(arn))
			}
		})
	}
}

// matches reports whether the suite's event of detailType with this detail matches pattern.
func matches(t *testing.T, pattern ivsevent.Pattern, detailType string, detail any) bool {
	t.Helper()
	body, err := json.Marshal(map[string]any{"source": suite.EventSource, "detail-type": detailType, "detail": detail})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := eventpattern.MustCompile(pattern.JSON()).Match(body)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func wantMultitrack(t *testing.T, ch types.Channel, typ types.ChannelType, cf types.ContainerFormat, policy types.MultitrackPolicy, res types.MultitrackMaximumResolution) {
	t.Helper()
	m := ch.MultitrackInputConfiguration
	if ch.Type != typ || ch.ContainerFormat != cf || m == nil || !m.Enabled || m.Policy != policy || m.MaximumResolution != res {
		t.Errorf("channel %s %s %+v, want %s %s enabled %s %s", ch.Type, ch.ContainerFormat, m, typ, cf, policy, res)
	}
}

// TestValidationException: a permanent UpdateChannel error is published as failed with IVS's
// exceptionMessage, counted and acknowledged.
func TestValidationException(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	const msg = "multitrackInputConfiguration.maximumResolution: not available in this region"
	if err := e.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpUpdateChannel, Error: ivstest.CodeValidation, Message: msg, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if failed := e.process(sqsRecord("m1", envelope(t, en), 1, time.Now())); len(failed) != 0 {
		t.Fatalf("batch item failures %v, want none (acknowledged)", failed)
	}
	pub := e.published()
	if len(pub) != 1 || pub[0].Correction.Outcome != session.CorrectionFailed {
		t.Fatalf("published %+v, want one failed correction", pub)
	}
	if want := "UpdateChannel: ValidationException: " + msg; pub[0].Correction.Detail != want {
		t.Errorf("detail %q, want %q", pub[0].Correction.Detail, want)
	}
	// A person hears of it from the dead-letter queue's alarm too, and redrives it once fixed.
	dead, err := e.Bus.DeadLetters(suite.FunctionCorrect)
	if err != nil || len(dead) != 1 || dead[0].Attributes[reasonAttribute] != "correction failed: UpdateChannel: ValidationException: "+msg {
		t.Errorf("dead letters %+v, %v; want the message with the reason", dead, err)
	}
	if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: "failed"}); got != 1 {
		t.Errorf("Corrections{failed} = %v, want 1", got)
	}
	if ch := e.channel(arn); ch.ContainerFormat != types.ContainerFormatTs {
		t.Errorf("channel changed: %s", ch.ContainerFormat)
	}
}

// TestFailedThenDuplicate: a correction IVS refused is on record as failed and dead-lettered
// once; a duplicate of its trigger that finds the channel as a person then left it (BASIC:
// manual) publishes nothing, so the record keeps "failed" (before, it published "unchanged",
// which the record ranks above failed: the soak's failed role, seed 2).
func TestFailedThenDuplicate(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	if err := e.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpUpdateChannel, Error: ivstest.CodeValidation, Message: "multitrack input can be enabled only on channel type STANDARD", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if failed := e.process(sqsRecord("m1", body, 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if _, err := e.IVSClient().UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), Type: types.ChannelTypeBasicChannelType}); err != nil {
		t.Fatal(err)
	}
	e.IVS.ResetStats()
	if failed := e.process(sqsRecord("m2", body, 1, time.Now())); len(failed) != 0 {
		t.Fatalf("duplicate's failures %v", failed)
	}
	wantOutcomes(t, e.published(), session.CorrectionFailed)
	if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 0 {
		t.Errorf("UpdateChannel calls %d for the duplicate, want 0", got)
	}
	if dead, err := e.Bus.DeadLetters(suite.FunctionCorrect); err != nil || len(dead) != 1 {
		t.Errorf("dead letters %d, %v; want the first delivery's only", len(dead), err)
	}
}

// TestFailedThenDeadLetterThrottled: IVS refuses the change, "failed" is published, and SQS
// throttles the send to the dead-letter queue (RequestThrottled, every attempt of the first
// delivery): the message comes back. A person made the channel BASIC meanwhile, so the channel
// alone would now say manual; the redelivery finds the intent record failing, sends the message
// to the dead-letter queue with the failure's reason, and publishes nothing more (not
// "unchanged" over "failed"). Soak seed 4 found it.
func TestFailedThenDeadLetterThrottled(t *testing.T) {
	var throttled atomic.Int32
	throttle := atomic.Bool{}
	throttle.Store(true)
	e := newEnv(t, envOptions{wrapBus: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if throttle.Load() && r.Header.Get("X-Amz-Target") == "AmazonSQS.SendMessage" {
				throttled.Add(1)
				localbus.WriteSQSError(w, http.StatusBadRequest, "RequestThrottled", "AWS.SimpleQueueService.RequestThrottled", "Request is throttled.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	arn, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	if err := e.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpUpdateChannel, Error: ivstest.CodeValidation, Message: "multitrack input can be enabled only on channel type STANDARD", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if failed := e.process(sqsRecord("m1", body, 1, time.Now())); len(failed) != 1 {
		t.Fatalf("first delivery's failures %v, want the message back (its send to the DLQ throttled)", failed)
	}
	if throttled.Load() == 0 {
		t.Fatal("no SendMessage reached the throttle")
	}
	wantOutcomes(t, e.published(), session.CorrectionFailed)
	throttle.Store(false)
	if _, err := e.IVSClient().UpdateChannel(context.Background(), &ivs.UpdateChannelInput{Arn: aws.String(arn), Type: types.ChannelTypeBasicChannelType}); err != nil {
		t.Fatal(err)
	}
	e.IVS.ResetStats()
	if failed := e.process(sqsRecord("m1", body, 2, time.Now())); len(failed) != 0 {
		t.Fatalf("redelivery's failures %v", failed)
	}
	wantOutcomes(t, e.published(), session.CorrectionFailed)
	if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 0 {
		t.Errorf("UpdateChannel calls %d for the redelivery, want 0", got)
	}
	dead, err := e.Bus.DeadLetters(suite.FunctionCorrect)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %d, %v; want the failed correction once", len(dead), err)
	}
	if reason := dead[0].Attributes[reasonAttribute]; !strings.Contains(reason, "correction failed: UpdateChannel: ValidationException") {
		t.Errorf("dead letter's reason %q, want the failure's", reason)
	}
}

// TestIdempotent: duplicates and redeliveries never call UpdateChannel twice.
func TestIdempotent(t *testing.T) {
	t.Run("one message delivered three times", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		arn, key := e.createChannel(standardTS)
		body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		sent := time.Now()
		for n := 1; n <= 3; n++ {
			if failed := e.process(sqsRecord("m1", body, n, sent)); len(failed) != 0 {
				t.Fatalf("delivery %d: failures %v", n, failed)
			}
		}
		// The intent record says the change and its publication are on record: the
		// redeliveries publish nothing more.
		wantOutcomes(t, e.published(), session.CorrectionApplied)
		if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
			t.Errorf("UpdateChannel calls %d, want 1", got)
		}
		wantMultitrack(t, e.channel(arn), types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
	})
	t.Run("two duplicates in one batch", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		_, key := e.createChannel(standardTS)
		body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		if failed := e.process(sqsRecord("m1", body, 1, time.Now()), sqsRecord("m2", body, 1, time.Now())); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
		wantOutcomes(t, e.published(), session.CorrectionApplied)
		if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
			t.Errorf("UpdateChannel calls %d, want 1", got)
		}
	})
}

func wantOutcomes(t *testing.T, pub []session.Corrected, want ...session.CorrectionOutcome) {
	t.Helper()
	var got []session.CorrectionOutcome
	for _, c := range pub {
		got = append(got, c.Correction.Outcome)
	}
	if !slices.Equal(got, want) {
		t.Errorf("published outcomes %v, want %v", got, want)
	}
}

// TestLiveChannel: a live channel is waited for through the queue with a visibility timeout
// equal to the time waited so far (at least the retry delay), then corrected once it is
// offline.
func TestLiveChannel(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	e.goLive(key) // the broadcaster fell back to single-track and is live
	e.IVS.ResetStats()
	// The handler's clock: receive n comes when the waits asked for the receives before it have
	// passed since the trigger (0, 60, 120, 240 s...), as SQS delivers it (the local queue's
	// manual clock moves by those waits too).
	var (
		clockMu sync.Mutex
		now     time.Time
	)
	e.p.Do = func(ctx context.Context, m batch.Message) error {
		elapsed := time.Duration(0)
		if m.ReceiveCount > 1 {
			elapsed = time.Minute << (m.ReceiveCount - 2)
		}
		clockMu.Lock()
		now = en.Trigger.Time.Add(elapsed)
		clockMu.Unlock()
		return e.h.Handle(ctx, m)
	}
	e.h.Now = func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return now
	}
	// The message is sent when its trigger happened, so the waits count from that moment.
	e.Bus.Clock().(*localbus.ManualClock).AdvanceTo(en.Trigger.Time)
	e.serveQueue()
	e.put(en)
	e.waitFor("four waits", func(acts []localbus.Activity) bool {
		return count(acts, localbus.ActivityVisibility, suite.FunctionCorrect) >= 4
	})
	if err := e.IVS.Disconnect(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	e.waitIdle()

	var waits []int
	for _, b := range e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility") {
		var req struct {
			QueueURL          string `json:"QueueUrl"`
			ReceiptHandle     string
			VisibilityTimeout int
		}
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatal(err)
		}
		if want := "https://sqs." + testRegion + ".amazonaws.com/" + testAccount + "/" + suite.FunctionCorrect; req.QueueURL != want || req.ReceiptHandle == "" {
			t.Errorf("ChangeMessageVisibility queue %q handle %q, want %q and a handle", req.QueueURL, req.ReceiptHandle, want)
		}
		waits = append(waits, req.VisibilityTimeout)
	}
	if len(waits) < 4 || !slices.Equal(waits[:4], []int{60, 60, 120, 240}) {
		t.Errorf("visibility timeouts %v, want 60, 60, 120, 240 for receives 1 to 4 (0, 60, 120, 240 s after the trigger)", waits)
	}
	e.mu.Lock()
	var counts []int
	for _, a := range e.activities {
		if a.Kind == localbus.ActivityVisibility {
			counts = append(counts, a.ReceiveCount)
		}
	}
	failures := count(e.activities, localbus.ActivityFailed, suite.FunctionCorrect)
	e.mu.Unlock()
	if len(counts) < 4 || !slices.Equal(counts[:4], []int{1, 2, 3, 4}) {
		t.Errorf("receive counts of the waits %v, want 1, 2, 3, 4", counts)
	}
	if failures != len(waits) {
		t.Errorf("batch item failures %d, want one per wait (%d)", failures, len(waits))
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied)
	if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
		t.Errorf("UpdateChannel calls %d, want 1 (never while live)", got)
	}
	wantMultitrack(t, e.channel(arn), types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
}

// TestConflict: a ConflictException from UpdateChannel (live again between GetStream and
// UpdateChannel) is a wait, and the redelivery applies the change.
func TestConflict(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	e.IVS.ResetStats()
	if err := e.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpUpdateChannel, Error: ivstest.CodeConflict, Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.serveQueue()
	e.put(en)
	e.waitIdle()
	e.mu.Lock()
	failures := count(e.activities, localbus.ActivityFailed, suite.FunctionCorrect)
	e.mu.Unlock()
	if failures != 1 {
		t.Errorf("batch item failures %d, want 1", failures)
	}
	if got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 1 || !strings.Contains(string(got[0]), `"VisibilityTimeout":60`) {
		t.Errorf("ChangeMessageVisibility %q, want one of 60 s", got)
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied)
	if st := e.IVS.Stats()[ivstest.OpUpdateChannel]; st.Calls != 2 || e.successes(ivstest.OpUpdateChannel) != 1 {
		t.Errorf("UpdateChannel %+v, want 2 calls, 1 success", st)
	}
	wantMultitrack(t, e.channel(arn), types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
}

// TestExpired: past CORRECTION_MAX_AGE, a still-live channel is given up on, once: failed is
// published, the message is sent to the dead-letter queue with the reason and acknowledged, so
// it is never received again.
func TestExpired(t *testing.T) {
	t.Run("given up on once, dead-lettered", func(t *testing.T) {
		e := newEnv(t, envOptions{maxReceiveCount: 100})
		e.h.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		arn, key := e.createChannel(standardTS)
		en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
		e.goLive(key)
		e.serveQueue()
		e.put(en)
		e.waitIdle()

		pub := e.published()
		if len(pub) != 1 || pub[0].Correction.Outcome != session.CorrectionFailed || !strings.HasPrefix(pub[0].Correction.Detail, "not applied: its trigger (the IVS event of ") ||
			!strings.Contains(pub[0].Correction.Detail, "is more than 24h0m0s (CORRECTION_MAX_AGE) old") {
			t.Fatalf("published %+v, want one failed correction: not applied: its trigger ... is more than 24h0m0s old", pub)
		}
		dead, err := e.Bus.DeadLetters(suite.FunctionCorrect)
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %+v, %v; want the message", dead, err)
		}
		if want := "correction expired: " + pub[0].Correction.Detail; dead[0].Attributes[reasonAttribute] != want {
			t.Errorf("reason %q, want %q", dead[0].Attributes[reasonAttribute], want)
		}
		// The body is the message as it was delivered: a redrive to the queue corrects it again.
		if j, err := parse([]byte(dead[0].Body), ""); err != nil || j.enriched.Record.StreamID != en.Record.StreamID {
			t.Errorf("dead letter body %s (%v), want the enriched session", dead[0].Body, err)
		}
		st := e.Bus.Stats().Queues[suite.FunctionCorrect]
		if st.Delivered != 1 || st.Failed != 0 || st.Deleted != 1 || st.DeadLettered != 1 {
			t.Errorf("correct queue %+v, want one delivery, acknowledged, and one dead letter", st)
		}
		if got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 0 {
			t.Errorf("ChangeMessageVisibility %q, want none: the message is done", got)
		}
		if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: "failed"}); got != 1 {
			t.Errorf("Corrections{failed} = %v, want 1", got)
		}
		if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 0 {
			t.Errorf("UpdateChannel calls %d, want 0", got)
		}
		if ch := e.channel(arn); ch.ContainerFormat != types.ContainerFormatTs {
			t.Errorf("channel changed while live: %s", ch.ContainerFormat)
		}
		e.wantReleased(arn)
	})
	t.Run("the send fails: the message comes back, nothing is lost", func(t *testing.T) {
		e := newEnv(t, envOptions{maxReceiveCount: 100})
		_, key := e.createChannel(standardTS)
		body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		e.goLive(key)
		sent := time.Now()
		e.h.Now = func() time.Time { return sent.Add(25 * time.Hour) }
		e.h.Cfg.DeadLetterQueueURL = "https://sqs." + testRegion + ".amazonaws.com/" + testAccount + "/no-such-queue"
		if failed := e.process(sqsRecord("m1", body, 7, sent)); !slices.Equal(failed, []string{"m1"}) {
			t.Fatalf("failures %v, want [m1]: the message must come back", failed)
		}
		if dead, _ := e.Bus.DeadLetters(suite.FunctionCorrect); len(dead) != 0 {
			t.Fatalf("dead letters %+v, want none yet", dead)
		}
		if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: "failed"}); got != 1 {
			t.Errorf("Corrections{failed} = %v after the failed send, want 1: published failed, counted once", got)
		}
		e.h.Cfg.DeadLetterQueueURL = testDLQ
		if failed := e.process(sqsRecord("m1", body, 8, sent)); len(failed) != 0 {
			t.Fatalf("redelivery failures %v, want none", failed)
		}
		if dead, _ := e.Bus.DeadLetters(suite.FunctionCorrect); len(dead) != 1 || dead[0].Body != string(body) {
			t.Errorf("dead letters %+v, want the message", dead)
		}
		// The intent record says failing: the redelivery sends the message and publishes nothing
		// more.
		wantOutcomes(t, e.published(), session.CorrectionFailed)
		if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: "failed"}); got != 1 {
			t.Errorf("Corrections{failed} = %v, want 1: one correction given up on", got)
		}
	})
}

// gatedChannels holds the first GetChannel until proceed is closed, after closing entered: the
// delivery that makes it is then mid-correction, with the channel's lease.
type gatedChannels struct {
	channelGetter
	once             sync.Once
	entered, proceed chan struct{}
}

func (g *gatedChannels) GetChannel(ctx context.Context, in *ivs.GetChannelInput, optFns ...func(*ivs.Options)) (*ivs.GetChannelOutput, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.proceed
	}
	return g.channelGetter.GetChannel(ctx, in, optFns...)
}

// failedIDs returns the IDs of the messages an SQS invocation reported as failed.
func failedIDs(t *testing.T, out any, err error) []string {
	t.Helper()
	resp, ok := out.(events.SQSEventResponse)
	if err != nil || !ok {
		t.Fatalf("process: %v, %T; want an SQS response", err, out)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// TestConcurrentDeliveries: two refused sessions of one channel (an encoder's reconnects) are
// corrected by concurrent invocations, as the event source mapping's two pollers do. The
// channel's lease lets one correct it; the other comes back a few seconds later and finds the
// change in place: exactly one UpdateChannel.
func TestConcurrentDeliveries(t *testing.T) {
	t.Run("the second arrives while the first corrects", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		arn, key := e.createChannel(standardTS)
		first := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		second := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		e.IVS.ResetStats()
		gate := &gatedChannels{channelGetter: e.h.Channels, entered: make(chan struct{}), proceed: make(chan struct{})}
		e.h.Channels = gate

		type result struct {
			out any
			err error
		}
		done := make(chan result, 1)
		go func() {
			out, err := e.p.Process(context.Background(), awstest.SQSEvent(t, sqsRecord("m1", first, 1, time.Now())))
			done <- result{out, err}
		}()
		<-gate.entered // m1 holds the lease and is reading the channel
		if failed := e.process(sqsRecord("m2", second, 1, time.Now())); !slices.Equal(failed, []string{"m2"}) {
			close(gate.proceed)
			t.Fatalf("m2 during m1: failures %v, want [m2] (the lease is held)", failed)
		}
		if got := e.IVS.Stats()[ivstest.OpGetChannel].Calls; got != 0 {
			t.Errorf("GetChannel calls %d while m1 is held at the gate, want 0: m2 must not read the channel", got)
		}
		close(gate.proceed)
		r := <-done
		if failed := failedIDs(t, r.out, r.err); len(failed) != 0 {
			t.Fatalf("m1: failures %v, want none", failed)
		}
		e.wantReleased(arn)
		if failed := e.process(sqsRecord("m2", second, 2, time.Now())); len(failed) != 0 {
			t.Fatalf("m2 redelivered: failures %v, want none", failed)
		}

		pub := e.published()
		wantOutcomes(t, pub, session.CorrectionApplied, session.CorrectionUnchanged)
		if len(pub) == 2 && pub[1].Correction.Decision.Action != multitrack.ActionNone {
			t.Errorf("second correction %+v, want unchanged/none: the change is in place", pub[1].Correction)
		}
		if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
			t.Errorf("UpdateChannel calls %d, want exactly 1", got)
		}
		cmv := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility")
		if len(cmv) != 1 || !strings.Contains(string(cmv[0]), `"VisibilityTimeout":5`) {
			t.Errorf("ChangeMessageVisibility %q, want m2 back in 5 s", cmv)
		}
		if !strings.Contains(e.Logs.String(), `"holder":"m1"`) {
			t.Errorf("logs do not name the lease's holder m1:\n%s", e.Logs.String())
		}
		wantMultitrack(t, e.channel(arn), types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
	})
	t.Run("racing", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		arn, key := e.createChannel(standardTS)
		bodies := map[string][]byte{
			"m1": envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)),
			"m2": envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)),
		}
		e.IVS.ResetStats()
		pending := []string{"m1", "m2"}
		for receive := 1; len(pending) > 0; receive++ {
			if receive > 10 {
				t.Fatalf("still pending after 10 receives: %v", pending)
			}
			start := make(chan struct{})
			failures := make(chan []string, len(pending))
			var wg sync.WaitGroup
			for _, id := range pending {
				payload := awstest.SQSEvent(t, sqsRecord(id, bodies[id], receive, time.Now()))
				wg.Go(func() {
					<-start
					out, err := e.p.Process(context.Background(), payload)
					resp, _ := out.(events.SQSEventResponse)
					if err != nil {
						failures <- []string{id + ": " + err.Error()}
						return
					}
					var ids []string
					for _, f := range resp.BatchItemFailures {
						ids = append(ids, f.ItemIdentifier)
					}
					failures <- ids
				})
			}
			close(start)
			wg.Wait()
			close(failures)
			pending = nil
			for ids := range failures {
				pending = append(pending, ids...)
			}
		}
		var outcomes []string
		for _, c := range e.published() {
			outcomes = append(outcomes, string(c.Correction.Outcome)+"/"+string(c.Correction.Decision.Action))
		}
		slices.Sort(outcomes)
		if want := []string{"applied/apply", "unchanged/none"}; !slices.Equal(outcomes, want) {
			t.Errorf("outcomes %v, want %v", outcomes, want)
		}
		if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
			t.Errorf("UpdateChannel calls %d, want exactly 1", got)
		}
		e.wantReleased(arn)
	})
}

// TestLeaseUnavailable: when S3 cannot tell who holds the channel's lease, nothing is done and
// the message comes back.
func TestLeaseUnavailable(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	e.IVS.ResetStats()
	e.h.Locks = &lease.Locker{S3: e.S3Client(), Bucket: "no-such-bucket", TTL: testLeaseTTL}
	if failed := e.process(sqsRecord("m1", body, 1, time.Now())); !slices.Equal(failed, []string{"m1"}) {
		t.Fatalf("failures %v, want [m1]", failed)
	}
	if len(e.IVS.Stats()) != 0 || len(e.published()) != 0 {
		t.Errorf("IVS calls %v, published %d; want none without the lease", e.IVS.Stats(), len(e.published()))
	}
	if got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 0 {
		t.Errorf("ChangeMessageVisibility %q, want none: the queue's own timeout applies", got)
	}
	// The log line says so in the attribute the stack's AccessErrors metric filter reads, so a
	// person hears of it within one alarm period, not after the message's last receive.
	access := regexp.MustCompile(suite.AccessErrorPattern)
	var matched bool
	for _, line := range strings.Split(e.Logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil {
			if s, ok := l[suite.LogKeyErr].(string); ok && access.MatchString(s) {
				matched = true
			}
		}
	}
	if !matched {
		t.Errorf("no log line with %s matching %s:\n%s", suite.LogKeyErr, suite.AccessErrorPattern, e.Logs.String())
	}
}

// TestWaitNeverPassesMaxAge: the last wait ends at the maximum age, not after it.
func TestWaitNeverPassesMaxAge(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	body := envelope(t, en)
	e.goLive(key)
	sent := en.Trigger.Time
	e.h.Now = func() time.Time { return sent.Add(24*time.Hour - 90*time.Second) }
	if failed := e.process(sqsRecord("m1", body, 8, sent)); !slices.Equal(failed, []string{"m1"}) {
		t.Fatalf("failures %v, want [m1]", failed)
	}
	got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility")
	if len(got) != 1 || !strings.Contains(string(got[0]), `"VisibilityTimeout":90`) {
		t.Errorf("ChangeMessageVisibility %q, want 90 s (the time left), not the time waited (capped at batch.MaxWait)", got)
	}
	if pub := e.published(); len(pub) != 0 {
		t.Errorf("published %d before the maximum age, want 0", len(pub))
	}
}

// TestWaitFollowsTime: the wait for a live channel is the time waited since the trigger (the
// IVS event), whatever its receive count, which retries for other reasons (a held lease, throttles,
// 5xx) raise too.
func TestWaitFollowsTime(t *testing.T) {
	tests := map[string]struct {
		receives int
		elapsed  time.Duration
		want     string
	}{
		"many receives, little time: the retry delay": {receives: 13, elapsed: 30 * time.Second, want: `"VisibilityTimeout":60`},
		"many receives, some time: the time waited":   {receives: 13, elapsed: 7 * time.Minute, want: `"VisibilityTimeout":420`},
		"first receive, long after the send":          {receives: 1, elapsed: 3 * time.Hour, want: `"VisibilityTimeout":10800`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			_, key := e.createChannel(standardTS)
			en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
			body := envelope(t, en)
			e.goLive(key)
			sent := en.Trigger.Time
			e.h.Now = func() time.Time { return sent.Add(tc.elapsed) }
			if failed := e.process(sqsRecord("m1", body, tc.receives, sent)); !slices.Equal(failed, []string{"m1"}) {
				t.Fatalf("failures %v, want [m1]", failed)
			}
			if got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 1 || !strings.Contains(string(got[0]), tc.want) {
				t.Errorf("ChangeMessageVisibility %q, want %s", got, tc.want)
			}
		})
	}
}

// TestLiveWait: the wait is the time waited, within the retry delay, batch.MaxWait and the time
// left.
func TestLiveWait(t *testing.T) {
	const day = 24 * time.Hour
	tests := map[string]struct {
		retryDelay, elapsed, left, want time.Duration
	}{
		"first receive":                 {time.Minute, 0, day, time.Minute},
		"less than the retry delay":     {time.Minute, 30 * time.Second, day, time.Minute},
		"sent in the future (skew)":     {time.Minute, -5 * time.Second, day, time.Minute},
		"the time waited":               {time.Minute, 7 * time.Minute, day, 7 * time.Minute},
		"capped at batch.MaxWait":       {time.Minute, 20 * time.Hour, 2 * day, batch.MaxWait},
		"retry delay above the cap":     {12 * time.Hour, 0, day, batch.MaxWait},
		"never past the maximum age":    {time.Minute, 3 * time.Hour, 90 * time.Second, 90 * time.Second},
		"time left below the retry one": {time.Minute, 0, 10 * time.Second, 10 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := liveWait(tc.retryDelay, tc.elapsed, tc.left); got != tc.want {
				t.Errorf("liveWait(%s, %s, %s) = %s, want %s", tc.retryDelay, tc.elapsed, tc.left, got, tc.want)
			}
		})
	}
}

// TestThrottling: throttles are retried by the SDK and counted; persistent ones leave the
// message for redelivery; nothing is applied twice.
func TestThrottling(t *testing.T) {
	t.Run("retried", func(t *testing.T) {
		e := newEnv(t, envOptions{pacer: true})
		_, key := e.createChannel(standardTS)
		body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		e.IVS.ResetStats()
		for _, op := range []string{ivstest.OpGetChannel, ivstest.OpUpdateChannel} {
			if err := e.IVS.SetFault(ivstest.Fault{Operation: op, Error: ivstest.CodeThrottling, Count: 2}); err != nil {
				t.Fatal(err)
			}
		}
		if failed := e.process(sqsRecord("m1", body, 1, time.Now())); len(failed) != 0 {
			t.Fatalf("failures %v, want none", failed)
		}
		wantOutcomes(t, e.published(), session.CorrectionApplied)
		if got := e.successes(ivstest.OpUpdateChannel); got != 1 {
			t.Errorf("UpdateChannel successes %d, want 1", got)
		}
		if got := e.Metric(t, suite.MetricIVSThrottles, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionCorrect}); got != 4 {
			t.Errorf("IVSThrottles = %v, want 4", got)
		}
	})
	t.Run("persistent", func(t *testing.T) {
		e := newEnv(t, envOptions{pacer: true})
		arn, key := e.createChannel(standardTS)
		body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		e.IVS.ResetStats()
		if err := e.IVS.SetFault(ivstest.Fault{Operation: ivstest.OpUpdateChannel, Error: ivstest.CodeThrottling, Rate: 1}); err != nil {
			t.Fatal(err)
		}
		sent := time.Now()
		if failed := e.process(sqsRecord("m1", body, 1, sent)); !slices.Equal(failed, []string{"m1"}) {
			t.Fatalf("failures %v, want [m1]", failed)
		}
		if pub := e.published(); len(pub) != 0 {
			t.Errorf("published %+v, want nothing yet", pub)
		}
		if st := e.IVS.Stats()[ivstest.OpUpdateChannel]; st.Calls != 3 || st.Throttled != 3 {
			t.Errorf("UpdateChannel %+v, want 3 attempts, all throttled", st)
		}
		e.IVS.ClearFaults()
		if failed := e.process(sqsRecord("m1", body, 2, sent)); len(failed) != 0 {
			t.Fatalf("redelivery failures %v", failed)
		}
		wantOutcomes(t, e.published(), session.CorrectionApplied)
		if got := e.successes(ivstest.OpUpdateChannel); got != 1 {
			t.Errorf("UpdateChannel successes %d, want 1", got)
		}
		wantMultitrack(t, e.channel(arn), types.ChannelTypeStandardChannelType, types.ContainerFormatFragmentedMP4, types.MultitrackPolicyAllow, types.MultitrackMaximumResolutionFullHd)
	})
	t.Run("5xx", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		_, key := e.createChannel(standardTS)
		body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
		e.IVS.ResetStats()
		for _, op := range []string{ivstest.OpGetStream, ivstest.OpUpdateChannel} {
			if err := e.IVS.SetFault(ivstest.Fault{Operation: op, Error: ivstest.CodeInternalServer, Count: 1}); err != nil {
				t.Fatal(err)
			}
		}
		sent := time.Now()
		for n, want := range [][]string{{"m1"}, {"m1"}, nil} {
			if failed := e.process(sqsRecord("m1", body, n+1, sent)); !slices.Equal(failed, want) {
				t.Fatalf("delivery %d: failures %v, want %v", n+1, failed, want)
			}
		}
		wantOutcomes(t, e.published(), session.CorrectionApplied)
		if got := e.successes(ivstest.OpUpdateChannel); got != 1 {
			t.Errorf("UpdateChannel successes %d, want 1", got)
		}
	})
}

// TestPublishFailure: a correction that cannot be published leaves the message for
// redelivery, which does not apply the change again.
func TestPublishFailure(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.h.Cfg.EventBusName = "no-such-bus"
	_, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	e.IVS.ResetStats()
	if failed := e.process(sqsRecord("m1", body, 1, time.Now())); !slices.Equal(failed, []string{"m1"}) {
		t.Fatalf("failures %v, want [m1]", failed)
	}
	e.h.Cfg.EventBusName = testBus
	if failed := e.process(sqsRecord("m1", body, 2, time.Now())); len(failed) != 0 {
		t.Fatalf("redelivery failures %v", failed)
	}
	// The intent record says UpdateChannel made the change: the archive says applied.
	pub := e.published()
	if len(pub) != 1 || pub[0].Correction.Outcome != session.CorrectionApplied || pub[0].Correction.Detail != detailApplied ||
		pub[0].Before == nil || pub[0].Before.ContainerFormat != string(types.ContainerFormatTs) {
		t.Errorf("published %+v, want one applied, with the channel before the change", pub)
	}
	if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
		t.Errorf("UpdateChannel calls %d, want 1", got)
	}
}

// TestRejected: what is not an enriched session with an apply decision is rejected (logged,
// counted, acknowledged) without an IVS call, and never fails the good message beside it.
func TestRejected(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, key := e.createChannel(standardTS)
	en := e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg)
	good := envelope(t, en)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	detail := func(m map[string]any) map[string]any { return m["detail"].(map[string]any) }
	bad := map[string]struct {
		body  []byte
		field string
	}{
		"not JSON":          {[]byte(`{"detail-type":`), "event"},
		"IVS event":         {awstest.LoadEvent(t, "session-ended-multitrack-input-not-allowed"), "source"},
		"other detail-type": {edit(func(m map[string]any) { m["detail-type"] = suite.DetailTypeChannelCorrected }), "detail-type"},
		"detail not object": {edit(func(m map[string]any) { m["detail"] = "x" }), "detail"},
		"manual decision": {edit(func(m map[string]any) {
			detail(m)["decision"] = map[string]any{"action": "manual", "reason": "x"}
		}), "detail.decision.action"},
		"bad channel ARN": {edit(func(m map[string]any) {
			detail(m)["record"].(map[string]any)["channelArn"] = "arn:aws:ivs:us-west-2:123456789012:stage/x"
		}), "detail.record.channelArn"},
		"bad stream ID": {edit(func(m map[string]any) { detail(m)["record"].(map[string]any)["streamId"] = "st-short" }), "detail.record.streamId"},
		// Issue 10: strict decoding. "Decision" is not "decision" (it used to be read as one),
		// a duplicate key is an error naming it, and so is data after the event.
		"Decision in capitals": {edit(func(m map[string]any) {
			detail(m)["Decision"] = detail(m)["decision"]
			delete(detail(m), "decision")
		}), "detail.decision.action"},
		"duplicate action": {bytes.Replace(good, []byte(`"action":"apply"`), []byte(`"action":"manual","action":"apply"`), 1), "detail.decision.action"},
		"trailing data":    {append(append([]byte(nil), good...), []byte(` {"detail-type":"x"}`)...), "event"},
	}
	e.IVS.ResetStats()
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := parse(tc.body, ""); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("parse error %v, want one naming %s", err, tc.field)
			}
		})
	}
	var recs []events.SQSMessage
	for name, tc := range bad {
		recs = append(recs, sqsRecord(strings.ReplaceAll(name, " ", "-"), tc.body, 1, time.Now()))
	}
	recs = append(recs, sqsRecord("good", good, 1, time.Now()))
	if failed := e.process(recs...); len(failed) != 0 {
		t.Fatalf("failures %v, want none", failed)
	}
	if got := e.Metric(t, suite.MetricRejected, metrics.Dim{Name: suite.DimensionFunction, Value: suite.FunctionCorrect}); got != float64(len(bad)) {
		t.Errorf("RejectedEvents = %v, want %d", got, len(bad))
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied)
	if got := e.IVS.Stats()[ivstest.OpGetChannel].Calls; got != 1 {
		t.Errorf("GetChannel calls %d, want 1 (the good message only)", got)
	}
}

// TestSampleEvents sends every IVS sample that ends a session with a code through enrich's
// policy (a record from the event alone, against a STANDARD TS channel) and the
// CorrectionsNeeded rule: what is routed is applied, what is not is rejected if delivered.
func TestSampleEvents(t *testing.T) {
	paths, err := filepath.Glob("../../events/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("samples: %v %v", paths, err)
	}
	const sampleARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
	applied := 0
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := ivsevent.Parse(raw)
		if err != nil || ev.Code() == "" {
			continue // no code: nothing the corrector could receive
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := newEnv(t, envOptions{})
			arn, key := e.createChannel(standardTS)
			sample := strings.ReplaceAll(string(raw), sampleARN, arn)
			if ev.Code() == ivsevent.CodeMultitrackInputNotAllowed {
				// The refusal happened on the local IVS, which confirms it to the corrector.
				res := e.refuse(obs5(key), ev.Code())
				sample = strings.ReplaceAll(sample, ev.StreamID(), res.StreamID)
			}
			ev, err := ivsevent.Parse([]byte(sample))
			if err != nil {
				t.Fatal(err)
			}
			rec := session.FromEvent(ev, "GetStreamSession: not called in this test")
			d := multitrack.Decide(multitrack.Input{Code: ev.Code(), TopVideoHeight: rec.TopVideoHeight(), Channel: e.channel(arn)}, applyCfg)
			body := envelope(t, session.Enriched{Record: rec, Decision: d, Trigger: session.TriggerOf(ev)})
			isRouted := routed(t, body)
			if isRouted != (d.Action == multitrack.ActionApply) {
				t.Fatalf("routed %v for action %s", isRouted, d.Action)
			}
			e.IVS.ResetStats()
			// The samples' IVS events are old: the corrector's clock is a minute after them.
			e.h.Now = func() time.Time { return ev.Time.Add(time.Minute) }
			if failed := e.process(sqsRecord("m1", body, 1, time.Now())); len(failed) != 0 {
				t.Fatalf("failures %v", failed)
			}
			pub := e.published()
			if !isRouted {
				if len(pub) != 0 || len(e.IVS.Stats()) != 0 {
					t.Errorf("not routed, yet published %d and called IVS %v", len(pub), e.IVS.Stats())
				}
				return
			}
			applied++
			wantOutcomes(t, pub, session.CorrectionApplied)
		})
	}
	if applied == 0 {
		t.Error("no sample led to a correction; want at least MultitrackInputNotAllowed")
	}
}

// TestBareEvent: an EventBridge event invoked directly (sam local invoke -e, a rule targeting
// the function) is corrected too; a live channel is a transient error for the caller to retry,
// with no queue to change.
func TestBareEvent(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	e.goLive(key)
	_, err := e.p.Process(context.Background(), body)
	if !retryable.Is(err) {
		t.Fatalf("live: err = %v, want a transient error", err)
	}
	if got := e.BusWire.Bodies("AmazonSQS.ChangeMessageVisibility"); len(got) != 0 {
		t.Errorf("ChangeMessageVisibility called for a bare event: %q", got)
	}
	if err := e.IVS.Disconnect(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	out, err := e.p.Process(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if res, ok := out.(batch.Result); !ok || res.Outcome != "done" {
		t.Errorf("result %+v, want done", out)
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied)
}

// TestReplay: an event replayed from the suite bus's archive (replay-name in the envelope)
// touches no channel and publishes nothing: the archive is rebuilt from the replayed events.
func TestReplay(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	env["replay-name"] = "rebuild-2026-11"
	replayed, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	e.IVS.ResetStats()
	if failed := e.process(sqsRecord("m1", replayed, 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if len(e.IVS.Stats()) != 0 || len(e.published()) != 0 {
		t.Errorf("IVS calls %v, published %d; want none for a replay", e.IVS.Stats(), len(e.published()))
	}
	if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: outcomeReplay}); got != 1 {
		t.Errorf("Corrections{replay} = %v, want 1", got)
	}
	if ch := e.channel(arn); ch.ContainerFormat != types.ContainerFormatTs {
		t.Errorf("channel changed by a replay: %s", ch.ContainerFormat)
	}
}

// TestRevertedNotReapplied: the suite applied a session's correction, a person changed the
// channel back; a redrive of the same message (within the trigger's maximum age) leaves it.
func TestRevertedNotReapplied(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	if failed := e.process(sqsRecord("m1", body, 1, time.Now())); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	_, err := e.IVSClient().UpdateChannel(context.Background(), &ivs.UpdateChannelInput{
		Arn: aws.String(arn), ContainerFormat: types.ContainerFormatTs,
		MultitrackInputConfiguration: &types.MultitrackInputConfiguration{Enabled: false},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.IVS.ResetStats()
	if failed := e.process(sqsRecord("m1-redriven", body, 1, time.Now())); len(failed) != 0 {
		t.Fatalf("redrive failures %v", failed)
	}
	if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 0 {
		t.Errorf("UpdateChannel calls %d after the revert, want 0", got)
	}
	if ch := e.channel(arn); ch.ContainerFormat != types.ContainerFormatTs {
		t.Errorf("the person's change was overridden: %s", ch.ContainerFormat)
	}
	wantOutcomes(t, e.published(), session.CorrectionApplied)
	if got := e.Metric(t, suite.MetricCorrections, metrics.Dim{Name: suite.DimensionOutcome, Value: outcomeReverted}); got != 1 {
		t.Errorf("Corrections{reverted} = %v, want 1", got)
	}
}

// lostAnswer makes UpdateChannel and then answers with a transient error, as an invocation
// that dies after the call (or a connection reset) leaves it.
type lostAnswer struct{ channelUpdater }

func (l lostAnswer) UpdateChannel(ctx context.Context, in *ivs.UpdateChannelInput, optFns ...func(*ivs.Options)) (*ivs.UpdateChannelOutput, error) {
	if _, err := l.channelUpdater.UpdateChannel(ctx, in, optFns...); err != nil {
		return nil, err
	}
	return nil, context.DeadlineExceeded
}

// TestLostAnswerRecorded: UpdateChannel made the change and the invocation never heard it; the
// redelivery finds the intent written before the call and the channel changed: it publishes
// "applied" (not "unchanged"), so the change the suite made is on record.
func TestLostAnswerRecorded(t *testing.T) {
	e := newEnv(t, envOptions{})
	arn, key := e.createChannel(standardTS)
	body := envelope(t, e.enrich(e.refuse(obs5(key), ivsevent.CodeMultitrackInputNotAllowed), applyCfg))
	real := e.h.Updater
	e.h.Updater = lostAnswer{real}
	if failed := e.process(sqsRecord("m1", body, 1, time.Now())); !slices.Equal(failed, []string{"m1"}) {
		t.Fatalf("failures %v, want [m1]", failed)
	}
	if len(e.published()) != 0 {
		t.Fatalf("published %+v before the redelivery", e.published())
	}
	e.h.Updater = real
	if failed := e.process(sqsRecord("m1", body, 2, time.Now())); len(failed) != 0 {
		t.Fatalf("redelivery failures %v", failed)
	}
	pub := e.published()
	wantOutcomes(t, pub, session.CorrectionApplied)
	if pub[0].Before == nil || pub[0].Before.ContainerFormat != string(types.ContainerFormatTs) ||
		pub[0].After == nil || pub[0].After.ContainerFormat != string(types.ContainerFormatFragmentedMP4) {
		t.Errorf("before %+v after %+v, want TS then FRAGMENTED_MP4", pub[0].Before, pub[0].After)
	}
	if got := e.IVS.Stats()[ivstest.OpUpdateChannel].Calls; got != 1 {
		t.Errorf("UpdateChannel calls %d, want 1", got)
	}
	e.wantReleased(arn)
}
