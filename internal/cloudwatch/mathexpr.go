package cloudwatch

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Metric math: the subset of CloudWatch's expression language Reservoir
// evaluates. Grammar:
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = "-" unary | primary
//	primary = number | id | "(" expr ")" | "[" expr { "," expr } "]"
//	        | FUNC "(" [ arg { "," arg } ] ")"
//	arg     = expr | "REPEAT" | "LINEAR" | string
//
// FUNC is SUM, AVG, MAX, MIN (of an array: per timestamp across the series;
// of one series: a scalar over all its points), METRICS() or
// METRICS('text') (the metric queries, optionally those whose Id contains
// text) and FILL(series, value | REPEAT | LINEAR). Arithmetic works on
// scalars, series (two series meet on their common timestamps) and arrays
// (element-wise). A division by zero leaves the point out.

// node is a parsed expression.
type node interface{ String() string }

type (
	numNode  struct{ v float64 }
	idNode   struct{ id string }
	strNode  struct{ s string }
	kwNode   struct{ word string }
	negNode  struct{ x node }
	listNode struct{ items []node }
	binNode  struct {
		op   byte
		l, r node
	}
	callNode struct {
		fn   string
		args []node
	}
)

func (n numNode) String() string { return strconv.FormatFloat(n.v, 'g', -1, 64) }
func (n idNode) String() string  { return n.id }
func (n strNode) String() string { return strconv.Quote(n.s) }
func (n kwNode) String() string  { return n.word }
func (n negNode) String() string { return "(-" + n.x.String() + ")" }
func (n binNode) String() string {
	return "(" + n.l.String() + " " + string(n.op) + " " + n.r.String() + ")"
}
func (n listNode) String() string {
	parts := make([]string, len(n.items))
	for i, it := range n.items {
		parts[i] = it.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
func (n callNode) String() string {
	parts := make([]string, len(n.args))
	for i, it := range n.args {
		parts[i] = it.String()
	}
	return n.fn + "(" + strings.Join(parts, ", ") + ")"
}

// exprError is a malformed or unevaluable expression. Chosen wording.
type exprError struct {
	pos int
	msg string
}

func (e *exprError) Error() string {
	if e.pos >= 0 {
		return fmt.Sprintf("%s at position %d", e.msg, e.pos+1)
	}
	return e.msg
}

// maxExprDepth bounds nesting, so a hostile expression cannot exhaust the
// stack.
const maxExprDepth = 100

type parser struct {
	src   string
	pos   int
	depth int
}

// parseExpr parses a metric math expression.
func parseExpr(src string) (node, error) {
	p := &parser{src: src}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.pos < len(p.src) {
		return nil, &exprError{p.pos, fmt.Sprintf("Unexpected character %q", p.src[p.pos])}
	}
	return n, nil
}

func (p *parser) skip() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *parser) peek() byte {
	p.skip()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.src) {
			return &exprError{p.pos, fmt.Sprintf("Expected %q but the expression ended", c)}
		}
		return &exprError{p.pos, fmt.Sprintf("Expected %q, found %q", c, p.src[p.pos])}
	}
	p.pos++
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxExprDepth {
		return &exprError{p.pos, "Expression nested too deeply"}
	}
	return nil
}

func (p *parser) expr() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		c := p.peek()
		if c != '+' && c != '-' {
			return l, nil
		}
		p.pos++
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = binNode{op: c, l: l, r: r}
	}
}

func (p *parser) term() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		c := p.peek()
		if c != '*' && c != '/' {
			return l, nil
		}
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = binNode{op: c, l: l, r: r}
	}
}

func (p *parser) unary() (node, error) {
	if p.peek() == '-' {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return negNode{x}, nil
	}
	return p.primary()
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }

func (p *parser) primary() (node, error) {
	c := p.peek()
	start := p.pos
	switch {
	case c == 0:
		return nil, &exprError{p.pos, "Unexpected end of expression"}
	case c == '(':
		p.pos++
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		return n, p.expect(')')
	case c == '[':
		p.pos++
		var items []node
		for {
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			items = append(items, n)
			if p.peek() == ',' {
				p.pos++
				continue
			}
			return listNode{items}, p.expect(']')
		}
	case c >= '0' && c <= '9' || c == '.':
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
			q := p.pos + 1
			if q < len(p.src) && (p.src[q] == '+' || p.src[q] == '-') {
				q++
			}
			if q < len(p.src) && p.src[q] >= '0' && p.src[q] <= '9' {
				for q < len(p.src) && p.src[q] >= '0' && p.src[q] <= '9' {
					q++
				}
				p.pos = q
			}
		}
		v, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil || !finite(v) {
			return nil, &exprError{start, fmt.Sprintf("Invalid number %q", p.src[start:p.pos])}
		}
		return numNode{v}, nil
	case c == '\'' || c == '"':
		p.pos++
		end := strings.IndexByte(p.src[p.pos:], c)
		if end < 0 {
			return nil, &exprError{start, "Unterminated string"}
		}
		s := p.src[p.pos : p.pos+end]
		p.pos += end + 1
		return strNode{s}, nil
	case isIdentStart(c):
		for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
			p.pos++
		}
		word := p.src[start:p.pos]
		if p.peek() == '(' {
			fn := strings.ToUpper(word)
			switch fn {
			case "SUM", "AVG", "MAX", "MIN", "METRICS", "FILL":
			default:
				return nil, &exprError{start, fmt.Sprintf("Unsupported function %s", word)}
			}
			p.pos++
			var args []node
			if p.peek() == ')' {
				p.pos++
				return callNode{fn: fn, args: args}, nil
			}
			for {
				a, err := p.arg()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if p.peek() == ',' {
					p.pos++
					continue
				}
				if err := p.expect(')'); err != nil {
					return nil, err
				}
				return callNode{fn: fn, args: args}, nil
			}
		}
		if word == "REPEAT" || word == "LINEAR" {
			return kwNode{word}, nil
		}
		return idNode{word}, nil
	}
	return nil, &exprError{p.pos, fmt.Sprintf("Unexpected character %q", c)}
}

func (p *parser) arg() (node, error) {
	c := p.peek()
	if c == '\'' || c == '"' {
		return p.primary()
	}
	return p.expr()
}

// series is a time series: ascending timestamps (Unix seconds) and their
// values, with the period of its grid.
type series struct {
	ts     []int64
	vals   []float64
	period int64
	label  string // the label of the metric it derives from, for arrays
}

// value is what an expression evaluates to: a scalar, a series or an array
// of series.
type value struct {
	kind int // valScalar, valSeries, valArray
	num  float64
	s    *series
	arr  []*series
}

const (
	valScalar = iota
	valSeries
	valArray
)

// evalEnv resolves ids and knows the query's time grid.
type evalEnv struct {
	resolve func(id string) (*series, error)
	metrics func(filter string) ([]*series, error)
	start   int64 // first grid timestamp
	end     int64 // grid ends before this
	period  int64 // grid step when a scalar must become a series
}

func (e *evalEnv) eval(n node) (value, error) {
	switch n := n.(type) {
	case numNode:
		return value{kind: valScalar, num: n.v}, nil
	case idNode:
		s, err := e.resolve(n.id)
		if err != nil {
			return value{}, err
		}
		return value{kind: valSeries, s: s}, nil
	case strNode, kwNode:
		return value{}, &exprError{-1, fmt.Sprintf("%s is not allowed here", n)}
	case negNode:
		x, err := e.eval(n.x)
		if err != nil {
			return value{}, err
		}
		return apply(x, value{kind: valScalar, num: -1}, '*')
	case binNode:
		l, err := e.eval(n.l)
		if err != nil {
			return value{}, err
		}
		r, err := e.eval(n.r)
		if err != nil {
			return value{}, err
		}
		return apply(l, r, n.op)
	case listNode:
		var arr []*series
		for _, it := range n.items {
			v, err := e.eval(it)
			if err != nil {
				return value{}, err
			}
			switch v.kind {
			case valSeries:
				arr = append(arr, v.s)
			case valArray:
				arr = append(arr, v.arr...)
			default:
				arr = append(arr, e.constant(v.num))
			}
		}
		return value{kind: valArray, arr: arr}, nil
	case callNode:
		return e.call(n)
	}
	return value{}, &exprError{-1, "Unknown expression"}
}

func (e *evalEnv) call(n callNode) (value, error) {
	switch n.fn {
	case "METRICS":
		filter := ""
		switch len(n.args) {
		case 0:
		case 1:
			s, ok := n.args[0].(strNode)
			if !ok {
				return value{}, &exprError{-1, "METRICS takes no argument or one string"}
			}
			filter = s.s
		default:
			return value{}, &exprError{-1, "METRICS takes no argument or one string"}
		}
		arr, err := e.metrics(filter)
		if err != nil {
			return value{}, err
		}
		return value{kind: valArray, arr: arr}, nil
	case "SUM", "AVG", "MAX", "MIN":
		if len(n.args) != 1 {
			return value{}, &exprError{-1, n.fn + " takes one argument"}
		}
		x, err := e.eval(n.args[0])
		if err != nil {
			return value{}, err
		}
		return reduce(n.fn, x), nil
	case "FILL":
		if len(n.args) != 2 {
			return value{}, &exprError{-1, "FILL takes two arguments"}
		}
		x, err := e.eval(n.args[0])
		if err != nil {
			return value{}, err
		}
		mode, fillWith := "", 0.0
		if kw, ok := n.args[1].(kwNode); ok {
			mode = kw.word
		} else {
			v, err := e.eval(n.args[1])
			if err != nil {
				return value{}, err
			}
			if v.kind != valScalar {
				return value{}, &exprError{-1, "FILL's second argument must be a number, REPEAT or LINEAR"}
			}
			fillWith = v.num
		}
		switch x.kind {
		case valScalar:
			return x, nil
		case valSeries:
			return value{kind: valSeries, s: e.fill(x.s, mode, fillWith)}, nil
		default:
			out := make([]*series, len(x.arr))
			for i, s := range x.arr {
				out[i] = e.fill(s, mode, fillWith)
			}
			return value{kind: valArray, arr: out}, nil
		}
	}
	return value{}, &exprError{-1, "Unsupported function " + n.fn}
}

// grid returns the timestamps of a period's grid over the query's range.
func (e *evalEnv) grid(period int64) []int64 {
	if period <= 0 {
		period = e.period
	}
	var ts []int64
	for t := e.start; t < e.end; t += period {
		ts = append(ts, t)
	}
	return ts
}

// constant is a scalar spread over the query's grid.
func (e *evalEnv) constant(v float64) *series {
	ts := e.grid(e.period)
	vals := make([]float64, len(ts))
	for i := range vals {
		vals[i] = v
	}
	return &series{ts: ts, vals: vals, period: e.period}
}

// fill gives a series a value at every timestamp of its grid.
func (e *evalEnv) fill(s *series, mode string, with float64) *series {
	grid := e.grid(s.period)
	out := &series{ts: make([]int64, 0, len(grid)), vals: make([]float64, 0, len(grid)), period: s.period, label: s.label}
	j := 0
	for _, t := range grid {
		for j < len(s.ts) && s.ts[j] < t {
			j++
		}
		if j < len(s.ts) && s.ts[j] == t {
			out.ts, out.vals = append(out.ts, t), append(out.vals, s.vals[j])
			continue
		}
		switch mode {
		case "":
			out.ts, out.vals = append(out.ts, t), append(out.vals, with)
		case "REPEAT":
			if j > 0 {
				out.ts, out.vals = append(out.ts, t), append(out.vals, s.vals[j-1])
			}
		case "LINEAR":
			if j > 0 && j < len(s.ts) {
				t0, t1, v0, v1 := s.ts[j-1], s.ts[j], s.vals[j-1], s.vals[j]
				out.ts, out.vals = append(out.ts, t), append(out.vals, v0+(v1-v0)*float64(t-t0)/float64(t1-t0))
			}
		}
	}
	return out
}

// apply combines two values with an arithmetic operator.
func apply(l, r value, op byte) (value, error) {
	switch {
	case l.kind == valArray || r.kind == valArray:
		if l.kind == valArray && r.kind == valArray {
			return value{}, &exprError{-1, "Arithmetic between two arrays of time series is not supported"}
		}
		arr := l.arr
		if r.kind == valArray {
			arr = r.arr
		}
		out := make([]*series, len(arr))
		for i, s := range arr {
			one := value{kind: valSeries, s: s}
			var v value
			var err error
			if l.kind == valArray {
				v, err = apply(one, r, op)
			} else {
				v, err = apply(l, one, op)
			}
			if err != nil {
				return value{}, err
			}
			out[i] = v.s
		}
		return value{kind: valArray, arr: out}, nil
	case l.kind == valScalar && r.kind == valScalar:
		return value{kind: valScalar, num: arith(l.num, r.num, op)}, nil
	case l.kind == valSeries && r.kind == valScalar:
		return value{kind: valSeries, s: mapSeries(l.s, func(x float64) float64 { return arith(x, r.num, op) })}, nil
	case l.kind == valScalar && r.kind == valSeries:
		return value{kind: valSeries, s: mapSeries(r.s, func(x float64) float64 { return arith(l.num, x, op) })}, nil
	}
	a, b := l.s, r.s
	out := &series{period: min(a.period, b.period), label: a.label}
	i, j := 0, 0
	for i < len(a.ts) && j < len(b.ts) {
		switch {
		case a.ts[i] < b.ts[j]:
			i++
		case b.ts[j] < a.ts[i]:
			j++
		default:
			if v := arith(a.vals[i], b.vals[j], op); finite(v) {
				out.ts, out.vals = append(out.ts, a.ts[i]), append(out.vals, v)
			}
			i++
			j++
		}
	}
	return value{kind: valSeries, s: out}, nil
}

func arith(a, b float64, op byte) float64 {
	switch op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	default:
		if b == 0 {
			return math.NaN()
		}
		return a / b
	}
}

func mapSeries(s *series, f func(float64) float64) *series {
	out := &series{ts: make([]int64, 0, len(s.ts)), vals: make([]float64, 0, len(s.ts)), period: s.period, label: s.label}
	for i, t := range s.ts {
		if v := f(s.vals[i]); finite(v) {
			out.ts, out.vals = append(out.ts, t), append(out.vals, v)
		}
	}
	return out
}

// reduce applies SUM, AVG, MAX or MIN: across an array's series at each
// timestamp any of them has, or over all points of one series (a scalar).
func reduce(fn string, x value) value {
	combine := func(vals []float64) float64 {
		switch fn {
		case "SUM":
			t := 0.0
			for _, v := range vals {
				t += v
			}
			return t
		case "AVG":
			t := 0.0
			for _, v := range vals {
				t += v
			}
			return t / float64(len(vals))
		case "MAX":
			return slices.Max(vals)
		default:
			return slices.Min(vals)
		}
	}
	switch x.kind {
	case valScalar:
		return x
	case valSeries:
		if len(x.s.vals) == 0 {
			return value{kind: valScalar, num: math.NaN()}
		}
		return value{kind: valScalar, num: combine(x.s.vals)}
	}
	byTS := make(map[int64][]float64)
	period := int64(0)
	for _, s := range x.arr {
		if period == 0 || s.period < period {
			period = s.period
		}
		for i, t := range s.ts {
			byTS[t] = append(byTS[t], s.vals[i])
		}
	}
	out := &series{period: period}
	for t := range byTS {
		out.ts = append(out.ts, t)
	}
	slices.Sort(out.ts)
	out.vals = make([]float64, len(out.ts))
	for i, t := range out.ts {
		out.vals[i] = combine(byTS[t])
	}
	return value{kind: valSeries, s: out}
}

// refs returns the ids an expression names, in order of appearance, and
// whether it calls METRICS().
func refs(n node) (ids []string, usesMetrics bool) {
	var walk func(node)
	walk = func(n node) {
		switch n := n.(type) {
		case idNode:
			ids = append(ids, n.id)
		case negNode:
			walk(n.x)
		case binNode:
			walk(n.l)
			walk(n.r)
		case listNode:
			for _, it := range n.items {
				walk(it)
			}
		case callNode:
			if n.fn == "METRICS" {
				usesMetrics = true
			}
			for _, a := range n.args {
				walk(a)
			}
		}
	}
	walk(n)
	return ids, usesMetrics
}
