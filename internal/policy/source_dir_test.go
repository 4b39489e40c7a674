package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startDir runs a DirSource on dir and returns its engine; the source stops with the test.
func startDir(t *testing.T, dir string, opts DirOptions) *Engine {
	t.Helper()
	e := newTestEngine(t, Options{})
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	src := NewDirSource(e, dir, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- src.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, "the first revision", func() bool { return e.Active() != nil })
	return e
}

// activeHashIs waits until the engine serves files.
func activeHashIs(t *testing.T, e *Engine, files Files) {
	t.Helper()
	waitFor(t, "revision "+shortHash(files.Hash()), func() bool {
		r := e.Active()
		return r != nil && r.Hash() == files.Hash()
	})
	// Decisions are made on it.
	if _, meta, err := e.DecideLead(context.Background(), realisticLead()); err != nil || meta.Hash != files.Hash() {
		t.Fatalf("decision on %s: %v", shortHash(meta.Hash), err)
	}
}

func readFixture(t *testing.T, path string) string {
	b, ok := fixture(t).Get(path)
	if !ok {
		t.Fatalf("no %s in fixture", path)
	}
	return string(b)
}

func TestDirSourceFollowsEdits(t *testing.T) {
	dir := t.TempDir()
	v1 := fixture(t)
	writeTree(t, dir, v1)
	e := startDir(t, dir, DirOptions{PollInterval: -1}) // events only: the poll must not hide a missed event
	activeHashIs(t, e, v1)
	ctx := context.Background()

	// data.json: the lead's industry is worth more now.
	data := strings.Replace(readFixture(t, "data.json"), `"industrial_machinery": 15`, `"industrial_machinery": 25`, 1)
	v2 := edit(t, v1, map[string]string{"data.json": data})
	before, _, _ := e.DecideLead(ctx, realisticLead())
	writeTree(t, dir, v2)
	activeHashIs(t, e, v2)
	after, _, _ := e.DecideLead(ctx, realisticLead())
	if after.FitScore != before.FitScore+10 {
		t.Errorf("data edit not in effect: fit %d → %d", before.FitScore, after.FitScore)
	}

	// A .rego edit.
	rego := strings.Replace(readFixture(t, "qualify/routing.rego"), `role := "ae" if input.to == "sql"`, `role := "ae" if input.to in {"sal", "sql"}`, 1)
	v3 := edit(t, v2, map[string]string{"qualify/routing.rego": rego})
	writeTree(t, dir, v3)
	activeHashIs(t, e, v3)
	rd, _, err := e.DecideRouting(ctx, RoutingInput{To: "sal"})
	if err != nil || rd.Role != "ae" {
		t.Errorf("rego edit not in effect: %+v %v", rd, err)
	}

	// A broken edit is refused with its location and the last good revision keeps serving.
	writeTree(t, dir, edit(t, v3, map[string]string{"qualify/routing.rego": "package qualify.routing\n\nrole := \n"}))
	waitFor(t, "the refusal", func() bool {
		last, ok := e.LastRefused()
		return ok && len(last.Problems) > 0 && last.Problems[0].File == "qualify/routing.rego" && last.Problems[0].Row == 4
	})
	activeHashIs(t, e, v3)

	// Fixing it activates the fix.
	writeTree(t, dir, v3)
	v4 := edit(t, v3, map[string]string{"qualify/new.rego": "package qualify.extra\n\nanswer := 42\n"})
	writeTree(t, dir, v4) // a new file in a watched directory
	activeHashIs(t, e, v4)

	// A new directory, then a file in it.
	v5 := edit(t, v4, map[string]string{"qualify/more/deep.rego": "package qualify.more.deep\n\nx := 1\n"})
	writeTree(t, dir, v5)
	activeHashIs(t, e, v5)
	v6 := edit(t, v5, map[string]string{"qualify/more/deep.rego": "package qualify.more.deep\n\nx := 2\n"})
	writeTree(t, dir, v6)
	activeHashIs(t, e, v6)
}

// Editors such as vim save by writing a new file and renaming it over the old one.
func TestDirSourceSaveByRename(t *testing.T) {
	dir := t.TempDir()
	v1 := fixture(t)
	writeTree(t, dir, v1)
	e := startDir(t, dir, DirOptions{PollInterval: -1})

	data := strings.Replace(readFixture(t, "data.json"), `"mql_score": 40`, `"mql_score": 45`, 1)
	v2 := edit(t, v1, map[string]string{"data.json": data})
	tmp := filepath.Join(dir, ".data.json.swp")
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "data.json")); err != nil {
		t.Fatal(err)
	}
	release(t, dir)
	activeHashIs(t, e, v2)
}

// release saves .manifest again, unchanged: the release of the files saved before it.
func release(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, ".manifest")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A multi-file save with seconds between the files (data.json, then the test that reads it,
// then .manifest) never activates a mix: the files saved before .manifest are staged, and the
// bundle loads whole once .manifest is saved. Only the first and the final content are ever
// loaded, refused or not.
func TestDirSourceMultiFileSaveNeverMixes(t *testing.T) {
	dir := t.TempDir()
	v1 := fixture(t)
	writeTree(t, dir, v1)
	rec := &memRecorder{}
	e := newTestEngine(t, Options{Recorder: rec})
	src := NewDirSource(e, dir, DirOptions{Logger: testLogger(t), PollInterval: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- src.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	activeHashIs(t, e, v1)

	v2 := edit(t, v1, map[string]string{
		"data.json":              strings.Replace(readFixture(t, "data.json"), `"mql_score": 40`, `"mql_score": 45`, 1),
		"qualify/lead_test.rego": readFixture(t, "qualify/lead_test.rego") + "\n# knobs saved with data.json\n",
		".manifest":              `{"revision": "multi-2", "roots": ["qualify"]}`,
	})
	for i, p := range []string{"data.json", "qualify/lead_test.rego", ".manifest"} {
		if i > 0 {
			time.Sleep(2 * time.Second) // a person saving one file after the other
		}
		b, _ := v2.Get(p)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	activeHashIs(t, e, v2)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.recs {
		if r.Hash != v1.Hash() && r.Hash != v2.Hash() {
			t.Errorf("a mix of two saves was loaded: %s %s (%s)", r.Status, shortHash(r.Hash), r.Revision)
		}
	}
}

// configMapDir lays out the fixture as a Kubernetes ConfigMap volume does: every name a symlink
// into ..data, itself a symlink to the timestamped directory ..2025_03_01_v1.
func configMapDir(t *testing.T) (dir string, v1 Files) {
	t.Helper()
	dir, v1 = t.TempDir(), fixture(t)
	writeTree(t, filepath.Join(dir, "..2025_03_01_v1"), v1)
	mustSymlink(t, "..2025_03_01_v1", filepath.Join(dir, "..data"))
	for _, name := range []string{".manifest", "data.json", "qualify"} {
		mustSymlink(t, filepath.Join("..data", name), filepath.Join(dir, name))
	}
	return dir, v1
}

// A Kubernetes ConfigMap volume: every name is a symlink into ..data, itself a symlink to a
// timestamped directory; an update writes a new directory and renames a new ..data over the old.
func TestDirSourceConfigMapSwap(t *testing.T) {
	dir, v1 := configMapDir(t)
	e := startDir(t, dir, DirOptions{PollInterval: -1})
	activeHashIs(t, e, v1)

	v2 := edit(t, v1, map[string]string{
		".manifest":            `{"revision": "configmap-2", "roots": ["qualify"]}`,
		"qualify/routing.rego": strings.Replace(readFixture(t, "qualify/routing.rego"), `"role": role`, `"role": "ae"`, 1),
	})
	writeTree(t, filepath.Join(dir, "..2025_03_02_v2"), v2)
	mustSymlink(t, "..2025_03_02_v2", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..2025_03_01_v1")); err != nil {
		t.Fatal(err)
	}
	activeHashIs(t, e, v2)

	// And the next update, through the watches re-established on the new target.
	v3 := edit(t, v2, map[string]string{"qualify/routing.rego": readFixture(t, "qualify/routing.rego")})
	writeTree(t, filepath.Join(dir, "..2025_03_02_v2"), v3)
	activeHashIs(t, e, v3)
}

// Files that the root reaches through symlinks are watched where they live: a save of .manifest
// into the ConfigMap's current directory releases the changes staged before it, however long
// after them it comes. Only the rego directory was watched (through its symlink): the save of
// .manifest raised no event, and the staged changes waited for the next poll (never, here).
// CI once read a half-written .manifest that way (TestDirSourceConfigMapSwap, 15 s timeout).
func TestDirSourceSymlinkedManifestSaveReleases(t *testing.T) {
	dir, v1 := configMapDir(t)
	e := startDir(t, dir, DirOptions{PollInterval: -1})
	activeHashIs(t, e, v1)

	v2 := edit(t, v1, map[string]string{
		".manifest":            `{"revision": "in-place-2", "roots": ["qualify"]}`,
		"qualify/routing.rego": strings.Replace(readFixture(t, "qualify/routing.rego"), `"role": role`, `"role": "ae"`, 1),
	})
	target := filepath.Join(dir, "..2025_03_01_v1")
	rego, _ := v2.Get("qualify/routing.rego")
	if err := os.WriteFile(filepath.Join(target, "qualify", "routing.rego"), rego, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * 25 * time.Millisecond) // ten debounces: the rego change is read and staged
	if r := e.Active(); r == nil || r.Hash() != v1.Hash() {
		t.Fatal("a change without a save of .manifest was released")
	}
	manifest, _ := v2.Get(".manifest")
	if err := os.WriteFile(filepath.Join(target, ".manifest"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	activeHashIs(t, e, v2)
}

// The whole directory replaced by another (a deploy that renames a fresh checkout into place).
func TestDirSourceRootReplaced(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "policies")
	v1 := fixture(t)
	writeTree(t, dir, v1)
	e := startDir(t, dir, DirOptions{PollInterval: -1})

	v2 := edit(t, v1, map[string]string{".manifest": `{"revision": "replaced", "roots": ["qualify"]}`})
	writeTree(t, filepath.Join(parent, "next"), v2)
	if err := os.Rename(dir, filepath.Join(parent, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(parent, "next"), dir); err != nil {
		t.Fatal(err)
	}
	activeHashIs(t, e, v2)

	v3 := edit(t, v2, map[string]string{".manifest": `{"revision": "replaced-2", "roots": ["qualify"]}`})
	writeTree(t, dir, v3)
	activeHashIs(t, e, v3)
}

// Without usable events (an NFS mount, say) the hash poll still finds changes. A debounce of an
// hour stands in for a watcher that never fires.
func TestDirSourcePollFallback(t *testing.T) {
	dir := t.TempDir()
	v1 := fixture(t)
	writeTree(t, dir, v1)
	e := startDir(t, dir, DirOptions{Debounce: time.Hour, PollInterval: 20 * time.Millisecond})
	v2 := edit(t, v1, map[string]string{".manifest": `{"revision": "polled", "roots": ["qualify"]}`})
	writeTree(t, dir, v2)
	activeHashIs(t, e, v2)
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
