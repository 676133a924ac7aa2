package awsproto

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The AWS query protocol of an RPCService, driven by the same wire structs
// as JSON and CBOR. A member's query name is its json tag name (its Go name
// without one); a `query:"Name,flattened"` tag overrides the name and marks
// a flattened list or map (Name.N, Name.N.key, without .member/.entry).
// Input: structure members by name (Outer.Inner), lists as Name.member.N
// (N from 1; an empty list is Name=), maps as Name.entry.N.key/.value,
// booleans true/false, timestamps ISO 8601 (or epoch seconds), blobs
// base64. Parameters no member names are ignored, as AWS ignores them.
// Output: the same members as XML elements, lists as <Name><member>…,
// maps as <Name><entry><key/><value/></entry>…, timestamps ISO 8601 UTC
// to the millisecond; omitempty/omitzero members are left out when zero.

// queryNode is one level of a query request's parameter names: the value
// of "A.B" is the value of node B under node A.
type queryNode struct {
	value string
	set   bool
	kids  map[string]*queryNode
}

// queryTree arranges parameters by their dotted names, without the
// protocol's own Action and Version.
func queryTree(values url.Values) *queryNode {
	root := &queryNode{}
	for key, vals := range values {
		if key == "Action" || key == "Version" || len(vals) == 0 {
			continue
		}
		n := root
		for part := range strings.SplitSeq(key, ".") {
			if n.kids == nil {
				n.kids = map[string]*queryNode{}
			}
			k := n.kids[part]
			if k == nil {
				k = &queryNode{}
				n.kids[part] = k
			}
			n = k
		}
		n.value, n.set = vals[0], true
	}
	return root
}

// errQueryValue is the query protocol's answer to a parameter that does not
// parse as its member's type. AWS's query services answer such values 400
// InvalidParameterValue (CloudWatch models it as
// InvalidParameterValueException, code InvalidParameterValue); the JSON and
// CBOR protocols' SerializationException has no query form.
func errQueryValue(name, value, want string) *RPCError {
	if len(value) > 64 {
		value = value[:64] + "…"
	}
	return &RPCError{Status: 400, Code: "InvalidParameterValue",
		Message: fmt.Sprintf("The value '%s' of parameter %s is not %s.", value, name, want)}
}

// decodeQuery decodes a query request's parameters into in, a pointer to
// an operation's input struct.
func decodeQuery(values url.Values, in any) error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awsproto: query input %T is not a pointer to a struct", in)
	}
	return decodeQueryStruct(queryTree(values), "", v.Elem())
}

// queryField is a struct member as the query protocol names it.
type queryField struct {
	index     []int
	name      string
	flattened bool
	omitEmpty bool
}

// queryFields lists t's members (embedded structs' members inline).
func queryFields(t reflect.Type) []queryField {
	var out []queryField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		qf := queryField{index: f.Index, name: name,
			omitEmpty: strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")}
		if q, ok := f.Tag.Lookup("query"); ok {
			qname, qopts, _ := strings.Cut(q, ",")
			if qname == "-" {
				continue
			}
			if qname != "" {
				qf.name = qname
			}
			qf.flattened = qopts == "flattened"
		}
		out = append(out, qf)
	}
	return out
}

func joinName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func decodeQueryStruct(n *queryNode, prefix string, v reflect.Value) error {
	for _, f := range queryFields(v.Type()) {
		k := n.kids[f.name]
		if k == nil {
			continue
		}
		fv, err := v.FieldByIndexErr(f.index)
		if err != nil {
			return err
		}
		if err := decodeQueryValue(k, joinName(prefix, f.name), f.flattened, fv); err != nil {
			return err
		}
	}
	return nil
}

func decodeQueryValue(n *queryNode, name string, flattened bool, v reflect.Value) error {
	t := v.Type()
	timestampType, timeType := reflect.TypeFor[Timestamp](), reflect.TypeFor[time.Time]()
	switch {
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		if err := decodeQueryValue(n, name, flattened, e.Elem()); err != nil {
			return err
		}
		v.Set(e)
		return nil
	case t == timestampType || t == timeType:
		tm, err := parseQueryTime(n.value)
		if err != nil {
			return errQueryValue(name, n.value, "an ISO 8601 timestamp")
		}
		if t == timestampType {
			v.Set(reflect.ValueOf(Timestamp{tm}))
		} else {
			v.Set(reflect.ValueOf(tm))
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		b, err := base64.StdEncoding.DecodeString(n.value)
		if err != nil {
			return errQueryValue(name, n.value, "base64")
		}
		v.SetBytes(b)
		return nil
	case t.Kind() == reflect.Struct:
		return decodeQueryStruct(n, name, v)
	case t.Kind() == reflect.Slice:
		return decodeQueryList(n, name, flattened, v)
	case t.Kind() == reflect.Map:
		return decodeQueryMap(n, name, flattened, v)
	}
	return setQueryScalar(n.value, name, v)
}

func setQueryScalar(s, name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return errQueryValue(name, s, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return errQueryValue(name, s, "an integer in range")
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return errQueryValue(name, s, "an integer in range")
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return errQueryValue(name, s, "a number")
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("awsproto: the query protocol cannot decode %s into %s", name, v.Type())
	}
	return nil
}

// queryItems returns the numbered children of n (Name.member.N or, for a
// flattened list, Name.N) in index order.
func queryItems(n *queryNode, name string) ([]*queryNode, error) {
	type item struct {
		i int
		n *queryNode
	}
	items := make([]item, 0, len(n.kids))
	for k, kid := range n.kids {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || (len(k) > 1 && k[0] == '0') {
			return nil, errQueryValue(name, k, "a list index from 1")
		}
		items = append(items, item{i, kid})
	}
	slices.SortFunc(items, func(a, b item) int { return a.i - b.i })
	out := make([]*queryNode, len(items))
	for j, it := range items {
		out[j] = it.n
	}
	return out, nil
}

func decodeQueryList(n *queryNode, name string, flattened bool, v reflect.Value) error {
	items := n
	if !flattened {
		name += ".member"
		items = n.kids["member"]
		if items == nil {
			// "Name=" is an empty list; other children are no members.
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return nil
		}
	}
	nodes, err := queryItems(items, name)
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Type(), len(nodes), len(nodes))
	for i, kid := range nodes {
		if err := decodeQueryValue(kid, name+"."+strconv.Itoa(i+1), false, s.Index(i)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func decodeQueryMap(n *queryNode, name string, flattened bool, v reflect.Value) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		return fmt.Errorf("awsproto: the query protocol cannot decode %s into %s", name, t)
	}
	entries := n
	if !flattened {
		name += ".entry"
		entries = n.kids["entry"]
	}
	m := reflect.MakeMap(t)
	if entries != nil {
		nodes, err := queryItems(entries, name)
		if err != nil {
			return err
		}
		for i, e := range nodes {
			en := name + "." + strconv.Itoa(i+1)
			key, val := e.kids["key"], e.kids["value"]
			if key == nil || !key.set {
				return errQueryValue(en+".key", "", "a map key")
			}
			kv := reflect.New(t.Key()).Elem()
			kv.SetString(key.value)
			vv := reflect.New(t.Elem()).Elem()
			if val != nil {
				if err := decodeQueryValue(val, en+".value", false, vv); err != nil {
					return err
				}
			}
			m.SetMapIndex(kv, vv)
		}
	}
	v.Set(m)
	return nil
}

// parseQueryTime reads an ISO 8601 time (what the SDKs send), or epoch
// seconds.
func parseQueryTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Truncate(time.Millisecond), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !validEpoch(f) {
		return time.Time{}, fmt.Errorf("not a time: %q", s)
	}
	return epochToTime(f), nil
}

// queryTimeFormat is how query answers write times: ISO 8601, UTC, to the
// millisecond when there is one.
const queryTimeFormat = "2006-01-02T15:04:05.999Z07:00"

// encodeQueryResponse writes an operation's answer:
// <OpResponse xmlns=NS><OpResult>…</OpResult><ResponseMetadata>
// <RequestId>…</RequestId></ResponseMetadata></OpResponse>. An output
// without members has no Result element.
func encodeQueryResponse(op, namespace, requestID string, out any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<` + op + `Response xmlns="`)
	_ = xml.EscapeText(&b, []byte(namespace))
	b.WriteString(`">`)
	v := reflect.ValueOf(out)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("awsproto: query output %T is not a struct", out)
	}
	if len(queryFields(v.Type())) > 0 {
		b.WriteString("<" + op + "Result>")
		if err := encodeQueryStruct(&b, v); err != nil {
			return nil, err
		}
		b.WriteString("</" + op + "Result>")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	_ = xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestId></ResponseMetadata></" + op + "Response>")
	return b.Bytes(), nil
}

func encodeQueryStruct(b *bytes.Buffer, v reflect.Value) error {
	for _, f := range queryFields(v.Type()) {
		fv, err := v.FieldByIndexErr(f.index)
		if err != nil {
			continue // a nil embedded pointer: none of its members
		}
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		if err := encodeQueryMember(b, f.name, f.flattened, fv); err != nil {
			return err
		}
	}
	return nil
}

// encodeQueryMember writes v as the element name; nil pointers and
// interfaces are absent members.
func encodeQueryMember(b *bytes.Buffer, name string, flattened bool, v reflect.Value) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	t := v.Type()
	timestampType, timeType := reflect.TypeFor[Timestamp](), reflect.TypeFor[time.Time]()
	isList := t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 || t.Kind() == reflect.Array
	switch {
	case isList && flattened:
		for i := range v.Len() {
			if err := encodeQueryMember(b, name, false, v.Index(i)); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Map && flattened:
		return encodeQueryMap(b, name, v)
	}
	b.WriteString("<" + name + ">")
	switch {
	case t == timestampType:
		b.WriteString(v.Interface().(Timestamp).UTC().Format(queryTimeFormat))
	case t == timeType:
		b.WriteString(v.Interface().(time.Time).UTC().Format(queryTimeFormat))
	case isList:
		for i := range v.Len() {
			if err := encodeQueryMember(b, "member", false, v.Index(i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map:
		if err := encodeQueryMap(b, "entry", v); err != nil {
			return err
		}
	case t.Kind() == reflect.Struct:
		if err := encodeQueryStruct(b, v); err != nil {
			return err
		}
	default:
		if err := encodeQueryScalar(b, name, v); err != nil {
			return err
		}
	}
	b.WriteString("</" + name + ">")
	return nil
}

// encodeQueryMap writes one <entry> element (named entry) per key, in key
// order.
func encodeQueryMap(b *bytes.Buffer, entry string, v reflect.Value) error {
	if v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("awsproto: the query protocol cannot encode %s", v.Type())
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, c reflect.Value) int { return strings.Compare(a.String(), c.String()) })
	for _, k := range keys {
		b.WriteString("<" + entry + "><key>")
		_ = xml.EscapeText(b, []byte(k.String()))
		b.WriteString("</key>")
		if err := encodeQueryMember(b, "value", false, v.MapIndex(k)); err != nil {
			return err
		}
		b.WriteString("</" + entry + ">")
	}
	return nil
}

func encodeQueryScalar(b *bytes.Buffer, name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		_ = xml.EscapeText(b, []byte(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(formatQueryFloat(v.Float()))
	case reflect.Slice: // []byte
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
	default:
		return fmt.Errorf("awsproto: the query protocol cannot encode %s (%s)", name, v.Type())
	}
	return nil
}

// formatQueryFloat writes a double as AWS's query answers do: plain decimal
// digits, an exponent only for very large or small magnitudes, and NaN and
// the infinities by name.
func formatQueryFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a != 0 && (a >= 1e21 || a < 1e-7) {
		return strconv.FormatFloat(f, 'E', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
