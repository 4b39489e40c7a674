package benchserve

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// proc is a server the harness started.
type proc struct {
	name string
	cmd  *exec.Cmd
	base string // http://host:port
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// cpu is the CPU time the process has used so far.
func (p *proc) cpu() (time.Duration, error) {
	if p == nil || p.cmd.Process == nil {
		return 0, fmt.Errorf("not running")
	}
	return cpuOf(p.cmd.Process.Pid)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs argv with its output in logFile and waits until ready answers true.
func start(ctx context.Context, name, logFile, base string, ready func() bool, argv ...string) (*proc, error) {
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, base: base}
	deadline := time.Now().Add(3 * time.Minute)
	for !ready() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not get ready; see %s", name, logFile)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return p, nil
}

func answers200(method, url, body string) func() bool {
	return func() bool {
		req, _ := http.NewRequest(method, url, nil)
		if body != "" {
			req, _ = http.NewRequest(method, url, stringReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
}

// startQualify serves `qualify serve` on databaseURL with the harness's JWT secret, no rate limit
// and no sweep (background reviews would load the machine between rounds).
func startQualify(ctx context.Context, cfg Config, databaseURL, logFile string, pprofAddr string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	argv := []string{cfg.QualifyBin, "serve", "--database-url", databaseURL, "--addr", addr,
		"--policies", cfg.Policies, "--jwt-secret", Secret, "--rate-limit", "0", "--sweep-interval", "-1s",
		"--production", "--shutdown-drain", "0s"}
	if pprofAddr != "" {
		argv = append(argv, "--pprof-addr", pprofAddr)
	}
	base := "http://" + addr
	return start(ctx, "qualify", logFile, base, answers200("GET", base+"/readyz", ""), argv...)
}

// startReference runs this program's reference subcommand.
func startReference(ctx context.Context, self, databaseURL, logFile string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	return start(ctx, "reference", logFile, base, answers200("POST", base+"/list", "{}"),
		self, "reference", "--addr", addr, "--database-url", databaseURL)
}

// PostGraphileVersion is the release the issue measured against.
const PostGraphileVersion = "4.14.1"

// InstallPostGraphile installs PostGraphile into dir (outside the repository) unless it is there,
// and returns its executable, or an error when npm is missing or the install fails.
func InstallPostGraphile(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "node_modules", ".bin", "postgraphile")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("no npm: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "postgraphile@"+PostGraphileVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install postgraphile: %w\n%s", err, out)
	}
	return bin, nil
}

func startPostGraphile(ctx context.Context, bin, databaseURL, logFile string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	base := "http://" + addr
	return start(ctx, "postgraphile", logFile, base, answers200("POST", base+"/graphql", `{"query":"{ __typename }"}`),
		bin, "--connection", databaseURL, "--schema", "public", "--host", host, "--port", port)
}
