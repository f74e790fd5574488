package multitrack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ivs/types"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

const testAdConfiguration = "arn:aws:ivs:us-west-2:123456789012:ad-configuration/adcfgABCD1234"

func withAds(ch types.Channel) types.Channel {
	ch.AdConfigurationArn = ptr(testAdConfiguration)
	return ch
}

// TestDecideAds decides every code on a channel without and with an ad configuration. With
// one, a rule that would set FRAGMENTED_MP4 or enable multitrack input gives manual with the
// ad-insertion conflict, in every mode and whatever the permissions; everything else is decided
// as without ads.
func TestDecideAds(t *testing.T) {
	notAllowed := ivsevent.CodeMultitrackInputNotAllowed
	requiredCode := ivsevent.CodeMultitrackInputRequired
	media := ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties
	type want struct {
		action   Action
		change   *Change
		dryRun   bool
		conflict Conflict
	}
	manualAds := want{action: ActionManual, conflict: ConflictAdInsertion}
	optedOut := withTags(channel(standard, ts, nil), map[string]string{testOptOut: ""})
	tests := map[string]struct {
		in         Input
		cfg        Config
		withoutAds want
		withAds    want
	}{
		"not allowed, STANDARD TS: the container and multitrack would change": {
			in: Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionApply, change: enableTo(fullHD)}, withAds: manualAds,
		},
		"not allowed, STANDARD already FRAGMENTED_MP4: multitrack would be enabled": {
			in: Input{Code: notAllowed, TopVideoHeight: 720, Channel: channel(standard, fmp4, nil)}, cfg: applyNone,
			withoutAds: want{action: ActionApply, change: enableTo(hd)}, withAds: manualAds,
		},
		"not allowed, BASIC without the type permission: ads named before permissions": {
			in: Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(basic, ts, nil)}, cfg: applyNone,
			withoutAds: want{action: ActionManual}, withAds: manualAds,
		},
		"not allowed, TS without the container permission": {
			in: Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)}, cfg: with(applyAll, func(c *Config) { c.AllowContainerFormatChange = false }),
			withoutAds: want{action: ActionManual}, withAds: manualAds,
		},
		"not allowed, dry-run: manual, not a dry-run apply": {
			in: Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, ts, nil)}, cfg: with(applyAll, func(c *Config) { c.Mode = ModeDryRun }),
			withoutAds: want{action: ActionApply, change: enableTo(fullHD), dryRun: true}, withAds: manualAds,
		},
		"not allowed, the channel already accepts multitrack": {
			in: Input{Code: notAllowed, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, allow, fullHD))}, cfg: applyAll,
			withoutAds: want{action: ActionNone}, withAds: want{action: ActionNone},
		},
		"not allowed, mode off": {
			in: Input{Code: notAllowed, Channel: channel(standard, ts, nil)}, cfg: with(applyAll, func(c *Config) { c.Mode = ModeOff }),
			withoutAds: want{action: ActionSkipped}, withAds: want{action: ActionSkipped},
		},
		"not allowed, opted out": {
			in: Input{Code: notAllowed, Channel: optedOut}, cfg: applyAll,
			withoutAds: want{action: ActionSkipped}, withAds: want{action: ActionSkipped},
		},
		"not allowed, IVS does not confirm the refusal": {
			in: Input{Code: notAllowed, Channel: channel(standard, ts, nil), Unconfirmed: "the stream session does not exist"}, cfg: applyAll,
			withoutAds: want{action: ActionUnverified}, withAds: want{action: ActionUnverified},
		},
		"required, REQUIRE to ALLOW touches neither container nor enabled: applied": {
			in: Input{Code: requiredCode, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, require, hd))}, cfg: applyNone,
			withoutAds: want{action: ActionApply, change: enableTo(hd)}, withAds: want{action: ActionApply, change: enableTo(hd)},
		},
		"required, dry-run: the same decision, marked": {
			in: Input{Code: requiredCode, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, require, hd))}, cfg: with(applyAll, func(c *Config) { c.Mode = ModeDryRun }),
			withoutAds: want{action: ActionApply, change: enableTo(hd), dryRun: true}, withAds: want{action: ActionApply, change: enableTo(hd), dryRun: true},
		},
		"required, REQUIRE on a TS channel (a state the API refuses): the container would change": {
			in: Input{Code: requiredCode, TopVideoHeight: 1080, Channel: channel(standard, ts, mtc(true, require, hd))}, cfg: applyAll,
			withoutAds: want{action: ActionApply, change: enableTo(hd)}, withAds: manualAds,
		},
		"required, multitrack off": {
			in: Input{Code: requiredCode, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionNone}, withAds: want{action: ActionNone},
		},
		"media properties, maximumResolution raised on a channel that has both: applied": {
			in: Input{Code: media, TopVideoHeight: 1080, Channel: channel(standard, fmp4, mtc(true, allow, hd))}, cfg: applyNone,
			withoutAds: want{action: ActionApply, change: enableTo(fullHD)}, withAds: want{action: ActionApply, change: enableTo(fullHD)},
		},
		"media properties, multitrack on a TS channel (a state the API refuses): the container would change": {
			in: Input{Code: media, TopVideoHeight: 1080, Channel: channel(standard, ts, mtc(true, allow, hd))}, cfg: applyAll,
			withoutAds: want{action: ActionApply, change: enableTo(fullHD)}, withAds: manualAds,
		},
		"media properties, top track within the limit": {
			in: Input{Code: media, TopVideoHeight: 720, Channel: channel(standard, fmp4, mtc(true, allow, hd))}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"invalid GetClientConfiguration stream key": {
			in: Input{Code: ivsevent.CodeInvalidGetClientConfigurationStreamKey, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"GetClientConfiguration stream key required": {
			in: Input{Code: ivsevent.CodeGetClientConfigurationStreamKeyRequired, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"invalid track count": {
			in: Input{Code: ivsevent.CodeInvalidMultitrackInputTrackCount, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"takeover media mismatch": {
			in: Input{Code: ivsevent.CodeStreamTakeoverMediaMismatch, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"takeover invalid priority": {
			in: Input{Code: ivsevent.CodeStreamTakeoverInvalidPriority, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"takeover limit breached": {
			in: Input{Code: ivsevent.CodeStreamTakeoverLimitBreached, Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionBroadcaster}, withAds: want{action: ActionBroadcaster},
		},
		"no code": {
			in: Input{Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionNone}, withAds: want{action: ActionNone},
		},
		"unknown code": {
			in: Input{Code: "SomethingNew", Channel: channel(standard, ts, nil)}, cfg: applyAll,
			withoutAds: want{action: ActionNone}, withAds: want{action: ActionNone},
		},
	}
	covered := map[string]bool{}
	for name, tc := range tests {
		covered[tc.in.Code] = true
		for _, ads := range []bool{false, true} {
			in, w := tc.in, tc.withoutAds
			label := name + "/without ads"
			if ads {
				in.Channel, w, label = withAds(in.Channel), tc.withAds, name+"/with ads"
			}
			t.Run(label, func(t *testing.T) {
				d := Decide(in, tc.cfg)
				if d.Action != w.action || d.DryRun != w.dryRun || d.Conflict != w.conflict {
					t.Fatalf("Decide = action %q dryRun %v conflict %q (%s), want %q %v %q", d.Action, d.DryRun, d.Conflict, d.Reason, w.action, w.dryRun, w.conflict)
				}
				if w.change != nil && (d.Change == nil || !equalChange(*d.Change, *w.change)) {
					t.Errorf("change = %s, want %s", fmtChange(d.Change), fmtChange(w.change))
				}
				if d.Code != in.Code {
					t.Errorf("code = %q, want %q", d.Code, in.Code)
				}
				if d.Conflict == ConflictAdInsertion {
					// The reason names the conflict and what a person can do.
					for _, s := range []string{testAdConfiguration, "ad insertion needs containerFormat TS", "multitrack input needs FRAGMENTED_MP4",
						"single-track", "remove its ad configuration"} {
						if !strings.Contains(d.Reason, s) {
							t.Errorf("reason %q does not mention %q", d.Reason, s)
						}
					}
				}
			})
		}
	}
	for _, code := range ivsevent.Codes {
		if !covered[code] {
			t.Errorf("code %s has no row with and without ads", code)
		}
	}
}

// TestAdsNeverBroken decides every code, for every channel state with an ad configuration, top
// track and configuration (every mode, every permission): no apply decision sets containerFormat
// FRAGMENTED_MP4 on the channel or enables its multitrack input, and the decision is the one made
// without ads unless that one would have.
func TestAdsNeverBroken(t *testing.T) {
	configs := map[string]Config{
		"apply, all permitted": applyAll,
		"apply, none":          applyNone,
		"apply, type only":     with(applyNone, func(c *Config) { c.AllowTypeChange = true }),
		"apply, container":     with(applyNone, func(c *Config) { c.AllowContainerFormatChange = true }),
		"dry-run":              with(applyAll, func(c *Config) { c.Mode = ModeDryRun }),
		"off":                  with(applyAll, func(c *Config) { c.Mode = ModeOff }),
	}
	codes := append([]string{"", "Unknown"}, ivsevent.Codes...)
	heights := []int32{0, 480, 720, 1080, 1440}
	guarded, kept := 0, 0
	for cfgName, cfg := range configs {
		for _, plain := range channelStates() {
			ch := withAds(plain)
			for _, code := range codes {
				for _, h := range heights {
					name := fmt.Sprintf("%s/%s/%dp/%s", cfgName, code, h, describe(plain))
					d := Decide(Input{Code: code, TopVideoHeight: h, Channel: ch}, cfg)
					without := Decide(Input{Code: code, TopVideoHeight: h, Channel: plain}, cfg)
					if d.Action == ActionApply {
						b, a := stateOf(ch), stateOf(Apply(ch, *d.Change))
						if a.container != b.container || a.mt.Enabled != b.mt.Enabled {
							t.Fatalf("%s: apply %s on a channel with ads changes containerFormat %s->%s or enabled %v->%v",
								name, fmtChange(d.Change), b.container, a.container, b.mt.Enabled, a.mt.Enabled)
						}
					}
					touches := without.Action == ActionApply && adsAtRisk(stateOf(ch), *without.Change)
					if touches {
						guarded++
						if d.Action != ActionManual || d.Conflict != ConflictAdInsertion {
							t.Fatalf("%s: %s (%s), want manual with conflict %s", name, d.Action, d.Reason, ConflictAdInsertion)
						}
						continue
					}
					if d.Conflict == ConflictAdInsertion {
						// Without ads a permission stopped the rule (manual); with ads, the ads are
						// named first. Nothing else may be held for ads.
						if without.Action != ActionManual || without.Conflict != "" {
							t.Fatalf("%s: held for ads (%s), but without ads %s (%s)", name, d.Reason, without.Action, without.Reason)
						}
						continue
					}
					kept++
					if d.Action != without.Action || d.DryRun != without.DryRun || !sameChange(d.Change, without.Change) {
						t.Fatalf("%s: with ads %s %s, without %s %s: want the same decision", name, d.Action, fmtChange(d.Change), without.Action, fmtChange(without.Change))
					}
				}
			}
		}
	}
	if guarded == 0 || kept == 0 {
		t.Fatalf("guarded %d decisions, kept %d: the table does not exercise both", guarded, kept)
	}
}

func sameChange(a, b *Change) bool {
	if a == nil || b == nil {
		return a == b
	}
	return equalChange(*a, *b)
}
