package session

import "sort"

// Size returns the length of the record's JSON encoding in bytes.
func (r Record) Size() int {
	b, err := r.EncodeJSON()
	if err != nil {
		return 0 // a Record holds only strings, numbers, times and maps of strings
	}
	return len(b)
}

// Trim drops the oldest events until the record's JSON fits in maxBytes, adds the number it
// dropped to EventsDropped, and returns that number. The caller sizes maxBytes for what wraps
// the record (an EventBridge PutEvents entry is limited to 256 KB in all). If the record does
// not fit even without events, Trim drops them all; check Size afterwards.
func (r *Record) Trim(maxBytes int) (dropped int) {
	if r.Size() <= maxBytes {
		return 0
	}
	events, base := r.Events, r.EventsDropped
	fits := func(k int) bool {
		r.Events, r.EventsDropped = events[k:], base+k
		return r.Size() <= maxBytes
	}
	// Dropping one more event always shrinks the record more than the counter grows.
	n := len(events)
	k := 1 + sort.Search(n, func(i int) bool { return fits(i + 1) })
	k = min(k, n)
	r.Events, r.EventsDropped = append([]Event(nil), events[k:]...), base+k
	if len(r.Events) == 0 {
		r.Events = nil
	}
	return k
}
