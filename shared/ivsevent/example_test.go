package ivsevent_test

import (
	"errors"
	"fmt"

	"github.com/ivs-sessions/ivs-sessions/shared/invalid"
	"github.com/ivs-sessions/ivs-sessions/shared/ivsevent"
)

func ExampleParse() {
	data := []byte(`{
	  "version": "0",
	  "id": "29be5d21-2981-4b38-a4c2-771116e58928",
	  "detail-type": "IVS Stream State Change",
	  "source": "aws.ivs",
	  "account": "123456789012",
	  "time": "2026-11-03T17:40:03Z",
	  "region": "us-west-2",
	  "resources": ["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],
	  "detail": {
	    "event_name": "Session Ended",
	    "channel_name": "studio-a",
	    "stream_id": "st-1A2b3c4D5e6F78ghij9Klmn",
	    "code": "MultitrackInputNotAllowed"
	  }
	}`)
	ev, err := ivsevent.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Name(), ev.Code())
	fmt.Println(ev.StreamID(), "on channel", ev.Channel.ID, "in", ev.Channel.Region, "of", ev.Channel.Account)
	fmt.Println(ev.Code() == ivsevent.CodeMultitrackInputNotAllowed)
	// Output:
	// Session Ended MultitrackInputNotAllowed
	// st-1A2b3c4D5e6F78ghij9Klmn on channel AbCdef1G2hij in us-west-2 of 123456789012
	// true
}

// An event Parse does not know wraps invalid.ErrUnknown: acknowledge it; any other *invalid.FieldError is a
// malformed event. Neither is worth a retry.
func ExampleParse_unknown() {
	stage := []byte(`{"version":"0","id":"5c1e0e43-3e4a-4b8e-9d1f-2f9a7c0b6d21","detail-type":"IVS Stage Update",
	  "source":"aws.ivs","account":"123456789012","time":"2026-11-03T18:10:00Z","region":"us-west-2",
	  "resources":["arn:aws:ivs:us-west-2:123456789012:stage/LmNoPq7rStUv"],
	  "detail":{"event_name":"Participant Joined"}}`)
	_, err := ivsevent.Parse(stage)
	var fe *invalid.FieldError
	fmt.Println(errors.As(err, &fe), fe.Field, errors.Is(err, invalid.ErrUnknown))
	// Output:
	// true detail-type true
}
