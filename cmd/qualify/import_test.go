package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `qualify import` queues the run for a server (none runs here: it stays queued); `--wait`
// works it in this process and reports the counts; the same file again creates nothing.
func TestImportCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, db ...string) {
		at := func(args ...string) []string { return append(args, db...) }
		if out, err := run(t, at("seed", "--policies", "../../policies", "--leads", "1", "--seed", "3")...); err != nil {
			t.Fatalf("seed: %v\n%s", err, out)
		}
		file := filepath.Join(t.TempDir(), "fair.csv")
		csv := "key,last name,email\nk1,Lee,lee@one.example\nk2,Kim,not-an-email\nk1,Lee,lee@one.example\nk3,Ray,ray@three.example\n"
		if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		out := captureStdout(t, func() {
			if o, err := run(t, at("import", file)...); err != nil {
				t.Fatalf("import: %v\n%s", err, o)
			}
		})
		if !strings.Contains(out, "queued import run") {
			t.Errorf("import without --wait: %s", out)
		}
		for _, want := range []string{"2 created, 1 matched, 1 refused", "0 created, 3 matched, 1 refused"} {
			out := captureStdout(t, func() {
				if o, err := run(t, at("import", "--wait", file)...); err != nil {
					t.Fatalf("import --wait: %v\n%s", err, o)
				}
			})
			if !strings.Contains(out, want) {
				t.Errorf("import --wait: %s, want %s", out, want)
			}
		}
	})
}

// captureStdout returns what fn printed with fmt.Print* (the import command reports there).
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		done <- sb.String()
	}()
	defer func() { os.Stdout = old }()
	fn()
	w.Close()
	return <-done
}
