package cloudwatch_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// emfAt is the log event time of the table cases; emfTS is the same
// instant in the documents' milliseconds.
var emfAt = time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)

const emfTS = "1772366430000"

func dim(n, v string) cloudwatch.Dimension { return cloudwatch.Dimension{Name: n, Value: v} }

func TestExtractEMF(t *testing.T) {
	if got := time.UnixMilli(1772366430000); !got.Equal(emfAt) {
		t.Fatalf("emfTS is %v, want %v", got, emfAt)
	}
	type want struct {
		ns, name string
		dims     []cloudwatch.Dimension
		unit     cloudwatch.Unit
		values   []float64
	}
	datum := func(w want) cloudwatch.Datum {
		return cloudwatch.Datum{Namespace: w.ns, MetricName: w.name, Dimensions: w.dims, Unit: w.unit, Timestamp: emfAt, Values: w.values}
	}
	tests := []struct {
		name string
		line string
		want []want
	}{
		{"the specification's example", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"lambda-function-metrics",` +
			`"Dimensions":[["functionVersion"]],"Metrics":[{"Name":"time","Unit":"Milliseconds"}]}]},` +
			`"functionVersion":"$LATEST","time":100,"requestId":"989ffbf8-9ace-4817-a57c-e4dd734019ee"}`,
			[]want{{"lambda-function-metrics", "time", []cloudwatch.Dimension{dim("functionVersion", "$LATEST")}, "Milliseconds", []float64{100}}}},
		{"no unit is None", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[["Svc"]],` +
			`"Metrics":[{"Name":"Hits"}]}]},"Svc":"cart","Hits":3}`,
			[]want{{"App", "Hits", []cloudwatch.Dimension{dim("Svc", "cart")}, "None", []float64{3}}}},
		{"two dimension sets make two metrics, keys sorted, repeats once", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App",` +
			`"Dimensions":[["Svc","Env"],["Svc"],["Env","Svc"]],"Metrics":[{"Name":"Hits","Unit":"Count"}]}]},"Svc":"cart","Env":"prod","Hits":1}`,
			[]want{
				{"App", "Hits", []cloudwatch.Dimension{dim("Env", "prod"), dim("Svc", "cart")}, "Count", []float64{1}},
				{"App", "Hits", []cloudwatch.Dimension{dim("Svc", "cart")}, "Count", []float64{1}},
			}},
		{"an empty dimension set publishes without dimensions", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App",` +
			`"Dimensions":[[]],"Metrics":[{"Name":"Hits"}]}]},"Hits":2}`,
			[]want{{"App", "Hits", nil, "None", []float64{2}}}},
		{"an array of values", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[[]],` +
			`"Metrics":[{"Name":"Latency","Unit":"Milliseconds","StorageResolution":1}]}]},"Latency":[1.5,2,2,-3e2]}`,
			[]want{{"App", "Latency", nil, "Milliseconds", []float64{1.5, 2, 2, -300}}}},
		{"an empty array publishes nothing", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[[]],` +
			`"Metrics":[{"Name":"Latency"},{"Name":"Hits"}]}]},"Latency":[],"Hits":1}`,
			[]want{{"App", "Hits", nil, "None", []float64{1}}}},
		{"two directives, two namespaces", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[` +
			`{"Namespace":"A","Dimensions":[[]],"Metrics":[{"Name":"X"}]},{"Namespace":"B","Dimensions":[["D"]],"Metrics":[{"Name":"Y","Unit":"Bytes"}]}]},` +
			`"X":1,"Y":2,"D":"d"}`,
			[]want{{"A", "X", nil, "None", []float64{1}}, {"B", "Y", []cloudwatch.Dimension{dim("D", "d")}, "Bytes", []float64{2}}}},
		{"after Lambda's text-format prefix", "2026-03-01T12:00:30.000Z\t5b3f8c1e-0000-4000-8000-000000000000\tINFO\t" +
			`{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Name":"Hits"}]}]},"Hits":1}`,
			[]want{{"App", "Hits", nil, "None", []float64{1}}}},
		{"pretty-printed over several lines, trailing newline", "{\n  \"_aws\": {\n    \"Timestamp\": " + emfTS + ",\n    \"CloudWatchMetrics\": [\n" +
			"      {\"Namespace\": \"App\", \"Dimensions\": [[]], \"Metrics\": [{\"Name\": \"Hits\"}]}\n    ]\n  },\n  \"Hits\": 4\n}\n",
			[]want{{"App", "Hits", nil, "None", []float64{4}}}},
		{"no directive", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[]}}`, nil},
		{"members not in the specification are ignored", `{"_aws":{"Timestamp":` + emfTS + `,"LogGroupName":"x","CloudWatchMetrics":[{"Namespace":"App",` +
			`"Dimensions":[[]],"Metrics":[{"Name":"Hits","Extra":true}],"Other":1}]},"Hits":1,"nested":{"a":[1,2]}}`,
			[]want{{"App", "Hits", nil, "None", []float64{1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cloudwatch.ExtractEMF(tc.line, emfAt)
			if err != nil {
				t.Fatalf("ExtractEMF: %v", err)
			}
			var wantData []cloudwatch.Datum
			for _, w := range tc.want {
				wantData = append(wantData, datum(w))
			}
			if !reflect.DeepEqual(got, wantData) {
				t.Errorf("got  %+v\nwant %+v", got, wantData)
			}
		})
	}
}

func TestExtractEMFNotEMF(t *testing.T) {
	for _, line := range []string{
		"",
		"hello world",
		"[INFO]\t2026-03-01T12:00:30.000Z\treq\tprocessing {\"_aws\": 1}", // '{' after a space: not a document
		`{"level":"INFO","message":"no metrics here"}`,
		`{"level":"INFO","message":"the key \"_aws\" only inside a value"}`,
		`{"message":{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}}`, // nested: not on the root
		`START RequestId: 1 Version: $LATEST`,
	} {
		got, err := cloudwatch.ExtractEMF(line, emfAt)
		if err != nil || got != nil {
			t.Errorf("ExtractEMF(%q) = %v, %v; want nothing", line, got, err)
		}
	}
}

func TestExtractEMFInvalid(t *testing.T) {
	doc := func(directive, members string) string {
		return `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[` + directive + `]}` + members + `}`
	}
	ok := `{"Namespace":"App","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}`
	many := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	if got, err := cloudwatch.ExtractEMF(doc(ok, `,"D":"d","M":1`), emfAt); err != nil || len(got) != 1 {
		t.Fatalf("the valid base case: %v, %v", got, err)
	}
	tests := []struct {
		name  string
		line  string
		parse bool
	}{
		{"not JSON", `{"_aws": {`, true},
		{"data after the object", doc(ok, `,"D":"d","M":1`) + ` trailing`, true},
		{"two objects", doc(ok, `,"D":"d","M":1`) + doc(ok, `,"D":"d","M":1`), true},
		{"_aws not an object", `{"_aws":[1]}`, false},
		{"no Timestamp", `{"_aws":{"CloudWatchMetrics":[` + ok + `]},"D":"d","M":1}`, false},
		{"Timestamp a string", `{"_aws":{"Timestamp":"` + emfTS + `","CloudWatchMetrics":[` + ok + `]},"D":"d","M":1}`, false},
		{"Timestamp not integral", `{"_aws":{"Timestamp":1772366430000.5,"CloudWatchMetrics":[` + ok + `]},"D":"d","M":1}`, false},
		{"Timestamp three weeks old", `{"_aws":{"Timestamp":1770552030000,"CloudWatchMetrics":[` + ok + `]},"D":"d","M":1}`, false},
		{"Timestamp three hours ahead", `{"_aws":{"Timestamp":1772377230000,"CloudWatchMetrics":[` + ok + `]},"D":"d","M":1}`, false},
		{"timestamp spelled in lower case", `{"_aws":{"timestamp":` + emfTS + `,"CloudWatchMetrics":[` + ok + `]},"D":"d","M":1}`, false},
		{"no CloudWatchMetrics", `{"_aws":{"Timestamp":` + emfTS + `},"D":"d","M":1}`, false},
		{"CloudWatchMetrics an object", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":` + ok + `},"D":"d","M":1}`, false},
		{"directive not an object", doc(`"x"`, ``), false},
		{"no Namespace", doc(`{"Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}`, `,"D":"d","M":1`), false},
		{"empty Namespace", doc(`{"Namespace":"","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}`, `,"D":"d","M":1`), false},
		{"Namespace of 256 characters", doc(`{"Namespace":"`+strings.Repeat("n", 256)+`","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}`, `,"D":"d","M":1`), false},
		{"AWS/ Namespace", doc(`{"Namespace":"AWS/Lambda","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}`, `,"D":"d","M":1`), false},
		{"no Dimensions", doc(`{"Namespace":"App","Metrics":[{"Name":"M"}]}`, `,"M":1`), false},
		{"no dimension set", doc(`{"Namespace":"App","Dimensions":[],"Metrics":[{"Name":"M"}]}`, `,"M":1`), false},
		{"a dimension set not an array", doc(`{"Namespace":"App","Dimensions":["D"],"Metrics":[{"Name":"M"}]}`, `,"D":"d","M":1`), false},
		{"a dimension key not a string", doc(`{"Namespace":"App","Dimensions":[[1]],"Metrics":[{"Name":"M"}]}`, `,"M":1`), false},
		{"missing dimension member", doc(ok, `,"M":1`), false},
		{"dimension member a number", doc(ok, `,"D":5,"M":1`), false},
		{"dimension member empty", doc(ok, `,"D":"","M":1`), false},
		{"dimension value of 1025 characters", doc(ok, `,"D":"`+strings.Repeat("v", 1025)+`","M":1`), false},
		{"nested dimension member", doc(`{"Namespace":"App","Dimensions":[["A.a"]],"Metrics":[{"Name":"M"}]}`, `,"A":{"a":"x"},"M":1`), false},
		{"repeated dimension key", doc(`{"Namespace":"App","Dimensions":[["D","D"]],"Metrics":[{"Name":"M"}]}`, `,"D":"d","M":1`), false},
		{"31 dimension keys", doc(`{"Namespace":"App","Dimensions":[[`+many(31, func(i int) string { return fmt.Sprintf(`"k%d"`, i) })+
			`]],"Metrics":[{"Name":"M"}]}`, ","+many(31, func(i int) string { return fmt.Sprintf(`"k%d":"v"`, i) })+`,"M":1`), false},
		{"no Metrics", doc(`{"Namespace":"App","Dimensions":[["D"]]}`, `,"D":"d"`), false},
		{"101 metrics", doc(`{"Namespace":"App","Dimensions":[[]],"Metrics":[`+many(101, func(i int) string { return fmt.Sprintf(`{"Name":"m%d"}`, i) })+`]}`,
			","+many(101, func(i int) string { return fmt.Sprintf(`"m%d":1`, i) })), false},
		{"metric without Name", doc(`{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Unit":"Count"}]}`, `,"M":1`), false},
		{"metric Name not a string", doc(`{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Name":1}]}`, `,"1":1`), false},
		{"unknown unit", doc(`{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Name":"M","Unit":"Parsecs"}]}`, `,"M":1`), false},
		{"unit in the wrong case", doc(`{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Name":"M","Unit":"count"}]}`, `,"M":1`), false},
		{"StorageResolution 30", doc(`{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Name":"M","StorageResolution":30}]}`, `,"M":1`), false},
		{"missing metric member", doc(ok, `,"D":"d"`), false},
		{"metric value a string", doc(ok, `,"D":"d","M":"1"`), false},
		{"metric value null", doc(ok, `,"D":"d","M":null`), false},
		{"metric value true", doc(ok, `,"D":"d","M":true`), false},
		{"metric value an object", doc(ok, `,"D":"d","M":{"v":1}`), false},
		{"metric value out of range", doc(ok, `,"D":"d","M":1e400`), false},
		{"an array with a string", doc(ok, `,"D":"d","M":[1,"2"]`), false},
		{"an array of arrays", doc(ok, `,"D":"d","M":[[1]]`), false},
		{"101 values", doc(ok, `,"D":"d","M":[`+many(101, func(int) string { return "1" })+`]`), false},
		{"one bad directive spoils the line", doc(ok+`,{"Namespace":"B","Dimensions":[[]],"Metrics":[{"Name":"X"}]}`, `,"D":"d","M":1`), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cloudwatch.ExtractEMF(tc.line, emfAt)
			var e *cloudwatch.EMFError
			if !errors.As(err, &e) {
				t.Fatalf("ExtractEMF = %v, %v; want an *EMFError", got, err)
			}
			if got != nil {
				t.Errorf("datums %v with the error", got)
			}
			if e.Parse != tc.parse {
				t.Errorf("Parse = %v, want %v (%v)", e.Parse, tc.parse, err)
			}
		})
	}
}

// TestExtractEMFLimits: the largest line the specification allows (100
// metrics of 100 values, 30 dimensions) is extracted whole.
func TestExtractEMFLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[[`)
	for i := range 30 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%02d"`, i)
	}
	b.WriteString(`]],"Metrics":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Name":"m%d","Unit":"Count"}`, i)
	}
	b.WriteString(`]}]}`)
	for i := range 30 {
		fmt.Fprintf(&b, `,"k%02d":"v%d"`, i, i)
	}
	values := "[" + strings.TrimSuffix(strings.Repeat("7,", 100), ",") + "]"
	for i := range 100 {
		fmt.Fprintf(&b, `,"m%d":%s`, i, values)
	}
	b.WriteString("}")
	got, err := cloudwatch.ExtractEMF(b.String(), emfAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Fatalf("%d datums, want 100", len(got))
	}
	for _, d := range got {
		if len(d.Dimensions) != 30 || len(d.Values) != 100 || d.Unit != cloudwatch.UnitCount {
			t.Fatalf("datum %s: %d dimensions, %d values, unit %s", d.MetricName, len(d.Dimensions), len(d.Values), d.Unit)
		}
	}
}

// FuzzExtractEMF: no input panics; what is extracted is what PutMetricData
// accepts, and a line either yields datums or an error, never both.
func FuzzExtractEMF(f *testing.F) {
	for _, s := range []string{
		`{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[["D"],[]],"Metrics":[{"Name":"M","Unit":"Count"}]}]},"D":"d","M":[1,2]}`,
		"x\t{\"_aws\":{\"Timestamp\":" + emfTS + ",\"CloudWatchMetrics\":[{\"Namespace\":\"A\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"\"}]}]},\"\":1}",
		`{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[["D"]],"Metrics":[{"Name":"M","StorageResolution":1}]}]},"D":"d","M":-0}`,
		`{"_aws":null}`, `{"_aws"`, "plain", `{"a":"_aws"}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	e.clock.Advance(emfAt.Sub(epoch()))
	f.Fuzz(func(t *testing.T, line string) {
		got, err := cloudwatch.ExtractEMF(line, emfAt)
		if err != nil && got != nil {
			t.Fatalf("both datums and %v", err)
		}
		for _, d := range got {
			if !d.Timestamp.Equal(d.Timestamp.Truncate(time.Millisecond)) || len(d.Values) == 0 {
				t.Fatalf("datum %+v", d)
			}
			in := cloudwatch.PutMetricDataInput{Namespace: d.Namespace, MetricData: []cloudwatch.MetricDatum{{
				MetricName: d.MetricName, Dimensions: d.Dimensions, Timestamp: d.Timestamp, Values: d.Values, Unit: d.Unit,
			}}}
			if len(d.Values) > 100 {
				t.Fatalf("%d values", len(d.Values))
			}
			if _, err := e.svc.PutMetricData(e.ctx, scopeA(), in); err != nil {
				t.Fatalf("PutMetricData refuses extracted datum %+v: %v", d, err)
			}
		}
	})
}

// BenchmarkExtractEMF: the extractor alone, on a plain text line (one byte
// search), a JSON log record that is not EMF (two) and an EMF line with
// one dimension set and two metrics (a full decode).
func BenchmarkExtractEMF(b *testing.B) {
	for _, l := range []struct{ name, text string }{
		{"plain", "[INFO]\t2026-03-01T12:00:30.000Z\t5b3f8c1e-7c4d-4a55-9a0e-2f6d1c9b8a71\tprocessed order 81724 for customer 5531 in 12 ms"},
		{"json", `{"timestamp":"2026-03-01T12:00:30Z","level":"INFO","message":"processed order 81724 for customer 5531 in 12 ms","logger":"root","requestId":"5b3f8c1e-7c4d-4a55-9a0e-2f6d1c9b8a71"}`},
		{"emf", `{"_aws":{"Timestamp":` + emfTS + `,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["Service"]],` +
			`"Metrics":[{"Name":"Orders","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]}]},` +
			`"Service":"cart","Orders":1,"Latency":12,"requestId":"5b3f8c1e-7c4d-4a55-9a0e-2f6d1c9b8a71"}`},
	} {
		b.Run("line="+l.name, func(b *testing.B) {
			want := 0
			if l.name == "emf" {
				want = 2
			}
			b.ReportAllocs()
			for b.Loop() {
				if got, err := cloudwatch.ExtractEMF(l.text, emfAt); err != nil || len(got) != want {
					b.Fatalf("%d datums, %v", len(got), err)
				}
			}
		})
	}
}
