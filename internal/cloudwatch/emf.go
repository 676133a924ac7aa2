package cloudwatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Embedded metric format (EMF): a log event whose message is a JSON object
// with an "_aws" member carrying metric directives. CloudWatch Logs extracts
// the metrics it names from the event's other members; Lambda needs nothing
// more than the function printing such a line. ExtractEMF is that
// extraction, applied to one log event's message as it is stored.
//
// What the specification leaves open is chosen as follows, and the README
// says so:
//   - A line is all or nothing: one invalid directive, metric or target
//     makes the whole line yield no metric (the event is still stored).
//   - A document may follow Lambda's text-format metadata ("<time>\t<request
//     id>\tINFO\t{...}"), as the specification allows on Lambda: the JSON
//     starts at the first '{', which must open the message or follow a tab.
//   - Timestamp is required (the specification's MUST) and must be an
//     integral number of milliseconds no more than two weeks before and two
//     hours after the log event, PutMetricData's window.
//   - Dimensions must hold at least one dimension set (the published JSON
//     schema's minItems); an empty set publishes the metrics without
//     dimensions; a set repeated within a directive counts once.
//   - An empty array of values publishes nothing for that metric and is
//     not an error. StorageResolution must be 1 or 60; Reservoir keeps
//     one-minute aggregates either way.
//   - Names and values follow PutMetricData's limits (namespace 1–255
//     characters, not "AWS/…" nor starting with ':'; metric and dimension
//     names 1–255; dimension values 1–1024; units of the StandardUnit list).

// EMF limits from the specification and PutMetricData's quotas.
const (
	emfMaxMetrics    = 100     // MetricDefinitions per directive
	emfMaxValues     = 100     // values in one metric target array
	emfMaxDimensions = 30      // keys per dimension set
	emfMaxBytes      = 1 << 20 // a log event's largest message
)

// EMFError says why a log event that announced itself as EMF yielded no
// metric. Parse reports a message that is not a single JSON object (AWS
// counts these as AWS/Logs EMFParsingErrors); otherwise the document broke
// the specification (EMFValidationErrors).
type EMFError struct {
	Parse  bool
	Reason string
}

func (e *EMFError) Error() string {
	if e.Parse {
		return "embedded metric format: not a JSON object: " + e.Reason
	}
	return "embedded metric format: " + e.Reason
}

func emfInvalid(format string, args ...any) error {
	return &EMFError{Reason: fmt.Sprintf(format, args...)}
}

// emfDocument returns the JSON part of a message that may be an EMF
// document, cheaply: without a '{' opening the message or following a tab,
// or without `_aws"` after it, the message is not EMF. Most log lines end
// here after one or two byte searches; searching for `_aws"` rather than
// `"_aws"` is several times faster on JSON lines, which are full of quotes.
func emfDocument(msg string) (string, bool) {
	i := strings.IndexByte(msg, '{')
	if i < 0 || i > 0 && msg[i-1] != '\t' {
		return "", false
	}
	doc := msg[i:]
	if !strings.Contains(doc, `_aws"`) {
		return "", false
	}
	return doc, true
}

// ExtractEMF returns the metrics an embedded metric format log event
// carries, one datum per metric, value target and dimension set, stamped
// with the document's Timestamp. eventTime is the log event's time. A
// message that is not EMF yields nothing and no error; an EMF message that
// breaks the specification yields nothing and an *EMFError. Every datum
// returned passes PutMetricData's checks.
func ExtractEMF(msg string, eventTime time.Time) ([]Datum, error) {
	doc, ok := emfDocument(msg)
	if !ok {
		return nil, nil
	}
	if len(doc) > emfMaxBytes {
		return nil, &EMFError{Parse: true, Reason: fmt.Sprintf("%d bytes exceed the %d of a log event", len(doc), emfMaxBytes)}
	}
	// One pass over the text; numbers stay as written (json.Number) so that
	// they are checked here rather than refused by the decoder.
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &EMFError{Parse: true, Reason: err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &EMFError{Parse: true, Reason: "data after the JSON object"}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &EMFError{Parse: true, Reason: "not an object"}
	}
	rawMeta, ok := root["_aws"]
	if !ok {
		return nil, nil // "_aws" only inside a value: an ordinary JSON line
	}
	meta, ok := rawMeta.(map[string]any)
	if !ok {
		return nil, emfInvalid("_aws must be an object")
	}
	ts, err := emfTimestamp(meta["Timestamp"], eventTime)
	if err != nil {
		return nil, err
	}
	rawDirectives, ok := meta["CloudWatchMetrics"]
	if !ok {
		return nil, emfInvalid("_aws.CloudWatchMetrics is missing")
	}
	directives, ok := rawDirectives.([]any)
	if !ok {
		return nil, emfInvalid("_aws.CloudWatchMetrics must be an array")
	}
	var out []Datum
	for i, d := range directives {
		out, err = appendDirective(out, root, d, ts)
		if err != nil {
			return nil, emfInvalid("_aws.CloudWatchMetrics[%d]: %v", i, err)
		}
	}
	return out, nil
}

func emfTimestamp(v any, eventTime time.Time) (time.Time, error) {
	if v == nil {
		return time.Time{}, emfInvalid("_aws.Timestamp is missing")
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, emfInvalid("_aws.Timestamp must be a number of milliseconds")
	}
	ms, err := n.Float64()
	if err != nil || ms != math.Trunc(ms) || math.Abs(ms) > 1<<53 {
		return time.Time{}, emfInvalid("_aws.Timestamp must be an integral number of milliseconds, not %s", n)
	}
	ts := time.UnixMilli(int64(ms)).UTC()
	if ts.Before(eventTime.Add(-14*24*time.Hour)) || ts.After(eventTime.Add(2*time.Hour)) {
		return time.Time{}, emfInvalid("_aws.Timestamp %s is more than two weeks before or two hours after the log event", n)
	}
	return ts, nil
}

// appendDirective appends the datums of one MetricDirective.
func appendDirective(out []Datum, root map[string]any, v any, ts time.Time) ([]Datum, error) {
	d, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("a directive must be an object")
	}
	ns, ok := d["Namespace"].(string)
	switch {
	case !ok:
		return nil, errors.New("Namespace must be a string")
	case len(ns) < 1 || len(ns) > maxNameLen:
		return nil, fmt.Errorf("Namespace must have 1 to %d characters", maxNameLen)
	case strings.HasPrefix(ns, ":"), strings.HasPrefix(ns, "AWS/"):
		return nil, fmt.Errorf("Namespace %q is reserved", ns)
	}

	sets, ok := d["Dimensions"].([]any)
	if !ok || len(sets) == 0 {
		return nil, errors.New("Dimensions must be an array of at least one dimension set")
	}
	dimSets := make([][]Dimension, 0, len(sets))
	for j, set := range sets {
		keys, ok := set.([]any)
		if !ok {
			return nil, fmt.Errorf("Dimensions[%d] must be an array of dimension names", j)
		}
		if len(keys) > emfMaxDimensions {
			return nil, fmt.Errorf("Dimensions[%d] has %d keys, more than %d", j, len(keys), emfMaxDimensions)
		}
		dims := make([]Dimension, 0, len(keys))
		for _, k := range keys {
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("Dimensions[%d] must hold strings", j)
			}
			if len(key) < 1 || len(key) > maxNameLen {
				return nil, fmt.Errorf("dimension name %q must have 1 to %d characters", key, maxNameLen)
			}
			value, ok := root[key].(string)
			if !ok {
				return nil, fmt.Errorf("dimension %q needs a string member on the root", key)
			}
			if len(value) < 1 || len(value) > maxDimValueLen {
				return nil, fmt.Errorf("dimension %q's value must have 1 to %d characters", key, maxDimValueLen)
			}
			if slices.ContainsFunc(dims, func(x Dimension) bool { return x.Name == key }) {
				return nil, fmt.Errorf("Dimensions[%d] names %q twice", j, key)
			}
			dims = append(dims, Dimension{Name: key, Value: value})
		}
		canon := canonicalDims(dims)
		if !slices.ContainsFunc(dimSets, func(s []Dimension) bool { return slices.Equal(s, canon) }) {
			dimSets = append(dimSets, canon)
		}
	}

	metrics, ok := d["Metrics"].([]any)
	if !ok {
		return nil, errors.New("Metrics must be an array")
	}
	if len(metrics) > emfMaxMetrics {
		return nil, fmt.Errorf("Metrics has %d definitions, more than %d", len(metrics), emfMaxMetrics)
	}
	for k, m := range metrics {
		name, unit, err := metricDefinition(m)
		if err != nil {
			return nil, fmt.Errorf("Metrics[%d]: %v", k, err)
		}
		values, err := metricValues(root[name])
		if err != nil {
			return nil, fmt.Errorf("metric %q: %v", name, err)
		}
		if len(values) == 0 {
			continue
		}
		for _, dims := range dimSets {
			out = append(out, Datum{Namespace: ns, MetricName: name, Dimensions: dims, Unit: unit, Timestamp: ts, Values: values})
		}
	}
	return out, nil
}

// metricDefinition reads a MetricDefinition: Name, and the optional Unit
// (None when absent) and StorageResolution.
func metricDefinition(v any) (string, Unit, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", "", errors.New("a metric definition must be an object")
	}
	name, ok := m["Name"].(string)
	if !ok {
		return "", "", errors.New("Name must be a string")
	}
	if len(name) < 1 || len(name) > maxNameLen {
		return "", "", fmt.Errorf("Name must have 1 to %d characters", maxNameLen)
	}
	unit := UnitNone
	if u, present := m["Unit"]; present {
		s, ok := u.(string)
		if !ok || !slices.Contains(standardUnits, Unit(s)) {
			return "", "", fmt.Errorf("Unit must be one of %s", unitNames())
		}
		unit = Unit(s)
	}
	if r, present := m["StorageResolution"]; present {
		if n, ok := r.(json.Number); !ok || n != "1" && n != "60" {
			return "", "", errors.New("StorageResolution must be 1 or 60")
		}
	}
	return name, unit, nil
}

// metricValues reads a metric's target member: a number or an array of up
// to emfMaxValues numbers.
func metricValues(v any) ([]float64, error) {
	switch v := v.(type) {
	case nil:
		return nil, errors.New("no member on the root holds a number for it")
	case []any:
		if len(v) > emfMaxValues {
			return nil, fmt.Errorf("%d values, more than %d", len(v), emfMaxValues)
		}
		values := make([]float64, 0, len(v))
		for _, it := range v {
			f, err := metricNumber(it)
			if err != nil {
				return nil, err
			}
			values = append(values, f)
		}
		return values, nil
	default:
		f, err := metricNumber(v)
		if err != nil {
			return nil, err
		}
		return []float64{f}, nil
	}
}

func metricNumber(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("a value of type %T is not a number", v)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || !finite(f) {
		return 0, fmt.Errorf("the value %s is out of range", truncate(string(n), 40))
	}
	return f, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
