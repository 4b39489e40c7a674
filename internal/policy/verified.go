package policy

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// VerifiedCache holds bundles that passed verification, for engines of one process to share:
// an engine given one (Options.Verified) does not verify again a bundle that another verified
// under the same limits. Verification is a pure function of the files and those limits, and
// costs seconds (compile, the bundle's tests, plans, probe); a process that starts many
// engines on one bundle, such as a test binary, pays for it once. Each engine still asks its
// Guard, records, runs its hooks and probes its plans itself. Safe for concurrent use.
type VerifiedCache struct {
	mu   sync.Mutex
	revs map[string]*Revision // by verifiedKey
	hits atomic.Int64         // loads served from the cache, for tests
}

// verifiedCacheSize bounds the bundles kept; beyond it an arbitrary one is dropped.
const verifiedCacheSize = 16

// NewVerifiedCache returns an empty cache.
func NewVerifiedCache() *VerifiedCache { return &VerifiedCache{revs: map[string]*Revision{}} }

func verifiedKey(hash string, cfg verifyConfig) string {
	return fmt.Sprintf("%s/%d/%d", hash, cfg.evalTimeout, cfg.testTimeout)
}

// reuse returns a copy of the verified revision of hash, stamped for this load and with its
// own serving state (cfg's log, metrics and shadow; plans not yet probed).
func (c *VerifiedCache) reuse(hash, source string, loadedAt time.Time, cfg verifyConfig) (*Revision, *Report) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	cached := c.revs[verifiedKey(hash, cfg)]
	c.mu.Unlock()
	if cached == nil {
		return nil, nil
	}
	c.hits.Add(1)
	r := *cached // the immutable parts are shared: prepared queries, plans, files, stages
	rep := *r.report
	rep.Problems, rep.Tests = slices.Clone(rep.Problems), slices.Clone(rep.Tests)
	r.source, r.loadedAt, r.report = source, loadedAt, &rep
	r.run = &planRun{log: cfg.log, metrics: cfg.metrics, shadow: cfg.shadow, data: cached.run.data, probed: make(chan struct{})}
	return &r, &rep
}

func (c *VerifiedCache) remember(rev *Revision, cfg verifyConfig) {
	if c == nil || rev == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.revs) >= verifiedCacheSize {
		for k := range c.revs {
			delete(c.revs, k)
			break
		}
	}
	c.revs[verifiedKey(rev.hash, cfg)] = rev
}
