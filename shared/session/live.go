package session

// LiveIndexChange says what merging an enriched record does to the live index
// (session.LiveKey). The index holds the sessions whose Session Ended has not reached the
// archive: a session is indexed until its Session Ended (IVS's, or the one the sweep publishes
// in its place) is archived, even when another event has already said it ended (a Stream End,
// or a go-live event enriched after the end), because only a Session Ended takes a session to
// quality and, refused, to the corrector. sessionEnded says the merged record came with its
// session's Session Ended.
//
// mark: write the entry before the record, when the record was not indexed and is not ended by
// its Session Ended: the session's first record, or a record that goes live. clear: delete the
// entry after the record, whenever a Session Ended arrives (also when the record is unchanged:
// a delivery after a delete that failed; deleting no entry costs nothing).
func LiveIndexChange(before Record, found bool, after Record, sessionEnded bool) (mark, clear bool) {
	if sessionEnded {
		return false, true
	}
	wasLive := found && before.Outcome == OutcomeLive
	return !found || after.Outcome == OutcomeLive && !wasLive, false
}
