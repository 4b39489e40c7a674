package safehttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestForbiddenAddresses(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"fe80::1", "fc00::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "100.64.0.1", "224.0.0.1"} {
		if !Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"} {
		if Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s refused", s)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"ftp://example.com/", "http:///x", "http://127.0.0.1/", "http://[::1]:80/", "http://localhost/", "http://u:p@example.com/", "http://169.254.169.254/latest"} {
		if CheckURL(u, false) == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if err := CheckURL("https://hooks.example.com/in", false); err != nil {
		t.Error(err)
	}
	if err := CheckURL("http://127.0.0.1:9/", true); err != nil {
		t.Error(err)
	}
}

// A name resolving to loopback is refused at connection time, after resolution.
func TestRefusesLoopbackAfterResolution(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	c := New(Config{Timeout: 5 * time.Second})
	for _, u := range []string{"http://localhost" + port, srv.URL} {
		req, _ := http.NewRequest(http.MethodPost, u, nil)
		if _, err := c.Do(context.Background(), req); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the server was reached %d times", hits)
	}
	// Configured to allow it, the same request goes through.
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	if resp, err := New(Config{AllowPrivate: true}).Do(context.Background(), req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("allowed: %v %v", resp, err)
	}
}

// Redirects are not followed (a public receiver cannot send the request inside).
func TestNoRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/in" {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			return
		}
		t.Error("the redirect was followed")
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/in", nil)
	resp, err := New(Config{AllowPrivate: true}).Do(context.Background(), req)
	if err != nil || resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("%v %v", resp, err)
	}
}

func TestTimeoutAndSizeCap(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-block
			return
		}
		_, _ = w.Write([]byte(strings.Repeat("x", 10000)))
	}))
	defer srv.Close()
	defer close(block)
	c := New(Config{AllowPrivate: true, Timeout: 200 * time.Millisecond, MaxResponseBytes: 100})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/big", nil)
	resp, err := c.Do(context.Background(), req)
	if err != nil || len(resp.Body) != 100 {
		t.Fatalf("body %d bytes, err %v; want 100", len(resp.Body), err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/slow", nil)
	if _, err := c.Do(context.Background(), req); err == nil {
		t.Fatal("a receiver that never answers did not time out")
	}
}
