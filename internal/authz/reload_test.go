package authz_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/testenv"
)

// An edit of the authz tables is active without a restart, like any policy edit.
func TestAuthzHotReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
		t.Fatal(err)
	}
	api := apitest.Start(t, testenv.SQLite(t), func(c *app.Config) { c.PoliciesDir, c.PolicyPoll = dir, 300*time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = api.App.FollowPolicies(ctx) }()

	marketing := api.As(t, "marketing", "marketing", "")
	const q = `{ stages { totalCount } }`
	if r := marketing.Do(t, q, nil); classify(r, nil) != ok {
		t.Fatalf("before the edit: %+v", r.Errors)
	}
	path := filepath.Join(dir, "data.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Take "stages" from marketing's query list (it appears there only, as `"stages",`).
	edited := strings.Replace(string(raw), `"stages",`+"\n", "", 1)
	if edited == string(raw) {
		t.Fatal("marketing's stages grant not found in data.json")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// Saving .manifest (unchanged) releases the edit.
	manifest, err := os.ReadFile(filepath.Join(dir, ".manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".manifest"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second) // a liveness bound: a reload under -race on a loaded machine
	for {
		r := marketing.Do(t, q, nil)
		if classify(r, nil) == deny {
			if !strings.Contains(r.Errors[0].Message, "marketing") {
				t.Errorf("refusal without the policy's reason: %q", r.Errors[0].Message)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the authz edit is not active after 60 s: %+v", r.Errors)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
