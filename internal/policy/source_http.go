package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// maxBundleBytes bounds a downloaded bundle archive.
const maxBundleBytes = 64 << 20

// BundleOptions configure a BundleSource. The zero value is usable.
type BundleOptions struct {
	// Interval between polls; default 5s. Replicas polling one service converge within it.
	Interval time.Duration
	// MaxBackoff caps the delay between polls while the service fails; default 1m.
	MaxBackoff time.Duration
	// Client defaults to one with a 30s timeout.
	Client *http.Client
	// Header is sent with every request, e.g. Authorization.
	Header http.Header
	Logger *slog.Logger
}

// BundleSource polls a bundle service with OPA's bundle protocol: GET the bundle archive with
// If-None-Match set to the last ETag; 304 means unchanged, 200 brings a .tar.gz to verify and
// load. While the service fails, the active revision keeps serving and polls back off.
type BundleSource struct {
	loader     Loader
	url        string
	interval   time.Duration
	maxBackoff time.Duration
	client     *http.Client
	header     http.Header
	log        *slog.Logger

	mu       sync.Mutex // guards the fields below: Sync may be called beside Run
	etag     string
	lastHash string
}

// NewBundleSource returns a source for the bundle archive at url.
func NewBundleSource(l Loader, url string, opts BundleOptions) *BundleSource {
	s := &BundleSource{loader: l, url: url, interval: opts.Interval, maxBackoff: opts.MaxBackoff,
		client: opts.Client, header: opts.Header.Clone(), log: opts.Logger}
	if s.interval <= 0 {
		s.interval = 5 * time.Second
	}
	if s.maxBackoff <= 0 {
		s.maxBackoff = time.Minute
	}
	s.maxBackoff = max(s.maxBackoff, s.interval)
	if s.client == nil {
		s.client = &http.Client{Timeout: 30 * time.Second}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// errFetch marks failures to get a bundle, as opposed to a bundle that was refused.
var errFetch = errors.New("bundle service")

// Sync polls once. It returns nil when the bundle is unchanged or was activated, a *RefusedError
// when the engine refused it, and another error when the service could not be asked.
func (s *BundleSource) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", errFetch, err)
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	if s.etag != "" {
		req.Header.Set("If-None-Match", s.etag)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", errFetch, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil
	case http.StatusOK:
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // lets the connection be reused
		return fmt.Errorf("%w: GET %s: %s", errFetch, s.url, resp.Status)
	}
	files, err := ReadTarball(io.LimitReader(resp.Body, maxBundleBytes))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errFetch, s.url, err)
	}
	if files.Hash() != s.lastHash {
		err = safeLoad(ctx, s.loader, files, s.url)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	// Remember the ETag even of a refused bundle: the service answers 304 until it changes,
	// instead of sending a bundle known to be bad on every poll.
	s.etag, s.lastHash = resp.Header.Get("ETag"), files.Hash()
	return err
}

// Run polls until ctx is done, and returns nil then.
func (s *BundleSource) Run(ctx context.Context) error {
	failures := 0
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := s.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errFetch):
			failures++
			delay := s.backoff(failures)
			s.log.Warn("policy bundle service unavailable; the active revision keeps serving",
				"url", s.url, "err", err, "failures", failures, "retry_in", delay)
			t.Reset(delay)
		default: // nil or refused (logged by the Engine)
			if failures > 0 {
				s.log.Info("policy bundle service reachable again", "url", s.url)
			}
			failures = 0
			t.Reset(s.interval)
		}
	}
}

// backoff doubles the interval per consecutive failure up to maxBackoff, with ±20% jitter so that
// replicas do not hit a recovering service in step.
func (s *BundleSource) backoff(failures int) time.Duration {
	d := s.interval
	for i := 1; i < failures && d < s.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.maxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
