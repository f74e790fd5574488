package session

// LiveIndexChange says what a merge does to the live index (session.LiveKey): mark when the
// merged record says live and the record before did not (or there was none), so the entry is
// written before the record says live; clear when the record before said live and the merged one
// no longer does (ended, refused). A record that stays live, or never was, changes nothing.
func LiveIndexChange(before Record, found bool, after Record) (mark, clear bool) {
	wasLive := found && before.Outcome == OutcomeLive
	isLive := after.Outcome == OutcomeLive
	return isLive && !wasLive, wasLive && !isLive
}
