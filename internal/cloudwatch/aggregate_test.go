package cloudwatch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBucketBound: every value lies within HistogramRelativeError of the
// value its bucket stands for, and bucket keys sort as the values do, over
// the whole float64 range.
func TestBucketBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := []float64{0, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1, -1, 1e-300, 1e300}
	for range 100000 {
		v := math.Float64frombits(rng.Uint64())
		if !finite(v) {
			continue
		}
		vals = append(vals, v, rng.NormFloat64()*1000)
	}
	for i, v := range vals {
		k := bucketKey(v)
		b := bucketValue(k)
		if v == 0 {
			if k != 0 || b != 0 {
				t.Fatalf("0 → key %d value %v", k, b)
			}
			continue
		}
		// Subnormals lose precision in math.Log/Pow; the bound is for
		// normal magnitudes.
		if math.Abs(v) >= 0x1p-1022 && math.Abs(b-v) > HistogramRelativeError*math.Abs(v)*(1+1e-9) {
			t.Fatalf("%v → bucket %d stands for %v: off by %.4f%%", v, k, b, 100*math.Abs(b-v)/math.Abs(v))
		}
		if i > 0 {
			w := vals[i-1]
			if v < w && bucketKey(v) > bucketKey(w) || v > w && bucketKey(v) < bucketKey(w) {
				t.Fatalf("keys of %v and %v sort the other way", v, w)
			}
		}
	}
}

// TestMergeWithReuse: merging through alternating buffers gives the same
// aggregate as merging into fresh memory.
func TestMergeWithReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var fresh, reused Aggregate
	var spare []Bucket
	for range 500 {
		var m Aggregate
		for range 1 + rng.IntN(20) {
			m.AddValue(math.Round(rng.NormFloat64()*100), float64(1+rng.IntN(3)))
		}
		fresh.Merge(m)
		spare = reused.mergeWith(&m, spare)
	}
	if fresh.SampleCount != reused.SampleCount || fresh.Sum != reused.Sum || len(fresh.Buckets) != len(reused.Buckets) {
		t.Fatalf("fresh %+v\nreused %+v", fresh, reused)
	}
	for i := range fresh.Buckets {
		if fresh.Buckets[i] != reused.Buckets[i] {
			t.Fatalf("bucket %d: %+v vs %+v", i, fresh.Buckets[i], reused.Buckets[i])
		}
	}
}
