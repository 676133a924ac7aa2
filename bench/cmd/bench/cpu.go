package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/PID/stat times (USER_HZ is 100 on Linux).
const userHZ = 100

// cpuTime is the user+system CPU time pid has used so far (0 if unknown).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	// rest starts at field 3 (state): utime is field 14, stime field 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / userHZ
}

// cpuMeter measures the CPU a set of processes used between start and stop.
type cpuMeter struct {
	pids  func() []int
	start map[int]time.Duration
}

func newCPUMeter(pids func() []int) *cpuMeter {
	m := &cpuMeter{pids: pids, start: map[int]time.Duration{}}
	for _, p := range pids() {
		m.start[p] = cpuTime(p)
	}
	return m
}

// used is the CPU time spent since the meter was made by the processes it
// saw then (processes started since count from zero).
func (m *cpuMeter) used() time.Duration {
	var total time.Duration
	for _, p := range m.pids() {
		total += cpuTime(p) - m.start[p]
	}
	return total
}

// perRequest formats CPU time per request in µs.
func perRequest(cpu time.Duration, n int) string {
	if n == 0 || cpu <= 0 {
		return "–"
	}
	return strconv.FormatInt((cpu/time.Duration(n)).Microseconds(), 10) + " µs"
}
