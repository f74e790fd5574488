package session

import "testing"

func TestLiveIndexChange(t *testing.T) {
	live, ended, refused := Record{Outcome: OutcomeLive}, Record{Outcome: OutcomeEnded}, Record{Outcome: OutcomeRefused}
	tests := map[string]struct {
		before          Record
		found           bool
		after           Record
		mark, wantClear bool
	}{
		"new live record":       {after: live, mark: true},
		"goes live":             {before: Record{}, found: true, after: live, mark: true},
		"stays live":            {before: live, found: true, after: live},
		"ends":                  {before: live, found: true, after: ended, wantClear: true},
		"refused after live":    {before: live, found: true, after: refused, wantClear: true},
		"new ended record":      {after: ended},
		"ended stays ended":     {before: ended, found: true, after: ended},
		"refused, never live":   {after: refused},
		"ended, not found, new": {before: live, found: false, after: ended},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mark, clear := LiveIndexChange(tc.before, tc.found, tc.after)
			if mark != tc.mark || clear != tc.wantClear {
				t.Errorf("LiveIndexChange = mark %v, clear %v; want %v, %v", mark, clear, tc.mark, tc.wantClear)
			}
		})
	}
}
