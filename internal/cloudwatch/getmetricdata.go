package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// queryIDPattern is the form of a MetricDataQuery Id AWS accepts.
var queryIDPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// compiledQueries are validated MetricDataQueries with their parsed
// expressions.
type compiledQueries struct {
	queries []MetricDataQuery
	byID    map[string]int
	exprs   map[string]node
}

// returnData reports whether a query's result is returned.
func returnData(q *MetricDataQuery) bool { return q.ReturnData == nil || *q.ReturnData }

// compileQueries validates queries as GetMetricData and PutMetricAlarm's
// Metrics take them; member names the list in messages.
func compileQueries(member string, qs []MetricDataQuery, scope Scope) (*compiledQueries, error) {
	c := &compiledQueries{queries: qs, byID: make(map[string]int, len(qs)), exprs: make(map[string]node)}
	if len(qs) > maxQueries {
		return nil, errInvalidValue("The collection %s must not have a size greater than %d.", member, maxQueries)
	}
	returned := 0
	for i := range qs {
		q := &qs[i]
		m := fmt.Sprintf("%s.member.%d", member, i+1)
		if q.Id == "" {
			return nil, errMissing(m + ".Id")
		}
		if len(q.Id) > maxNameLen || !queryIDPattern.MatchString(q.Id) {
			// chosen
			return nil, errInvalidValue("The value %s for parameter %s.Id is invalid. An Id must start with a lowercase letter and contain only letters, numbers and underscores.", q.Id, m)
		}
		if _, dup := c.byID[q.Id]; dup {
			return nil, errInvalidValue("The value %s for parameter %s.Id is invalid. Ids must be unique.", q.Id, m) // chosen
		}
		c.byID[q.Id] = i
		if q.AccountId != "" && q.AccountId != scope.Account {
			return nil, errInvalidValue("Cross-account queries are not supported: %s.AccountId is %s.", m, q.AccountId) // chosen
		}
		if (q.MetricStat == nil) == (q.Expression == "") {
			// chosen
			return nil, newError(CodeInvalidParameterCombination, "Exactly one of %s.MetricStat and %s.Expression must be specified.", m, m)
		}
		if returnData(q) {
			returned++
		}
		if ms := q.MetricStat; ms != nil {
			if err := checkMetricStat(m+".MetricStat", ms); err != nil {
				return nil, err
			}
			continue
		}
		if len(q.Expression) > 2048 {
			return nil, errInvalidValue("1 validation error detected: Value at '%s.expression' failed to satisfy constraint: Member must have length less than or equal to 2048", strings.ToLower(m[:1])+m[1:])
		}
		n, err := parseExpr(q.Expression)
		if err != nil {
			return nil, exprErr(q.Id, err)
		}
		c.exprs[q.Id] = n
	}
	if returned == 0 && len(qs) > 0 {
		return nil, errInvalidValue("At least one of the queries in %s must have ReturnData set to true.", member) // chosen
	}
	// Every id an expression names exists, and no expression depends on
	// itself.
	for id, n := range c.exprs {
		ids, _ := refs(n)
		for _, r := range ids {
			if _, ok := c.byID[r]; !ok {
				return nil, exprErr(id, &exprError{-1, fmt.Sprintf("Unrecognized id %s", r)})
			}
		}
	}
	state := make(map[string]int) // 1 visiting, 2 done
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return exprErr(id, &exprError{-1, "Circular dependency between expressions"})
		case 2:
			return nil
		}
		state[id] = 1
		if n, ok := c.exprs[id]; ok {
			ids, all := refs(n)
			if all {
				for _, q := range c.queries {
					if q.MetricStat != nil {
						ids = append(ids, q.Id)
					}
				}
			}
			for _, r := range ids {
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		state[id] = 2
		return nil
	}
	for id := range c.exprs {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// exprErr is the error of a bad expression. Chosen wording.
func exprErr(id string, err error) error {
	return errInvalidValue("Error in expression '%s': %s", id, err)
}

func checkMetricStat(m string, ms *MetricStat) error {
	if ms.Metric.MetricName == "" {
		return errMissing(m + ".Metric.MetricName")
	}
	if ms.Metric.Namespace == "" {
		return errMissing(m + ".Metric.Namespace")
	}
	if ms.Period == 0 {
		return errMissing(m + ".Period")
	}
	if ms.Stat == "" {
		return errMissing(m + ".Stat")
	}
	var v violations
	lm := strings.ToLower(m[:1]) + m[1:]
	v.checkNamespace(lm+".metric.namespace", ms.Metric.Namespace)
	v.checkLen(lm+".metric.metricName", ms.Metric.MetricName, 1, maxNameLen)
	v.checkDimensions(lm+".metric.dimensions", ms.Metric.Dimensions)
	v.checkUnit(lm+".unit", ms.Unit)
	if err := v.err(); err != nil {
		return err
	}
	if err := dimensionsErr(m+".Metric.Dimensions", ms.Metric.Dimensions); err != nil {
		return err
	}
	if !validPeriod(ms.Period) {
		return errInvalidValue("The parameter %s.Period must be a multiple of 60.", m) // chosen
	}
	if !validStat(ms.Stat) {
		return errInvalidValue(msgInvalidValue, ms.Stat, m+".Stat")
	}
	return nil
}

// queryResults are the evaluated queries by id.
type queryResults struct {
	series map[string]*series
	// arrays are the expressions that gave arrays of series (METRICS(),
	// [m1, m2], arithmetic on those): GetMetricData returns one result per
	// series; another expression may not name them.
	arrays map[string][]*series
}

// evalQueries evaluates every query of c over [start, end) (Unix seconds,
// start on a minute) and returns each query's series (or array of series)
// by id. A query that evaluates to a scalar is spread over its grid; one
// that names an expression giving an array is refused (an exprError).
func (s *Service) evalQueries(ctx context.Context, scope Scope, c *compiledQueries, start, end int64) (*queryResults, error) {
	res := &queryResults{series: make(map[string]*series), arrays: make(map[string][]*series)}
	// The grid period of scalars: the smallest period of the metric stats.
	period := int64(0)
	for _, q := range c.queries {
		if q.MetricStat != nil {
			p := max(int64(q.MetricStat.Period), 60)
			if period == 0 || p < period {
				period = p
			}
		}
	}
	if period == 0 {
		period = 60
	}
	var get func(id string) (*series, error)
	env := &evalEnv{start: start, end: end, period: period}
	env.resolve = func(id string) (*series, error) { return get(id) }
	env.metrics = func(filter string) ([]*series, error) {
		var out []*series
		for _, q := range c.queries {
			if q.MetricStat != nil && strings.Contains(q.Id, filter) {
				sr, err := get(q.Id)
				if err != nil {
					return nil, err
				}
				out = append(out, sr)
			}
		}
		return out, nil
	}
	get = func(id string) (*series, error) {
		if sr, ok := res.series[id]; ok {
			return sr, nil
		}
		if _, ok := res.arrays[id]; ok {
			return nil, &exprError{-1, fmt.Sprintf("%s is an array of time series, not one", id)}
		}
		q := &c.queries[c.byID[id]]
		if q.MetricStat != nil {
			sr, err := s.metricSeries(ctx, scope, q.MetricStat, start, end)
			if err != nil {
				return nil, err
			}
			sr.label = q.Label
			if sr.label == "" {
				sr.label = q.MetricStat.Metric.MetricName
			}
			res.series[id] = sr
			return sr, nil
		}
		v, err := env.eval(c.exprs[id])
		if err != nil {
			return nil, err
		}
		switch v.kind {
		case valScalar:
			res.series[id] = env.constant(v.num)
		case valSeries:
			res.series[id] = v.s
		default:
			res.arrays[id] = v.arr
			return nil, &exprError{-1, fmt.Sprintf("%s is an array of time series, not one", id)}
		}
		return res.series[id], nil
	}
	for _, q := range c.queries {
		if _, err := get(q.Id); err != nil {
			if _, isArray := res.arrays[q.Id]; isArray {
				continue // the query itself is an array: returned as such
			}
			var ee *exprError
			if errors.As(err, &ee) {
				return nil, exprErr(q.Id, err)
			}
			return nil, err
		}
	}
	return res, nil
}

// metricSeries reads a metric stat over [start, end): one point per period
// with data (all units merged unless Unit is set), periods starting at
// start.
func (s *Service) metricSeries(ctx context.Context, scope Scope, ms *MetricStat, start, end int64) (*series, error) {
	period := max(int64(ms.Period), 60)
	m := Metric{Namespace: ms.Metric.Namespace, MetricName: ms.Metric.MetricName, Dimensions: canonicalDims(ms.Metric.Dimensions)}
	var merged []periodAgg
	for _, unit := range s.unitsOf(scope, m, ms.Unit) {
		_, pct := parsePercentile(ms.Stat)
		ps, err := s.periods(ctx, SeriesKey{Scope: scope, Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions, Unit: unit}, start, end, period, pct)
		if err != nil {
			return nil, err
		}
		merged = mergePeriods(merged, ps)
	}
	out := &series{period: period, ts: make([]int64, 0, len(merged)), vals: make([]float64, 0, len(merged))}
	for i := range merged {
		if v, ok := statValue(&merged[i].agg, ms.Stat); ok && finite(v) {
			out.ts, out.vals = append(out.ts, merged[i].start), append(out.vals, v)
		}
	}
	return out, nil
}

// mergePeriods merges two period lists sorted by start.
func mergePeriods(a, b []periodAgg) []periodAgg {
	if len(a) == 0 {
		return b
	}
	out := make([]periodAgg, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].start < b[j].start:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].start < a[i].start:
			out = append(out, b[j])
			j++
		default:
			p := a[i]
			p.agg.Merge(b[j].agg) // the result is new memory: a[i]'s buckets are not shared
			out = append(out, p)
			i++
			j++
		}
	}
	return out
}

// GetMetricData evaluates metric stats and metric math expressions and
// returns the queries with ReturnData (default true), newest first unless
// ScanBy is TimestampAscending. Periods start at StartTime rounded down to
// the minute. At most MaxDatapoints (default 100,800) points come back per
// call, counted across the results in query order; NextToken pages through
// the rest, and a result cut short has StatusCode PartialData. An
// expression giving several series (METRICS() * 2) returns one result per
// series, each with the query's Id and its metric's label.
func (s *Service) GetMetricData(ctx context.Context, scope Scope, in GetMetricDataInput) (GetMetricDataOutput, error) {
	if len(in.MetricDataQueries) == 0 {
		return GetMetricDataOutput{}, errMissing("MetricDataQueries")
	}
	if in.StartTime.IsZero() {
		return GetMetricDataOutput{}, errMissing("StartTime")
	}
	if in.EndTime.IsZero() {
		return GetMetricDataOutput{}, errMissing("EndTime")
	}
	var v violations
	if in.ScanBy != "" && in.ScanBy != ScanByTimestampAscending && in.ScanBy != ScanByTimestampDescending {
		v.add("scanBy", cEnum, "TimestampDescending, TimestampAscending")
	}
	if in.MaxDatapoints < 0 {
		v.add("maxDatapoints", cMinValue, 1)
	}
	if err := v.err(); err != nil {
		return GetMetricDataOutput{}, err
	}
	if !in.StartTime.Before(in.EndTime) {
		return GetMetricDataOutput{}, errInvalidValue(msgStartBeforeEnd)
	}
	c, err := compileQueries("MetricDataQueries", in.MetricDataQueries, scope)
	if err != nil {
		return GetMetricDataOutput{}, err
	}
	offset := 0
	if in.NextToken != "" {
		n, ok := decodeToken("gmd", in.NextToken)
		if !ok {
			return GetMetricDataOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
		}
		offset = n
	}
	limit := int(in.MaxDatapoints)
	if limit == 0 {
		limit = maxDatapointsData
	}
	start, end := unixMinute(in.StartTime)*60, in.EndTime.Unix()
	res, err := s.evalQueries(ctx, scope, c, start, end)
	if err != nil {
		return GetMetricDataOutput{}, err
	}
	ascending := in.ScanBy == ScanByTimestampAscending
	var out GetMetricDataOutput
	total := 0
	for i := range c.queries {
		q := &c.queries[i]
		if !returnData(q) {
			continue
		}
		label := q.Label
		if label == "" {
			if q.MetricStat != nil {
				label = q.MetricStat.Metric.MetricName
			} else {
				label = q.Id
			}
		}
		list := []*series{res.series[q.Id]}
		if arr, ok := res.arrays[q.Id]; ok {
			// One result per series, all with the query's Id, labeled
			// after their metric (prefixed with the query's own label,
			// when it has one). Chosen after AWS's dynamic labels.
			list = arr
		}
		for _, sr := range list {
			r := MetricDataResult{Id: q.Id, Label: label, StatusCode: StatusComplete, Timestamps: []time.Time{}, Values: []float64{}}
			if len(list) > 1 || res.arrays[q.Id] != nil {
				r.Label = sr.label
				if q.Label != "" {
					r.Label = q.Label + " " + sr.label
				}
			}
			n := len(sr.ts)
			// This result's points are [total, total+n) of the whole
			// answer; the page is [offset, offset+limit).
			lo, hi := max(offset-total, 0), min(offset+limit-total, n)
			for k := lo; k < hi; k++ {
				idx := k
				if !ascending {
					idx = n - 1 - k
				}
				r.Timestamps = append(r.Timestamps, time.Unix(sr.ts[idx], 0).UTC())
				r.Values = append(r.Values, sr.vals[idx])
			}
			if hi < n {
				r.StatusCode = StatusPartialData
			}
			total += n
			out.MetricDataResults = append(out.MetricDataResults, r)
		}
	}
	if offset > total {
		return GetMetricDataOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
	}
	if offset+limit < total {
		out.NextToken = encodeToken("gmd", offset+limit)
	}
	return out, nil
}
