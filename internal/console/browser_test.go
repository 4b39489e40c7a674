package console_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/testenv"
)

// TestBrowserJourneys runs e2e/journeys.mjs (Playwright's core driving the system's chromium) against
// a real `qualify serve --dev` on a temporary SQLite database seeded with demo data and a temporary
// copy of policies/. Without chromium, node or e2e/node_modules it skips, except under CI=true.
// A failing journey leaves a screenshot in e2e/artifacts/. QUALIFY_CONSOLE_SCREENSHOTS=dir also
// writes the README's screenshots there.
func TestBrowserJourneys(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journeys: not with -short")
	}
	testenv.Want(t, "sqlite") // the server under test runs on a SQLite file: once per make test
	chromium := envOr("QUALIFY_CHROMIUM", "/usr/bin/chromium")
	_, err := os.Stat(chromium)
	need(t, err == nil, "chromium at "+chromium+" (apt-get install -y chromium)")
	node, err := exec.LookPath("node")
	need(t, err == nil, "node on PATH")
	_, err = os.Stat("e2e/node_modules/playwright-core")
	need(t, err == nil, "playwright-core (npm ci --prefix internal/console/e2e)")

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "qualify")
	// The toolchain running the test, else the one on PATH: a test binary built with -trimpath
	// (as CI builds) records no GOROOT.
	goCmd := "go"
	if r := runtime.GOROOT(); r != "" {
		goCmd = filepath.Join(r, "bin", "go")
	}
	build := exec.Command(goCmd, "build", "-o", bin, "./cmd/qualify")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	policies := filepath.Join(dir, "policies")
	if err := os.CopyFS(policies, os.DirFS(filepath.Join(root, "policies"))); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	srv := startServer(t, bin, addr, dir, policies)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, node, "journeys.mjs")
	run.Dir = "e2e"
	run.Env = append(os.Environ(),
		"BASE_URL=http://"+addr,
		"REVOPS_TOKEN="+srv.token(t, "revops"),
		"ANALYST_TOKEN="+srv.token(t, "analyst"),
		"ADMIN_TOKEN="+srv.token(t, "admin"),
		"CHROMIUM="+chromium,
		"ARTIFACTS=artifacts",
		"SCREENSHOTS="+os.Getenv("QUALIFY_CONSOLE_SCREENSHOTS"),
	)
	out, err := run.CombinedOutput()
	t.Logf("journeys:\n%s", out)
	if err != nil {
		t.Fatalf("browser journeys failed (%v); server log:\n%s", err, srv.log())
	}
}

func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("browser journeys need %s", what)
	}
	t.Skipf("browser journeys skipped: they need %s", what)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// server is a running `qualify serve --dev` and what it printed.
type server struct {
	mu  sync.Mutex
	out strings.Builder
}

func startServer(t *testing.T, bin, addr, dir, policies string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--dev", "--addr", addr, "--sqlite", filepath.Join(dir, "qualify.db"),
		"--policies", policies, "--seed-if-empty", "400", "--policy-poll", "200ms",
		"--require-publish-approval") // four-eyes: the revops journey publishes what an admin approved
	cmd.Dir = dir
	// The journeys run on their own SQLite file: a DATABASE_URL in the environment (CI sets one
	// for the PostgreSQL suite) would point the server at PostgreSQL, which --dev refuses.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "QUALIFY_DATABASE_URL=")
	})
	s := &server{}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		timer := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
		<-done
		_ = cmd.Wait()
		timer.Stop()
	})
	// Ready once it answers and has printed the development tokens.
	deadline := time.Now().Add(3 * time.Minute) // seeding on a loaded CI machine
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.Contains(s.log(), "analyst ") {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("qualify serve did not get ready; log:\n%s", s.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// token is the development token printed for role: the line after "  <role> Name <email> …".
func (s *server) token(t *testing.T, role string) string {
	lines := strings.Split(s.log(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, fmt.Sprintf("  %-8s ", role)) && i+1 < len(lines) {
			return strings.TrimSpace(lines[i+1])
		}
	}
	t.Fatalf("no %s token in the server's output:\n%s", role, s.log())
	return ""
}
