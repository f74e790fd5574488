//go:build soak

package batch

import "bytes"

// poisonMarker, in a message's body, makes the soak's build of the functions panic on it
// (scripts/soak builds them with -tags soak; the deployed bootstraps never have this file).
// The soak sends one such message to archive's queue and proves, on the real bootstraps, that
// a message whose work panics is failed alone (its neighbours in the batch are processed),
// delivered again until maxReceiveCount, then dead-lettered, where the alarm is.
const poisonMarker = "ivs-sessions-soak-poison"

func init() {
	poison = func(body []byte) {
		if bytes.Contains(body, []byte(poisonMarker)) {
			panic("the soak's poison message (" + poisonMarker + ")")
		}
	}
}
