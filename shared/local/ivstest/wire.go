package ivstest

import "time"

// The JSON shapes of the IVS REST-JSON API (aws-sdk-go-v2/service/ivs v1.51.1 deserializers.go;
// Smithy model ivs-2020-07-14). Field order follows the SDK's.

// timeFormat is how the server writes timestamps: RFC 3339 in UTC with milliseconds, a
// "date-time" that smithy-go's ParseDateTime accepts.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

type channelJSON struct {
	AdConfigurationArn           string            `json:"adConfigurationArn,omitempty"`
	Arn                          string            `json:"arn"`
	Authorized                   bool              `json:"authorized"`
	ContainerFormat              string            `json:"containerFormat"`
	IngestEndpoint               string            `json:"ingestEndpoint"`
	InsecureIngest               bool              `json:"insecureIngest"`
	LatencyMode                  string            `json:"latencyMode"`
	MultitrackInputConfiguration multitrackJSON    `json:"multitrackInputConfiguration"`
	Name                         string            `json:"name"`
	PlaybackRestrictionPolicyArn string            `json:"playbackRestrictionPolicyArn"`
	PlaybackURL                  string            `json:"playbackUrl"`
	Preset                       string            `json:"preset"`
	RecordingConfigurationArn    string            `json:"recordingConfigurationArn"`
	Srt                          srtJSON           `json:"srt"`
	Tags                         map[string]string `json:"tags"`
	Type                         string            `json:"type"`
}

type multitrackJSON struct {
	Enabled           bool   `json:"enabled"`
	MaximumResolution string `json:"maximumResolution,omitempty"`
	Policy            string `json:"policy,omitempty"`
}

type srtJSON struct {
	Endpoint   string `json:"endpoint"`
	Passphrase string `json:"passphrase"`
}

type channelSummaryJSON struct {
	AdConfigurationArn           string            `json:"adConfigurationArn,omitempty"`
	Arn                          string            `json:"arn"`
	Authorized                   bool              `json:"authorized"`
	InsecureIngest               bool              `json:"insecureIngest"`
	LatencyMode                  string            `json:"latencyMode"`
	Name                         string            `json:"name"`
	PlaybackRestrictionPolicyArn string            `json:"playbackRestrictionPolicyArn"`
	Preset                       string            `json:"preset"`
	RecordingConfigurationArn    string            `json:"recordingConfigurationArn"`
	Tags                         map[string]string `json:"tags"`
	Type                         string            `json:"type"`
}

type streamKeyJSON struct {
	Arn        string            `json:"arn"`
	ChannelArn string            `json:"channelArn"`
	Tags       map[string]string `json:"tags"`
	Value      string            `json:"value"`
}

type batchErrorJSON struct {
	Arn     string `json:"arn"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type streamJSON struct {
	ChannelArn  string `json:"channelArn"`
	Health      string `json:"health"`
	PlaybackURL string `json:"playbackUrl"`
	StartTime   string `json:"startTime"`
	State       string `json:"state"`
	StreamID    string `json:"streamId"`
	ViewerCount int64  `json:"viewerCount"`
}

type streamSummaryJSON struct {
	ChannelArn  string `json:"channelArn"`
	Health      string `json:"health"`
	StartTime   string `json:"startTime"`
	State       string `json:"state"`
	StreamID    string `json:"streamId"`
	ViewerCount int64  `json:"viewerCount"`
}

type streamSessionJSON struct {
	Channel              channelJSON              `json:"channel"`
	EndTime              *string                  `json:"endTime,omitempty"`
	IngestConfiguration  *ingestConfigurationJSON `json:"ingestConfiguration,omitempty"`
	IngestConfigurations ingestConfigurationsJSON `json:"ingestConfigurations"`
	StartTime            string                   `json:"startTime"`
	StreamID             string                   `json:"streamId"`
	TruncatedEvents      []streamEventJSON        `json:"truncatedEvents"`
}

type streamSessionSummaryJSON struct {
	EndTime       *string `json:"endTime,omitempty"`
	HasErrorEvent bool    `json:"hasErrorEvent"`
	StartTime     string  `json:"startTime"`
	StreamID      string  `json:"streamId"`
}

type streamEventJSON struct {
	Code      string `json:"code,omitempty"`
	EventTime string `json:"eventTime"`
	Name      string `json:"name"`
	Type      string `json:"type"`
}

type ingestConfigurationJSON struct {
	Audio *audioConfigurationJSON `json:"audio,omitempty"`
	Video *videoConfigurationJSON `json:"video,omitempty"`
}

type ingestConfigurationsJSON struct {
	AudioConfigurations []audioConfigurationJSON `json:"audioConfigurations"`
	VideoConfigurations []videoConfigurationJSON `json:"videoConfigurations"`
}

type videoConfigurationJSON struct {
	AvcLevel        string `json:"avcLevel"`
	AvcProfile      string `json:"avcProfile"`
	Codec           string `json:"codec"`
	Encoder         string `json:"encoder"`
	Level           string `json:"level"`
	Profile         string `json:"profile"`
	TargetBitrate   int64  `json:"targetBitrate"`
	TargetFramerate int64  `json:"targetFramerate"`
	Track           string `json:"track"`
	VideoHeight     int64  `json:"videoHeight"`
	VideoWidth      int64  `json:"videoWidth"`
}

type audioConfigurationJSON struct {
	Channels      int64  `json:"channels"`
	Codec         string `json:"codec"`
	SampleRate    int64  `json:"sampleRate"`
	TargetBitrate int64  `json:"targetBitrate"`
	Track         string `json:"track"`
}
