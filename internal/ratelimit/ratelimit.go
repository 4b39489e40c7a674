// Package ratelimit limits each principal's request rate with a token bucket and answers callers
// over their budget with 429, RATE_LIMITED and Retry-After.
package ratelimit

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

// Config is the budget of one principal. A zero PerSecond turns limiting off.
type Config struct {
	// PerSecond is the sustained request rate.
	PerSecond float64
	// Burst is how many requests may come at once. Default: twice PerSecond, at least 1.
	Burst int
}

// idleAfter is how long an unused bucket is kept; a full bucket forgets nothing by being dropped.
const idleAfter = 10 * time.Minute

// Limiter holds one token bucket per principal subject.
type Limiter struct {
	cfg     Config
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
	now     func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter, or nil when cfg turns limiting off (a nil *Limiter's Middleware passes
// everything).
func New(cfg Config) *Limiter {
	if cfg.PerSecond <= 0 {
		return nil
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(2*cfg.PerSecond)))
	}
	return &Limiter{cfg: cfg, buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes a token from subject's bucket, or says how long until one is available.
func (l *Limiter) Allow(subject string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleAfter {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleAfter {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[subject]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)}
		l.buckets[subject] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Middleware limits requests by the principal in their context (put there by authentication,
// which must run first); requests without one are limited by remote address.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subject := "addr:" + r.RemoteAddr
		if p, ok := principal.From(r.Context()); ok && p.Subject != "" {
			subject = p.Subject
		}
		if ok, wait := l.Allow(subject); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
				"message":    "rate limit exceeded, retry after " + strconv.Itoa(secs) + "s",
				"extensions": map[string]any{"code": string(domainerr.CodeRateLimited), "retryAfter": secs},
			}}})
			return
		}
		next.ServeHTTP(w, r)
	})
}
