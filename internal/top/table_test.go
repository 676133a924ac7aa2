package top

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func ptr[T any](v T) *T { return &v }

// fixture is a snapshot of four functions whose orders differ by every key.
func fixture() *Snapshot {
	spark := func(vs ...int64) []int64 {
		return append(make([]int64, 15-len(vs)), vs...)
	}
	return &Snapshot{
		Time:     time.Date(2026, 12, 6, 20, 0, 0, 123e6, time.UTC),
		Accounts: []AccountRegion{{Account: "123456789012", Region: "us-east-1"}, {Account: "210987654321", Region: "eu-west-1"}},
		Account:  "123456789012", Region: "us-east-1",
		Pool: Pool{Limit: 1000, UnreservedMinimum: 100, Reserved: 10, Unreserved: 990, Inflight: 15, ThrottlesPerMinute: 45, Throttles: 46},
		Functions: []Function{
			{Name: "alpha", Inflight: 1, InvocationsPerMinute: 300, ErrorsPerMinute: 0, ThrottlesPerMinute: 0,
				P99DurationMs: ptr(3.25), Invocations: 5000, Sparklines: sparklines(spark(1, 2, 3), spark(100, 300))},
			{Name: "bravo", Reserved: ptr(10), Inflight: 10, InvocationsPerMinute: 120, ErrorsPerMinute: 2, ThrottlesPerMinute: 40,
				SpilloverPerMinute: 3, P99DurationMs: ptr(12.5), Invocations: 1200, Errors: 7, Throttles: 41, Spillover: 3,
				Provisioned: []Provisioned{{Qualifier: "live", Requested: 4, Allocated: 4, Status: "READY"},
					{Qualifier: "7", Requested: 2, Allocated: 0, Status: "IN_PROGRESS"}},
				Sparklines: sparklines(spark(0, 10, 5), spark(120))},
			{Name: "charlie", Reserved: ptr(0), Inflight: 0, ThrottlesPerMinute: 5, Throttles: 5},
			{Name: "delta", Inflight: 4, InvocationsPerMinute: 20, ErrorsPerMinute: 9, P99DurationMs: ptr(900.0), Invocations: 20, Errors: 9},
		},
	}
}

func sparklines(inflight, invocations []int64) Sparklines {
	return Sparklines{Inflight: inflight, Invocations: invocations}
}

// names are the function names of frame's table rows, in order.
func names(t *testing.T, frame string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(frame, "\n")[3:] { // the pool lines, the headers
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}

// row is the frame's line of the function name.
func row(t *testing.T, frame, name string) string {
	t.Helper()
	for _, line := range strings.Split(frame, "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	t.Fatalf("no row for %s in\n%s", name, frame)
	return ""
}

// plainStyles style nothing: the frame's text alone.
func plainStyles() Styles { return Styles{} }

func TestFrameSortsByEveryKey(t *testing.T) {
	for k, want := range map[SortKey][]string{
		SortInflight:    {"bravo", "delta", "alpha", "charlie"},
		SortName:        {"alpha", "bravo", "charlie", "delta"},
		SortThrottles:   {"bravo", "charlie", "alpha", "delta"},
		SortInvocations: {"alpha", "bravo", "delta", "charlie"},
		SortErrors:      {"delta", "bravo", "alpha", "charlie"},
	} {
		frame := Frame(fixture(), View{Sort: k}, plainStyles())
		if got := names(t, frame); !slices.Equal(got, want) {
			t.Errorf("sorted by %s: %v, want %v\n%s", k, got, want, frame)
		}
	}
}

func TestSortTiesByName(t *testing.T) {
	fns := []Function{{Name: "c", Inflight: 2}, {Name: "a", Inflight: 2}, {Name: "b", Inflight: 3}, {Name: "d"}}
	Sort(fns, SortInflight)
	if got := []string{fns[0].Name, fns[1].Name, fns[2].Name, fns[3].Name}; !slices.Equal(got, []string{"b", "a", "c", "d"}) {
		t.Errorf("got %v", got)
	}
	// Equal per-minute figures fall back to the totals, then the name.
	fns = []Function{{Name: "x", ThrottlesPerMinute: 1, Throttles: 1}, {Name: "y", ThrottlesPerMinute: 1, Throttles: 9}, {Name: "w", ThrottlesPerMinute: 1, Throttles: 1}}
	Sort(fns, SortThrottles)
	if got := []string{fns[0].Name, fns[1].Name, fns[2].Name}; !slices.Equal(got, []string{"y", "w", "x"}) {
		t.Errorf("got %v", got)
	}
}

func TestParseSortKey(t *testing.T) {
	k := SortInflight
	for range numSortKeys {
		got, err := ParseSortKey(k.String())
		if err != nil || got != k {
			t.Errorf("ParseSortKey(%q) = %v, %v", k.String(), got, err)
		}
		k = k.Next()
	}
	if k != SortInflight {
		t.Errorf("s does not cycle back to inflight: %v", k)
	}
	for _, bad := range []string{"", "Inflight", "p99", "name "} {
		if _, err := ParseSortKey(bad); err == nil {
			t.Errorf("ParseSortKey(%q) accepted", bad)
		}
	}
}

// TestFrameColumnsAndValues: the pool line, every column, and each
// function's figures in its own row, in plain text.
func TestFrameColumnsAndValues(t *testing.T) {
	frame := Frame(fixture(), View{Sort: SortName}, plainStyles())
	if strings.ContainsRune(frame, '\x1b') {
		t.Fatalf("escape codes in a frame for a non-terminal:\n%q", frame)
	}
	lines := strings.Split(frame, "\n")
	if lines[0] != "account 123456789012  region us-east-1  at 20:00:00" {
		t.Errorf("first line: %s", lines[0])
	}
	for _, want := range []string{"limit 1000", "unreserved 990 (minimum 100)", "reserved 10", "in flight 15", "throttles/min 45 (total 46)"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("pool line lacks %q: %s", want, lines[1])
		}
	}
	header := strings.Fields(lines[2])
	for _, col := range []string{"FUNCTION", "RESERVED", "PROVISIONED", "INFLIGHT", "INV/MIN", "ERR/MIN", "THR/MIN", "SPILL/MIN", "P99", "INFLIGHT 15M"} {
		if !strings.Contains(lines[2], col) {
			t.Errorf("header lacks %s: %v", col, header)
		}
	}
	// bravo: reserved 10, two configs, 10 in flight, 120 inv, 2 err, 40 thr, 3 spill, p99 12.5.
	bravo := row(t, frame, "bravo")
	for _, want := range []string{"live 4/4 READY, 7 2/0 IN_PROGRESS", " 12.5"} {
		if !strings.Contains(bravo, want) {
			t.Errorf("bravo's row lacks %q: %s", want, bravo)
		}
	}
	rest := strings.Fields(strings.SplitN(bravo, "IN_PROGRESS", 2)[1])
	if want := []string{"10", "120", "2", "40", "3", "12.5"}; !slices.Equal(rest[:6], want) {
		t.Errorf("bravo's figures %v, want %v", rest[:6], want)
	}
	if got := strings.Fields(bravo)[1]; got != "10" {
		t.Errorf("bravo's reserved: %s", got)
	}
	// No reservation, no config, no p99: dashes; reserved 0 is a 0.
	if got := strings.Fields(row(t, frame, "delta")); !slices.Equal(got[:9], []string{"delta", "-", "-", "4", "20", "9", "0", "0", "900.0"}) {
		t.Errorf("delta's row: %v", got)
	}
	if got := strings.Fields(row(t, frame, "charlie")); !slices.Equal(got[:9], []string{"charlie", "0", "-", "0", "0", "0", "5", "0", "-"}) {
		t.Errorf("charlie's row: %v", got)
	}
	// The sparkline column ends each row: the inflight series by default.
	if !strings.HasSuffix(bravo, Sparkline(fixture().Functions[1].Sparklines.Inflight)) {
		t.Errorf("bravo's row does not end with its in-flight sparkline: %q", bravo)
	}
	inv := Frame(fixture(), View{Sort: SortName, Spark: SparkInvocations}, plainStyles())
	if !strings.Contains(inv, "INVOCATIONS 15M") || !strings.HasSuffix(row(t, inv, "bravo"), Sparkline(fixture().Functions[1].Sparklines.Invocations)) {
		t.Errorf("the invocations sparkline is not shown:\n%s", inv)
	}
}

func TestFrameWithoutFunctions(t *testing.T) {
	s := fixture()
	s.Functions = nil
	frame := Frame(s, View{}, plainStyles())
	if lines := strings.Split(strings.TrimSpace(frame), "\n"); len(lines) != 3 || !strings.Contains(lines[2], "no functions") {
		t.Errorf("frame of no functions:\n%s", frame)
	}
}

// TestFrameStylesOnATerminal: top's styles make the header bold and the
// selected row reversed (the plain frame's text is the same).
func TestFrameStylesOnATerminal(t *testing.T) {
	styled := Frame(fixture(), View{Sort: SortName, Selected: "charlie"}, NewStyles())
	if !strings.Contains(styled, "\x1b[") {
		t.Fatalf("no escape codes for a terminal:\n%q", styled)
	}
	var selected string
	for _, line := range strings.Split(styled, "\n") {
		if strings.Contains(line, "charlie") {
			selected = line
		}
	}
	if !strings.Contains(selected, "\x1b[7m") {
		t.Errorf("the selected row is not reversed: %q", selected)
	}
	if strings.Contains(row(t, Frame(fixture(), View{Sort: SortName, Selected: "charlie"}, plainStyles()), "alpha"), "\x1b") {
		t.Error("escape codes without a terminal")
	}
}

// TestFrameScrollsToTheSelection: with fewer rows than functions, the
// selected one stays in sight.
func TestFrameScrollsToTheSelection(t *testing.T) {
	frame := Frame(fixture(), View{Sort: SortName, Selected: "delta", Height: 2}, plainStyles())
	got := names(t, frame)
	if !slices.Contains(got, "delta") || slices.Contains(got, "alpha") {
		t.Errorf("rows of a 2-row table with delta selected: %v\n%s", got, frame)
	}
}

func TestSparkline(t *testing.T) {
	rising := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	s := []rune(Sparkline(rising))
	if len(s) != SparkWidth || s[0] != '▁' || s[14] != '█' {
		t.Fatalf("Sparkline(rising) = %q", string(s))
	}
	for i := 1; i < len(s); i++ {
		if s[i] < s[i-1] {
			t.Errorf("not monotone at %d: %q", i, string(s))
		}
	}
	if s[1] == '▁' {
		t.Errorf("a value above zero is drawn as zero: %q", string(s))
	}
	if got := Sparkline(make([]int64, 15)); got != strings.Repeat("▁", 15) {
		t.Errorf("all zero: %q", got)
	}
	if got := Sparkline([]int64{5}); utf8.RuneCountInString(got) != SparkWidth || got != strings.Repeat(" ", 14)+"█" {
		t.Errorf("one value: %q", got)
	}
	if got := Sparkline(append([]int64{1000}, rising...)); got != Sparkline(rising) {
		t.Errorf("more than 15 values draws more than the last 15: %q", got)
	}
	if got := Sparkline(nil); got != strings.Repeat(" ", 15) {
		t.Errorf("no values: %q", got)
	}
}

// TestFrameDrawsNoServerEscapes: control characters in what the server
// sends (a name, a qualifier, a status, an error message) are drawn as
// U+FFFD, never passed to the terminal.
func TestFrameDrawsNoServerEscapes(t *testing.T) {
	s := fixture()
	s.Account = "\x1b]0;title\x07"
	s.Functions[0].Name = "evil\x1b[2J"
	s.Functions[0].Provisioned = []Provisioned{{Qualifier: "q\x1b[31m", Status: "READY\r\n"}}
	frame := Frame(s, View{}, plainStyles())
	details := Details(s.Functions[0], plainStyles())
	msg := (&APIError{Status: 400, Message: "bad\x1b[1m"}).Error()
	for _, out := range []string{frame, details, msg} {
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("a control character reaches the terminal: %q", out)
		}
	}
	if !strings.Contains(frame, "evil\uFFFD[2J") || !strings.Contains(details, "q\uFFFD[31m") {
		t.Errorf("names not drawn with U+FFFD:\n%s\n%s", frame, details)
	}
}

// TestOnceStylesOnlyForATerminal: Once writes the styled frame to a
// terminal (CLICOLOR_FORCE stands in for one here), still bold under
// NO_COLOR (which drops colours only), and the frame's text alone,
// without an escape, to anything else; the text is the same in all three.
func TestOnceStylesOnlyForATerminal(t *testing.T) {
	s := fixture()
	f := &fakeFetcher{answer: func(string, string) (*Snapshot, error) { return s, nil }}
	once := func(env ...string) string {
		t.Helper()
		var b bytes.Buffer
		if err := Once(context.Background(), f, "", "", SortName, &b, env); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	plain := once("TERM=xterm-256color")
	if strings.ContainsRune(plain, '\x1b') || plain != Frame(s, View{Sort: SortName}, plainStyles()) {
		t.Errorf("not a terminal: %q", plain)
	}
	styled := once("TERM=xterm-256color", "CLICOLOR_FORCE=1")
	if !strings.Contains(styled, "\x1b[1mFUNCTION") || strings.ContainsRune(ansiStrip(styled), '\x1b') || ansiStrip(styled) != plain {
		t.Errorf("a terminal: %q", styled)
	}
	noColor := once("TERM=xterm-256color", "CLICOLOR_FORCE=1", "NO_COLOR=1")
	if ansiStrip(noColor) != plain || !strings.Contains(noColor, "\x1b[1mFUNCTION") {
		t.Errorf("NO_COLOR: %q", noColor)
	}
	var b bytes.Buffer
	failing := &fakeFetcher{answer: func(string, string) (*Snapshot, error) { return nil, errors.New("refused") }}
	if err := Once(context.Background(), failing, "", "", SortName, &b, nil); err == nil || b.Len() != 0 {
		t.Errorf("a failed fetch: %v, wrote %q", err, b.String())
	}
}

// sgrRE matches an SGR sequence (what Frame's styles add).
var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// ansiStrip is s without its SGR sequences.
func ansiStrip(s string) string { return sgrRE.ReplaceAllString(s, "") }

// TestFrameEmptyNameIsNotSelected: a function the server names "" is not
// highlighted when nothing is selected.
func TestFrameEmptyNameIsNotSelected(t *testing.T) {
	s := fixture()
	s.Functions[0].Name = ""
	if frame := Frame(s, View{}, NewStyles()); strings.Contains(frame, "\x1b[7m") {
		t.Errorf("a row is reversed with nothing selected:\n%q", frame)
	}
}
