package session

import "testing"

func TestLiveIndexChange(t *testing.T) {
	live, ended, refused := Record{Outcome: OutcomeLive}, Record{Outcome: OutcomeEnded}, Record{Outcome: OutcomeRefused}
	tests := map[string]struct {
		before          Record
		found           bool
		after           Record
		sessionEnded    bool
		mark, wantClear bool
	}{
		"new live record":                          {after: live, mark: true},
		"goes live":                                {before: Record{}, found: true, after: live, mark: true},
		"stays live":                               {before: live, found: true, after: live},
		"ends by its Session Ended":                {before: live, found: true, after: ended, sessionEnded: true, wantClear: true},
		"refused by its Session Ended":             {before: live, found: true, after: refused, sessionEnded: true, wantClear: true},
		"ended by a Stream End: stays":             {before: live, found: true, after: ended},
		"new record, ended by a late Stream Start": {after: ended, mark: true},
		"new record from its Session Ended":        {after: ended, sessionEnded: true, wantClear: true},
		"ended stays ended":                        {before: ended, found: true, after: ended},
		"Session Ended again, unchanged":           {before: ended, found: true, after: ended, sessionEnded: true, wantClear: true},
		"refused, never live, Session Ended":       {after: refused, sessionEnded: true, wantClear: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mark, clear := LiveIndexChange(tc.before, tc.found, tc.after, tc.sessionEnded)
			if mark != tc.mark || clear != tc.wantClear {
				t.Errorf("LiveIndexChange = mark %v, clear %v; want %v, %v", mark, clear, tc.mark, tc.wantClear)
			}
		})
	}
}
