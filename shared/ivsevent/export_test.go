package ivsevent

// EventNames returns the known detail.event_name values of a detail-type, or nil when the
// detail-type has none (limit breaches and recording state changes): for the tests, which check
// that the samples cover every name.
func EventNames(detailType string) []string {
	return append([]string(nil), eventNames[detailType]...)
}
