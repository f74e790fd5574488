package ivstest

import (
	"fmt"
	"maps"
)

// tagsOf returns the tags of the channel, stream key or ad configuration arn; callers hold
// s.mu.
func (s *Server) tagsOf(arn string) (*map[string]string, error) {
	if c, ok := s.channels[arn]; ok {
		return &c.tags, nil
	}
	if c, ok := s.keyARNs[arn]; ok {
		return &c.key.tags, nil
	}
	if a, ok := s.adConfigs[arn]; ok {
		return &a.tags, nil
	}
	return nil, notFound("Resource", arn)
}

// resourceARN checks the {resourceArn} label. The model's pattern has [a-z-] where every real
// resource type is several characters (channel, stream-key): the server reads it as [a-z-]+.
func (v *validationErrors) resourceARN(arn string) {
	if v.length("resourceArn", arn, 1, maxARNLength) {
		v.pattern("resourceArn", arn, resourceARNPattern)
	}
}

type tagResourceInput struct {
	Tags map[string]string `json:"tags"`
}

// tagResource adds or replaces tags; a resource holds at most 50.
func (s *Server) tagResource(r *request) (any, error) {
	var in tagResourceInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.resourceARN(r.label)
	if v.required("tags", in.Tags != nil) {
		v.tags("tags", in.Tags)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.tagsOf(r.label)
	if err != nil {
		return nil, err
	}
	merged := maps.Clone(*tags)
	maps.Copy(merged, in.Tags)
	if len(merged) > maxTags {
		return nil, newError(CodeValidation, "A resource can have at most %d tags; %s would have %d", maxTags, r.label, len(merged))
	}
	*tags = merged
	return struct{}{}, nil
}

// untagResource removes the keys of the tagKeys query parameters (required; a key that is not
// set is ignored).
func (s *Server) untagResource(r *request) (any, error) {
	keys, present := r.query["tagKeys"]
	var v validationErrors
	v.resourceARN(r.label)
	if v.required("tagKeys", present) {
		if len(keys) > maxTags {
			v.add(keys, "tagKeys", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
		}
		for _, k := range keys {
			v.length("tagKeys.member", k, 1, maxTagKeyLength)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.tagsOf(r.label)
	if err != nil {
		return nil, err
	}
	remaining := maps.Clone(*tags)
	for _, k := range keys {
		delete(remaining, k)
	}
	*tags = remaining
	return struct{}{}, nil
}

type listTagsOutput struct {
	Tags map[string]string `json:"tags"`
}

func (s *Server) listTagsForResource(r *request) (any, error) {
	var v validationErrors
	v.resourceARN(r.label)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.tagsOf(r.label)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(*tags)
	if out == nil {
		out = map[string]string{}
	}
	return listTagsOutput{Tags: out}, nil
}
