package ivstest

import (
	"fmt"
	"maps"
	"regexp"
)

// The stream-key read operations: what a person needs to point an encoder (OBS) at a local
// channel. The key's value is a secret: GetStreamKey returns it, as IVS does, and nothing logs
// it (the call log names the operation only; State leaves it out).
const (
	OpListStreamKeys = "ListStreamKeys"
	OpGetStreamKey   = "GetStreamKey"
)

// Limits and patterns of the stream-key shapes (Smithy model ivs-2020-07-14).
var streamKeyARNPattern = regexp.MustCompile(`^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stream-key/[a-zA-Z0-9-]+$`) // StreamKeyArn, 1..128

const maxStreamKeyResults = 50 // MaxStreamKeyResults

type listStreamKeysInput struct {
	ChannelArn *string `json:"channelArn"`
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

type streamKeySummaryJSON struct {
	Arn        string            `json:"arn"`
	ChannelArn string            `json:"channelArn"`
	Tags       map[string]string `json:"tags"`
}

type listStreamKeysOutput struct {
	StreamKeys []streamKeySummaryJSON `json:"streamKeys"`
	NextToken  *string                `json:"nextToken,omitempty"`
}

// listStreamKeys lists the stream keys of a channel (a local channel has exactly one), without
// their values, as IVS does.
func (s *Server) listStreamKeys(r *request) (any, error) {
	var in listStreamKeysInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	v.channelARN("channelArn", in.ChannelArn)
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > maxStreamKeyResults) {
		v.add(*in.MaxResults, "maxResults", fmt.Sprintf("Member must have value between 1 and %d", maxStreamKeyResults))
	}
	v.token("nextToken", in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, err := s.lookupChannel(*in.ChannelArn)
	var all []streamKeySummaryJSON
	if err == nil {
		all = append(all, streamKeySummaryJSON{Arn: c.key.arn, ChannelArn: c.arn, Tags: tagsOrEmpty(c.key.tags)})
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	items, next, err := page(all, func(k streamKeySummaryJSON) string { return k.Arn }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []streamKeySummaryJSON{}
	}
	return listStreamKeysOutput{StreamKeys: items, NextToken: next}, nil
}

type streamKeyOutput struct {
	StreamKey streamKeyJSON `json:"streamKey"`
}

// getStreamKey returns a stream key with its value.
func (s *Server) getStreamKey(r *request) (any, error) {
	var in arnInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var v validationErrors
	if v.required("arn", in.Arn != nil) && v.length("arn", *in.Arn, 1, maxARNLength) {
		v.pattern("arn", *in.Arn, streamKeyARNPattern)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.keyARNs[*in.Arn]
	if !ok {
		return nil, notFound("Stream key", *in.Arn)
	}
	return streamKeyOutput{StreamKey: c.streamKeyJSON()}, nil
}

func tagsOrEmpty(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return maps.Clone(tags)
}
