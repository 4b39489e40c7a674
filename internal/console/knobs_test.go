package console_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// TestKnobs runs src/knobs.test.ts in node: the parser that lets the knob form edit data.json in
// place (formatting kept, located errors mapped back to a knob).
func TestKnobs(t *testing.T) {
	node, err := exec.LookPath("node")
	need(t, err == nil, "node on PATH")
	out := filepath.Join(t.TempDir(), "knobs.test.mjs")
	res := api.Build(api.BuildOptions{
		EntryPoints: []string{"src/knobs.test.ts"},
		Bundle:      true,
		Outfile:     out,
		Write:       true,
		Format:      api.FormatESModule,
		Platform:    api.PlatformNode,
		LogLevel:    api.LogLevelSilent,
	})
	for _, m := range res.Errors {
		t.Fatalf("esbuild: %s", m.Text)
	}
	cmd := exec.Command(node, out)
	cmd.Env = os.Environ()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
}
