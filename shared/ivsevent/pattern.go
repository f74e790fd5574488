package ivsevent

import "encoding/json"

// Pattern is an EventBridge event pattern in the subset the suite uses: exact string matches on
// source, detail-type and region, and nested exact matches under detail. Marshalled with
// encoding/json it is the pattern's JSON as EventBridge takes it.
type Pattern struct {
	Source     []string `json:"source"`
	DetailType []string `json:"detail-type,omitempty"`
	// Region is the envelope's region: a fleet routes each region's IVS events to its own queue.
	Region []string       `json:"region,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// JSON returns the pattern as EventBridge JSON.
func (p Pattern) JSON() string {
	b, err := json.Marshal(p)
	if err != nil {
		// A Pattern holds only strings, slices and maps of them: Marshal cannot fail.
		panic("ivsevent: marshal pattern: " + err.Error())
	}
	return string(b)
}

// IVSPattern matches every IVS low-latency streaming event the suite enriches: the four
// detail-types of source aws.ivs (not the real-time stage events that share the source).
var IVSPattern = Pattern{Source: []string{Source}, DetailType: DetailTypes}
