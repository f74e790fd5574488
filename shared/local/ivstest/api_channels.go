package ivstest

import (
	"fmt"
	"maps"
	"slices"
)

// multitrackInput is a request's multitrackInputConfiguration. Pointers tell an absent member
// from a zero one; the Go SDK omits false and empty enums, so {} is what it sends to disable.
type multitrackInput struct {
	Enabled           *bool   `json:"enabled"`
	MaximumResolution *string `json:"maximumResolution"`
	Policy            *string `json:"policy"`
}

// channelInput is the body of CreateChannel and UpdateChannel. Every member is a pointer:
// UpdateChannel is a partial update, and "preset":"" (which the Go SDK cannot send) must be
// told from an absent preset.
type channelInput struct {
	Arn                          *string           `json:"arn"`
	AdConfigurationArn           *string           `json:"adConfigurationArn"`
	Authorized                   *bool             `json:"authorized"`
	ContainerFormat              *string           `json:"containerFormat"`
	InsecureIngest               *bool             `json:"insecureIngest"`
	LatencyMode                  *string           `json:"latencyMode"`
	MultitrackInputConfiguration *multitrackInput  `json:"multitrackInputConfiguration"`
	Name                         *string           `json:"name"`
	PlaybackRestrictionPolicyArn *string           `json:"playbackRestrictionPolicyArn"`
	Preset                       *string           `json:"preset"`
	RecordingConfigurationArn    *string           `json:"recordingConfigurationArn"`
	Tags                         map[string]string `json:"tags"`
	Type                         *string           `json:"type"`
}

// validateFields checks each member against the model's constraints.
func (in *channelInput) validateFields(v *validationErrors, update bool) {
	if update {
		v.channelARN("arn", in.Arn)
	}
	v.name("name", in.Name)
	v.enum("latencyMode", in.LatencyMode, latencyModes, false)
	v.enum("type", in.Type, channelTypes, false)
	v.enum("preset", in.Preset, presets, true)
	v.enum("containerFormat", in.ContainerFormat, containers, false)
	v.optionalARN("recordingConfigurationArn", in.RecordingConfigurationArn, recordingARNPattern)
	v.optionalARN("playbackRestrictionPolicyArn", in.PlaybackRestrictionPolicyArn, playbackPolicyARN)
	v.optionalARN("adConfigurationArn", in.AdConfigurationArn, adConfigurationARN)
	if m := in.MultitrackInputConfiguration; m != nil {
		v.enum("multitrackInputConfiguration.policy", m.Policy, policies, false)
		v.enum("multitrackInputConfiguration.maximumResolution", m.MaximumResolution, resolutions, false)
	}
	if !update {
		v.tags("tags", in.Tags)
	}
}

func isAdvanced(typ string) bool { return slices.Contains(advancedTypes, typ) }

// apply applies in to c (a copy of the stored channel) and checks the rules that span
// members, on the channel that results:
//   - preset only on ADVANCED_* types; an ADVANCED_* channel without one gets
//     HIGHER_BANDWIDTH_DELIVERY; a STANDARD or BASIC channel whose stored preset the request
//     does not clear with "preset":"" fails as in aws/aws-sdk-go-v2#2262;
//   - multitrackInputConfiguration is replaced as a whole: "enabled" absent means false (the
//     Go SDK cannot send false); policy and maximumResolution are required when enabled is true
//     and keep their stored values when absent otherwise;
//   - multitrack enabled only on STANDARD, and only with containerFormat FRAGMENTED_MP4.
func (in *channelInput) apply(c *channel) error {
	var v validationErrors
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.name, in.Name)
	set(&c.latencyMode, in.LatencyMode)
	set(&c.typ, in.Type)
	set(&c.preset, in.Preset)
	set(&c.containerFormat, in.ContainerFormat)
	set(&c.recordingARN, in.RecordingConfigurationArn)
	set(&c.playbackPolicyARN, in.PlaybackRestrictionPolicyArn)
	set(&c.adARN, in.AdConfigurationArn)
	if in.Authorized != nil {
		c.authorized = *in.Authorized
	}
	if in.InsecureIngest != nil {
		c.insecureIngest = *in.InsecureIngest
	}
	if isAdvanced(c.typ) && c.preset == "" {
		c.preset = PresetHigherBandwidth
	}
	if !isAdvanced(c.typ) && c.preset != "" {
		v.addf("preset: %s not match channel type: %s", c.preset, c.typ)
	}
	if m := in.MultitrackInputConfiguration; m != nil {
		enabled := m.Enabled != nil && *m.Enabled
		if enabled && (m.Policy == nil || *m.Policy == "") {
			v.addf("multitrackInputConfiguration.policy: required when multitrackInputConfiguration.enabled is true")
		}
		if enabled && (m.MaximumResolution == nil || *m.MaximumResolution == "") {
			v.addf("multitrackInputConfiguration.maximumResolution: required when multitrackInputConfiguration.enabled is true")
		}
		c.multitrack.Enabled = enabled
		if m.Policy != nil && *m.Policy != "" {
			c.multitrack.Policy = *m.Policy
		}
		if m.MaximumResolution != nil && *m.MaximumResolution != "" {
			c.multitrack.MaximumResolution = *m.MaximumResolution
		}
	}
	if c.multitrack.Enabled {
		if c.typ != TypeStandard {
			v.addf("multitrackInputConfiguration.enabled: multitrack input can be enabled only on channel type STANDARD, not %s", c.typ)
		}
		if c.containerFormat != ContainerFragmentedMP4 {
			v.addf("containerFormat: must be FRAGMENTED_MP4 when multitrack input is enabled, not %s", c.containerFormat)
		}
	}
	return v.err()
}

// newChannel returns a channel with IVS's defaults and generated endpoints, secrets and stream
// key (not yet registered).
func (s *Server) newChannel() *channel {
	id := randomAlnum(12)
	host := randomHex(12)
	arn := fmt.Sprintf("arn:aws:ivs:%s:%s:channel/%s", s.region, s.account, id)
	return &channel{
		arn:             arn,
		id:              id,
		latencyMode:     LatencyLow,
		typ:             TypeStandard,
		containerFormat: ContainerTS,
		multitrack:      multitrackConfig{MaximumResolution: ResolutionFullHD, Policy: PolicyAllow},
		ingestEndpoint:  host + ".global-contribute.live-video.net",
		playbackURL: fmt.Sprintf("https://%s.%s.playback.live-video.net/api/video/v1/%s.%s.channel.%s.m3u8",
			host, s.region, s.region, s.account, id),
		srtEndpoint:   host + ".srt.live-video.net",
		srtPassphrase: randomAlnum(64),
		tags:          map[string]string{},
		key: streamKey{
			arn:   fmt.Sprintf("arn:aws:ivs:%s:%s:stream-key/%s", s.region, s.account, randomAlnum(12)),
			value: fmt.Sprintf("sk_%s_%s_%s", s.region, randomAlnum(12), randomAlnum(30)),
			tags:  map[string]string{},
		},
	}
}

func (c *channel) streamKeyJSON() streamKeyJSON {
	return streamKeyJSON{Arn: c.key.arn, ChannelArn: c.arn, Tags: maps.Clone(c.key.tags), Value: c.key.value}
}

type createChannelOutput struct {
	Channel   channelJSON   `json:"channel"`
	StreamKey streamKeyJSON `json:"streamKey"`
}

func (s *Server) createChannel(r *request) (any, error) {
	var in channelInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	in.validateFields(&v, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	c := s.newChannel()
	if err := in.apply(c); err != nil {
		return nil, err
	}
	if in.Tags != nil {
		c.tags = maps.Clone(in.Tags)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkAdConfiguration(in.AdConfigurationArn); err != nil {
		return nil, err
	}
	for s.channels[c.arn] != nil { // a 62^12 collision; keep ARNs unique anyway
		c.id = randomAlnum(12)
		c.arn = fmt.Sprintf("arn:aws:ivs:%s:%s:channel/%s", s.region, s.account, c.id)
	}
	s.channels[c.arn] = c
	s.keys[c.key.value] = c
	s.keyARNs[c.key.arn] = c
	return createChannelOutput{Channel: c.json(), StreamKey: c.streamKeyJSON()}, nil
}

type arnInput struct {
	Arn *string `json:"arn"`
}

type channelOutput struct {
	Channel channelJSON `json:"channel"`
}

// lookupChannel returns the channel of arn; callers hold s.mu.
func (s *Server) lookupChannel(arn string) (*channel, error) {
	c, ok := s.channels[arn]
	if !ok {
		return nil, notFound("Channel", arn)
	}
	return c, nil
}

func (s *Server) getChannel(r *request) (any, error) {
	var in arnInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("arn", in.Arn)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupChannel(*in.Arn)
	if err != nil {
		return nil, err
	}
	return channelOutput{Channel: c.json()}, nil
}

type batchGetChannelInput struct {
	Arns []string `json:"arns"`
}

type batchGetChannelOutput struct {
	Channels []channelJSON    `json:"channels"`
	Errors   []batchErrorJSON `json:"errors"`
}

// batchGetChannel answers each ARN with its channel or, when there is none, an entry of
// errors[] (code ResourceNotFoundException); an ARN listed twice is answered once.
func (s *Server) batchGetChannel(r *request) (any, error) {
	var in batchGetChannelInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	if v.required("arns", in.Arns != nil) {
		switch {
		case len(in.Arns) < 1:
			v.add(in.Arns, "arns", "Member must have length greater than or equal to 1")
		case len(in.Arns) > maxBatchARNs:
			v.add(in.Arns, "arns", fmt.Sprintf("Member must have length less than or equal to %d", maxBatchARNs))
		}
		for i := range in.Arns {
			v.channelARN(fmt.Sprintf("arns.%d.member", i+1), &in.Arns[i])
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	out := batchGetChannelOutput{Channels: []channelJSON{}, Errors: []batchErrorJSON{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, arn := range in.Arns {
		if seen[arn] {
			continue
		}
		seen[arn] = true
		if c, ok := s.channels[arn]; ok {
			out.Channels = append(out.Channels, c.json())
			continue
		}
		out.Errors = append(out.Errors, batchErrorJSON{Arn: arn, Code: CodeResourceNotFound, Message: "Channel not found: " + arn})
	}
	return out, nil
}

// updateChannel applies a partial update. Field constraints are checked first (400), then that
// the channel and the ad configuration it is given exist (404) and that the channel is offline
// (409: "Live channels cannot be updated"), then the rules that span members on the resulting
// channel (400).
func (s *Server) updateChannel(r *request) (any, error) {
	var in channelInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	in.validateFields(&v, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupChannel(*in.Arn)
	if err != nil {
		return nil, err
	}
	if err := s.checkAdConfiguration(in.AdConfigurationArn); err != nil {
		return nil, err
	}
	if c.live != nil {
		return nil, newError(CodeConflict, "Live channels cannot be updated: stop the stream on %s, then update the channel", c.arn)
	}
	updated := *c
	if err := in.apply(&updated); err != nil {
		return nil, err
	}
	*c = updated
	return channelOutput{Channel: c.json()}, nil
}

func (s *Server) deleteChannel(r *request) (any, error) {
	var in arnInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("arn", in.Arn)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupChannel(*in.Arn)
	if err != nil {
		return nil, err
	}
	if c.live != nil {
		return nil, newError(CodeConflict, "Channel %s is live: call StopStream and wait for Stream End before deleting it", c.arn)
	}
	delete(s.channels, c.arn)
	delete(s.keys, c.key.value)
	delete(s.keyARNs, c.key.arn)
	return nil, nil
}

type listChannelsInput struct {
	FilterByName                         *string `json:"filterByName"`
	FilterByRecordingConfigurationArn    *string `json:"filterByRecordingConfigurationArn"`
	FilterByPlaybackRestrictionPolicyArn *string `json:"filterByPlaybackRestrictionPolicyArn"`
	FilterByAdConfigurationArn           *string `json:"filterByAdConfigurationArn"`
	MaxResults                           *int    `json:"maxResults"`
	NextToken                            *string `json:"nextToken"`
}

type listChannelsOutput struct {
	Channels  []channelSummaryJSON `json:"channels"`
	NextToken *string              `json:"nextToken,omitempty"`
}

// listChannels lists channels by ARN. filterByName matches the name exactly; filters are
// mutually exclusive (409 ConflictException, as the model documents).
func (s *Server) listChannels(r *request) (any, error) {
	var in listChannelsInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.name("filterByName", in.FilterByName)
	v.optionalARN("filterByRecordingConfigurationArn", in.FilterByRecordingConfigurationArn, recordingARNPattern)
	v.optionalARN("filterByPlaybackRestrictionPolicyArn", in.FilterByPlaybackRestrictionPolicyArn, playbackPolicyARN)
	v.optionalARN("filterByAdConfigurationArn", in.FilterByAdConfigurationArn, adConfigurationARN)
	v.pageSize("maxResults", in.MaxResults)
	v.token("nextToken", in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	filters := 0
	for _, f := range []*string{in.FilterByName, in.FilterByRecordingConfigurationArn, in.FilterByPlaybackRestrictionPolicyArn, in.FilterByAdConfigurationArn} {
		if f != nil && *f != "" {
			filters++
		}
	}
	if filters > 1 {
		return nil, newError(CodeConflict, "Filters are mutually exclusive and cannot be used together")
	}
	match := func(filter *string, value string) bool { return filter == nil || *filter == "" || *filter == value }
	s.mu.Lock()
	var all []channelSummaryJSON
	for _, c := range s.channels {
		if match(in.FilterByName, c.name) && match(in.FilterByRecordingConfigurationArn, c.recordingARN) &&
			match(in.FilterByPlaybackRestrictionPolicyArn, c.playbackPolicyARN) && match(in.FilterByAdConfigurationArn, c.adARN) {
			all = append(all, c.summary())
		}
	}
	s.mu.Unlock()
	items, next, err := page(all, func(c channelSummaryJSON) string { return c.Arn }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []channelSummaryJSON{}
	}
	return listChannelsOutput{Channels: items, NextToken: next}, nil
}
