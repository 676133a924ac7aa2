package lambdametrics

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// dist is a distribution of durations in whole microseconds, in fixed
// log-scale buckets of atomic counters: a value below 16 µs has a bucket of
// its own; above, each power of two is cut into 16 equal buckets, so a
// bucket spans at most 1/16 of its lower bound and its midpoint is within
// 1/32 (3.125 %) of every value in it. Values from 2^40 µs (12.7 days) on
// share the last bucket. Count, sum, minimum and maximum are exact.
type dist struct {
	count   atomic.Int64
	sum     atomic.Int64 // µs
	min     atomic.Int64 // µs; math.MaxInt64 while empty
	max     atomic.Int64 // µs
	buckets [numBuckets]atomic.Int64
}

const (
	subBits    = 4
	subCount   = 1 << subBits
	maxOctave  = 39 // the highest power of two with buckets of its own
	numBuckets = subCount + (maxOctave-subBits+1)*subCount
)

func newDist() *dist {
	d := &dist{}
	d.min.Store(math.MaxInt64)
	return d
}

// bucketOf is the bucket of x µs (x ≥ 0).
func bucketOf(x int64) int {
	if x < subCount {
		return int(x)
	}
	oct := bits.Len64(uint64(x)) - 1
	if oct > maxOctave {
		return numBuckets - 1
	}
	sub := int(x>>(oct-subBits)) & (subCount - 1)
	return (oct-subBits+1)*subCount + sub
}

// bucketBounds are the values of bucket i: [lo, hi).
func bucketBounds(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i) + 1
	}
	oct := i/subCount - 1 + subBits
	sub := int64(i % subCount)
	shift := oct - subBits
	return (subCount + sub) << shift, (subCount + sub + 1) << shift
}

// add records one value of x µs.
func (d *dist) add(x int64) {
	x = max(x, 0)
	d.buckets[bucketOf(x)].Add(1)
	d.sum.Add(x)
	for m := d.min.Load(); x < m && !d.min.CompareAndSwap(m, x); m = d.min.Load() {
	}
	for m := d.max.Load(); x > m && !d.max.CompareAndSwap(m, x); m = d.max.Load() {
	}
	d.count.Add(1) // last: a reader that sees the count sees a settled minimum and maximum
}

// distSnap is a distribution taken out of a dist.
type distSnap struct {
	count, sum, min, max int64
	buckets              map[int]int64 // non-empty buckets
}

// take moves d's figures into a snapshot and empties d. No writer may be
// adding to d meanwhile (the slot's guard is down).
func (d *dist) take() distSnap {
	s := distSnap{count: d.count.Swap(0)}
	if s.count == 0 {
		return s
	}
	s.sum, s.min, s.max = d.sum.Swap(0), d.min.Swap(math.MaxInt64), d.max.Swap(0)
	s.buckets = map[int]int64{}
	for i := range d.buckets {
		if n := d.buckets[i].Swap(0); n > 0 {
			s.buckets[i] = n
		}
	}
	return s
}

// merge adds o into s (for the account-wide figures).
func (s *distSnap) merge(o distSnap) {
	if o.count == 0 {
		return
	}
	if s.count == 0 {
		s.min, s.max = o.min, o.max
	}
	s.count += o.count
	s.sum += o.sum
	s.min, s.max = min(s.min, o.min), max(s.max, o.max)
	if s.buckets == nil {
		s.buckets = map[int]int64{}
	}
	for i, n := range o.buckets {
		s.buckets[i] += n
	}
}
