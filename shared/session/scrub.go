package session

import (
	"slices"
	"strings"

	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
	"github.com/ivs-sessions/ivs-sessions/shared/quality"
	"github.com/ivs-sessions/ivs-sessions/shared/redact"
)

// Scrubbed returns r with every string scrubbed of stream keys (redact.Scrub), named field by
// field instead of found by reflection: it runs on every build and merge. r's slices, maps and
// pointed-to values are never modified: one that holds something to scrub is copied, a clean
// one is shared, so a record without a stream key costs no allocation.
// TestScrubbedEveryString fills every string of a record by reflection and checks that this
// scrubs exactly what redact.Strings does: a string field added to the record and not named
// here fails it.
func (r Record) Scrubbed() Record {
	s := redact.Scrub
	r.ChannelARN, r.ChannelID, r.Region, r.Account, r.StreamID = s(r.ChannelARN), s(r.ChannelID), s(r.Region), s(r.Account), s(r.StreamID)
	r.ChannelAsOf, r.Outcome, r.Code, r.EnrichmentNote = s(r.ChannelAsOf), redactAs(r.Outcome), s(r.Code), s(r.EnrichmentNote)
	r.TopResolution = s(r.TopResolution) // derived, but scrubbed as every string is
	r.Channel = r.Channel.scrubbed()
	r.Video = scrubAll(r.Video, func(v VideoTrack) VideoTrack {
		v.Track, v.Codec, v.Profile, v.Level, v.Encoder = s(v.Track), s(v.Codec), s(v.Profile), s(v.Level), s(v.Encoder)
		return v
	})
	r.Audio = scrubAll(r.Audio, func(a AudioTrack) AudioTrack {
		a.Track, a.Codec = s(a.Track), s(a.Codec)
		return a
	})
	r.Events = scrubAll(r.Events, func(e Event) Event {
		e.DetailType, e.Name, e.Code, e.Reason = s(e.DetailType), s(e.Name), s(e.Code), s(e.Reason)
		e.Note, e.Unconfirmed = s(e.Note), s(e.Unconfirmed)
		return e
	})
	r.Recording = r.Recording.scrubbed()
	r.LimitBreaches = scrubAll(r.LimitBreaches, func(l LimitBreach) LimitBreach {
		l.LimitName, l.LimitUnit = s(l.LimitName), s(l.LimitUnit)
		return l
	})
	r.Correction = r.Correction.scrubbed()
	if l := r.NextSession; l != nil && dirty(l.StreamID, l.Key) {
		c := *l
		c.StreamID, c.Key = s(c.StreamID), s(c.Key)
		r.NextSession = &c
	}
	r.Quality = scrubQuality(r.Quality)
	return r
}

// dirty reports whether any of ss may hold a stream key (redact.Scrub would change it).
func dirty(ss ...string) bool {
	for _, s := range ss {
		if strings.Contains(s, "sk_") {
			return true
		}
	}
	return false
}

// scrubAll returns items with clean applied to each, sharing items when clean changes none.
func scrubAll[T comparable](items []T, clean func(T) T) []T {
	for i, v := range items {
		if c := clean(v); c != v {
			out := slices.Clone(items)
			out[i] = c
			for j := i + 1; j < len(out); j++ {
				out[j] = clean(out[j])
			}
			return out
		}
	}
	return items
}

func (c *Channel) scrubbed() *Channel {
	if c == nil {
		return nil
	}
	tags := dirtyTags(c.Tags)
	m := c.MultitrackInputConfiguration
	if !tags && !dirty(c.Name, c.Type, c.LatencyMode, c.ContainerFormat, c.Preset, c.RecordingConfigurationARN, c.AdConfigurationARN) &&
		(m == nil || !dirty(string(m.Policy), string(m.MaximumResolution))) {
		return c
	}
	s := redact.Scrub
	out := *c
	out.Name, out.Type, out.LatencyMode, out.ContainerFormat, out.Preset = s(c.Name), s(c.Type), s(c.LatencyMode), s(c.ContainerFormat), s(c.Preset)
	out.RecordingConfigurationARN, out.AdConfigurationARN = s(c.RecordingConfigurationARN), s(c.AdConfigurationARN)
	out.MultitrackInputConfiguration = scrubMultitrack(m)
	if tags {
		out.Tags = redact.Tags(c.Tags)
	}
	return &out
}

// dirtyTags reports whether a key or value of tags may hold a stream key.
func dirtyTags(tags map[string]string) bool {
	for k, v := range tags {
		if dirty(k, v) {
			return true
		}
	}
	return false
}

func scrubMultitrack(m *multitrack.MultitrackInput) *multitrack.MultitrackInput {
	if m == nil || !dirty(string(m.Policy), string(m.MaximumResolution)) {
		return m
	}
	out := *m
	out.Policy = redactAs(m.Policy)
	out.MaximumResolution = redactAs(m.MaximumResolution)
	return &out
}

// redactAs scrubs a value of a string type.
func redactAs[T ~string](v T) T { return T(redact.Scrub(string(v))) }

func (r *Recording) scrubbed() *Recording {
	if r == nil {
		return nil
	}
	ids := scrubAll(r.SessionStreamIDs, redact.Scrub)
	if sameSlice(ids, r.SessionStreamIDs) && !dirty(r.Status, r.StatusReason, r.S3BucketName, r.S3KeyPrefix, r.SessionID) {
		return r
	}
	s := redact.Scrub
	out := *r
	out.Status, out.StatusReason, out.S3BucketName, out.S3KeyPrefix, out.SessionID = s(r.Status), s(r.StatusReason), s(r.S3BucketName), s(r.S3KeyPrefix), s(r.SessionID)
	out.SessionStreamIDs = ids
	return &out
}

func (c *Correction) scrubbed() *Correction {
	if c == nil {
		return nil
	}
	d := c.Decision
	ch := d.Change
	if !dirty(string(d.Action), d.Reason, d.Code, string(d.Conflict), string(c.Outcome), c.Detail) &&
		(ch == nil || (!dirty(string(ch.Type), string(ch.ContainerFormat)) &&
			(ch.Multitrack == nil || !dirty(string(ch.Multitrack.Policy), string(ch.Multitrack.MaximumResolution))))) {
		return c
	}
	s := redact.Scrub
	out := *c
	out.Decision.Action, out.Decision.Reason, out.Decision.Code = redactAs(d.Action), s(d.Reason), s(d.Code)
	out.Decision.Conflict = redactAs(d.Conflict)
	out.Outcome, out.Detail = redactAs(c.Outcome), s(c.Detail)
	if ch != nil {
		cc := *ch
		cc.Type, cc.ContainerFormat = redactAs(ch.Type), redactAs(ch.ContainerFormat)
		if ch.Multitrack != nil {
			m := *ch.Multitrack
			m.Policy, m.MaximumResolution = redactAs(m.Policy), redactAs(m.MaximumResolution)
			cc.Multitrack = &m
		}
		out.Decision.Change = &cc
	}
	return &out
}

func scrubQuality(q *quality.Report) *quality.Report {
	if q == nil {
		return nil
	}
	reasons := scrubAll(q.Reasons, func(r quality.Reason) quality.Reason {
		r.Code, r.Track, r.Detail = redactAs(r.Code), redact.Scrub(r.Track), redact.Scrub(r.Detail)
		return r
	})
	// TrackReport holds pointers: compare its strings, not the struct.
	tracks := q.Tracks
	for i, t := range q.Tracks {
		if dirty(t.Track, string(t.Kind)) {
			tracks = slices.Clone(q.Tracks)
			for j := i; j < len(tracks); j++ {
				tracks[j].Track, tracks[j].Kind = redact.Scrub(tracks[j].Track), redactAs(tracks[j].Kind)
			}
			break
		}
	}
	if !dirty(string(q.Verdict), q.WorstTrack, q.Note) && sameSlice(reasons, q.Reasons) && sameSlice(tracks, q.Tracks) {
		return q
	}
	out := *q
	out.Verdict, out.WorstTrack, out.Note = redactAs(q.Verdict), redact.Scrub(q.WorstTrack), redact.Scrub(q.Note)
	out.Reasons, out.Tracks = reasons, tracks
	return &out
}

// sameSlice reports whether a and b are the same slice (not a copy).
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
