package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
	"github.com/ivs-sessions/ivs-sessions/shared/suite"
	"github.com/ivs-sessions/ivs-sessions/shared/sweep"
)

// Input is what an invocation asks for (see the package documentation).
type Input struct {
	Mode string `json:"mode"` // live, daily or backfill
	Days int    `json:"days"` // backfill: how many days back, 1 to suite.MaxBackfillDays
	// Region and Account, in a fleet, limit the run to the Sweepers of that region and that
	// account (empty: every one).
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
}

// The modes of Input.
const (
	ModeLive     = "live"
	ModeDaily    = "daily"
	ModeBackfill = "backfill"
)

// Output is what an invocation did: the reports of every account and region swept, added up.
type Output struct {
	Mode string       `json:"mode"`
	Live sweep.Report `json:"live,omitzero"`
	// Window is the daily or backfill window's report (also the one a live run resumed).
	Window sweep.Report `json:"window,omitzero"`
	// Targets, in a fleet, are each account's and region's reports.
	Targets []TargetOutput `json:"targets,omitempty"`
}

// TargetOutput is what a run did in one account and region of a fleet.
type TargetOutput struct {
	Account string       `json:"account"`
	Region  string       `json:"region"`
	Live    sweep.Report `json:"live,omitzero"`
	Window  sweep.Report `json:"window,omitzero"`
	Err     string       `json:"error,omitempty"`
}

// Handler runs one sweep per invocation.
type Handler struct {
	// Sweepers each sweep one account and region: one in a single-region deployment, one per
	// account and region of a fleet. They run at once, each with its own IVS client and pacing,
	// so a region whose calls fail or wait delays no other.
	Sweepers  []*sweep.Sweeper
	Log       *slog.Logger
	Metrics   *metrics.Recorder
	Throttles *ivsquota.Pacer // the pacer of the Sweepers' IVS clients; nil: throttles not reported
}

// Handle parses the input and sweeps each account and region asked. A bad input is an error
// naming the field; an IVS or S3 failure of any account and region is an error too, naming it
// (the schedule runs again; the progress is saved), after the others are done.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Output, error) {
	defer func() {
		h.Throttles.Report(h.Metrics, suite.FunctionSweep)
		if err := h.Metrics.Flush(); err != nil {
			h.Log.ErrorContext(ctx, "flush metrics", "err", err)
		}
	}()
	in, err := ParseInput(payload)
	if err != nil {
		return Output{}, err
	}
	var chosen []*sweep.Sweeper
	for _, sw := range h.Sweepers {
		if (in.Region == "" || in.Region == sw.Region) && (in.Account == "" || in.Account == sw.Account) {
			chosen = append(chosen, sw)
		}
	}
	if len(chosen) == 0 {
		return Output{}, &invalid.FieldError{Field: "region", Want: "a region (and account) this deployment sweeps", Got: in.Account + "/" + in.Region}
	}
	outs := make([]TargetOutput, len(chosen))
	errs := make([]error, len(chosen))
	var wg sync.WaitGroup
	for i, sw := range chosen {
		wg.Go(func() {
			outs[i] = TargetOutput{Account: sw.Account, Region: sw.Region}
			outs[i].Live, outs[i].Window, errs[i] = h.sweep(ctx, sw, in)
			if errs[i] != nil {
				if len(h.Sweepers) > 1 {
					errs[i] = fmt.Errorf("%s/%s: %w", sw.Account, sw.Region, errs[i])
				}
				outs[i].Err = errs[i].Error()
			}
		})
	}
	wg.Wait()
	out := Output{Mode: in.Mode}
	for _, o := range outs {
		out.Live, out.Window = add(out.Live, o.Live), add(out.Window, o.Window)
	}
	if len(h.Sweepers) > 1 {
		out.Targets = outs
	}
	h.Log.InfoContext(ctx, "sweep done", "mode", in.Mode, "live", out.Live, "window", out.Window, "targets", out.Targets)
	return out, errors.Join(errs...)
}

// add adds two reports up: done when both are.
func add(a, b sweep.Report) sweep.Report {
	if a == (sweep.Report{}) {
		return b
	}
	if b == (sweep.Report{}) {
		return a
	}
	return sweep.Report{Checked: a.Checked + b.Checked, Published: a.Published + b.Published, Healed: a.Healed + b.Healed,
		Backlog: a.Backlog + b.Backlog, Done: a.Done && b.Done}
}

// sweep runs in's mode in one account and region.
func (h *Handler) sweep(ctx context.Context, sw *sweep.Sweeper, in Input) (live, window sweep.Report, err error) {
	now := time.Now().UTC()
	if sw.Now != nil {
		now = sw.Now().UTC()
	}
	switch in.Mode {
	case ModeLive:
		if live, err = sw.Live(ctx); err != nil {
			return live, window, fmt.Errorf("live sweep: %w", err)
		}
	case ModeDaily:
		// The window's own schedule, independent of the live sweep: an unfinished backfill
		// goes on first, then the daily window (resumed, or started once a day has passed).
		kind := sweep.KindBackfill
		open, err := sw.Unfinished(ctx, kind)
		if err != nil {
			return live, window, err
		}
		if !open {
			kind = sweep.KindDaily
			due, err := sw.Due(ctx, kind, now)
			if err != nil {
				return live, window, err
			}
			if !due {
				h.Log.InfoContext(ctx, "daily window not due", "mode", in.Mode, "account", sw.Account, "region", sw.Region)
				return live, window, nil
			}
		}
		if window, err = sw.Window(ctx, kind, time.Time{}, now); err != nil {
			return live, window, fmt.Errorf("%s sweep: %w", kind, err)
		}
	case ModeBackfill:
		from := now.Add(-time.Duration(in.Days) * 24 * time.Hour)
		if window, err = sw.Window(ctx, sweep.KindBackfill, from, now); err != nil {
			return live, window, fmt.Errorf("backfill: %w", err)
		}
	}
	return live, window, nil
}

// Invoke makes the Handler a lambda.Handler, so that the runtime hands it the payload as it
// arrived: aws-lambda-go's reflective handler decodes with a json.Decoder, which takes the last
// of two "mode" members and drops data after the first JSON value unseen. It returns Handle's
// Output as JSON.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := h.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

var _ lambda.Handler = (*Handler)(nil)

// scheduledEvent is what EventBridge sends a schedule's target that has no input of its own:
// detail-type "Scheduled Event" from source "aws.events". It is the live sweep.
var scheduledEvent = struct{ source, detailType string }{"aws.events", "Scheduled Event"}

// ParseInput reads an invocation's input strictly (ivsevent.Unmarshal: exact member names, no
// member twice, nothing after the value): {"mode":"live"}, {"mode":"daily"} or
// {"mode":"backfill","days":N}, and nothing else; an EventBridge "Scheduled Event" (a schedule
// without an input of its own) is the live sweep. It returns a *invalid.FieldError naming the
// field: a member it does not know ("Mode" is not "mode"), a member given twice, trailing data,
// a bad mode, days outside 1 to suite.MaxBackfillDays, or days with a mode other than backfill.
func ParseInput(payload json.RawMessage) (Input, error) {
	var members map[string]jsontext.Value
	if err := ivsevent.Unmarshal("", payload, &members); err != nil {
		var fe *invalid.FieldError
		if errors.As(err, &fe) && fe.Field == "" {
			fe.Field, fe.Want = "input", `a JSON object such as {"mode":"live"} (`+fe.Want+")"
		}
		return Input{}, err
	}
	if members == nil {
		return Input{}, &invalid.FieldError{Field: "input", Want: `a JSON object such as {"mode":"live"}`, Got: redact.Quote(payload)}
	}
	if isScheduledEvent(members) {
		return Input{Mode: ModeLive}, nil
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if name != "mode" && name != "days" && name != "region" && name != "account" {
			return Input{}, &invalid.FieldError{Field: name, Want: `only "mode", for a backfill "days", and in a fleet "region" and "account" (names are case-sensitive)`, Got: redact.Quote(members[name])}
		}
	}
	var in Input
	if err := ivsevent.Unmarshal("", payload, &in); err != nil {
		return in, err
	}
	switch in.Mode {
	case ModeLive, ModeDaily:
		if _, ok := members["days"]; ok {
			return in, &invalid.FieldError{Field: "days", Want: "no days: only a backfill takes them", Got: redact.Quote(members["days"])}
		}
	case ModeBackfill:
		if in.Days < 1 || in.Days > suite.MaxBackfillDays {
			return in, &invalid.FieldError{Field: "days", Want: fmt.Sprintf("1 to %d days (IVS keeps a session 60 days)", suite.MaxBackfillDays), Got: fmt.Sprint(in.Days)}
		}
	default:
		return in, &invalid.FieldError{Field: "mode", Want: "live, daily or backfill", Got: in.Mode}
	}
	return in, nil
}

// isScheduledEvent reports whether members are an EventBridge Scheduled Event's.
func isScheduledEvent(members map[string]jsontext.Value) bool {
	var source, detailType string
	return members["source"] != nil && members["detail-type"] != nil &&
		ivsevent.Unmarshal("source", members["source"], &source) == nil && source == scheduledEvent.source &&
		ivsevent.Unmarshal("detail-type", members["detail-type"], &detailType) == nil && detailType == scheduledEvent.detailType
}
