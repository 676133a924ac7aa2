package top

import (
	"encoding/json"
	"fmt"
	"testing"
)

// snapshot100 is a snapshot of 100 functions, each with a reservation,
// a provisioned config, per-minute figures and full sparklines.
func snapshot100() *Snapshot {
	s := fixture()
	s.Functions = nil
	for i := range 100 {
		spark := make([]int64, 15)
		for j := range spark {
			spark[j] = int64((i + j) % 9)
		}
		s.Functions = append(s.Functions, Function{Name: fmt.Sprintf("function-%03d", i), Reserved: ptr(i % 10), Inflight: i % 7,
			InvocationsPerMinute: int64(i * 13), ErrorsPerMinute: int64(i % 3), ThrottlesPerMinute: int64(i % 5), P99DurationMs: ptr(float64(i) / 3),
			Invocations: int64(i * 1000), Provisioned: []Provisioned{{Qualifier: "live", Requested: 4, Allocated: 4, Status: "READY"}},
			Sparklines: Sparklines{Inflight: spark, Invocations: spark, Errors: spark, Throttles: spark, Spillover: spark}})
	}
	return s
}

// BenchmarkTopFrame100 renders one frame of 100 functions (what top does
// each refresh), sorted by in flight, as plain text.
func BenchmarkTopFrame100(b *testing.B) {
	s, st := snapshot100(), plainStyles()
	b.ReportAllocs()
	for b.Loop() {
		_ = Frame(s, View{Sort: SortInflight, Selected: "function-050"}, st)
	}
}

// BenchmarkTopDecode100 is the baseline: decoding the same snapshot's JSON,
// the client's other work each refresh.
func BenchmarkTopDecode100(b *testing.B) {
	raw, err := json.Marshal(snapshot100())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var s Snapshot
		if err := json.Unmarshal(raw, &s); err != nil {
			b.Fatal(err)
		}
	}
}
