package cloudwatch

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limits of the model and of AWS's quotas.
const (
	maxMetricData      = 1000 // PutMetricData's data per call
	maxDimensions      = 30
	maxValues          = 150 // Values/Counts per datum
	maxNameLen         = 255
	maxDimValueLen     = 1024
	maxDatapointsStats = 1440 // GetMetricStatistics
	maxQueries         = 500  // GetMetricData's MetricDataQueries
	maxAlarmActions    = 5
	maxAlarmNames      = 100
	maxRecordsAlarms   = 100
	maxTags            = 50
	maxListMetrics     = 500 // ListMetrics' page
	maxDatapointsData  = 100800
)

// standardUnits is the model's StandardUnit enum.
var standardUnits = []Unit{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

func unitNames() string {
	parts := make([]string, len(standardUnits))
	for i, u := range standardUnits {
		parts[i] = string(u)
	}
	return strings.Join(parts, ", ")
}

func (v *violations) checkUnit(member string, u Unit) {
	if u != "" && !slices.Contains(standardUnits, u) {
		v.add(member, cEnum, unitNames())
	}
}

func (v *violations) checkLen(member, s string, lo, hi int) {
	if len(s) < lo {
		v.add(member, cMinLen, lo)
	} else if len(s) > hi {
		v.add(member, cMaxLen, hi)
	}
}

// checkNamespace checks a namespace's length and the model's pattern
// [^:].* (it may not start with a colon).
func (v *violations) checkNamespace(member, ns string) {
	if ns == "" {
		return
	}
	v.checkLen(member, ns, 1, maxNameLen)
	if strings.HasPrefix(ns, ":") {
		v.add(member, cPattern, "[^:].*")
	}
}

func (v *violations) checkDimensions(member string, dims []Dimension) {
	if len(dims) > maxDimensions {
		v.add(member, cMaxLen, maxDimensions)
	}
	for i, d := range dims {
		m := member + ".member." + strconv.Itoa(i+1)
		v.checkLen(m+".name", d.Name, 1, maxNameLen)
		v.checkLen(m+".value", d.Value, 1, maxDimValueLen)
	}
}

// dimensionsErr reports a repeated dimension name. Chosen wording.
func dimensionsErr(member string, dims []Dimension) error {
	seen := make(map[string]bool, len(dims))
	for _, d := range dims {
		if seen[d.Name] {
			return errInvalidValue("No metric may have duplicate dimension names: the name %s appears twice in %s.", d.Name, member)
		}
		seen[d.Name] = true
	}
	return nil
}

func validStatistic(s Statistic) bool {
	switch s {
	case StatSampleCount, StatAverage, StatSum, StatMinimum, StatMaximum:
		return true
	}
	return false
}

// parsePercentile parses an extended statistic: pNN or pNN.NN, 0 ≤ NN ≤ 100
// (at most two decimals, as AWS documents). Other extended statistics
// (tm, wm, pr, tc, ts, IQM) are not supported.
func parsePercentile(s string) (float64, bool) {
	if len(s) < 2 || s[0] != 'p' {
		return 0, false
	}
	num := s[1:]
	if i := strings.IndexByte(num, '.'); i >= 0 && (len(num)-i-1 > 2 || len(num)-i-1 == 0) {
		return 0, false
	}
	for _, c := range num {
		if (c < '0' || c > '9') && c != '.' {
			return 0, false
		}
	}
	p, err := strconv.ParseFloat(num, 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

// validPeriod reports whether a period is one CloudWatch accepts: 1, 5, 10,
// 30 (high resolution) or a multiple of 60.
func validPeriod(p int32) bool {
	return p == 1 || p == 5 || p == 10 || p == 30 || p > 0 && p%60 == 0
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
