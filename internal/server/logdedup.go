package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// repeatWindow is how long an error line is not written again once written; the next one after
// the window says how many were held back.
const repeatWindow = 10 * time.Second

// maxRepeatKeys bounds the distinct lines remembered; past it the memory starts afresh.
const maxRepeatKeys = 1000

// repeatLimiter keeps an outage from writing the same error line thousands of times: within
// repeatWindow each distinct message and error is written once, and the next line after the
// window carries the count of those held back ("repeated").
type repeatLimiter struct {
	mu   sync.Mutex
	seen map[string]*repeats
	now  func() time.Time
}

type repeats struct {
	since time.Time
	held  int
}

func newRepeatLimiter() *repeatLimiter {
	return &repeatLimiter{seen: map[string]*repeats{}, now: time.Now}
}

// allow reports whether a line with key may be written, and how many were held back since the
// last one.
func (l *repeatLimiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	r, ok := l.seen[key]
	if ok && now.Sub(r.since) < repeatWindow {
		r.held++
		return false, 0
	}
	if len(l.seen) >= maxRepeatKeys {
		clear(l.seen)
	}
	held := 0
	if ok {
		held = r.held
	}
	l.seen[key] = &repeats{since: now}
	return true, held
}

func (l *repeatLimiter) log(ctx context.Context, log *slog.Logger, level slog.Level, msg string, attrs ...any) {
	key := msg
	if len(attrs) > 1 {
		if e, ok := attrs[1].(string); ok { // errorAttrs start with "err", its text
			key += "\x00" + e
		}
	}
	ok, held := l.allow(key)
	if !ok {
		return
	}
	if held > 0 {
		attrs = append(attrs, "repeated", held)
	}
	log.Log(ctx, level, msg, attrs...)
}

func (l *repeatLimiter) warn(ctx context.Context, log *slog.Logger, msg string, attrs ...any) {
	l.log(ctx, log, slog.LevelWarn, msg, attrs...)
}

func (l *repeatLimiter) error(ctx context.Context, log *slog.Logger, msg string, attrs ...any) {
	l.log(ctx, log, slog.LevelError, msg, attrs...)
}
