package cloudwatch

import (
	"math"
	"slices"
)

// Aggregate is the samples of one series over one minute: the four
// statistics of a StatisticSet and, for percentiles, a histogram of the
// samples that arrived as values (Value, Values/Counts), not as sets.
//
// The histogram has logarithmic buckets: a nonzero sample v falls in bucket
// i = ceil(ln|v| / ln γ) with γ = 1.02, which holds the magnitudes in
// (γ^(i-1), γ^i], and the bucket stands for 2γ^i/(γ+1). Every magnitude in a
// bucket lies within (γ-1)/(γ+1) < 0.991% of that value, so a percentile
// read from the histogram is within 1% (relative) of the exact nearest-rank
// percentile of the samples, and it is clamped to [Minimum, Maximum]. Only
// the buckets that hold samples are kept: a minute of one distinct value
// costs one bucket.
type Aggregate struct {
	SampleCount float64
	Sum         float64
	Minimum     float64
	Maximum     float64
	// Buckets are sorted by Key, which sorts as the values do: negative
	// keys for negative samples, 0 for zero, positive keys for positive
	// samples.
	Buckets []Bucket
}

// Bucket is a histogram bucket and how many samples it holds.
type Bucket struct {
	Key   int32
	Count float64
}

// Histogram parameters (see Aggregate).
const (
	histGamma = 1.02
	// histOffset keeps the keys of positive samples above 0: the smallest
	// subnormal has i ≈ -37,640, the largest float64 i ≈ 35,850.
	histOffset = 40000
	// HistogramRelativeError bounds a percentile's relative error.
	HistogramRelativeError = (histGamma - 1) / (histGamma + 1)
)

var lnGamma = math.Log(histGamma)

// bucketKey returns v's bucket key.
func bucketKey(v float64) int32 {
	if v == 0 {
		return 0
	}
	i := int32(math.Ceil(math.Log(math.Abs(v)) / lnGamma))
	if v < 0 {
		return -(histOffset + i)
	}
	return histOffset + i
}

// bucketValue is the value a bucket stands for.
func bucketValue(key int32) float64 {
	if key == 0 {
		return 0
	}
	i, sign := key-histOffset, 1.0
	if key < 0 {
		i, sign = -key-histOffset, -1
	}
	// γ^i alone overflows in the top bucket: scale in log space, and clamp
	// (towards every value of the bucket) to the largest float64. math.Exp
	// on amd64 gives +Inf from about 709.2 on, below ln(MaxFloat64):
	// split large exponents.
	x := float64(i)*lnGamma + lnScale
	v := math.Exp(x)
	if x > 700 {
		v = math.Exp(x-10) * math.Exp(10)
	}
	return sign * min(v, math.MaxFloat64)
}

// lnScale is ln(2/(γ+1)), the bucket's representative relative to γ^i.
var lnScale = math.Log(2 / (histGamma + 1))

// HistCount is the number of samples in the histogram.
func (a *Aggregate) HistCount() float64 {
	n := 0.0
	for _, b := range a.Buckets {
		n += b.Count
	}
	return n
}

// Empty reports whether a holds no samples.
func (a *Aggregate) Empty() bool { return a.SampleCount == 0 }

// addStats merges a statistic set without histogram samples.
func (a *Aggregate) addStats(s StatisticSet) {
	if s.SampleCount <= 0 {
		return
	}
	if a.SampleCount == 0 {
		a.Minimum, a.Maximum = s.Minimum, s.Maximum
	} else {
		a.Minimum = min(a.Minimum, s.Minimum)
		a.Maximum = max(a.Maximum, s.Maximum)
	}
	a.SampleCount += s.SampleCount
	a.Sum += s.Sum
}

// AddValue adds count samples of value v.
func (a *Aggregate) AddValue(v, count float64) {
	if count <= 0 {
		return
	}
	a.addStats(StatisticSet{SampleCount: count, Sum: v * count, Minimum: v, Maximum: v})
	a.addBucket(bucketKey(v), count)
}

func (a *Aggregate) addBucket(key int32, count float64) {
	i, found := slices.BinarySearchFunc(a.Buckets, key, func(b Bucket, k int32) int { return int(b.Key) - int(k) })
	if found {
		a.Buckets[i].Count += count
		return
	}
	a.Buckets = slices.Insert(a.Buckets, i, Bucket{Key: key, Count: count})
}

// Merge adds o's samples to a.
func (a *Aggregate) Merge(o Aggregate) { a.mergeWith(&o, nil) }

// mergeWith adds o's samples to a, building the merged histogram in spare's
// memory when it is large enough, and returns a's old bucket slice (emptied)
// for the next call to reuse: summing many minutes allocates only while the
// histogram grows. a's old buckets must not be shared.
func (a *Aggregate) mergeWith(o *Aggregate, spare []Bucket) []Bucket {
	if o.SampleCount <= 0 {
		return spare
	}
	a.addStats(StatisticSet{SampleCount: o.SampleCount, Sum: o.Sum, Minimum: o.Minimum, Maximum: o.Maximum})
	if len(o.Buckets) == 0 {
		return spare
	}
	if len(a.Buckets) == 0 {
		a.Buckets = append(spare[:0], o.Buckets...)
		return nil
	}
	merged := spare[:0]
	if cap(merged) < len(a.Buckets)+len(o.Buckets) {
		// Room to grow: the two buffers that alternate stop allocating
		// once the histogram stops growing.
		merged = make([]Bucket, 0, 2*(len(a.Buckets)+len(o.Buckets)))
	}
	i, j := 0, 0
	for i < len(a.Buckets) && j < len(o.Buckets) {
		switch x, y := a.Buckets[i], o.Buckets[j]; {
		case x.Key < y.Key:
			merged = append(merged, x)
			i++
		case y.Key < x.Key:
			merged = append(merged, y)
			j++
		default:
			merged = append(merged, Bucket{Key: x.Key, Count: x.Count + y.Count})
			i++
			j++
		}
	}
	merged = append(merged, a.Buckets[i:]...)
	merged = append(merged, o.Buckets[j:]...)
	old := a.Buckets
	a.Buckets = merged
	return old[:0]
}

// Percentile returns the p-th percentile (0 ≤ p ≤ 100) of the samples, by
// nearest rank, within HistogramRelativeError; ok is false when some
// samples arrived as statistic sets (AWS computes no percentile then) or
// there are none.
func (a *Aggregate) Percentile(p float64) (v float64, ok bool) {
	n := a.HistCount()
	if n == 0 || n < a.SampleCount*(1-1e-9) {
		return 0, false
	}
	if p <= 0 {
		return a.Minimum, true
	}
	if p >= 100 {
		return a.Maximum, true
	}
	rank := math.Ceil(p / 100 * n)
	if rank < 1 {
		rank = 1
	}
	cum := 0.0
	for _, b := range a.Buckets {
		cum += b.Count
		if cum >= rank*(1-1e-12) {
			return min(max(bucketValue(b.Key), a.Minimum), a.Maximum), true
		}
	}
	return a.Maximum, true
}

// Average is Sum / SampleCount.
func (a *Aggregate) Average() float64 { return a.Sum / a.SampleCount }
