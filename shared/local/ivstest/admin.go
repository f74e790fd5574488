package ivstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// adminPrefix is where the admin API lives, beside the IVS API. Admin calls are neither
// counted nor throttled.
const adminPrefix = "/_admin/"

// FaultJSON is a Fault as the admin API reads and writes it: latency as a Go duration string
// ("250ms").
type FaultJSON struct {
	Operation string  `json:"operation"`
	Error     string  `json:"error,omitempty"`
	Message   string  `json:"message,omitempty"`
	Count     int     `json:"count,omitempty"`
	Rate      float64 `json:"rate,omitempty"`
	Latency   string  `json:"latency,omitempty"`
}

func faultToJSON(f Fault) FaultJSON {
	fj := FaultJSON{Operation: f.Operation, Error: f.Error, Message: f.Message, Count: f.Count, Rate: f.Rate}
	if f.Latency > 0 {
		fj.Latency = f.Latency.String()
	}
	return fj
}

func (fj FaultJSON) fault() (Fault, error) {
	f := Fault{Operation: fj.Operation, Error: fj.Error, Message: fj.Message, Count: fj.Count, Rate: fj.Rate}
	if fj.Latency != "" {
		d, err := time.ParseDuration(fj.Latency)
		if err != nil {
			return Fault{}, fmt.Errorf("fault: latency: want a duration such as 250ms, got %q", fj.Latency)
		}
		f.Latency = d
	}
	return f, nil
}

// BroadcastRequest is the body of POST /_admin/broadcasts: the encoder to connect, by stream
// key or by channel ARN (the server looks the key up), with either an explicit ladder or a
// number of tracks of the OBS ladder (see Ladder; default 1).
type BroadcastRequest struct {
	StreamKey  string       `json:"streamKey,omitempty"`
	ChannelARN string       `json:"channelArn,omitempty"`
	Tracks     int          `json:"tracks,omitempty"`
	Software   string       `json:"software,omitempty"`
	Video      []VideoTrack `json:"video,omitempty"`
	Audio      []AudioTrack `json:"audio,omitempty"`
}

type channelRequest struct {
	ChannelARN string `json:"channelArn"`
	Reason     string `json:"reason,omitempty"`
}

type clockRequest struct {
	Advance string `json:"advance"`
}

// adminHandler serves the admin API (paths relative to /_admin):
//
//	GET    /state                 State (no secrets)
//	GET    /stats                 calls per operation; DELETE resets them
//	GET    /faults                faults in force; POST sets one (FaultJSON); DELETE clears all
//	POST   /broadcasts            connect an encoder (BroadcastRequest) -> Result
//	POST   /broadcasts/stop       {"channelArn"}: disconnect
//	POST   /broadcasts/starve     {"channelArn"}: Starvation Start
//	POST   /broadcasts/recover    {"channelArn"}: Starvation End
//	POST   /broadcasts/fail       {"channelArn","reason"}: Stream Failure, then the end
//	GET    /events                the events emitted, oldest first (a JSON array of events)
//	GET    /clock                 {"now"}; POST {"advance":"24h"} moves simulated time
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.State()) })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Stats()) })
	mux.HandleFunc("DELETE /stats", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.State().Faults) })
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var fj FaultJSON
		if !readJSON(w, r, &fj) {
			return
		}
		f, err := fj.fault()
		if err == nil {
			err = s.SetFault(f)
		}
		if err != nil {
			writeAdminError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, faultToJSON(f))
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /broadcasts", s.adminConnect)
	for path, fn := range map[string]func(ctx context.Context, req channelRequest) error{
		"stop":    func(ctx context.Context, req channelRequest) error { return s.Disconnect(ctx, req.ChannelARN) },
		"starve":  func(ctx context.Context, req channelRequest) error { return s.Starve(ctx, req.ChannelARN) },
		"recover": func(ctx context.Context, req channelRequest) error { return s.Recover(ctx, req.ChannelARN) },
		"fail": func(ctx context.Context, req channelRequest) error {
			return s.FailStream(ctx, req.ChannelARN, req.Reason)
		},
	} {
		mux.HandleFunc("POST /broadcasts/"+path, func(w http.ResponseWriter, r *http.Request) {
			var req channelRequest
			if !readJSON(w, r, &req) {
				return
			}
			if err := fn(context.WithoutCancel(r.Context()), req); err != nil {
				writeAdminError(w, broadcastStatus(err), err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		evs := s.Events()
		out := make([]json.RawMessage, len(evs))
		for i, ev := range evs {
			out[i] = ev.JSON
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"now": formatTime(s.Now())})
	})
	mux.HandleFunc("POST /clock", func(w http.ResponseWriter, r *http.Request) {
		var req clockRequest
		if !readJSON(w, r, &req) {
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil {
			writeAdminError(w, http.StatusBadRequest, fmt.Errorf("advance: want a duration such as 24h, got %q", req.Advance))
			return
		}
		if err := s.Advance(d); err != nil {
			writeAdminError(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"now": formatTime(s.Now())})
	})
	return mux
}

func (s *Server) adminConnect(w http.ResponseWriter, r *http.Request) {
	var req BroadcastRequest
	if !readJSON(w, r, &req) {
		return
	}
	key := req.StreamKey
	if key == "" && req.ChannelARN != "" {
		var err error
		if key, err = s.StreamKey(req.ChannelARN); err != nil {
			writeAdminError(w, http.StatusNotFound, err)
			return
		}
	}
	if key == "" {
		writeAdminError(w, http.StatusBadRequest, errors.New("broadcast: want streamKey or channelArn"))
		return
	}
	enc := Encoder{StreamKey: key, Software: req.Software, Video: req.Video, Audio: req.Audio}
	if len(enc.Video) == 0 {
		tracks := req.Tracks
		if tracks == 0 {
			tracks = 1
		}
		enc = OBS(key, tracks)
		if enc.Video == nil {
			writeAdminError(w, http.StatusBadRequest, fmt.Errorf("broadcast: tracks: want 1 to 5, got %d", req.Tracks))
			return
		}
		if req.Software != "" {
			enc.Software = req.Software
		}
		if req.Audio != nil {
			enc.Audio = req.Audio
		}
	}
	res, err := s.Connect(context.WithoutCancel(r.Context()), enc)
	if err != nil {
		writeAdminError(w, broadcastStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func broadcastStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnknownChannel), errors.Is(err, ErrUnknownStreamKey):
		return http.StatusNotFound
	case errors.Is(err, ErrChannelLive), errors.Is(err, ErrNotLive):
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeAdminError(w, http.StatusBadRequest, fmt.Errorf("request body: %w", err))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeAdminError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
