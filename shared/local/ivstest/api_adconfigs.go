package ivstest

import (
	"fmt"
	"maps"
	"regexp"
)

// The ad configuration operations (IVS server-side ad insertion, service/ivs v1.49.0): what a
// channel needs to reference one. An ad configuration links the account's channels to an AWS
// Elemental MediaTailor playback configuration; MediaTailor is not simulated, so its ARN is
// checked against the pattern only. UpdateAdConfiguration and InsertAdBreak are not served
// (service/ivs v1.51.1 has no UpdateAdConfiguration).
// https://docs.aws.amazon.com/ivs/latest/LowLatencyAPIReference/API_CreateAdConfiguration.html
const (
	OpCreateAdConfiguration = "CreateAdConfiguration"
	OpGetAdConfiguration    = "GetAdConfiguration"
	OpListAdConfigurations  = "ListAdConfigurations"
	OpDeleteAdConfiguration = "DeleteAdConfiguration"
)

// Patterns and limits of the ad configuration shapes (the API reference of CreateAdConfiguration,
// GetAdConfiguration and DeleteAdConfiguration).
var (
	// adConfigurationNamePattern is the name's pattern, 0..128 characters.
	adConfigurationNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-_]*$`)
	// playbackConfigurationARNPattern is a MediaTailor playback configuration's ARN, 0..128.
	playbackConfigurationARNPattern = regexp.MustCompile(`^arn:aws:mediatailor:[a-z0-9-]+:[0-9]+:playbackConfiguration/[a-zA-Z0-9-]+$`)
	// adConfigurationARNRequired is an ad configuration's ARN where one is required (Get, Delete).
	adConfigurationARNRequired = regexp.MustCompile(`^arn:aws:ivs:[a-z0-9-]+:[0-9]+:ad-configuration/[a-zA-Z0-9-]+$`)
)

// playbackConfigurations is how many MediaTailor playback configurations an ad configuration
// has: "Fixed number of 1 item" in the API reference of service/ivs v1.51.1's model.
const playbackConfigurations = 1

// adConfiguration is one ad configuration. Guarded by Server.mu.
type adConfiguration struct {
	arn               string
	name              string
	playbackConfigARN string
	tags              map[string]string
}

type mediaTailorPlaybackConfigurationJSON struct {
	PlaybackConfigurationArn *string `json:"playbackConfigurationArn"`
}

type adConfigurationJSON struct {
	Arn                               string                                 `json:"arn"`
	MediaTailorPlaybackConfigurations []mediaTailorPlaybackConfigurationJSON `json:"mediaTailorPlaybackConfigurations"`
	Name                              string                                 `json:"name"`
	Tags                              map[string]string                      `json:"tags"`
}

func (a *adConfiguration) json() adConfigurationJSON {
	arn := a.playbackConfigARN
	return adConfigurationJSON{
		Arn:                               a.arn,
		MediaTailorPlaybackConfigurations: []mediaTailorPlaybackConfigurationJSON{{PlaybackConfigurationArn: &arn}},
		Name:                              a.name,
		Tags:                              tagsOrEmpty(a.tags),
	}
}

type createAdConfigurationInput struct {
	MediaTailorPlaybackConfigurations []mediaTailorPlaybackConfigurationJSON `json:"mediaTailorPlaybackConfigurations"`
	Name                              *string                                `json:"name"`
	Tags                              map[string]string                      `json:"tags"`
}

type adConfigurationOutput struct {
	AdConfiguration adConfigurationJSON `json:"adConfiguration"`
}

// createAdConfiguration creates an ad configuration with a generated ARN
// (arn:aws:ivs:<region>:<account>:ad-configuration/<id>).
func (s *Server) createAdConfiguration(r *request) (any, error) {
	var in createAdConfigurationInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	if in.Name != nil && v.length("name", *in.Name, 0, maxNameLength) {
		v.pattern("name", *in.Name, adConfigurationNamePattern)
	}
	if v.required("mediaTailorPlaybackConfigurations", in.MediaTailorPlaybackConfigurations != nil) {
		if n := len(in.MediaTailorPlaybackConfigurations); n != playbackConfigurations {
			v.add(n, "mediaTailorPlaybackConfigurations", fmt.Sprintf("Member must have length equal to %d", playbackConfigurations))
		}
		for i, pc := range in.MediaTailorPlaybackConfigurations {
			f := fmt.Sprintf("mediaTailorPlaybackConfigurations.%d.member.playbackConfigurationArn", i+1)
			if v.required(f, pc.PlaybackConfigurationArn != nil) && v.length(f, *pc.PlaybackConfigurationArn, 0, maxARNLength) {
				v.pattern(f, *pc.PlaybackConfigurationArn, playbackConfigurationARNPattern)
			}
		}
	}
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	a := &adConfiguration{playbackConfigARN: *in.MediaTailorPlaybackConfigurations[0].PlaybackConfigurationArn, tags: maps.Clone(in.Tags)}
	if in.Name != nil {
		a.name = *in.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for a.arn == "" || s.adConfigs[a.arn] != nil {
		a.arn = fmt.Sprintf("arn:aws:ivs:%s:%s:ad-configuration/%s", s.region, s.account, randomAlnum(12))
	}
	s.adConfigs[a.arn] = a
	return adConfigurationOutput{AdConfiguration: a.json()}, nil
}

// adConfigurationARN checks the arn of GetAdConfiguration and DeleteAdConfiguration: required,
// 0..128 characters, the ad-configuration pattern.
func (v *validationErrors) adConfigurationARN(field string, value *string) {
	if v.required(field, value != nil) && v.length(field, *value, 0, maxARNLength) {
		v.pattern(field, *value, adConfigurationARNRequired)
	}
}

// lookupAdConfiguration returns the ad configuration of arn; callers hold s.mu.
func (s *Server) lookupAdConfiguration(arn string) (*adConfiguration, error) {
	a, ok := s.adConfigs[arn]
	if !ok {
		return nil, notFound("Ad configuration", arn)
	}
	return a, nil
}

// adConfigurationArg decodes the body of GetAdConfiguration and DeleteAdConfiguration and
// returns its checked arn.
func adConfigurationArg(r *request) (string, error) {
	var in arnInput
	if err := r.decode(&in); err != nil {
		return "", err
	}
	var v validationErrors
	v.adConfigurationARN("arn", in.Arn)
	if err := v.err(); err != nil {
		return "", err
	}
	return *in.Arn, nil
}

func (s *Server) getAdConfiguration(r *request) (any, error) {
	arn, err := adConfigurationArg(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupAdConfiguration(arn)
	if err != nil {
		return nil, err
	}
	return adConfigurationOutput{AdConfiguration: a.json()}, nil
}

type listAdConfigurationsInput struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

type listAdConfigurationsOutput struct {
	AdConfigurations []adConfigurationJSON `json:"adConfigurations"`
	NextToken        *string               `json:"nextToken,omitempty"`
}

// listAdConfigurations lists the ad configurations by ARN, at most maxResults (1..100, default
// 100) a page. A summary has the same members as an ad configuration.
func (s *Server) listAdConfigurations(r *request) (any, error) {
	var in listAdConfigurationsInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.pageSize("maxResults", in.MaxResults)
	v.token("nextToken", in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	all := make([]adConfigurationJSON, 0, len(s.adConfigs))
	for _, a := range s.adConfigs {
		all = append(all, a.json())
	}
	s.mu.Unlock()
	items, next, err := page(all, func(a adConfigurationJSON) string { return a.Arn }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []adConfigurationJSON{}
	}
	return listAdConfigurationsOutput{AdConfigurations: items, NextToken: next}, nil
}

// deleteAdConfiguration deletes an ad configuration no channel references; one that a channel
// references is a 409 ConflictException ("Updating or deleting a resource can cause an
// inconsistent state", the error the operation models), as DeleteRecordingConfiguration
// documents for a recording configuration in use. Success is 204.
func (s *Server) deleteAdConfiguration(r *request) (any, error) {
	arn, err := adConfigurationArg(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupAdConfiguration(arn)
	if err != nil {
		return nil, err
	}
	for _, c := range s.channels {
		if c.adARN == a.arn {
			return nil, newError(CodeConflict, "Ad configuration %s is associated with channel %s: remove it from the channel (UpdateChannel adConfigurationArn \"\") first", a.arn, c.arn)
		}
	}
	delete(s.adConfigs, a.arn)
	return nil, nil
}

// checkAdConfiguration returns the error IVS answers when a channel is given an ad configuration
// that does not exist: 404 ResourceNotFoundException ("Request references a resource which does
// not exist", which CreateChannel and UpdateChannel model for the resources a channel
// references). "" (no ad configuration) is always accepted. Callers hold s.mu.
func (s *Server) checkAdConfiguration(arn *string) error {
	if arn == nil || *arn == "" {
		return nil
	}
	_, err := s.lookupAdConfiguration(*arn)
	return err
}
