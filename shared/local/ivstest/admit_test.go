package ivstest

import (
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestAdmit(t *testing.T) {
	off := multitrackConfig{MaximumResolution: ResolutionFullHD, Policy: PolicyAllow}
	allow := func(res string) multitrackConfig {
		return multitrackConfig{Enabled: true, MaximumResolution: res, Policy: PolicyAllow}
	}
	require := multitrackConfig{Enabled: true, MaximumResolution: ResolutionFullHD, Policy: PolicyRequire}
	enc := func(video ...VideoTrack) Encoder { return Encoder{Video: video} }
	with := func(t VideoTrack, f func(*VideoTrack)) VideoTrack { f(&t); return t }

	tests := map[string]struct {
		typ        string
		mt         multitrackConfig
		enc        Encoder
		wantCode   string
		wantBreach string
		wantValue  float64
		wantBy     float64
	}{
		"single on standard":         {TypeStandard, off, enc(Rendition1080p60), "", "", 0, 0},
		"single on allow":            {TypeStandard, allow(ResolutionSD), enc(Rendition1080p60), "", "", 0, 0},
		"single on require":          {TypeStandard, require, enc(Rendition1080p60), ivsevent.CodeMultitrackInputRequired, "", 0, 0},
		"multitrack not enabled":     {TypeStandard, off, enc(Ladder(5)...), ivsevent.CodeMultitrackInputNotAllowed, "", 0, 0},
		"multitrack on advanced":     {TypeAdvancedHD, off, enc(Ladder(2)...), ivsevent.CodeMultitrackInputNotAllowed, "", 0, 0},
		"multitrack allowed":         {TypeStandard, allow(ResolutionFullHD), enc(Ladder(5)...), "", "", 0, 0},
		"multitrack required":        {TypeStandard, require, enc(Ladder(2)...), "", "", 0, 0},
		"six tracks":                 {TypeStandard, allow(ResolutionFullHD), enc(append(Ladder(5), Rendition160p30)...), ivsevent.CodeInvalidMultitrackInputTrackCount, "", 0, 0},
		"1080p over HD":              {TypeStandard, allow(ResolutionHD), enc(Ladder(4)...), ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, "", 0, 0},
		"720p within HD":             {TypeStandard, allow(ResolutionHD), enc(Ladder(3)...), "", "", 0, 0},
		"720p over SD":               {TypeStandard, allow(ResolutionSD), enc(Ladder(3)...), ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, "", 0, 0},
		"480p within SD":             {TypeStandard, allow(ResolutionSD), enc(Ladder(2)...), "", "", 0, 0},
		"portrait counts short edge": {TypeStandard, allow(ResolutionHD), enc(with(Rendition720p60, func(v *VideoTrack) { v.Width, v.Height = 720, 1280 }), Rendition480p30), "", "", 0, 0},
		"vp9 track":                  {TypeStandard, allow(ResolutionFullHD), enc(with(Rendition480p30, func(v *VideoTrack) { v.Codec = "vp09.00.10.08" }), Rendition360p30), ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, "", 0, 0},
		"hevc track":                 {TypeStandard, allow(ResolutionFullHD), enc(with(Rendition480p30, func(v *VideoTrack) { v.Codec = "hvc1.1.6.L120.90" }), Rendition360p30), "", "", 0, 0},
		"120 fps track":              {TypeStandard, allow(ResolutionFullHD), enc(with(Rendition480p30, func(v *VideoTrack) { v.Framerate = 120 }), Rendition360p30), ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, "", 0, 0},
		"7 Mbps track":               {TypeStandard, allow(ResolutionFullHD), enc(with(Rendition1080p60, func(v *VideoTrack) { v.Bitrate = 7_000_000 }), Rendition360p30), ivsevent.CodeInvalidMultitrackInputVideoTrackMediaProperties, "", 0, 0},
		"4K single track":            {TypeStandard, off, enc(with(Rendition1080p60, func(v *VideoTrack) { v.Width, v.Height = 3840, 2160 })), "", ivsevent.LimitIngestResolution, 1920, 1920},
		"1440 lines single":          {TypeStandard, off, enc(with(Rendition1080p60, func(v *VideoTrack) { v.Width, v.Height = 1920, 1440 })), "", ivsevent.LimitIngestResolution, 1080, 360},
		"10 Mbps single":             {TypeStandard, off, enc(with(Rendition1080p60, func(v *VideoTrack) { v.Bitrate = 10_000_000 })), "", ivsevent.LimitIngestBitrate, 8_500_000, 1_500_000},
		"basic 1080p at 6 Mbps":      {TypeBasic, off, enc(Rendition1080p60), "", ivsevent.LimitIngestBitrate, 3_500_000, 2_500_000},
		"basic 480p at 2 Mbps":       {TypeBasic, off, enc(with(Rendition480p30, func(v *VideoTrack) { v.Bitrate = 2_000_000 })), "", ivsevent.LimitIngestBitrate, 1_500_000, 500_000},
		"basic 480p at 1 Mbps":       {TypeBasic, off, enc(Rendition480p30), "", "", 0, 0},
		"advanced 1080p at 8.5 Mbps": {TypeAdvancedHD, off, enc(with(Rendition1080p60, func(v *VideoTrack) { v.Bitrate = 8_500_000 })), "", "", 0, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := admit(tc.typ, tc.mt, tc.enc)
			if got.code != tc.wantCode {
				t.Errorf("code: got %q, want %q", got.code, tc.wantCode)
			}
			switch {
			case tc.wantBreach == "" && got.breach != nil:
				t.Errorf("breach: got %+v, want none", *got.breach)
			case tc.wantBreach != "" && got.breach == nil:
				t.Errorf("breach: got none, want %s", tc.wantBreach)
			case tc.wantBreach != "":
				b := got.breach
				if b.LimitName != tc.wantBreach || b.LimitValue != tc.wantValue || b.ExceededBy != tc.wantBy {
					t.Errorf("breach: got %s %v by %v, want %s %v by %v", b.LimitName, b.LimitValue, b.ExceededBy, tc.wantBreach, tc.wantValue, tc.wantBy)
				}
			}
		})
	}
}
