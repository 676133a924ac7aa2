package dashboard

import (
	"fmt"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// BenchmarkSample100 is the sampler's work each second with 100 functions
// that all ran in the second (the histograms scanned): what the server pays
// for the dashboard whether or not a page is open.
func BenchmarkSample100(b *testing.B) {
	s, _, c := sampler100()
	t0 := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for f := range 100 {
			c.Invoked(sc, fmt.Sprint("fn-", f), lambda.InvokeRecord{Duration: time.Duration(i%50+1) * time.Millisecond})
		}
		s.sample(t0.Add(time.Duration(i) * time.Second))
	}
}

// BenchmarkSnapshotJSON100 is one tick's snapshot of 100 functions encoded:
// done once per tick and account/region, however many pages read it.
func BenchmarkSnapshotJSON100(b *testing.B) {
	s, _, _ := sampler100()
	t := s.sample(time.Now())
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len((&scopeTick{snap: t.scopes[ar].snap}).JSON()) // a fresh encoding each round
	}
	b.ReportMetric(float64(n), "bytes")
}

func sampler100() (*sampler, any, *Counters) {
	fns := make([]lambda.FunctionOverview, 100)
	for i := range fns {
		fns[i] = lambda.FunctionOverview{Name: fmt.Sprint("fn-", i), LogGroup: "/aws/lambda/fn"}
	}
	s, books, c := newTestSampler(fakeFunctions{sc: fns})
	return s, books, c
}

// BenchmarkCountersInvoked is what the dashboard adds to each invocation:
// one record, from parallel callers over 100 functions.
func BenchmarkCountersInvoked(b *testing.B) {
	c := &Counters{}
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprint("fn-", i)
		c.Invoked(sc, names[i], lambda.InvokeRecord{})
	}
	rec := lambda.InvokeRecord{Qualifier: "live", Duration: 3 * time.Millisecond, Spillover: true}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Invoked(sc, names[i%100], rec)
			i++
		}
	})
}
