package ratelimit

import (
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(Config{PerSecond: 2, Burst: 3})
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("over the burst: ok %v, wait %v; want refused with wait <= 0.5 s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another subject shares the bucket")
	}
	now = now.Add(500 * time.Millisecond) // one token refilled
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("a refilled token refused")
	}
	now = now.Add(time.Hour) // idle buckets are swept
	l.Allow("c")
	if _, kept := l.buckets["a"]; kept {
		t.Error("an idle bucket was kept")
	}
	if New(Config{}) != nil {
		t.Error("a zero config limits")
	}
}
