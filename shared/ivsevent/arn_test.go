package ivsevent_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func TestParseChannelARN(t *testing.T) {
	good := map[string]ivsevent.ChannelARN{
		"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij":                              {Region: "us-west-2", Account: "123456789012", ID: "AbCdef1G2hij"},
		"arn:aws:ivs:us-west-2:535011710559:channel/UCGaMPGLCbcE":                              {Region: "us-west-2", Account: "535011710559", ID: "UCGaMPGLCbcE"},
		"arn:aws:ivs:eu-central-1:000000000000:channel/abcdABCDefgh":                           {Region: "eu-central-1", Account: "000000000000", ID: "abcdABCDefgh"},
		"arn:aws:ivs:ap-northeast-2:123456789012:channel/12345678-1a23-4567-a1bc-1a2b34567890": {Region: "ap-northeast-2", Account: "123456789012", ID: "12345678-1a23-4567-a1bc-1a2b34567890"},
		"arn:aws:ivs:us-east-1:123456789012:channel/x":                                         {Region: "us-east-1", Account: "123456789012", ID: "x"},
		// 128 characters: the longest ARN the API accepts.
		"arn:aws:ivs:us-west-2:123456789012:channel/" + strings.Repeat("a", 128-43): {Region: "us-west-2", Account: "123456789012", ID: strings.Repeat("a", 128-43)},
	}
	for in, want := range good {
		got, err := ivsevent.ParseChannelARN(in)
		if err != nil {
			t.Errorf("ParseChannelARN(%q): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("ParseChannelARN(%q) = %+v, want %+v", in, got, want)
		}
		if got.String() != in {
			t.Errorf("ParseChannelARN(%q).String() = %q, want the input back", in, got.String())
		}
		if got.IsZero() {
			t.Errorf("ParseChannelARN(%q).IsZero() = true", in)
		}
	}

	bad := []string{
		"",
		"arn:aws:ivs:us-west-2:123456a7-ab1c-2d34-e5f6-1a2b3c4d5678",                        // the doc's Recording End Failure sample: no channel/
		"arn:aws:ivs:us-east-1:aws_account_id:channel/12345678-1a23-4567-a1bc-1a2b34567890", // the doc's placeholder account
		"arn:aws:ivs:us-west-2:123456789012:channel/",                                       // no channel ID
		"arn:aws:ivs:us-west-2:123456789012:stage/LmNoPq7rStUv",                             // a real-time stage
		"arn:aws:ivs:us-west-2:123456789012:stream-key/g1H2I3j4k5L6",                        // a stream key
		"arn:aws:ivs:us-west-2:123456789012:recording-configuration/ABcdef34ghIJ",           // a recording configuration
		"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij/extra",
		"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef_1G2hij",
		"arn:aws:ivs:US-WEST-2:123456789012:channel/AbCdef1G2hij",
		"arn:aws:ivs::123456789012:channel/AbCdef1G2hij",
		"arn:aws:ivs:us-west-2::channel/AbCdef1G2hij",
		"arn:aws-cn:ivs:cn-north-1:123456789012:channel/AbCdef1G2hij",
		"arn:aws:medialive:us-west-2:123456789012:channel/AbCdef1G2hij",
		"arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij\n",
		" arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij",
		"ARN:AWS:IVS:us-west-2:123456789012:channel/AbCdef1G2hij",
		"AbCdef1G2hij",
		"arn:aws:ivs:us-west-2:123456789012:channel/" + strings.Repeat("a", 128-42), // 129 characters
		"arn:aws:ivs:us-west-2:1234:channel/AbCdef1G2hij",                           // the API's pattern allows any digits
		"arn:aws:ivs:---:123456789012:channel/AbCdef1G2hij",                         // ... and any dashes
	}
	for _, in := range bad {
		got, err := ivsevent.ParseChannelARN(in)
		if err == nil {
			t.Errorf("ParseChannelARN(%q) = %+v, want an error", in, got)
			continue
		}
		var fe *invalid.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("ParseChannelARN(%q): error %T is not a *FieldError", in, err)
			continue
		}
		if fe.Field != "" || fe.Got != in || !got.IsZero() {
			t.Errorf("ParseChannelARN(%q) = %+v, %+v; want the zero ARN and a FieldError with no field and Got = the input", in, got, fe)
		}
	}
}

func TestChannelARNZero(t *testing.T) {
	var zero ivsevent.ChannelARN
	if !zero.IsZero() || zero.String() != "" {
		t.Errorf("zero ChannelARN: IsZero() = %v, String() = %q; want true, \"\"", zero.IsZero(), zero.String())
	}
}

func TestValidStreamID(t *testing.T) {
	good := []string{
		"st-1A2b3c4D5e6F78ghij9Klmn",
		"st-1AuTyMDASvHUTSb8p5PvbsO",
		"st-254sopYUvi6F78ghpO9vn0A",
		"st-00000000000000000000000",
		"st-ZZZZZZZZZZZZZZZZZZZZZZZ",
	}
	bad := []string{
		"",
		"st-",
		"st-1A2b3c4D5e6F78ghij9Klm",   // 25 characters
		"st-1A2b3c4D5e6F78ghij9Klmno", // 27 characters
		"ST-1A2b3c4D5e6F78ghij9Klmn",
		"sT-1A2b3c4D5e6F78ghij9Klmn",
		"st_1A2b3c4D5e6F78ghij9Klmn",
		"xx-1A2b3c4D5e6F78ghij9Klmn",
		"st-1A2b3c4D5e6F78ghij9Klm-",
		"st-1A2b3c4D5e6F78ghij9Kl_n",
		"st-1A2b3c4D5e6F78ghij9Kl n",
		"st-1A2b3c4D5e6F78ghij9Kl\n",
		"st-1A2b3c4D5e6F78ghij9Ké", // 26 bytes, not ASCII
		" st-1A2b3c4D5e6F78ghij9Klm",
		"1A2b3c4D5e6F78ghij9Klmnopq",
		"arn:aws:ivs:us-west-2:123",
	}
	for _, s := range good {
		if !ivsevent.ValidStreamID(s) {
			t.Errorf("ValidStreamID(%q) = false, want true", s)
		}
		if err := ivsevent.CheckStreamID("detail.stream_id", s); err != nil {
			t.Errorf("CheckStreamID(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range bad {
		if ivsevent.ValidStreamID(s) {
			t.Errorf("ValidStreamID(%q) = true, want false", s)
		}
		err := ivsevent.CheckStreamID("detail.stream_id", s)
		var fe *invalid.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("CheckStreamID(%q) = %v, want a *FieldError", s, err)
			continue
		}
		if fe.Field != "detail.stream_id" || fe.Got != s || errors.Is(err, invalid.ErrUnknown) {
			t.Errorf("CheckStreamID(%q) = %+v, want Field detail.stream_id, Got the input, not ErrUnknown", s, fe)
		}
	}
}
