package session

import (
	"strconv"
	"strings"
	"time"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
	"github.com/ivs-sessions/ivs-sessions/shared/multitrack"
)

// MaxEventBytes is EventBridge's limit on one PutEvents entry (256 KB), detail and envelope
// together. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
const MaxEventBytes = 256 * 1024

// EnvelopeAllowance is the room kept for the entry's other fields (source, detail-type,
// resources, trigger, decision) when a record is trimmed to fit an entry.
const EnvelopeAllowance = 8 * 1024

// Enriched is the detail of an "IVS Session Enriched" event (suite.DetailTypeSessionEnriched):
// the session's record and the correction decision made for it. Rules on the suite's bus match
// on decision.action.
type Enriched struct {
	Record   Record              `json:"record"`
	Decision multitrack.Decision `json:"decision"`
	Trigger  Trigger             `json:"trigger"`
}

// Corrected is the detail of an "IVS Channel Multitrack Corrected" event
// (suite.DetailTypeChannelCorrected): what the corrector did about one decision, with the
// channel's configuration before and after (without secrets).
type Corrected struct {
	ChannelARN string `json:"channelArn"`
	StreamID   string `json:"streamId"`
	// SessionKey is the archive key of the session record the correction belongs to.
	SessionKey string `json:"sessionKey,omitempty"`
	// Correction holds the decision made on the channel as re-read, and its outcome.
	Correction Correction `json:"correction"`
	Before     *Channel   `json:"before,omitempty"`
	After      *Channel   `json:"after,omitempty"`
	Trigger    Trigger    `json:"trigger"`
}

// Key returns ArchiveKey, or "" when the correction cannot be archived.
func (c Corrected) Key() string {
	k, _ := c.ArchiveKey()
	return k
}

// CorrectionDayPrefix returns the prefix of the corrections of a channel archived on a day
// (UTC): corrections/year=YYYY/month=MM/day=DD/account=<account>/region=<region>/channel=<id>/
// (see CorrectionKey).
func CorrectionDayPrefix(ch ivsevent.ChannelARN, day time.Time) string {
	return CorrectionKeyPrefix + datePath(day) + channelPath(Identity{Account: ch.Account, Region: ch.Region, ChannelID: ch.ID}) + "/"
}

// ParseCorrectionKey reads the stream ID, outcome and time (to the millisecond) from a key
// Corrected.Key made; ok is false for any other key.
func ParseCorrectionKey(key string) (streamID string, outcome CorrectionOutcome, at time.Time, ok bool) {
	if !strings.HasPrefix(key, CorrectionKeyPrefix) || !strings.HasSuffix(key, ".json") {
		return "", "", time.Time{}, false
	}
	name := strings.TrimSuffix(key[strings.LastIndexByte(key, '/')+1:], ".json")
	rest, found := strings.CutPrefix(name, "st-")
	if !found {
		return "", "", time.Time{}, false
	}
	stream, rest, found := strings.Cut(rest, "-") // st-<id>: the ID has no dash
	if !found {
		return "", "", time.Time{}, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return "", "", time.Time{}, false
	}
	ms, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || ivsevent.CheckStreamID("", "st-"+stream) != nil {
		return "", "", time.Time{}, false
	}
	return "st-" + stream, CorrectionOutcome(rest[:i]), time.UnixMilli(ms).UTC(), true
}

// WentLive reports whether the session went live: it was not refused, and it sent tracks or
// its stream started.
func (r Record) WentLive() bool {
	if r.Outcome == OutcomeRefused {
		return false
	}
	if len(r.Video) > 0 || len(r.Audio) > 0 {
		return true
	}
	for _, e := range r.Events {
		if e.Name == ivsevent.EventStreamStart {
			return true
		}
	}
	return false
}

// Trigger identifies the IVS event that led to a publication.
type Trigger struct {
	EventID    string    `json:"eventId"`
	DetailType string    `json:"detailType"`
	Name       string    `json:"name"`
	Code       string    `json:"code,omitempty"`
	Time       time.Time `json:"time"`
	// ReplayName is the EventBridge replay that delivered the IVS event (its replay-name), or
	// the suite's event this publication came from; "" for an event delivered when it was sent.
	// Every function that republishes carries it on, so a replay stays a replay: the corrector
	// changes no channel for it and the notification rules do not page for it again.
	ReplayName string `json:"replayName,omitempty"`
}

// TriggerOf returns the Trigger of an IVS event, with its replay mark.
func TriggerOf(ev *ivsevent.Event) Trigger {
	return Trigger{EventID: ev.ID, DetailType: ev.DetailType, Name: ev.Name(), Code: ev.Code(), Time: ev.Time, ReplayName: ev.ReplayName}
}

// Replayed returns t with its replay mark set to replayName (the replay that delivered the
// suite's event t came with) when t has none, so that a publication made from a replayed event
// is marked as one.
func (t Trigger) Replayed(replayName string) Trigger {
	if t.ReplayName == "" {
		t.ReplayName = replayName
	}
	return t
}
