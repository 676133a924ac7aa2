package awsproto

import (
	"encoding/xml"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

type qDimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type qDatum struct {
	MetricName string       `json:"MetricName"`
	Dimensions []qDimension `json:"Dimensions,omitempty"`
	Timestamp  *Timestamp   `json:"Timestamp,omitempty"`
	Value      *float64     `json:"Value,omitempty"`
	Values     []float64    `json:"Values,omitempty"`
}

type qInput struct {
	Namespace    string            `json:"Namespace"`
	Data         []qDatum          `json:"MetricData"`
	Enabled      *bool             `json:"ActionsEnabled,omitempty"`
	Period       int32             `json:"Period"`
	Count        *int64            `json:"Count,omitempty"`
	Threshold    float64           `json:"Threshold"`
	Start        Timestamp         `json:"StartTime"`
	Plain        time.Time         `json:"EndTime"`
	Names        []string          `json:"AlarmNames"`
	Flat         []string          `json:"Flat" query:"Item,flattened"`
	Attrs        map[string]string `json:"Attributes"`
	FlatMap      map[string]int    `json:"FlatMap" query:",flattened"`
	Blob         []byte            `json:"Blob"`
	Inner        *qDimension       `json:"Inner,omitempty"`
	Skipped      string            `json:"-"`
	GoNamed      string
	unexported   string
	Unit         qUnit  `json:"Unit"`
	SkippedQuery string `json:"SkippedQuery" query:"-"`
}

type qUnit string

func ptr[T any](v T) *T { return &v }

// TestDecodeQuery: the query protocol's parameters fill the wire struct by
// its json names: nested structures, lists (.member.N, in index order,
// empty as Name=), flattened lists and maps, maps (.entry.N.key/value),
// booleans, numbers, ISO 8601 and epoch times, blobs; Action, Version and
// unknown parameters are ignored.
func TestDecodeQuery(t *testing.T) {
	form := url.Values{
		"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Unknown.Param": {"x"},
		"Namespace":                                     {"Custom/App"},
		"MetricData.member.2.MetricName":                {"Second"},
		"MetricData.member.1.MetricName":                {"First"},
		"MetricData.member.1.Dimensions.member.1.Name":  {"FunctionName"},
		"MetricData.member.1.Dimensions.member.1.Value": {"fn"},
		"MetricData.member.1.Timestamp":                 {"2025-03-04T05:06:07.123Z"},
		"MetricData.member.1.Value":                     {"1.5"},
		"MetricData.member.2.Values.member.1":           {"1e3"},
		"MetricData.member.2.Values.member.10":          {"-2"},
		"MetricData.member.2.Timestamp":                 {"1741064767"},
		"ActionsEnabled":                                {"false"},
		"Period":                                        {"60"},
		"Count":                                         {"-9000000000"},
		"Threshold":                                     {"0.25"},
		"StartTime":                                     {"2025-03-04T06:06:07+01:00"},
		"EndTime":                                       {"2025-03-04T05:06:07Z"},
		"AlarmNames":                                    {""},
		"Item.2":                                        {"b"},
		"Item.1":                                        {"a"},
		"Attributes.entry.1.key":                        {"k1"},
		"Attributes.entry.1.value":                      {"v1"},
		"Attributes.entry.2.key":                        {"k2"},
		"FlatMap.1.key":                                 {"n"},
		"FlatMap.1.value":                               {"7"},
		"Blob":                                          {"aGVsbG8="},
		"Inner.Name":                                    {"in"},
		"GoNamed":                                       {"go"},
		"Skipped":                                       {"no"},
		"SkippedQuery":                                  {"no"},
		"Unit":                                          {"Count"},
	}
	var got qInput
	if err := decodeQuery(form, &got); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	want := qInput{
		Namespace: "Custom/App",
		Data: []qDatum{
			{MetricName: "First", Dimensions: []qDimension{{"FunctionName", "fn"}},
				Timestamp: &Timestamp{at.Add(123 * time.Millisecond)}, Value: ptr(1.5)},
			{MetricName: "Second", Values: []float64{1000, -2}, Timestamp: &Timestamp{at}},
		},
		Enabled: ptr(false), Period: 60, Count: ptr(int64(-9000000000)), Threshold: 0.25,
		Start: Timestamp{at}, Plain: at, Names: []string{}, Flat: []string{"a", "b"},
		Attrs: map[string]string{"k1": "v1", "k2": ""}, FlatMap: map[string]int{"n": 7},
		Blob: []byte("hello"), Inner: &qDimension{Name: "in"}, GoNamed: "go", Unit: "Count",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}

	var none qInput
	if err := decodeQuery(url.Values{"Action": {"X"}}, &none); err != nil || !reflect.DeepEqual(none, qInput{}) {
		t.Errorf("no parameters: %+v, %v", none, err)
	}
}

// TestDecodeQueryRefusesBadValues: a value that is not its member's type is
// 400 InvalidParameterValue naming the parameter.
func TestDecodeQueryRefusesBadValues(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"Period", "sixty"},
		{"Period", "99999999999"},
		{"Count", "1.5"},
		{"Threshold", "high"},
		{"ActionsEnabled", "yes"},
		{"ActionsEnabled", "True"},
		{"StartTime", "yesterday"},
		{"StartTime", "1e300"},
		{"Blob", "!!"},
		{"MetricData.member.0.MetricName", "x"},
		{"MetricData.member.x.MetricName", "x"},
		{"MetricData.member.01.MetricName", "x"},
		{"MetricData.member.1.Value", "one"},
		{"Attributes.entry.1.value", "no key"},
		{"FlatMap.1.key", "n"},
	} {
		form := url.Values{tc.key: {tc.value}}
		if tc.key == "FlatMap.1.key" {
			form.Set("FlatMap.1.value", "seven")
		}
		var in qInput
		err := decodeQuery(form, &in)
		var re *RPCError
		if !errors.As(err, &re) || re.Status != 400 || re.Code != "InvalidParameterValue" || !strings.Contains(re.Message, strings.SplitN(tc.key, ".", 2)[0]) {
			t.Errorf("%s=%s: %v", tc.key, tc.value, err)
		}
	}
}

type qOutput struct {
	Label      string            `json:"Label"`
	Missing    *string           `json:"Missing,omitempty"`
	Zero       int               `json:"Zero,omitempty"`
	Count      int               `json:"Count"`
	Enabled    bool              `json:"Enabled"`
	Points     []qPoint          `json:"Datapoints"`
	Empty      []string          `json:"Empty"`
	Gone       []string          `json:"Gone,omitempty"`
	Flat       []string          `json:"Flat" query:"Item,flattened"`
	Attrs      map[string]string `json:"Attributes"`
	When       time.Time         `json:"When"`
	Blob       []byte            `json:"Blob"`
	Text       string            `json:"Text"`
	Any        any               `json:"Any"`
	NilPointer *qPoint           `json:"NilPointer"`
}

type qPoint struct {
	Timestamp Timestamp `json:"Timestamp"`
	Sum       *float64  `json:"Sum,omitempty"`
	Big       float64   `json:"Big"`
}

// TestEncodeQueryResponse: the output struct becomes the Result element of
// AWS's query envelope, lists as member elements, maps as entries, times
// ISO 8601, absent and omitempty-zero members left out.
func TestEncodeQueryResponse(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 500_000_000, time.UTC)
	out := &qOutput{
		Label: "Throttles", Count: 0, Enabled: true,
		Points: []qPoint{{Timestamp: Timestamp{at}, Sum: ptr(60.5), Big: 1e22}, {Timestamp: Timestamp{at.Truncate(time.Second)}, Big: 0.5}},
		Flat:   []string{"a", "b"}, Attrs: map[string]string{"z": "1", "a": "2"},
		When: at.In(time.FixedZone("x", 3600)), Blob: []byte("hi"), Text: "a<b & 'c'", Any: 3,
	}
	b, err := encodeQueryResponse("GetMetricStatistics", "http://monitoring.amazonaws.com/doc/2010-08-01/", "req-1", out)
	if err != nil {
		t.Fatal(err)
	}
	want := `<GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricStatisticsResult>` +
		`<Label>Throttles</Label><Count>0</Count><Enabled>true</Enabled>` +
		`<Datapoints><member><Timestamp>2025-03-04T05:06:07.5Z</Timestamp><Sum>60.5</Sum><Big>1E+22</Big></member>` +
		`<member><Timestamp>2025-03-04T05:06:07Z</Timestamp><Big>0.5</Big></member></Datapoints>` +
		`<Empty></Empty><Item>a</Item><Item>b</Item>` +
		`<Attributes><entry><key>a</key><value>2</value></entry><entry><key>z</key><value>1</value></entry></Attributes>` +
		`<When>2025-03-04T05:06:07.5Z</When><Blob>aGk=</Blob><Text>a&lt;b &amp; &#39;c&#39;</Text><Any>3</Any>` +
		`</GetMetricStatisticsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetMetricStatisticsResponse>`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	if err := xml.Unmarshal(b, new(struct{})); err != nil {
		t.Errorf("not XML: %v", err)
	}

	b, err = encodeQueryResponse("DeleteAlarms", "ns", "req-2", struct{}{})
	if err != nil || string(b) != `<DeleteAlarmsResponse xmlns="ns"><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteAlarmsResponse>` {
		t.Errorf("empty output: %s, %v", b, err)
	}
}

// TestQueryFloatFormat: doubles in plain digits, exponents only at the
// extremes.
func TestQueryFloatFormat(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 1: "1", -2.5: "-2.5", 1e20: "100000000000000000000", 1e21: "1E+21", 1e-8: "1E-08", 123.456: "123.456"} {
		if got := formatQueryFloat(f); got != want {
			t.Errorf("%v: %s, want %s", f, got, want)
		}
	}
}
