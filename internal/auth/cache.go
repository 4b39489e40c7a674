package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxCached bounds each credential cache: past it, expired entries go, and if none had expired,
// all of them (a flood of distinct valid credentials is then verified as without a cache).
const maxCached = 10_000

// credentialCache remembers what a credential was found to be, by its sha256 (the credential
// itself is never kept), until a given time.
type credentialCache[V any] struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cached[V]
}

type cached[V any] struct {
	v     V
	until time.Time
}

func hashOf(credential string) [sha256.Size]byte { return sha256.Sum256([]byte(credential)) }

func (c *credentialCache[V]) get(key [sha256.Size]byte, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *credentialCache[V]) put(key [sha256.Size]byte, v V, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[[sha256.Size]byte]cached[V]{}
	}
	if len(c.entries) >= maxCached {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCached {
			clear(c.entries)
		}
	}
	c.entries[key] = cached[V]{v: v, until: until}
}

func (c *credentialCache[V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
