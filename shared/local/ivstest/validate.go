package ivstest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

// Field constraints of the IVS API, from the Smithy model ivs-2020-07-14 (shape names in the
// comments). The service checks them; the Go SDK checks only that required members are set.
var (
	channelNamePattern   = regexp.MustCompile(`^[a-zA-Z0-9-_]*$`)                                                         // ChannelName, 0..128
	recordingARNPattern  = regexp.MustCompile(`^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:recording-configuration/[a-zA-Z0-9-]+$`) // ChannelRecordingConfigurationArn, 0..128
	playbackPolicyARN    = regexp.MustCompile(`^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:playback-restriction-policy/[a-zA-Z0-9-]+$`)
	adConfigurationARN   = regexp.MustCompile(`^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:ad-configuration/[a-zA-Z0-9-]+$`)
	paginationToken      = regexp.MustCompile(`^[a-zA-Z0-9+/=_-]*$`) // PaginationToken, 0..1024
	resourceARNPattern   = regexp.MustCompile(`^arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+$`)
	regionPattern        = regexp.MustCompile(`^[a-z0-9-]+$`)
	accountPattern       = regexp.MustCompile(`^[0-9]{12}$`)
	channelARNPatternStr = `^arn:aws:ivs:[a-z0-9-]+:[0-9]+:channel/[a-zA-Z0-9-]+$`
	streamIDPatternStr   = `^st-[a-zA-Z0-9]+$`
)

// Limits of the IVS API.
const (
	maxNameLength      = 128  // ChannelName
	maxARNLength       = 128  // every *Arn shape
	maxTokenLength     = 1024 // PaginationToken
	maxBatchARNs       = 50   // ChannelArnList
	maxPageSize        = 100  // MaxChannelResults, MaxStreamResults
	maxTags            = 50   // Tags, TagKeyList
	maxTagKeyLength    = 128  // TagKey
	maxTagValueLength  = 256  // TagValue
	reservedTagPrefix  = "aws:"
	maxTruncatedEvents = 500 // StreamEvents
)

// The enum values of the IVS API (types/enums.go of the SDK).
const (
	TypeBasic      = "BASIC"
	TypeStandard   = "STANDARD"
	TypeAdvancedSD = "ADVANCED_SD"
	TypeAdvancedHD = "ADVANCED_HD"

	LatencyNormal = "NORMAL"
	LatencyLow    = "LOW"

	PresetHigherBandwidth      = "HIGHER_BANDWIDTH_DELIVERY"
	PresetConstrainedBandwidth = "CONSTRAINED_BANDWIDTH_DELIVERY"

	ContainerTS            = "TS"
	ContainerFragmentedMP4 = "FRAGMENTED_MP4"

	PolicyAllow   = "ALLOW"
	PolicyRequire = "REQUIRE"

	ResolutionSD     = "SD"
	ResolutionHD     = "HD"
	ResolutionFullHD = "FULL_HD"

	HealthHealthy  = "HEALTHY"
	HealthStarving = "STARVING"
	HealthUnknown  = "UNKNOWN"

	StateLive    = "LIVE"
	StateOffline = "OFFLINE"
)

var (
	channelTypes    = []string{TypeBasic, TypeStandard, TypeAdvancedSD, TypeAdvancedHD}
	latencyModes    = []string{LatencyNormal, LatencyLow}
	presets         = []string{PresetHigherBandwidth, PresetConstrainedBandwidth}
	containers      = []string{ContainerTS, ContainerFragmentedMP4}
	policies        = []string{PolicyAllow, PolicyRequire}
	resolutions     = []string{ResolutionSD, ResolutionHD, ResolutionFullHD}
	healths         = []string{HealthHealthy, HealthStarving, HealthUnknown}
	advancedTypes   = []string{TypeAdvancedSD, TypeAdvancedHD}
	resolutionLines = map[string]int{ResolutionSD: 480, ResolutionHD: 720, ResolutionFullHD: 1080}
)

func enumConstraint(values []string) string {
	return "Member must satisfy enum value set: [" + strings.Join(values, ", ") + "]"
}

func (v *validationErrors) required(field string, present bool) bool {
	if !present {
		v.add(nil, field, "Member must not be null")
	}
	return present
}

func (v *validationErrors) enum(field string, value *string, values []string, allowEmpty bool) {
	if value == nil || (allowEmpty && *value == "") {
		return
	}
	if !slices.Contains(values, *value) {
		v.add(*value, field, enumConstraint(values))
	}
}

func (v *validationErrors) length(field, value string, lo, hi int) bool {
	n := utf8.RuneCountInString(value)
	switch {
	case n < lo:
		v.add(value, field, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
		return false
	case n > hi:
		v.add(value, field, fmt.Sprintf("Member must have length less than or equal to %d", hi))
		return false
	}
	return true
}

func (v *validationErrors) pattern(field, value string, re *regexp.Regexp) {
	if !re.MatchString(value) {
		v.add(value, field, "Member must satisfy regular expression pattern: "+re.String())
	}
}

// channelARN checks a ChannelArn (1..128, channel pattern); it uses ivsevent's parser, the one
// place the pattern lives.
func (v *validationErrors) channelARN(field string, value *string) {
	if !v.required(field, value != nil) {
		return
	}
	if !v.length(field, *value, 1, maxARNLength) {
		return
	}
	if _, err := ivsevent.ParseChannelARN(*value); err != nil {
		v.add(*value, field, "Member must satisfy regular expression pattern: "+channelARNPatternStr)
	}
}

func (v *validationErrors) optionalARN(field string, value *string, re *regexp.Regexp) {
	if value == nil {
		return
	}
	if v.length(field, *value, 0, maxARNLength) {
		v.pattern(field, *value, re)
	}
}

func (v *validationErrors) streamID(field string, value *string) {
	if value == nil {
		return
	}
	if !v.length(field, *value, ivsevent.StreamIDLength, ivsevent.StreamIDLength) {
		return
	}
	if !ivsevent.ValidStreamID(*value) {
		v.add(*value, field, "Member must satisfy regular expression pattern: "+streamIDPatternStr)
	}
}

func (v *validationErrors) name(field string, value *string) {
	if value == nil {
		return
	}
	if v.length(field, *value, 0, maxNameLength) {
		v.pattern(field, *value, channelNamePattern)
	}
}

func (v *validationErrors) pageSize(field string, value *int) {
	if value == nil {
		return
	}
	switch {
	case *value < 1:
		v.add(*value, field, "Member must have value greater than or equal to 1")
	case *value > maxPageSize:
		v.add(*value, field, fmt.Sprintf("Member must have value less than or equal to %d", maxPageSize))
	}
}

func (v *validationErrors) token(field string, value *string) {
	if value == nil {
		return
	}
	if v.length(field, *value, 0, maxTokenLength) {
		v.pattern(field, *value, paginationToken)
	}
}

func (v *validationErrors) tags(field string, tags map[string]string) {
	if len(tags) > maxTags {
		v.addf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, maxTags)
		return
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.tagKey(field+".key", k)
		v.length(field+".value", tags[k], 0, maxTagValueLength)
	}
}

func (v *validationErrors) tagKey(field, key string) {
	if !v.length(field, key, 1, maxTagKeyLength) {
		return
	}
	if strings.HasPrefix(strings.ToLower(key), reservedTagPrefix) {
		v.add(key, field, "Member must not begin with the reserved prefix aws:")
	}
}

// heightLines is the number of lines that IVS's resolution limits apply to: the shorter edge,
// so a portrait 1080x1920 track counts as 1080p.
func heightLines(width, height int) int {
	return min(width, height)
}
