package console_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestTypes type-checks the console's TypeScript (strict, tsconfig.json): esbuild only strips the
// types, so this is where a wrong field or a null not handled is caught.
func TestTypes(t *testing.T) {
	node, err := exec.LookPath("node")
	need(t, err == nil, "node on PATH")
	_, err = os.Stat("e2e/node_modules/typescript/bin/tsc")
	need(t, err == nil, "typescript (npm ci --prefix internal/console/e2e)")
	if out, err := exec.Command(node, "e2e/node_modules/typescript/bin/tsc", "-p", ".").CombinedOutput(); err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
}
