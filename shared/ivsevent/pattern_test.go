package ivsevent_test

import (
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestIVSPatternJSON(t *testing.T) {
	const want = `{"source":["aws.ivs"],"detail-type":["IVS Stream State Change","IVS Stream Health Change","IVS Limit Breach","IVS Recording State Change"]}`
	if got := ivsevent.IVSPattern.JSON(); got != want {
		t.Errorf("IVSPattern.JSON() =\n%s\nwant\n%s", got, want)
	}
}

func TestPatternJSON(t *testing.T) {
	tests := map[string]struct {
		p    ivsevent.Pattern
		want string
	}{
		"source only": {
			p:    ivsevent.Pattern{Source: []string{ivsevent.Source}},
			want: `{"source":["aws.ivs"]}`,
		},
		"nested detail, keys sorted": {
			p: ivsevent.Pattern{
				Source:     []string{ivsevent.Source},
				DetailType: []string{ivsevent.DetailTypeStreamStateChange},
				Detail: map[string]any{
					"event_name": []string{ivsevent.EventSessionEnded},
					"code":       []string{ivsevent.CodeMultitrackInputNotAllowed, ivsevent.CodeMultitrackInputRequired},
				},
			},
			want: `{"source":["aws.ivs"],"detail-type":["IVS Stream State Change"],"detail":{"code":["MultitrackInputNotAllowed","MultitrackInputRequired"],"event_name":["Session Ended"]}}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.JSON(); got != tc.want {
				t.Errorf("JSON() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
