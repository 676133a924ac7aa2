package concurrency

import (
	"sync"
	"testing"
)

// floorBook is the least a slot counter can do, and the baseline that
// bench/cmd/bench compares BenchmarkAcquireRelease against: one mutex, the
// same two map lookups (scope, then function), one limit check and one
// counter, with no reservations, provisioned pools or lease to hand back.
type floorBook struct {
	mu     sync.Mutex
	limit  int
	scopes map[Scope]map[string]*int
}

func (b *floorBook) acquire(s Scope, fn string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.scopes[s][fn]
	if *n >= b.limit {
		return false
	}
	*n++
	return true
}

func (b *floorBook) release(s Scope, fn string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*b.scopes[s][fn]--
}

func newFloorBook(limit int, s Scope, fn string) *floorBook {
	return &floorBook{limit: limit, scopes: map[Scope]map[string]*int{s: {fn: new(int)}}}
}

var floorScope = Scope{Account: "111111111111", Region: "us-east-1"}

func BenchmarkFloorAcquireRelease(b *testing.B) {
	book := newFloorBook(10, floorScope, "f")
	b.ReportAllocs()
	for b.Loop() {
		if !book.acquire(floorScope, "f") {
			b.Fatal("throttled")
		}
		book.release(floorScope, "f")
	}
}

func BenchmarkFloorAcquireReleaseParallel(b *testing.B) {
	book := newFloorBook(1<<30, floorScope, "f")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !book.acquire(floorScope, "f") {
				b.Fatal("throttled")
			}
			book.release(floorScope, "f")
		}
	})
}
