// Package machine describes the machine a measurement ran on, for the scripts that print one
// (the soak, the cold-start bench): a figure from a shared machine means little without its load.
package machine

import (
	"os"
	"strings"
)

// LoadAverage returns the 1, 5 and 15-minute load averages as Linux reports them
// (/proc/loadavg), for example "1.46 2.55 3.13"; "unknown" where there is no such file.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return loadFields(string(b))
}

// loadFields returns the first three fields of a /proc/loadavg line, or "unknown".
func loadFields(line string) string {
	f := strings.Fields(line)
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
