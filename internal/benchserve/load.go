// Package benchserve measures what Qualify costs to serve against a hand-written Go handler doing
// the same SQL (the reference) and, when npm is there, PostGraphile over the same database: a
// closed-loop load generator, the reference handler, and A-B-A rounds that print ratios.
package benchserve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Request builds worker w's i-th request body (a GraphQL POST body, or the reference's).
type Request func(w, i int) []byte

// Result is one measurement: throughput and latency of the requests that answered 200.
type Result struct {
	Requests int
	Errors   int
	Took     time.Duration
	P50, P99 time.Duration
	// CPU is the server process's CPU time (user and system) during the measurement; 0 where
	// it could not be read.
	CPU time.Duration
	// FirstError is the body of the first failed answer, for the report.
	FirstError string
}

// RPS is the answered requests per second.
func (r Result) RPS() float64 {
	if r.Took <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Took.Seconds()
}

// cpuPerRequest is the server's CPU time per answered request in µs, "-" when unknown. It counts
// what the server spends on its own during the measurement too (its collector, its pool), which
// is part of what serving costs.
func (r Result) cpuPerRequest() string {
	if r.CPU <= 0 || r.Requests == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fµs", float64(r.CPU.Microseconds())/float64(r.Requests))
}

// Load posts requests to url from workers concurrent clients, each sending its next request as
// soon as the previous one is answered (a closed loop, as wrk does), for d.
func Load(ctx context.Context, client *http.Client, url string, header http.Header, workers int, d time.Duration, next Request) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lat := make([][]time.Duration, workers)
	errs := make([]int, workers)
	var firstErr string
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				status, body, err := post(ctx, client, url, header, next(w, i))
				if ctx.Err() != nil {
					return // cut by the end of the run: neither counted nor an error
				}
				if err != nil || status != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
					errs[w]++
					once.Do(func() { firstErr = fmt.Sprintf("status %d, err %v: %.300s", status, err, body) })
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := Result{Requests: len(all), Took: time.Since(start), FirstError: firstErr}
	for _, n := range errs {
		r.Errors += n
	}
	if len(all) > 0 {
		r.P50, r.P99 = all[len(all)*50/100], all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

func post(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// NewClient is an HTTP client that keeps a connection per worker alive.
func NewClient(workers int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        workers * 2,
			MaxIdleConnsPerHost: workers * 2,
			IdleConnTimeout:     time.Minute,
		},
	}
}

func stringReader(s string) io.Reader { return strings.NewReader(s) }
