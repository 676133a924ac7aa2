package cloudwatch_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// mathEnv publishes two metrics over ten minutes before epoch:
// a = 1, 2, ..., 10 (minute i has value i+1) and b = 10 at even minutes
// only (odd minutes missing).
func mathEnv(t testing.TB) *env {
	e := newEnv(t)
	start := epoch().Add(-10 * time.Minute)
	for i := range 10 {
		at := start.Add(time.Duration(i) * time.Minute)
		e.put(scopeA(), "App", "a", at, nil, float64(i+1))
		if i%2 == 0 {
			e.put(scopeA(), "App", "b", at, nil, 10)
		}
	}
	return e
}

func stat(id, name, s string) cloudwatch.MetricDataQuery {
	return cloudwatch.MetricDataQuery{Id: id, MetricStat: &cloudwatch.MetricStat{Metric: cloudwatch.Metric{Namespace: "App", MetricName: name}, Period: 60, Stat: s},
		ReturnData: ptr(false)}
}

func expr(id, e string) cloudwatch.MetricDataQuery {
	return cloudwatch.MetricDataQuery{Id: id, Expression: e}
}

// run returns the values of result id, oldest first, with missing minutes
// as NaN, over the ten minutes.
func run(t *testing.T, e *env, queries ...cloudwatch.MetricDataQuery) map[string][]float64 {
	t.Helper()
	out, err := e.svc.GetMetricData(e.ctx, scopeA(), cloudwatch.GetMetricDataInput{MetricDataQueries: queries,
		StartTime: epoch().Add(-10 * time.Minute), EndTime: epoch(), ScanBy: cloudwatch.ScanByTimestampAscending})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	res := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		vals := make([]float64, 10)
		for i := range vals {
			vals[i] = math.NaN()
		}
		for i, ts := range r.Timestamps {
			vals[int(ts.Sub(epoch().Add(-10*time.Minute))/time.Minute)] = r.Values[i]
		}
		if r.StatusCode != cloudwatch.StatusComplete {
			t.Errorf("%s: StatusCode %s", r.Id, r.StatusCode)
		}
		res[r.Id] = vals
	}
	return res
}

func sameSeries(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(a[i]) != math.IsNaN(b[i]) || !math.IsNaN(a[i]) && math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestMetricMath(t *testing.T) {
	e := mathEnv(t)
	N := math.NaN()
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		expr string
		want []float64
	}{
		{"a", a},
		{"a * 2 + 1", []float64{3, 5, 7, 9, 11, 13, 15, 17, 19, 21}},
		{"-a + 11", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"(a - 1) / 2", []float64{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5}},
		{"a + b", []float64{11, N, 13, N, 15, N, 17, N, 19, N}},                  // common timestamps only
		{"b / (a - 1)", []float64{N, N, 5, N, 2.5, N, 10.0 / 6, N, 10.0 / 8, N}}, // ÷0 drops the point
		{"SUM([a, b])", []float64{11, 2, 13, 4, 15, 6, 17, 8, 19, 10}},
		{"SUM(METRICS())", []float64{11, 2, 13, 4, 15, 6, 17, 8, 19, 10}},
		{"MAX(METRICS())", []float64{10, 2, 10, 4, 10, 6, 10, 8, 10, 10}},
		{"MIN([a, b])", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"AVG([a, b])", []float64{5.5, 2, 6.5, 4, 7.5, 6, 8.5, 8, 9.5, 10}},
		{"SUM(METRICS('b'))", []float64{10, N, 10, N, 10, N, 10, N, 10, N}},
		{"a / AVG(a)", []float64{1 / 5.5, 2 / 5.5, 3 / 5.5, 4 / 5.5, 5 / 5.5, 6 / 5.5, 7 / 5.5, 8 / 5.5, 9 / 5.5, 10 / 5.5}},
		{"MAX(a)", []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}}, // a scalar is spread over the grid
		{"FILL(b, 0)", []float64{10, 0, 10, 0, 10, 0, 10, 0, 10, 0}},
		{"FILL(b, REPEAT)", []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}},
		{"FILL(b * a, LINEAR)", []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, N}},
		{"FILL(b, -1) + a", []float64{11, 1, 13, 3, 15, 5, 17, 7, 19, 9}},
		{"SUM([a, b]) * 2 - SUM(METRICS()) ", []float64{11, 2, 13, 4, 15, 6, 17, 8, 19, 10}},
		{"e1 * 10", []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got := run(t, e, stat("a", "a", "Sum"), stat("b", "b", "Sum"), cloudwatch.MetricDataQuery{Id: "e1", Expression: "a", ReturnData: ptr(false)},
				expr("r", tc.expr))
			if !sameSeries(got["r"], tc.want) {
				t.Errorf("%s = %v, want %v", tc.expr, got["r"], tc.want)
			}
			if len(got) != 1 {
				t.Errorf("results %v: queries with ReturnData false came back", got)
			}
		})
	}
}

func TestGetMetricDataShape(t *testing.T) {
	e := mathEnv(t)
	in := cloudwatch.GetMetricDataInput{MetricDataQueries: []cloudwatch.MetricDataQuery{
		{Id: "a", MetricStat: &cloudwatch.MetricStat{Metric: cloudwatch.Metric{Namespace: "App", MetricName: "a"}, Period: 300, Stat: "Sum"}},
		{Id: "twice", Expression: "a * 2", Label: "Twice a"},
	}, StartTime: epoch().Add(-10 * time.Minute), EndTime: epoch()}
	out, err := e.svc.GetMetricData(e.ctx, scopeA(), in)
	mustOK(t, err)
	if len(out.MetricDataResults) != 2 {
		t.Fatalf("results %+v", out.MetricDataResults)
	}
	r := out.MetricDataResults[0]
	// Newest first by default; 5-minute sums 1..5 = 15 and 6..10 = 40.
	if r.Label != "a" || len(r.Values) != 2 || r.Values[0] != 40 || r.Values[1] != 15 || !r.Timestamps[0].Equal(epoch().Add(-5*time.Minute)) {
		t.Errorf("a: %+v", r)
	}
	if out.MetricDataResults[1].Label != "Twice a" || out.MetricDataResults[1].Values[0] != 80 {
		t.Errorf("twice: %+v", out.MetricDataResults[1])
	}

	// MaxDatapoints pages across the results in order.
	in.MetricDataQueries[0].MetricStat.Period = 60
	in.MaxDatapoints = 7
	in.ScanBy = cloudwatch.ScanByTimestampAscending
	var got [][]float64
	pages := 0
	for {
		out, err := e.svc.GetMetricData(e.ctx, scopeA(), in)
		mustOK(t, err)
		pages++
		n := 0
		for i, r := range out.MetricDataResults {
			if len(got) <= i {
				got = append(got, nil)
			}
			got[i] = append(got[i], r.Values...)
			n += len(r.Values)
		}
		if n > 7 {
			t.Errorf("page of %d points", n)
		}
		if out.NextToken == "" {
			break
		}
		if pages == 1 && out.MetricDataResults[1].StatusCode != cloudwatch.StatusPartialData {
			t.Errorf("cut result says %s", out.MetricDataResults[1].StatusCode)
		}
		in.NextToken = out.NextToken
	}
	if pages != 3 || !sameSeries(got[0], []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) || !sameSeries(got[1], []float64{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}) {
		t.Errorf("%d pages: %v", pages, got)
	}
	in.NextToken = "nope"
	_, err = e.svc.GetMetricData(e.ctx, scopeA(), in)
	wantCode(t, err, cloudwatch.CodeInvalidNextToken, "")
}

// TestArrayResults: an expression giving several series (METRICS() and
// arithmetic on it) returns one result per series, each with the query's
// Id and its metric's label.
func TestArrayResults(t *testing.T) {
	e := mathEnv(t)
	a, b := stat("a", "a", "Sum"), stat("b", "b", "Sum")
	b.Label = "bee"
	out, err := e.svc.GetMetricData(e.ctx, scopeA(), cloudwatch.GetMetricDataInput{MetricDataQueries: []cloudwatch.MetricDataQuery{
		a, b, expr("twice", "METRICS() * 2")}, StartTime: epoch().Add(-10 * time.Minute), EndTime: epoch(), ScanBy: cloudwatch.ScanByTimestampAscending})
	mustOK(t, err)
	if len(out.MetricDataResults) != 2 {
		t.Fatalf("results %+v", out.MetricDataResults)
	}
	ra, rb := out.MetricDataResults[0], out.MetricDataResults[1]
	if ra.Id != "twice" || rb.Id != "twice" || ra.Label != "a" || rb.Label != "bee" || len(ra.Values) != 10 || ra.Values[9] != 20 ||
		len(rb.Values) != 5 || rb.Values[0] != 20 {
		t.Errorf("results %+v", out.MetricDataResults)
	}
	_, err = e.svc.PutMetricAlarm(e.ctx, scopeA(), cloudwatch.PutMetricAlarmInput{AlarmName: "x", EvaluationPeriods: 1, Threshold: ptr(1.0),
		ComparisonOperator: cloudwatch.GreaterThanThreshold, Metrics: []cloudwatch.MetricDataQuery{a, b, expr("all", "METRICS()")}})
	wantCode(t, err, cloudwatch.CodeInvalidParameterValue, "Error in expression 'all': an alarm's expression must return a single time series.")
}

func TestGetMetricDataErrors(t *testing.T) {
	e := mathEnv(t)
	for _, tc := range []struct {
		name    string
		queries []cloudwatch.MetricDataQuery
		code    cloudwatch.ErrorCode
		frag    string
	}{
		{"none", nil, cloudwatch.CodeMissingParameter, "MetricDataQueries"},
		{"bad id", []cloudwatch.MetricDataQuery{expr("A", "1")}, cloudwatch.CodeInvalidParameterValue, "Id"},
		{"duplicate id", []cloudwatch.MetricDataQuery{expr("x", "1"), expr("x", "2")}, cloudwatch.CodeInvalidParameterValue, "unique"},
		{"both", []cloudwatch.MetricDataQuery{{Id: "x", Expression: "1", MetricStat: stat("a", "a", "Sum").MetricStat}}, cloudwatch.CodeInvalidParameterCombination, ""},
		{"nothing returned", []cloudwatch.MetricDataQuery{stat("a", "a", "Sum")}, cloudwatch.CodeInvalidParameterValue, "ReturnData"},
		{"syntax", []cloudwatch.MetricDataQuery{stat("a", "a", "Sum"), expr("r", "a +")}, cloudwatch.CodeInvalidParameterValue, "Error in expression 'r'"},
		{"unknown id", []cloudwatch.MetricDataQuery{expr("r", "zz * 2")}, cloudwatch.CodeInvalidParameterValue, "zz"},
		{"cycle", []cloudwatch.MetricDataQuery{expr("x", "y + 1"), expr("y", "x + 1")}, cloudwatch.CodeInvalidParameterValue, "Circular"},
		{"self", []cloudwatch.MetricDataQuery{expr("x", "x")}, cloudwatch.CodeInvalidParameterValue, "Circular"},
		{"array named by an expression", []cloudwatch.MetricDataQuery{stat("a", "a", "Sum"), {Id: "r", Expression: "METRICS()", ReturnData: ptr(false)},
			expr("s", "r * 2")}, cloudwatch.CodeInvalidParameterValue, "array"},
		{"unknown function", []cloudwatch.MetricDataQuery{expr("r", "RATE(1)")}, cloudwatch.CodeInvalidParameterValue, "RATE"},
		{"bad stat", []cloudwatch.MetricDataQuery{{Id: "a", MetricStat: &cloudwatch.MetricStat{Metric: cloudwatch.Metric{Namespace: "App", MetricName: "a"}, Period: 60, Stat: "Median"}}},
			cloudwatch.CodeInvalidParameterValue, "Median"},
		{"bad period", []cloudwatch.MetricDataQuery{{Id: "a", MetricStat: &cloudwatch.MetricStat{Metric: cloudwatch.Metric{Namespace: "App", MetricName: "a"}, Period: 45, Stat: "Sum"}}},
			cloudwatch.CodeInvalidParameterValue, "Period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.GetMetricData(e.ctx, scopeA(), cloudwatch.GetMetricDataInput{MetricDataQueries: tc.queries,
				StartTime: epoch().Add(-time.Hour), EndTime: epoch()})
			wantCode(t, err, tc.code, "")
			if err != nil && !strings.Contains(err.Error(), tc.frag) {
				t.Errorf("%v does not mention %q", err, tc.frag)
			}
		})
	}
}

// FuzzMetricMath: the parser and evaluator never panic, and whatever
// parses evaluates to a result or a domain error.
func FuzzMetricMath(f *testing.F) {
	for _, s := range []string{"a", "a*2+1", "SUM(METRICS())", "FILL(b, REPEAT)", "FILL(b * a, LINEAR)", "AVG([a, b, 3])",
		"-(-a)", "METRICS('a')", "1e309", "((((a))))", "a / 0", "MAX(a) - MIN(b)", "[a, [b]]", "FILL(METRICS(), 0)", ".5e-3*a"} {
		f.Add(s)
	}
	e := mathEnv(f)
	f.Fuzz(func(t *testing.T, s string) {
		_, err := e.svc.GetMetricData(e.ctx, scopeA(), cloudwatch.GetMetricDataInput{
			MetricDataQueries: []cloudwatch.MetricDataQuery{stat("a", "a", "Sum"), stat("b", "b", "Sum"), expr("r", s)},
			StartTime:         epoch().Add(-10 * time.Minute), EndTime: epoch()})
		if err != nil {
			var ce *cloudwatch.Error
			if !asError(err, &ce) {
				t.Fatalf("%q: a server error: %v", s, err)
			}
		}
	})
}
