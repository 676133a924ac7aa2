package logs

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pattern is a compiled CloudWatch Logs filter pattern (AWS's "Filter
// pattern syntax for metric filters, subscription filters, filter log
// events"). Three kinds:
//
//   - terms, for unstructured events: ERROR Exception (every term, as a
//     case-sensitive substring), "exact phrase", ?ERROR ?WARN (any of
//     them), -DEBUG (none of them), %regex%. The empty pattern and ""
//     match everything. A bare term has only letters, digits and
//     underscores; anything else must be quoted.
//   - JSON, in braces: { $.level = "ERROR" && ($.latency > 500 || $.retry IS TRUE) },
//     with selectors such as $.a.b[0], = and != on strings (a * at the
//     start or end is a wildcard) and numbers, < <= > >= on numbers,
//     IS NULL, IS TRUE, IS FALSE, NOT EXISTS.
//   - space-delimited, in brackets: [ip, user, ..., status = 4*, size > 1000],
//     naming the fields of the event (words, "quoted" and [bracketed] runs)
//     in order; ... stands for any number of fields.
//
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	m matcher
}

type matcher interface {
	match(msg []byte) bool
}

type matchAll struct{}

func (matchAll) match([]byte) bool { return true }

// maxRegexes is how many %regex% a pattern may hold, AWS's limit for FilterLogEvents.
const maxRegexes = 2

// ParsePattern compiles a filter pattern. A pattern AWS would refuse is an
// InvalidParameterException.
func ParsePattern(src string) (*Pattern, error) {
	t := strings.TrimSpace(src)
	var (
		m   matcher
		err error
	)
	switch {
	case t == "":
		m = matchAll{}
	case t[0] == '{':
		if t[len(t)-1] != '}' {
			return nil, errInvalid(msgUnclosedJSON)
		}
		m, err = parseJSONPattern(t[1 : len(t)-1])
	case t[0] == '[':
		if t[len(t)-1] != ']' {
			return nil, errInvalid(msgInvalidPattern)
		}
		m, err = parseDelimitedPattern(t[1 : len(t)-1])
	default:
		m, err = parseTerms(t)
	}
	if err != nil {
		return nil, err
	}
	return &Pattern{m: m}, nil
}

// Match reports whether an event's message matches the pattern.
func (p *Pattern) Match(msg []byte) bool { return p.m.match(msg) }

// MatchString is Match for a string message.
func (p *Pattern) MatchString(msg string) bool { return p.m.match([]byte(msg)) }

// ---- terms ----

// term is one term of an unstructured pattern: a literal or a regex.
type term struct {
	lit []byte
	re  *regexp.Regexp
}

func (t term) match(msg []byte) bool {
	if t.re != nil {
		return t.re.Match(msg)
	}
	return bytes.Contains(msg, t.lit)
}

// termsMatcher matches when every required term matches, no excluded term
// does, and (if there are any) one of the optional ?terms does.
type termsMatcher struct {
	required, excluded, optional []term
}

func (m *termsMatcher) match(msg []byte) bool {
	for _, t := range m.required {
		if !t.match(msg) {
			return false
		}
	}
	for _, t := range m.excluded {
		if t.match(msg) {
			return false
		}
	}
	if len(m.optional) == 0 {
		return true
	}
	for _, t := range m.optional {
		if t.match(msg) {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func parseTerms(src string) (matcher, error) {
	m := &termsMatcher{}
	regexes := 0
	for i := 0; ; {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i == len(src) {
			break
		}
		list := &m.required
		switch src[i] {
		case '?':
			list = &m.optional
			i++
		case '-':
			list = &m.excluded
			i++
			for i < len(src) && isSpace(src[i]) { // AWS's example: "ERROR" - "Exiting"
				i++
			}
		}
		if i == len(src) || isSpace(src[i]) && list == &m.optional {
			return nil, errInvalid(msgInvalidPattern)
		}
		var t term
		switch src[i] {
		case '"':
			lit, n, ok := readQuoted(src[i:])
			if !ok {
				return nil, errInvalid(msgInvalidPattern)
			}
			i += n
			t.lit = []byte(lit)
		case '%':
			re, n, err := readRegex(src[i:])
			if err != nil {
				return nil, err
			}
			if regexes++; regexes > maxRegexes {
				return nil, errInvalid(msgInvalidPattern)
			}
			i += n
			t.re = re
		default:
			j := i
			for j < len(src) && !isSpace(src[j]) {
				j++
			}
			word := src[i:j]
			if !bareTerm(word) {
				return nil, errInvalid("Invalid character(s) in term '" + word + "'")
			}
			i = j
			t.lit = []byte(word)
		}
		if i < len(src) && !isSpace(src[i]) {
			return nil, errInvalid(msgInvalidPattern)
		}
		*list = append(*list, t)
	}
	if len(m.required)+len(m.excluded)+len(m.optional) == 0 {
		return matchAll{}, nil
	}
	return m, nil
}

// bareTerm reports whether a word may stand unquoted: letters, digits and
// underscores only.
func bareTerm(w string) bool {
	for _, r := range w {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

// readQuoted reads a double-quoted string at the start of s, where \" and
// \\ escape, and returns its content and the bytes it took.
func readQuoted(s string) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, true
		case '\\':
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
				b.WriteByte(s[i])
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// regexByte reports whether c may appear in a %regex%: letters, digits, the
// symbols :_#=@/;,- and space, and the operators ^$?[]{}|\*+. (AWS's list;
// parentheses are not supported).
func regexByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte(":_#=@/;,- ^$?[]{}|\\*+.", c) >= 0
}

// readRegex reads a %regex% at the start of s and returns it compiled and
// the bytes it took.
func readRegex(s string) (*regexp.Regexp, int, error) {
	end := strings.IndexByte(s[1:], '%')
	if end < 0 {
		return nil, 0, errInvalid(msgInvalidPattern)
	}
	body := s[1 : 1+end]
	if body == "" || !allBytes(body, regexByte) {
		return nil, 0, errInvalid("Invalid character(s) in term '" + s[:end+2] + "'")
	}
	re, err := regexp.Compile(body)
	if err != nil {
		return nil, 0, errInvalid(msgInvalidPattern)
	}
	return re, end + 2, nil
}

// ---- tokens of JSON and space-delimited patterns ----

type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokComma
	tokOp       // = != < <= > >=
	tokSelector // $.a.b[0]
	tokString   // "quoted"
	tokRegex    // %regex%
	tokWord     // a bare value, a field name, a keyword
)

type token struct {
	kind tokKind
	text string // operator, selector, word, or the string's content
	re   *regexp.Regexp
}

// lex splits the body of a JSON or space-delimited pattern into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	regexes := 0
	for i := 0; ; {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i == len(src) {
			return append(toks, token{kind: tokEOF}), nil
		}
		c := src[i]
		two := ""
		if i+1 < len(src) {
			two = src[i : i+2]
		}
		switch {
		case c == '(':
			toks = append(toks, token{kind: tokLParen})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen})
			i++
		case c == ',':
			toks = append(toks, token{kind: tokComma})
			i++
		case two == "&&":
			toks = append(toks, token{kind: tokAnd})
			i += 2
		case two == "||":
			toks = append(toks, token{kind: tokOr})
			i += 2
		case two == "!=" || two == "<=" || two == ">=":
			toks = append(toks, token{kind: tokOp, text: two})
			i += 2
		case c == '=' || c == '<' || c == '>':
			toks = append(toks, token{kind: tokOp, text: string(c)})
			i++
		case c == '"':
			s, n, ok := readQuoted(src[i:])
			if !ok {
				return nil, errInvalid(msgInvalidPattern)
			}
			toks = append(toks, token{kind: tokString, text: s})
			i += n
		case c == '%':
			re, n, err := readRegex(src[i:])
			if err != nil {
				return nil, err
			}
			if regexes++; regexes > maxRegexes {
				return nil, errInvalid(msgInvalidPattern)
			}
			toks = append(toks, token{kind: tokRegex, text: src[i : i+n], re: re})
			i += n
		case c == '$':
			j := i + 1
			for j < len(src) && selectorByte(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tokSelector, text: src[i:j]})
			i = j
		default:
			j := i
			for j < len(src) && wordByte(src[j]) {
				j++
			}
			if j == i {
				return nil, errInvalid(msgInvalidPattern)
			}
			toks = append(toks, token{kind: tokWord, text: src[i:j]})
			i = j
		}
	}
}

func selectorByte(c byte) bool {
	return isWordByte(c) || c == '-' || c == '.' || c == '[' || c == ']' || c == '*'
}

// wordByte reports whether c can be part of a bare word: anything but
// space, quotes and the characters operators and grouping are made of.
func wordByte(c byte) bool {
	return !isSpace(c) && strings.IndexByte(`()&|=!<>",%$`, c) < 0
}

// parser reads a token list.
type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// ---- values: the right side of a comparison ----

// value is what a field is compared with.
type value struct {
	kind   valueKind
	text   string // glob text, or the number as written
	num    float64
	re     *regexp.Regexp
	prefix bool // text ends in * (wildcard): match text as a prefix...
	suffix bool // ...starts with *: as a suffix; both: as a substring
}

type valueKind int

const (
	valGlob valueKind = iota
	valNumber
	valRegex
)

// parseNumber reads AWS's NUMBER: an optionally signed integer or decimal,
// optionally followed by e and a signed integer (scientific notation).
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func globValue(s string) value {
	v := value{kind: valGlob}
	if strings.HasSuffix(s, "*") {
		v.prefix = true
		s = s[:len(s)-1]
	}
	if strings.HasPrefix(s, "*") {
		v.suffix = true
		s = s[1:]
	}
	v.text = s
	return v
}

// readValue reads the right side of op.
func (p *parser) readValue(op string) (value, error) {
	t := p.next()
	numeric := op != "=" && op != "!="
	switch t.kind {
	case tokWord:
		if f, ok := parseNumber(t.text); ok {
			return value{kind: valNumber, text: t.text, num: f}, nil
		}
		if numeric {
			return value{}, errInvalid(msgInvalidPattern)
		}
		return globValue(t.text), nil
	case tokString:
		if numeric {
			return value{}, errInvalid(msgInvalidPattern)
		}
		return globValue(t.text), nil
	case tokRegex:
		if numeric {
			return value{}, errInvalid(msgInvalidPattern)
		}
		return value{kind: valRegex, re: t.re}, nil
	default:
		return value{}, errInvalid(msgInvalidPattern)
	}
}

// matchText reports whether a field equals the value (= semantics): a
// number compares as a number with a numeric field, a glob or a regex with
// the field's text.
func (v value) matchText(f fieldValue) bool {
	switch v.kind {
	case valRegex:
		return v.re.MatchString(f.text)
	case valNumber:
		if f.num {
			return f.f == v.num
		}
		return f.text == v.text
	}
	switch {
	case v.prefix && v.suffix:
		return strings.Contains(f.text, v.text)
	case v.prefix:
		return strings.HasPrefix(f.text, v.text)
	case v.suffix:
		return strings.HasSuffix(f.text, v.text)
	default:
		return f.text == v.text
	}
}

// compare applies op to a field; < <= > >= need a numeric field.
func compare(op string, v value, f fieldValue) bool {
	switch op {
	case "=":
		return v.matchText(f)
	case "!=":
		return !v.matchText(f)
	}
	if !f.num {
		return false
	}
	switch op {
	case "<":
		return f.f < v.num
	case "<=":
		return f.f <= v.num
	case ">":
		return f.f > v.num
	default:
		return f.f >= v.num
	}
}

// ---- boolean expressions over conditions ----

type expr interface {
	eval(field func(ref string) (fieldValue, bool)) bool
}

type andExpr []expr
type orExpr []expr

func (a andExpr) eval(f func(string) (fieldValue, bool)) bool {
	for _, e := range a {
		if !e.eval(f) {
			return false
		}
	}
	return true
}

func (o orExpr) eval(f func(string) (fieldValue, bool)) bool {
	for _, e := range o {
		if e.eval(f) {
			return true
		}
	}
	return false
}

// fieldValue is what a selector or field name found.
type fieldValue struct {
	kind fieldKind
	text string  // scalars: the string, or the number as written
	num  bool    // the field is a number (JSON) or reads as one (a delimited field)
	f    float64 // its value when num
	b    bool    // fieldBool's value
}

// textField is a space-delimited field.
func textField(s string) fieldValue {
	f, ok := parseNumber(s)
	return fieldValue{kind: fieldScalar, text: s, num: ok, f: f}
}

type fieldKind int

const (
	fieldScalar fieldKind = iota // string or number
	fieldBool
	fieldNull
	fieldComposite // object or array: no condition applies to it
)

type condKind int

const (
	condCompare condKind = iota
	condIsNull
	condIsTrue
	condIsFalse
	condNotExists
)

type cond struct {
	ref  string
	kind condKind
	op   string
	val  value
}

func (c *cond) eval(f func(string) (fieldValue, bool)) bool {
	fv, found := f(c.ref)
	switch c.kind {
	case condNotExists:
		return !found
	case condIsNull:
		return found && fv.kind == fieldNull
	case condIsTrue:
		return found && fv.kind == fieldBool && fv.b
	case condIsFalse:
		return found && fv.kind == fieldBool && !fv.b
	}
	if !found || fv.kind != fieldScalar {
		return false
	}
	return compare(c.op, c.val, fv)
}

// maxDepth bounds parenthesis nesting.
const maxDepth = 64

// parseOr reads cond (&& cond)* (|| ...)*, && binding tighter; leftKind is
// the token kind the left side of a condition must have.
func (p *parser) parseOr(leftKind tokKind, depth int) (expr, error) {
	var or orExpr
	for {
		var and andExpr
		for {
			e, err := p.parsePrimary(leftKind, depth)
			if err != nil {
				return nil, err
			}
			and = append(and, e)
			if p.peek().kind != tokAnd {
				break
			}
			p.next()
		}
		if len(and) == 1 {
			or = append(or, and[0])
		} else {
			or = append(or, and)
		}
		if p.peek().kind != tokOr {
			break
		}
		p.next()
	}
	if len(or) == 1 {
		return or[0], nil
	}
	return or, nil
}

func (p *parser) parsePrimary(leftKind tokKind, depth int) (expr, error) {
	t := p.next()
	if t.kind == tokLParen {
		if depth >= maxDepth {
			return nil, errInvalid(msgInvalidPattern)
		}
		e, err := p.parseOr(leftKind, depth+1)
		if err != nil {
			return nil, err
		}
		if p.next().kind != tokRParen {
			return nil, errInvalid(msgInvalidPattern)
		}
		return e, nil
	}
	if t.kind != leftKind {
		return nil, errInvalid(msgInvalidPattern)
	}
	c := &cond{ref: t.text}
	n := p.next()
	switch {
	case n.kind == tokOp:
		v, err := p.readValue(n.text)
		if err != nil {
			return nil, err
		}
		c.kind, c.op, c.val = condCompare, n.text, v
	case n.kind == tokWord && strings.EqualFold(n.text, "IS"):
		switch k := p.next(); {
		case k.kind == tokWord && strings.EqualFold(k.text, "NULL"):
			c.kind = condIsNull
		case k.kind == tokWord && strings.EqualFold(k.text, "TRUE"):
			c.kind = condIsTrue
		case k.kind == tokWord && strings.EqualFold(k.text, "FALSE"):
			c.kind = condIsFalse
		default:
			return nil, errInvalid(msgInvalidPattern)
		}
	case n.kind == tokWord && strings.EqualFold(n.text, "NOT"):
		if k := p.next(); k.kind != tokWord || !strings.EqualFold(k.text, "EXISTS") {
			return nil, errInvalid(msgInvalidPattern)
		}
		c.kind = condNotExists
	default:
		return nil, errInvalid(msgInvalidPattern)
	}
	return c, nil
}

// ---- JSON patterns ----

// selector is a parsed $.a.b[0] path.
type selector []step

type step struct {
	key   string
	index int // -1: a key step
}

func parseSelector(s string) (selector, bool) {
	if s == "" || s[0] != '$' {
		return nil, false
	}
	var sel selector
	for i := 1; i < len(s); {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '-') {
				j++
			}
			if j == i+1 {
				return nil, false
			}
			sel = append(sel, step{key: s[i+1 : j], index: -1})
			i = j
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil || n < 0 || len(sel) == 0 || s[i+1] == '+' {
				return nil, false
			}
			sel = append(sel, step{index: n})
			i += j + 1
		default:
			return nil, false
		}
	}
	return sel, true
}

type jsonMatcher struct {
	e         expr
	selectors map[string]selector
	// required are byte strings every matching event contains when it has
	// no backslash (no JSON escape can then spell them otherwise): events
	// without one are refused before they are parsed.
	required [][]byte
}

func parseJSONPattern(body string) (matcher, error) {
	toks, err := lex(body)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.parseOr(tokSelector, 0)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokEOF {
		return nil, errInvalid(msgInvalidPattern)
	}
	m := &jsonMatcher{e: e, selectors: make(map[string]selector)}
	for _, t := range toks {
		if t.kind == tokSelector {
			sel, ok := parseSelector(t.text)
			if !ok {
				return nil, errInvalid(msgInvalidPattern)
			}
			m.selectors[t.text] = sel
		}
	}
	for _, lit := range requiredLiterals(e, m.selectors) {
		m.required = append(m.required, []byte(lit))
	}
	return m, nil
}

// requiredLiterals returns text every event e matches contains, as JSON
// without escapes writes it: the quoted last key of each selector a
// condition needs to exist, the literal parts of = strings, true, false and
// null. Branches of || need nothing (any of them may match).
func requiredLiterals(e expr, sels map[string]selector) []string {
	switch e := e.(type) {
	case andExpr:
		var out []string
		for _, x := range e {
			out = append(out, requiredLiterals(x, sels)...)
		}
		return out
	case *cond:
		if e.kind == condNotExists {
			return nil
		}
		var out []string
		if sel := sels[e.ref]; len(sel) > 0 && sel[len(sel)-1].index < 0 {
			out = append(out, `"`+sel[len(sel)-1].key+`"`)
		}
		switch {
		case e.kind == condIsNull:
			out = append(out, "null")
		case e.kind == condIsTrue:
			out = append(out, "true")
		case e.kind == condIsFalse:
			out = append(out, "false")
		case e.op == "=" && e.val.kind == valGlob && e.val.text != "":
			out = append(out, e.val.text)
		}
		return out
	}
	return nil
}

func (m *jsonMatcher) match(msg []byte) bool {
	trimmed := bytes.TrimSpace(msg)
	if len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
		return false
	}
	if bytes.IndexByte(trimmed, '\\') < 0 {
		for _, lit := range m.required {
			if !bytes.Contains(trimmed, lit) {
				return false
			}
		}
	}
	doc, ok := parseJSON(trimmed)
	if !ok {
		return false
	}
	return m.e.eval(func(ref string) (fieldValue, bool) {
		return doc.lookup(m.selectors[ref])
	})
}

// ---- space-delimited patterns ----

// slot is one comma-separated part of a space-delimited pattern.
type slot struct {
	ellipsis bool
	name     string
	e        expr // nil: any field
}

type delimitedMatcher struct {
	slots []slot
}

func parseDelimitedPattern(body string) (matcher, error) {
	toks, err := lex(body)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tokEOF {
		return nil, errInvalid(msgInvalidPattern)
	}
	var slots []slot
	p := &parser{toks: toks}
	for {
		// One slot: the tokens up to the next comma at depth 0.
		start := p.pos
		depth := 0
		for k := p.peek().kind; k != tokEOF && (k != tokComma || depth > 0); k = p.peek().kind {
			switch k {
			case tokLParen:
				depth++
			case tokRParen:
				depth--
			}
			p.next()
		}
		part := append(append([]token(nil), toks[start:p.pos]...), token{kind: tokEOF})
		s, err := parseSlot(part)
		if err != nil {
			return nil, err
		}
		slots = append(slots, s)
		if p.next().kind == tokEOF {
			break
		}
	}
	// Consecutive ellipses are one.
	slots = slices.CompactFunc(slots, func(a, b slot) bool { return a.ellipsis && b.ellipsis })
	return &delimitedMatcher{slots: slots}, nil
}

// parseSlot reads one slot; an empty one is an unnamed field (AWS's
// example [..., request=*.html*, status_code=4*,] ends with one).
func parseSlot(toks []token) (slot, error) {
	switch {
	case toks[0].kind == tokEOF:
		return slot{}, nil
	case len(toks) == 2 && toks[0].kind == tokWord && toks[0].text == "...":
		return slot{ellipsis: true}, nil
	case len(toks) == 2 && toks[0].kind == tokWord:
		if !fieldName(toks[0].text) {
			return slot{}, errInvalid("Invalid character(s) in term '" + toks[0].text + "'")
		}
		return slot{name: toks[0].text}, nil
	}
	p := &parser{toks: toks}
	e, err := p.parseOr(tokWord, 0)
	if err != nil {
		return slot{}, err
	}
	if p.peek().kind != tokEOF {
		return slot{}, errInvalid(msgInvalidPattern)
	}
	// Every condition of a slot is about the slot's field.
	name := ""
	ok := true
	walk(e, func(c *cond) {
		if name == "" {
			name = c.ref
		}
		if c.ref != name || !fieldName(c.ref) {
			ok = false
		}
	})
	if !ok {
		return slot{}, errInvalid(msgInvalidPattern)
	}
	return slot{name: name, e: e}, nil
}

func walk(e expr, fn func(*cond)) {
	switch e := e.(type) {
	case *cond:
		fn(e)
	case andExpr:
		for _, x := range e {
			walk(x, fn)
		}
	case orExpr:
		for _, x := range e {
			walk(x, fn)
		}
	}
}

// fieldName reports whether w names a field: letters, digits, underscores.
func fieldName(w string) bool { return w != "" && allBytes(w, isWordByte) }

// splitFields splits a message as space-delimited patterns read it: on
// spaces, except inside "double quotes" or [square brackets], which make
// one field without them.
func splitFields(msg []byte) []string {
	var fields []string
	for i := 0; ; {
		for i < len(msg) && isSpace(msg[i]) {
			i++
		}
		if i == len(msg) {
			return fields
		}
		var close byte
		switch msg[i] {
		case '"':
			close = '"'
		case '[':
			close = ']'
		}
		if close != 0 {
			if j := bytes.IndexByte(msg[i+1:], close); j >= 0 {
				fields = append(fields, string(msg[i+1:i+1+j]))
				i += j + 2
				continue
			}
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) {
			j++
		}
		fields = append(fields, string(msg[i:j]))
		i = j
	}
}

func (m *delimitedMatcher) match(msg []byte) bool {
	if !utf8.Valid(msg) {
		msg = bytes.ToValidUTF8(msg, []byte("\uFFFD"))
	}
	return matchSlots(m.slots, splitFields(msg))
}

// matchSlots matches slots against fields in order; an ellipsis takes any
// number of fields. ok[j] says whether slots[i:] can match fields[j:], built
// from the last slot back, so the cost is slots × fields whatever the
// ellipses.
func matchSlots(slots []slot, fields []string) bool {
	n := len(fields)
	ok := make([]bool, n+1)
	next := make([]bool, n+1)
	ok[n] = true // no slot left matches no field left
	for i := len(slots) - 1; i >= 0; i-- {
		s := slots[i]
		next[n] = s.ellipsis && ok[n]
		for j := n - 1; j >= 0; j-- {
			switch {
			case s.ellipsis:
				next[j] = ok[j] || next[j+1]
			case !ok[j+1]:
				next[j] = false
			case s.e == nil:
				next[j] = true
			default:
				f := textField(fields[j])
				next[j] = s.e.eval(func(string) (fieldValue, bool) { return f, true })
			}
		}
		ok, next = next, ok
	}
	return ok[0]
}
