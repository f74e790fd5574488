package session

import "time"

// inUTC puts every time of the record in UTC, in place (the record's Events and LimitBreaches
// must be its own; a Correction in another zone is copied). Two times of one instant in
// different zones are the same time to Merge, and must encode the same, or the merge of two
// records would depend on their order (FuzzMerge found it).
func (r *Record) inUTC() {
	utc := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	utc(&r.StartTime)
	utc(&r.EndTime)
	utc(&r.UpdatedAt)
	for i := range r.Events {
		utc(&r.Events[i].Time)
	}
	for i := range r.LimitBreaches {
		utc(&r.LimitBreaches[i].Time)
	}
	if c := r.Correction; c != nil && !c.At.IsZero() && c.At.Location() != time.UTC {
		cc := *c
		cc.At = c.At.UTC()
		r.Correction = &cc
	}
}
