package multitrack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ivs"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Change is a partial channel update: only the fields that must change are set. Its JSON form
// uses the API's field names.
type Change struct {
	// Type is the new channel type, "" to keep it.
	Type types.ChannelType `json:"type,omitempty"`
	// ContainerFormat is the new container format, "" to keep it.
	ContainerFormat types.ContainerFormat `json:"containerFormat,omitempty"`
	// Multitrack is the new multitrack input configuration, nil to keep it.
	Multitrack *MultitrackInput `json:"multitrackInputConfiguration,omitempty"`
	// ClearPreset sets the preset to "" (needed when an ADVANCED_* channel becomes STANDARD).
	// The Go SDK cannot send an empty preset: use ClientOptions with UpdateChannel.
	ClearPreset bool `json:"clearPreset,omitempty"`
}

// MultitrackInput is a channel's multitrack input configuration (the API's
// MultitrackInputConfiguration, with stable JSON).
type MultitrackInput struct {
	Enabled           bool                              `json:"enabled"`
	Policy            types.MultitrackPolicy            `json:"policy"`
	MaximumResolution types.MultitrackMaximumResolution `json:"maximumResolution"`
}

// IsZero reports whether c changes nothing.
func (c Change) IsZero() bool {
	return c.Type == "" && c.ContainerFormat == "" && c.Multitrack == nil && !c.ClearPreset
}

// UpdateChannelInput returns the UpdateChannel request that makes the change on channelARN:
// only the fields that change are set, so every other setting keeps its value. A cleared
// preset cannot be expressed here; pass ClientOptions to UpdateChannel too.
func (c Change) UpdateChannelInput(channelARN string) *ivs.UpdateChannelInput {
	in := &ivs.UpdateChannelInput{Arn: aws.String(channelARN), Type: c.Type, ContainerFormat: c.ContainerFormat}
	if c.Multitrack != nil {
		in.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{
			Enabled:           c.Multitrack.Enabled,
			Policy:            c.Multitrack.Policy,
			MaximumResolution: c.Multitrack.MaximumResolution,
		}
	}
	return in
}

// ClientOptions returns the per-call options UpdateChannel needs to make the change: when
// ClearPreset is set, a middleware that writes "preset":"" into the serialized request body
// (the SDK omits empty enums, aws/aws-sdk-go-v2#2262). It returns nil when nothing is needed.
// Use: client.UpdateChannel(ctx, c.UpdateChannelInput(arn), c.ClientOptions()...).
func (c Change) ClientOptions() []func(*ivs.Options) {
	if !c.ClearPreset {
		return nil
	}
	return []func(*ivs.Options){func(o *ivs.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// First in the build step: before the content length is computed, the payload
			// hashed and the request signed (finalize step).
			return s.Build.Add(clearPreset{}, middleware.Before)
		})
	}}
}

// clearPreset adds "preset":"" to the JSON body of an UpdateChannel request that has no preset.
type clearPreset struct{}

// ID names the middleware in the stack.
func (clearPreset) ID() string { return "ivs-sessions/ClearPreset" }

// HandleBuild rewrites the request body of UpdateChannel; other operations pass through.
func (clearPreset) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
	if op := awsmiddleware.GetOperationName(ctx); op != "UpdateChannel" {
		return next.HandleBuild(ctx, in)
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("clear preset: unexpected request type %T", in.Request)
	}
	body, err := withEmptyPreset(req.GetStream())
	if err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("clear preset: %w", err)
	}
	if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("clear preset: %w", err)
	}
	in.Request = req
	return next.HandleBuild(ctx, in)
}

// withEmptyPreset reads a JSON object and returns it with "preset":"" added when it has no
// preset. Keys come out sorted, as the SDK writes them.
func withEmptyPreset(r io.Reader) ([]byte, error) {
	var obj map[string]json.RawMessage
	if r == nil {
		return nil, fmt.Errorf("request has no body")
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("body is not a JSON object: %q", raw)
	}
	if _, ok := obj["preset"]; !ok {
		obj["preset"] = json.RawMessage(`""`)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Apply returns the channel as UpdateChannel leaves it after the change: ch is not modified.
func Apply(ch types.Channel, c Change) types.Channel {
	if c.Type != "" {
		ch.Type = c.Type
	}
	if c.ContainerFormat != "" {
		ch.ContainerFormat = c.ContainerFormat
	}
	if c.Multitrack != nil {
		ch.MultitrackInputConfiguration = &types.MultitrackInputConfiguration{
			Enabled:           c.Multitrack.Enabled,
			Policy:            c.Multitrack.Policy,
			MaximumResolution: c.Multitrack.MaximumResolution,
		}
	}
	if c.ClearPreset {
		ch.Preset = ""
	}
	return ch
}

// Satisfied reports whether ch already has every value the change sets, so that UpdateChannel
// would change nothing (a duplicate, or another writer got there first).
func (c Change) Satisfied(ch types.Channel) bool {
	s := stateOf(ch)
	if c.Type != "" && s.typ != c.Type {
		return false
	}
	if c.ContainerFormat != "" && s.container != c.ContainerFormat {
		return false
	}
	if c.Multitrack != nil && (s.mt.Enabled != c.Multitrack.Enabled || s.mt.Policy != c.Multitrack.Policy || s.mt.MaximumResolution != c.Multitrack.MaximumResolution) {
		return false
	}
	return !c.ClearPreset || ch.Preset == ""
}
