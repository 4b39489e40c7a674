package benchserve

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// memory is a server process's resident memory as Linux accounts it: the peak since it started
// (VmHWM) and now (VmRSS), in bytes. The issue compares RSS after the runs with PostGraphile's;
// Qualify's collector runs at --gc-percent 400, which trades memory for CPU, so the harness
// reports what that costs.
type memory struct{ Peak, Now int64 }

// memoryOf reads the memory of process pid from /proc; it fails where there is no /proc.
func memoryOf(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	return parseStatus(f)
}

// parseStatus reads VmHWM and VmRSS ("VmRSS:\t  12345 kB") of a /proc/<pid>/status.
func parseStatus(r io.Reader) (memory, error) {
	var m memory
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			return memory{}, fmt.Errorf("%s: unexpected %q", key, val)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("%s: %w", key, err)
		}
		if key == "VmHWM" {
			m.Peak = kb << 10
		} else {
			m.Now = kb << 10
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if found != 2 {
		return memory{}, fmt.Errorf("no VmHWM and VmRSS in the status")
	}
	return m, nil
}

// printMemory prints every server's resident memory after a shape's rounds, one line.
func printMemory(w io.Writer, shape string, servers []*server) {
	var parts []string
	for _, s := range servers {
		if s.proc == nil || s.proc.cmd.Process == nil {
			continue
		}
		m, err := memoryOf(s.proc.cmd.Process.Pid)
		if err != nil {
			parts = append(parts, fmt.Sprintf("%s: %v", s.name, err))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.0f MB (peak %.0f MB)", s.name, float64(m.Now)/(1<<20), float64(m.Peak)/(1<<20)))
	}
	fmt.Fprintf(w, "  RSS after %s: %s\n", shape, strings.Join(parts, ", "))
}
