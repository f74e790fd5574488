package ivssessions_test

import (
	"path/filepath"
	"testing"

	"github.com/ivs-sessions/ivs-sessions/shared/local/golden"
)

// TestSingleRegionTemplateUnchanged: without regions (the default) the stack is the
// single-region deployment, resource for resource as it was before fleets: the fleet code adds
// nothing to it. The golden file is the template of the default settings with the tests' dummy
// bootstraps; a change that is meant to alter the single-region stack rewrites it with
// go test ./infra/ivssessions -run TestSingleRegionTemplateUnchanged -update, and the diff
// shows what changed for every single-region deployment.
func TestSingleRegionTemplateUnchanged(t *testing.T) {
	f := defaultFixture(t)
	golden.CheckJSON(t, filepath.Join("testdata", "single-region.template.json"), f.template)
}
