package main

import (
	"math"
	"slices"
	"time"
)

// stat is a median with the range it came from.
type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// ok reports whether the stat has any value.
func (s stat) ok() bool { return s.N > 0 }

// summarize returns the median, min and max of vs, ignoring NaNs. The median of an
// even count is the mean of the middle two.
func summarize(vs []float64) stat {
	xs := make([]float64, 0, len(vs))
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return stat{}
	}
	slices.Sort(xs)
	n := len(xs)
	med := xs[n/2]
	if n%2 == 0 {
		med = (xs[n/2-1] + xs[n/2]) / 2
	}
	return stat{Median: med, Min: xs[0], Max: xs[n-1], N: n}
}

// percentiles sorts d in place and returns its nearest-rank p50, p99 and p99.9.
func percentiles(d []time.Duration) (p50, p99, p999 time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	return rank(d, 0.50), rank(d, 0.99), rank(d, 0.999)
}

// rank is the nearest-rank percentile q (0 < q ≤ 1) of sorted d.
func rank(d []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// perSecond is count / elapsed in events per second; 0 for an empty sample.
func perSecond(count int, elapsed time.Duration) float64 {
	if elapsed <= 0 || count <= 0 {
		return 0
	}
	return float64(count) / elapsed.Seconds()
}

// geomean is the geometric mean of positive vs.
func geomean(vs []float64) float64 {
	var sum float64
	for _, v := range vs {
		sum += math.Log(v)
	}
	return math.Exp(sum / float64(len(vs)))
}
