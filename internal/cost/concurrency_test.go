package cost

import "testing"

// A principal holds at most Concurrent expensive slots; a released slot is free again, and
// another principal has its own.
func TestExpensiveSlotsPerPrincipal(t *testing.T) {
	l := New(Config{Concurrent: 2})
	if !l.acquire("user:1") || !l.acquire("user:1") {
		t.Fatal("the first two slots were refused")
	}
	if l.acquire("user:1") {
		t.Fatal("a third concurrent expensive operation was let through")
	}
	if !l.acquire("user:2") {
		t.Fatal("another principal was refused")
	}
	l.release("user:1")
	if !l.acquire("user:1") {
		t.Fatal("a released slot stayed taken")
	}
	l.release("user:1")
	l.release("user:1")
	l.release("user:2")
	if len(l.running) != 0 {
		t.Errorf("slots left: %v", l.running)
	}
}
