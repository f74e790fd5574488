package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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
}

// The modes of Input.
const (
	ModeLive     = "live"
	ModeDaily    = "daily"
	ModeBackfill = "backfill"
)

// Output is what an invocation did.
type Output struct {
	Mode string       `json:"mode"`
	Live sweep.Report `json:"live,omitzero"`
	// Window is the daily or backfill window's report (also the one a live run resumed).
	Window sweep.Report `json:"window,omitzero"`
}

// Handler runs one sweep per invocation.
type Handler struct {
	Sweeper   *sweep.Sweeper
	Log       *slog.Logger
	Metrics   *metrics.Recorder
	Throttles *ivsquota.Pacer // the pacer of the Sweeper's IVS client; nil: throttles not reported
}

// Handle parses the input and sweeps. A bad input is an error naming the field; an IVS or S3
// failure is an error too (the schedule runs again; the progress is saved).
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
	out := Output{Mode: in.Mode}
	now := time.Now().UTC()
	if h.Sweeper.Now != nil {
		now = h.Sweeper.Now().UTC()
	}
	switch in.Mode {
	case ModeLive:
		if out.Live, err = h.Sweeper.Live(ctx); err != nil {
			return out, fmt.Errorf("live sweep: %w", err)
		}
	case ModeDaily:
		// The window's own schedule, independent of the live sweep: an unfinished backfill
		// goes on first, then the daily window (resumed, or started once a day has passed).
		kind := sweep.KindBackfill
		open, err := h.Sweeper.Unfinished(ctx, kind)
		if err != nil {
			return out, err
		}
		if !open {
			kind = sweep.KindDaily
			due, err := h.Sweeper.Due(ctx, kind, now)
			if err != nil {
				return out, err
			}
			if !due {
				h.Log.InfoContext(ctx, "daily window not due", "mode", in.Mode)
				return out, nil
			}
		}
		if out.Window, err = h.Sweeper.Window(ctx, kind, time.Time{}, now); err != nil {
			return out, fmt.Errorf("%s sweep: %w", kind, err)
		}
	case ModeBackfill:
		from := now.Add(-time.Duration(in.Days) * 24 * time.Hour)
		if out.Window, err = h.Sweeper.Window(ctx, sweep.KindBackfill, from, now); err != nil {
			return out, fmt.Errorf("backfill: %w", err)
		}
	}
	h.Log.InfoContext(ctx, "sweep done", "mode", in.Mode, "live", out.Live, "window", out.Window)
	return out, nil
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
		if name != "mode" && name != "days" {
			return Input{}, &invalid.FieldError{Field: name, Want: `only "mode" and, for a backfill, "days" (names are case-sensitive)`, Got: redact.Quote(members[name])}
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
