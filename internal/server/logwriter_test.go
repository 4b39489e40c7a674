package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/server"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int // writes
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.b.Write(p)
}

func (l *lockedBuffer) get() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.n
}

// Info lines are written together at the interval; an error goes out at once with the lines
// held before it, in order; the end of the context writes the rest.
func TestLogWriterBatchesInfoAndFlushesErrors(t *testing.T) {
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	w := server.NewLogWriter(ctx, out, time.Hour)
	log := slog.New(server.FlushAbove(slog.NewJSONHandler(w, nil), w, slog.LevelWarn))
	for range 100 {
		log.Info("http request")
	}
	if s, _ := out.get(); s != "" {
		t.Fatalf("info lines written before the interval: %q", s[:min(len(s), 80)])
	}
	log.Error("boom")
	s, n := out.get()
	if n != 1 || strings.Count(s, "http request") != 100 || !strings.HasSuffix(strings.TrimSpace(s), `"msg":"boom"}`) {
		t.Fatalf("after an error: %d writes, %d info lines, ends %q", n, strings.Count(s, "http request"), s[max(0, len(s)-40):])
	}
	log.Info("last")
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := out.get(); strings.Contains(s, `"last"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the held line was not written when the context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
