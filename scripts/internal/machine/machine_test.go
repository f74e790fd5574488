package machine

import "testing"

func TestLoadFields(t *testing.T) {
	tests := map[string]string{
		"1.46 2.55 3.13 2/613 12345\n": "1.46 2.55 3.13",
		"0.00 0.01":                    "unknown",
		"":                             "unknown",
	}
	for line, want := range tests {
		if got := loadFields(line); got != want {
			t.Errorf("loadFields(%q) = %q, want %q", line, got, want)
		}
	}
}
