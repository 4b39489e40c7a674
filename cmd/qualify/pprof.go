package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	rpprof "runtime/pprof"
	"time"
)

// servePprof serves Go's profiles on addr, a listener of its own so that the API never exposes
// them: `go tool pprof http://addr/debug/pprof/profile?seconds=20` profiles a running server
// (make bench-serve does, under load). It stops with ctx.
func servePprof(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof listener", "addr", addr, "err", err)
		}
	}()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	log.Info("pprof serving", "addr", addr)
}

// startCPUProfile profiles the process's CPU into the file at path until the returned stop is
// called: a one-shot command such as seed has no server to ask.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := rpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		rpprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
