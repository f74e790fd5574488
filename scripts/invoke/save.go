package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// save writes each event the function published, in the order published, to dir as
// <n>-<detail-type>.json (e.g. 1-ivs-session-enriched.json): the input of the function that
// reads it next, as deployed. It returns the files written.
func (w *world) save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("-save: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var files []string
	for i, id := range w.order {
		body := []byte(w.published[id].body)
		var head struct {
			DetailType string `json:"detail-type"`
		}
		_ = json.Unmarshal(body, &head)
		name := fmt.Sprintf("%d-%s.json", i+1, strings.ToLower(strings.Join(strings.Fields(head.DetailType), "-")))
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(pretty(body)+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("-save: %w", err)
		}
		files = append(files, path)
	}
	return files, nil
}
