package benchserve

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StatementCounter is a TCP proxy in front of PostgreSQL that counts the statements clients run,
// by their first word (SELECT, INSERT, BEGIN…), from the frontend protocol: a simple Query, or an
// Execute of a portal bound to a parsed statement. Servers run behind it only to be counted.
//
// Work a server does on its own rather than for a request is left out: River's queries (sqlc
// marks each with a "-- name: X" comment: job polling, leader election, scheduling) and the
// pool's "-- ping". It made a page of Qualify's look like 4.2 statements (WITH 0.1, BEGIN 0.1…).
type StatementCounter struct {
	ln       net.Listener
	upstream string
	seen     atomic.Int64 // statements passed, counted or not: Settle watches it

	mu     sync.Mutex
	counts map[string]int
}

// NewStatementCounter listens on a free local port and forwards to upstream (host:port).
func NewStatementCounter(upstream string) (*StatementCounter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &StatementCounter{ln: ln, upstream: upstream, counts: map[string]int{}}
	go c.accept()
	return c, nil
}

// Addr is the proxy's host:port.
func (c *StatementCounter) Addr() string { return c.ln.Addr().String() }

// Close stops listening.
func (c *StatementCounter) Close() error { return c.ln.Close() }

// Settle waits until no statement has passed for quiet (at most for limit): the proxy counts in
// its own goroutines, so a server's answer can reach the client before its last statement is
// counted, and a count taken at once would leave it to the next one.
func (c *StatementCounter) Settle(quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for prev := c.seen.Load(); time.Now().Before(deadline); {
		time.Sleep(quiet)
		n := c.seen.Load()
		if n == prev {
			return
		}
		prev = n
	}
}

// Take returns the counts so far and starts again from zero.
func (c *StatementCounter) Take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = map[string]int{}
	return out
}

func (c *StatementCounter) accept() {
	for {
		down, err := c.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", c.upstream)
		if err != nil {
			_ = down.Close()
			continue
		}
		go func() { _, _ = io.Copy(down, up); _ = down.Close() }()
		go func() { c.read(io.TeeReader(down, up)); _ = up.Close() }()
	}
}

// read follows one client's messages; they are forwarded as they are read.
func (c *StatementCounter) read(r io.Reader) {
	br := bufio.NewReader(r)
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil { // the startup message has no type byte
		return
	}
	if _, err := io.CopyN(io.Discard, br, int64(binary.BigEndian.Uint32(head[:]))-4); err != nil {
		return
	}
	statements := map[string]string{} // prepared statement name → text
	portals := map[string]string{}    // portal name → text
	var tx txState
	for {
		kind, err := br.ReadByte()
		if err != nil {
			return
		}
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return
		}
		msg := make([]byte, int(binary.BigEndian.Uint32(head[:]))-4)
		if _, err := io.ReadFull(br, msg); err != nil {
			return
		}
		fields := strings.Split(string(msg), "\x00")
		switch kind {
		case 'Q':
			c.count(&tx, fields[0])
		case 'P':
			if len(fields) > 1 {
				statements[fields[0]] = fields[1]
			}
		case 'B':
			if len(fields) > 1 {
				portals[fields[0]] = statements[fields[1]]
			}
		case 'E':
			c.count(&tx, portals[fields[0]])
		}
	}
}

// txState follows one connection's transaction, so that a background transaction (River's
// BEGIN, its marked queries, COMMIT) is left out whole: a BEGIN is counted with the first
// statement after it, and the COMMIT or ROLLBACK of one whose first statement was River's is not.
type txState struct {
	begin      string // a BEGIN not counted yet
	background bool
}

func (c *StatementCounter) count(tx *txState, query string) {
	query = strings.TrimSpace(query)
	for strings.HasPrefix(query, "--") { // a leading comment
		comment, rest, _ := strings.Cut(query, "\n")
		if strings.HasPrefix(comment, "-- name: ") || strings.HasPrefix(comment, "-- ping") {
			// River's own queries, or the pool's health check: no request's work.
			if tx.begin != "" {
				tx.begin, tx.background = "", true
			}
			return
		}
		query = strings.TrimSpace(rest)
	}
	word, _, _ := strings.Cut(query, " ")
	word = strings.ToUpper(strings.TrimRight(word, ";"))
	switch {
	case word == "":
		return
	case word == "BEGIN" || word == "START":
		tx.begin, tx.background = word, false
		return
	case (word == "COMMIT" || word == "ROLLBACK" || word == "END") && tx.background:
		tx.background = false
		return
	}
	c.mu.Lock()
	if tx.begin != "" {
		c.counts[tx.begin]++
		tx.begin = ""
	}
	c.counts[word]++
	c.mu.Unlock()
	c.seen.Add(1)
}
