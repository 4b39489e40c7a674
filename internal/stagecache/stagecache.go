// Package stagecache holds the funnel's stages in memory for the API: a handful of rows that
// change only when a policy revision activates, read by every lead and transition a page shows.
package stagecache

import (
	"context"
	"fmt"
	"sync"

	"github.com/qualify/qualify/ent"
)

// Cache maps stage ids to stages. It loads them all at the first use after an invalidation,
// in one statement; a stage id it does not know (added since) loads them again.
type Cache struct {
	client *ent.Client

	load sync.Mutex // one load at a time: the misses of a page's 50 leads wait for it
	mu   sync.Mutex
	byID map[int]*ent.Stage
	gen  uint64 // bumped by Invalidate; a load that saw another generation is not kept
}

// New returns an empty cache reading from client.
func New(client *ent.Client) *Cache { return &Cache{client: client} }

// Invalidate drops the stages; call it after an activation synced them.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID = nil
	c.gen++
}

// Get returns the stage of id.
func (c *Cache) Get(ctx context.Context, id int) (*ent.Stage, error) {
	if s, ok := c.lookup(id); ok {
		return s, nil
	}
	c.load.Lock()
	defer c.load.Unlock()
	c.mu.Lock()
	s, ok := c.byID[id]
	gen := c.gen
	c.mu.Unlock()
	if ok { // loaded by the miss this one waited for
		return s, nil
	}
	// Stages are shared reference data, never row-filtered; read them all.
	all, err := c.client.Stage.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("stagecache: load stages: %w", err)
	}
	byID := make(map[int]*ent.Stage, len(all))
	for _, s := range all {
		byID[s.ID] = s
	}
	c.mu.Lock()
	if c.gen == gen {
		c.byID = byID
	}
	c.mu.Unlock()
	if s, ok := byID[id]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("stagecache: no stage %d", id)
}

func (c *Cache) lookup(id int) (*ent.Stage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.byID[id]
	return s, ok
}
