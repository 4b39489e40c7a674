package policy

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// An operator sees on /metrics which revision is live and how often saves went live or were
// refused, by where they came from.
func TestActivationMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	scrape := func() string {
		t.Helper()
		res, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	expect := func(body string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(body, l+"\n") {
				t.Errorf("/metrics lacks %q:\n%s", l, grepPolicy(body))
			}
		}
	}

	dir := t.TempDir()
	v1 := fixture(t)
	writeTree(t, dir, v1)
	e := New(Options{Logger: testLogger(t), EvalTimeout: 10e9, Registerer: reg})
	src := NewDirSource(e, dir, DirOptions{PollInterval: -1, Logger: testLogger(t)})
	runSource(t, src.Run)
	activeHashIs(t, e, v1)
	rev1 := e.Active().ID()
	expect(scrape(),
		`qualify_policy_activations_total{source="dir"} 1`,
		`qualify_policy_refusals_total{source="dir"} 0`,
		`qualify_policy_active_info{hash="`+v1.Hash()+`",revision="`+rev1+`"} 1`,
	)

	// A good save goes live; the info gauge moves to it (the old series is gone).
	v2 := edit(t, v1, map[string]string{".manifest": `{"revision": "metrics-2", "roots": ["qualify"]}`})
	writeTree(t, dir, v2)
	activeHashIs(t, e, v2)
	body := scrape()
	expect(body,
		`qualify_policy_activations_total{source="dir"} 2`,
		`qualify_policy_active_info{hash="`+v2.Hash()+`",revision="metrics-2"} 1`,
	)
	if strings.Contains(body, `hash="`+v1.Hash()+`"`) {
		t.Errorf("the superseded revision is still reported active:\n%s", grepPolicy(body))
	}

	// A broken save is refused and counted; the active revision is unchanged.
	writeTree(t, dir, edit(t, v2, map[string]string{"qualify/routing.rego": "package qualify.routing\n\nrole := \n", ".manifest": `{"revision": "metrics-3", "roots": ["qualify"]}`}))
	waitFor(t, "the refusal", func() bool { _, ok := e.LastRefused(); return ok })
	expect(scrape(),
		`qualify_policy_activations_total{source="dir"} 2`,
		`qualify_policy_refusals_total{source="dir"} 1`,
		`qualify_policy_active_info{hash="`+v2.Hash()+`",revision="metrics-2"} 1`,
	)
}

func TestSourceKind(t *testing.T) {
	for source, want := range map[string]string{
		"dir:/etc/qualify/policies":    "dir",
		"https://bundles/qualify.tgz":  "bundle",
		"http://bundles/qualify.tgz":   "bundle",
		"database:abc":                 "database",
		"db:abc":                       "database",
		"publish:abc":                  "publish",
		"/srv/policies":                "other",
		"test":                         "other",
		"Weird Label With Spaces:then": "other",
	} {
		if got := sourceKind(source); got != want {
			t.Errorf("sourceKind(%q) = %q, want %q", source, got, want)
		}
	}
}

func grepPolicy(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "qualify_policy_a") || strings.HasPrefix(l, "qualify_policy_r") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// runSource runs a source's Run until the test ends.
func runSource(t *testing.T, run func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}
