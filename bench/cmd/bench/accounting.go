package main

import (
	"fmt"
	"slices"
	"strings"
)

// accountingBenchmarks are the go test benchmarks of internal/concurrency:
// the accountant's and, as its baseline, a mutex-and-map counter's
// (floor_bench_test.go).
var accountingBenchmarks = []struct{ name, floor string }{
	{"BenchmarkAcquireRelease", "BenchmarkFloorAcquireRelease"},
	{"BenchmarkAcquireReleaseParallel", "BenchmarkFloorAcquireReleaseParallel"},
}

func benchAccounting(e *benchEnv) error {
	rounds := 5
	if e.plan.quick {
		rounds = 1
	}
	g, err := e.goTestBinary("./internal/concurrency")
	if err != nil {
		return err
	}
	var names []string
	for _, b := range accountingBenchmarks {
		names = append(names, b.name, b.floor)
	}
	pattern := "^(" + strings.Join(names, "|") + ")$"
	args := []string{"-benchmem", "-cpu", "1,2", "-benchtime", e.plan.benchtime}
	progress("   %s (x%d)", g.command(pattern, args...), rounds)
	res, err := g.run(pattern, rounds, args...)
	if err != nil {
		return err
	}
	sec := e.rep.section("Accounting core: acquire + release of one concurrency slot (go test -bench)",
		"benchmark", "-cpu", "ns/op (median)", "M ops/s", "B/op", "allocs/op", "floor ns/op", "vs floor")
	for _, b := range accountingBenchmarks {
		for _, cpus := range []int{1, 2} {
			r, f := res[benchKey{b.name, cpus}], res[benchKey{b.floor, cpus}]
			if r == nil || f == nil {
				return fmt.Errorf("missing result for %s -cpu %d", b.name, cpus)
			}
			ns, fns := r.median("ns/op"), f.median("ns/op")
			allocs := slices.Max(r["allocs/op"])
			sec.row(b.name, fmt.Sprint(cpus), fmt.Sprintf("%.1f", ns), fmt.Sprintf("%.1f", 1e3/ns),
				fmt.Sprint(r.median("B/op")), fmt.Sprint(allocs), fmt.Sprintf("%.1f", fns), ratio(ns/fns))
			if b.name == "BenchmarkAcquireRelease" && cpus == 1 {
				e.rep.target("Slot acquire/release: 0 allocs and ≥ 10 M/s on one core", allocs == 0 && 1e3/ns >= 10,
					fmt.Sprintf("%.1f M/s, %v allocs/op", 1e3/ns, allocs), ratio(1e3/ns/10)+" of 10 M/s; "+ratio(ns/fns)+" the floor's time")
			}
		}
	}
	sec.note("Command: `%s`, run %d times; medians. The floor (internal/concurrency/floor_bench_test.go) is one mutex, the same two map lookups, one limit check and one counter. M ops/s = 1000 / ns per acquire+release pair. The Parallel benchmarks run GOMAXPROCS goroutines on one accountant.", g.command(pattern, args...), rounds)
	return nil
}
