package main

import (
	"context"
	"slices"
	"sync"
	"time"
)

// stats summarizes one closed-loop load run.
type stats struct {
	clients  int
	n        int // requests started and finished inside the window
	total    int // requests finished, warm-up included (for CPU per request)
	errors   int
	firstErr error
	window   time.Duration
	rps      float64
	p50, p99 time.Duration
	mean     time.Duration
}

// runLoad drives op from clients goroutines, each sending its next request
// as soon as the previous one is answered (closed loop). Requests started
// during warmup are not counted; the window runs from the end of warmup to
// the last answer of a request started before its end.
func runLoad(ctx context.Context, clients int, warmup, duration time.Duration, op func(client int) error) stats {
	begin := time.Now()
	from := begin.Add(warmup)
	until := from.Add(duration)
	type result struct {
		lat      []time.Duration
		errors   int
		firstErr error
		last     time.Time
		total    int
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[c]
			r.lat = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				err := op(c)
				t1 := time.Now()
				r.total++
				if t0.Before(from) {
					continue
				}
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
					if r.errors > 100 && r.errors > len(r.lat) { // broken: stop hammering
						return
					}
					continue
				}
				r.lat = append(r.lat, t1.Sub(t0))
				r.last = t1
			}
		}()
	}
	wg.Wait()
	s := stats{clients: clients}
	var all []time.Duration
	last := from
	for _, r := range results {
		all = append(all, r.lat...)
		s.errors += r.errors
		s.total += r.total
		if s.firstErr == nil {
			s.firstErr = r.firstErr
		}
		if r.last.After(last) {
			last = r.last
		}
	}
	s.n = len(all)
	s.window = last.Sub(from)
	if s.n == 0 || s.window <= 0 {
		return s
	}
	s.rps = float64(s.n) / s.window.Seconds()
	slices.Sort(all)
	s.p50 = percentile(all, 0.50)
	s.p99 = percentile(all, 0.99)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	s.mean = sum / time.Duration(len(all))
	return s
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return sorted[i]
}

// median of a few samples.
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return percentile(s, 0.5)
}

// contestant is one system measured by compare.
type contestant struct {
	name string
	op   func(client int) error
	pids func() []int // processes whose CPU is charged to it (nil: none)
}

// measured is a contestant's result over all rounds.
type measured struct {
	stats  // medians over the rounds; n, total and errors summed
	cpu    time.Duration
	rounds []stats
}

// compare measures the contestants at the same client count in alternating
// rounds (A B C A B C ...), so that a burst of load from other work on the
// machine hits all of them alike. Each figure is the median over the rounds.
func compare(ctx context.Context, clients, rounds int, warmup, duration time.Duration, cs ...contestant) []measured {
	out := make([]measured, len(cs))
	per := duration / time.Duration(rounds)
	for r := range rounds {
		w := warmup
		if r > 0 {
			w = min(warmup, 50*time.Millisecond)
		}
		for i, c := range cs {
			var m *cpuMeter
			if c.pids != nil {
				m = newCPUMeter(c.pids)
			}
			st := runLoad(ctx, clients, w, per, c.op)
			if m != nil {
				out[i].cpu += m.used()
			}
			out[i].rounds = append(out[i].rounds, st)
		}
	}
	for i := range out {
		out[i].stats = mergeRounds(out[i].rounds)
	}
	return out
}

func mergeRounds(rs []stats) stats {
	s := stats{clients: rs[0].clients}
	var rps []float64
	var p50, p99, mean []time.Duration
	for _, r := range rs {
		s.n += r.n
		s.total += r.total
		s.errors += r.errors
		s.window += r.window
		if s.firstErr == nil {
			s.firstErr = r.firstErr
		}
		if r.n > 0 {
			rps = append(rps, r.rps)
			p50 = append(p50, r.p50)
			p99 = append(p99, r.p99)
			mean = append(mean, r.mean)
		}
	}
	if len(rps) == 0 {
		return s
	}
	slices.Sort(rps)
	s.rps = rps[len(rps)/2]
	s.p50, s.p99, s.mean = median(p50), median(p99), median(mean)
	return s
}
