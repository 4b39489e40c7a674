package benchserve

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with a space and a parenthesis, utime 250 and stime 50 ticks.
	line := "4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 11 0 12345 1000 200"
	got, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("parseStat = %s, want %s", got, want)
	}
	if _, err := parseStat("no name here"); err == nil {
		t.Error("parseStat of a line without a command name did not fail")
	}
}

func TestCPUOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuOf(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}
