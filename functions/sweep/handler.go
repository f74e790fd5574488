package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsquota"
	"github.com/ivs-sessions/ivs-sessions/shared/metrics"
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

// ParseInput reads an invocation's input. A scheduled event without a mode (an EventBridge
// "Scheduled Event") is the live sweep. It returns a *invalid.FieldError for a bad mode or
// number of days.
func ParseInput(payload json.RawMessage) (Input, error) {
	var in Input
	if err := json.Unmarshal(payload, &in); err != nil {
		return in, &invalid.FieldError{Field: "input", Want: `a JSON object such as {"mode":"live"}`, Got: string(payload), Err: err}
	}
	switch in.Mode {
	case "":
		in.Mode = ModeLive
	case ModeLive, ModeDaily:
	case ModeBackfill:
		if in.Days < 1 || in.Days > suite.MaxBackfillDays {
			return in, &invalid.FieldError{Field: "days", Want: fmt.Sprintf("1 to %d days (IVS keeps a session 60 days)", suite.MaxBackfillDays), Got: fmt.Sprint(in.Days)}
		}
	default:
		return in, &invalid.FieldError{Field: "mode", Want: "live, daily or backfill", Got: in.Mode}
	}
	return in, nil
}
