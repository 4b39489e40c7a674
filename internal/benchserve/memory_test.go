package benchserve

import (
	"os"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tqualify\nVmPeak:\t  900000 kB\nVmHWM:\t   91234 kB\nVmRSS:\t   80000 kB\nThreads:\t12\n"
	m, err := parseStatus(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.Peak != 91234<<10 || m.Now != 80000<<10 {
		t.Fatalf("got %+v, want peak %d now %d", m, 91234<<10, 80000<<10)
	}
	if _, err := parseStatus(strings.NewReader("Name:\tx\nVmRSS:\t 1 kB\n")); err == nil {
		t.Fatal("a status without VmHWM parsed")
	}
}

// The harness reads a live process's memory from /proc: this test process's own.
func TestMemoryOfALiveProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	buf := make([]byte, 64<<20) // touched, so resident
	for i := range buf {
		buf[i] = 1
	}
	m, err := memoryOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.Now < 64<<20 || m.Peak < m.Now {
		t.Fatalf("memory %+v: want now ≥ 64 MB and peak ≥ now", m)
	}
	_ = buf[len(buf)-1]
}
