// Package safehttp is an HTTP client for URLs that users give the server (webhook endpoints):
// it refuses loopback, private, link-local and other internal addresses after DNS resolution,
// so a name that resolves to 127.0.0.1 or a redirect to the metadata service cannot reach inside
// (server-side request forgery), and it bounds time and response size.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Config says what the client may reach and how long it may take.
type Config struct {
	// AllowPrivate lets requests reach loopback, private and link-local addresses (tests, a
	// receiver on the same host); off in production.
	AllowPrivate bool
	// Timeout bounds a whole request, response body included (default 10 s).
	Timeout time.Duration
	// MaxResponseBytes caps the response body read (default 64 KiB); the rest is dropped.
	MaxResponseBytes int64
}

// ErrForbiddenAddress is a request to an address the client must not reach.
var ErrForbiddenAddress = errors.New("address not allowed")

// Client sends requests under a Config.
type Client struct {
	http *http.Client
	max  int64
}

// New returns a client under cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 64 << 10
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		// Control sees the address after resolution, for every connection (redirects too).
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			return checkAddress(address)
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would resolve the name where the check cannot see it
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Client{
		max: cfg.MaxResponseBytes,
		http: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			// A receiver answers; it does not send us elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Response is what came back: the status and at most MaxResponseBytes of the body.
type Response struct {
	StatusCode int
	Body       []byte
}

// Do sends req and reads a capped body.
func (c *Client) Do(ctx context.Context, req *http.Request) (Response, error) {
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.max))
	// Drain a little more so the connection can be reused, but never unbounded.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.max))
	return Response{StatusCode: resp.StatusCode, Body: body}, err
}

// CheckURL validates a user-given URL before it is stored: http or https, a host, and no
// literal forbidden address (names are checked again on every connection).
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("the scheme must be http or https")
	}
	if u.Hostname() == "" {
		return errors.New("the URL has no host")
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not allowed")
	}
	if allowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && Forbidden(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	if u.Hostname() == "localhost" {
		return fmt.Errorf("%w: localhost", ErrForbiddenAddress)
	}
	return nil
}

func checkAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", ErrForbiddenAddress, host)
	}
	if Forbidden(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	return nil
}

// sharedAddressSpace is carrier-grade NAT (RFC 6598), internal to a provider.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// Forbidden reports whether ip is internal: loopback, private (RFC 1918, fc00::/7), link-local
// (169.254/16 with cloud metadata, fe80::/10), unspecified, multicast or shared address space.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || sharedAddressSpace.Contains(ip)
}
