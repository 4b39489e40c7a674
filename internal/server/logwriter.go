package server

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogWriter holds log lines and writes them out together, every interval or when 64 KiB have
// gathered: the access log's line per request was a write system call per request. Lines of
// warnings and errors go out at once (see FlushAbove), so a crash loses at most an interval of
// info lines.
type LogWriter struct {
	mu  sync.Mutex
	out io.Writer
	buf []byte
}

const logBufferSize = 64 << 10

// NewLogWriter writes to out every interval until ctx ends, then once more.
func NewLogWriter(ctx context.Context, out io.Writer, interval time.Duration) *LogWriter {
	w := &LogWriter{out: out, buf: make([]byte, 0, logBufferSize)}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = w.Flush()
			case <-ctx.Done():
				_ = w.Flush()
				return
			}
		}
	}()
	return w
}

// Write keeps p (a log line) for the next flush.
func (w *LogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf)+len(p) > logBufferSize {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > logBufferSize {
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes the lines held.
func (w *LogWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *LogWriter) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// FlushAbove wraps h, which writes to w, so that a record at level or above is written at once
// with what was held before it.
func FlushAbove(h slog.Handler, w *LogWriter, level slog.Level) slog.Handler {
	return flushingHandler{Handler: h, w: w, level: level}
}

type flushingHandler struct {
	slog.Handler
	w     *LogWriter
	level slog.Level
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithAttrs(attrs), w: h.w, level: h.level}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithGroup(name), w: h.w, level: h.level}
}
