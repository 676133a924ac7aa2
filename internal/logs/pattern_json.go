package logs

import (
	"bytes"
	"encoding/json"
	"io"
)

// jsonDoc is a parsed JSON event.
type jsonDoc struct {
	root any
}

// parseJSON parses a message that is one JSON value and nothing else.
func parseJSON(b []byte) (jsonDoc, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return jsonDoc{}, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return jsonDoc{}, false
	}
	return jsonDoc{root: v}, true
}

// lookup follows a selector; found is false when a step names a key or an
// index the document does not have.
func (d jsonDoc) lookup(sel selector) (fieldValue, bool) {
	cur := d.root
	for _, st := range sel {
		if st.index < 0 {
			m, ok := cur.(map[string]any)
			if !ok {
				return fieldValue{}, false
			}
			if cur, ok = m[st.key]; !ok {
				return fieldValue{}, false
			}
			continue
		}
		a, ok := cur.([]any)
		if !ok || st.index >= len(a) {
			return fieldValue{}, false
		}
		cur = a[st.index]
	}
	switch v := cur.(type) {
	case nil:
		return fieldValue{kind: fieldNull}, true
	case string:
		return fieldValue{kind: fieldScalar, text: v}, true
	case json.Number:
		f, err := v.Float64()
		return fieldValue{kind: fieldScalar, text: v.String(), num: err == nil, f: f}, true
	case bool:
		return fieldValue{kind: fieldBool, b: v}, true
	default:
		return fieldValue{kind: fieldComposite}, true
	}
}
