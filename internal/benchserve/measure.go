package benchserve

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// measure runs one shape's rounds. A round is reference, Qualify, PostGraphile, Qualify,
// reference: each server's mean falls on the round's middle, so a drift of the machine's load
// during the round weighs on all alike. Writes leave PostGraphile out.
func measure(ctx context.Context, cfg Config, servers []*server, shape string, leads []int64) error {
	workers := cfg.Readers
	if shape == ShapeActivity {
		workers = cfg.Writers
	}
	order := []int{0, 1}
	if len(servers) > 2 && shape != ShapeActivity {
		order = append(order, 2)
	}
	for i := len(order) - 2; i >= 0; i-- {
		order = append(order, order[i])
	}
	client := NewClient(workers)
	run := func(s *server, d time.Duration) Result {
		before, cpuErr := s.proc.cpu()
		r := Load(ctx, client, s.url(shape), s.headers(), workers, d, func(w, i int) []byte { return s.request(shape, leads, w, i) })
		if after, err := s.proc.cpu(); err == nil && cpuErr == nil {
			r.CPU = after - before
		}
		return r
	}
	if cfg.Warmup > 0 {
		for _, si := range order[:len(order)/2+1] {
			run(servers[si], cfg.Warmup)
		}
	}
	for round := 1; round <= cfg.Rounds; round++ {
		results := make([][]Result, len(servers))
		for _, si := range order {
			results[si] = append(results[si], run(servers[si], cfg.Duration))
		}
		mean := make([]Result, len(servers))
		for si, rs := range results {
			if len(rs) > 0 {
				mean[si] = meanOf(rs)
			}
		}
		load := loadAvg()
		for si, s := range servers {
			if len(results[si]) == 0 {
				continue
			}
			m := mean[si]
			ratios := ""
			if s.name == "qualify" {
				ratios = fmt.Sprintf("%9.2fx", m.RPS()/mean[0].RPS())
				if len(servers) > 2 && len(results[2]) > 0 {
					ratios += fmt.Sprintf(" %9.2fx", m.RPS()/mean[2].RPS())
				} else {
					ratios += fmt.Sprintf(" %10s", "-")
				}
			} else {
				ratios = fmt.Sprintf("%10s %10s", "", "")
			}
			fmt.Fprintf(cfg.Out, "%-15s %-5d %-13s %9.0f %9s %9s %7d %9s %s  %s\n", shape, round, s.name, m.RPS(),
				m.P50.Round(10*time.Microsecond), m.P99.Round(10*time.Microsecond), m.Errors, m.cpuPerRequest(), ratios, load)
			if m.FirstError != "" {
				fmt.Fprintf(cfg.Out, "    first error: %s\n", m.FirstError)
			}
		}
	}
	return nil
}

// meanOf averages a server's measurements of one round (rates, and latencies by their mean).
func meanOf(rs []Result) Result {
	var m Result
	var took time.Duration
	for _, r := range rs {
		m.Requests += r.Requests
		m.Errors += r.Errors
		m.CPU += r.CPU
		took += r.Took
		m.P50 += r.P50 / time.Duration(len(rs))
		m.P99 += r.P99 / time.Duration(len(rs))
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	m.Took = took
	return m
}

// profile takes a CPU profile of Qualify while it serves shape, in a run of its own after the
// measured rounds, and writes it to WorkDir/qualify-<shape>.pprof.
func profile(ctx context.Context, cfg Config, q *server, shape string, leads []int64, pprofAddr string) error {
	workers := cfg.Readers
	if shape == ShapeActivity {
		workers = cfg.Writers
	}
	done := make(chan error, 1)
	file := filepath.Join(cfg.WorkDir, "qualify-"+shape+".pprof")
	go func() {
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, int(cfg.Profile.Seconds())))
		if err != nil {
			done <- err
			return
		}
		defer res.Body.Close()
		f, err := os.Create(file)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	before, cpuErr := q.proc.cpu()
	r := Load(ctx, NewClient(workers), q.url(shape), q.headers(), workers, cfg.Profile+time.Second,
		func(w, i int) []byte { return q.request(shape, leads, w+1000, i) })
	if after, err := q.proc.cpu(); err == nil && cpuErr == nil {
		r.CPU = after - before
	}
	if err := <-done; err != nil {
		return fmt.Errorf("profile %s: %w", shape, err)
	}
	fmt.Fprintf(cfg.Out, "  profile of qualify serving %s (%.0f req/s, %s CPU per request while profiled, load %s): go tool pprof -top %s\n",
		shape, r.RPS(), r.cpuPerRequest(), loadAvg(), file)
	return nil
}
