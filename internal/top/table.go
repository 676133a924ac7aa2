package top

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
)

// SortKey is an order of the table. The zero value is SortInflight.
type SortKey int

// The orders, in the order `s` cycles through them.
const (
	SortInflight SortKey = iota
	SortName
	SortThrottles
	SortInvocations
	SortErrors
	numSortKeys
)

func (k SortKey) String() string {
	switch k {
	case SortName:
		return "name"
	case SortThrottles:
		return "throttles"
	case SortInvocations:
		return "invocations"
	case SortErrors:
		return "errors"
	}
	return "inflight"
}

// Next is the order after k, as `s` cycles.
func (k SortKey) Next() SortKey { return (k + 1) % numSortKeys }

// SortKeyNames lists the names ParseSortKey takes, in the order `s` cycles.
func SortKeyNames() []string {
	names := make([]string, numSortKeys)
	for k := range numSortKeys {
		names[k] = k.String()
	}
	return names
}

// ParseSortKey reads the name of an order (--sort).
func ParseSortKey(s string) (SortKey, error) {
	for k := range numSortKeys {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("want one of %s, got %q", strings.Join(SortKeyNames(), ", "), s)
}

// Sort orders fns by k: name ascending, every other key descending, ties
// by name. Throttles, invocations and errors compare their per-minute
// figures, then their totals.
func Sort(fns []Function, k SortKey) {
	slices.SortStableFunc(fns, func(a, b Function) int {
		var c int
		switch k {
		case SortInflight:
			c = cmp.Compare(b.Inflight, a.Inflight)
		case SortThrottles:
			c = cmp.Or(cmp.Compare(b.ThrottlesPerMinute, a.ThrottlesPerMinute), cmp.Compare(b.Throttles, a.Throttles))
		case SortInvocations:
			c = cmp.Or(cmp.Compare(b.InvocationsPerMinute, a.InvocationsPerMinute), cmp.Compare(b.Invocations, a.Invocations))
		case SortErrors:
			c = cmp.Or(cmp.Compare(b.ErrorsPerMinute, a.ErrorsPerMinute), cmp.Compare(b.Errors, a.Errors))
		}
		return cmp.Or(c, cmp.Compare(a.Name, b.Name))
	})
}

// SparkMetric is the series the table's sparkline column shows.
type SparkMetric int

const (
	SparkInflight SparkMetric = iota
	SparkInvocations
)

func (m SparkMetric) String() string {
	if m == SparkInvocations {
		return "invocations"
	}
	return "inflight"
}

func (m SparkMetric) series(f Function) []int64 {
	if m == SparkInvocations {
		return f.Sparklines.Invocations
	}
	return f.Sparklines.Inflight
}

// SparkWidth is the sparkline's width: 15 minutes.
const SparkWidth = 15

// sparkBlocks are the sparkline's levels, lowest first.
const sparkBlocks = "▁▂▃▄▅▆▇█"

// Sparkline draws values as one line of SparkWidth block characters, the
// newest on the right, scaled to the largest: zero is the lowest block,
// anything above zero at least the second, the largest the full block.
// Fewer values are padded with spaces on the left; only the last
// SparkWidth are drawn.
func Sparkline(values []int64) string {
	if len(values) > SparkWidth {
		values = values[len(values)-SparkWidth:]
	}
	var peak int64
	for _, v := range values {
		if v > peak {
			peak = v
		}
	}
	levels := []rune(sparkBlocks)
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", SparkWidth-len(values)))
	top := len(levels) - 1
	for _, v := range values {
		level := 0
		if v > 0 {
			level = min(top, max(1, int(math.Ceil(float64(v)/float64(peak)*float64(top)))))
		}
		b.WriteRune(levels[level])
	}
	return b.String()
}

// View is what a frame shows besides the snapshot.
type View struct {
	Sort  SortKey
	Spark SparkMetric
	// Selected is the highlighted function's name ("" for none).
	Selected string
	// Height, when above 0, is how many function rows fit; the rows scroll
	// to keep Selected in sight.
	Height int
}

// Styles are the frame's styles. They always write their escape codes;
// what reaches the screen is cut down to what the output takes by a
// colorprofile.Writer (Once) or by bubbletea's renderer (Interactive):
// nothing but the text when the output is not a terminal. The zero Styles
// style nothing.
type Styles struct {
	Header, Selected, Dim, Error lipgloss.Style
}

// NewStyles makes top's styles.
func NewStyles() Styles {
	return Styles{
		Header:   lipgloss.NewStyle().Bold(true),
		Selected: lipgloss.NewStyle().Reverse(true),
		Dim:      lipgloss.NewStyle().Faint(true),
		Error:    lipgloss.NewStyle().Foreground(lipgloss.BrightRed).Bold(true),
	}
}

// Columns are the table's headers, in order; the last names the sparkline's series.
func Columns(spark SparkMetric) []string {
	return []string{"FUNCTION", "RESERVED", "PROVISIONED", "INFLIGHT", "INV/MIN", "ERR/MIN", "THR/MIN", "SPILL/MIN", "P99 MS",
		strings.ToUpper(spark.String()) + " 15M"}
}

// PoolLines are the frame's first two lines: what is shown and when, and
// the account's pool.
func PoolLines(s *Snapshot) string {
	return fmt.Sprintf("account %s  region %s  at %s\npool: limit %d  reserved %d  unreserved %d (minimum %d)  in flight %d  throttles/min %d (total %d)\n",
		printable(s.Account), printable(s.Region), s.Time.UTC().Format("15:04:05"),
		s.Pool.Limit, s.Pool.Reserved, s.Pool.Unreserved, s.Pool.UnreservedMinimum, s.Pool.Inflight, s.Pool.ThrottlesPerMinute, s.Pool.Throttles)
}

// Frame is the pool lines and the table of s's functions, sorted by v.Sort.
func Frame(s *Snapshot, v View, st Styles) string {
	var b strings.Builder
	b.WriteString(PoolLines(s))
	if len(s.Functions) == 0 {
		b.WriteString(st.Dim.Render("no functions in this account and region") + "\n")
		return b.String()
	}
	fns := slices.Clone(s.Functions)
	Sort(fns, v.Sort)
	b.WriteString(Table(fns, v, st))
	return b.String()
}

// Table renders fns (already sorted) as rows under Columns.
func Table(fns []Function, v View, st Styles) string {
	headers := Columns(v.Spark)
	selected := -1 // none; a function the server names "" is not the absent selection
	if v.Selected != "" {
		selected = slices.IndexFunc(fns, func(f Function) bool { return f.Name == v.Selected })
	}
	if v.Height > 0 && len(fns) > v.Height {
		// The window of v.Height rows that holds the selection.
		from := max(0, selected-v.Height+1)
		fns = fns[from : from+v.Height]
		selected -= from
	}
	t := table.New().
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).
		Headers(headers...).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := lipgloss.NewStyle()
			switch {
			case row == table.HeaderRow:
				s = st.Header
			case row == selected:
				s = st.Selected
			}
			if col >= 1 && col != 2 && col < len(headers)-1 {
				s = s.Align(lipgloss.Right)
			}
			if col < len(headers)-1 {
				s = s.PaddingRight(1) // the column gap, styled with its row (a selected row is one bar)
			}
			return s
		})
	for _, f := range fns {
		t.Row(Row(f, v.Spark)...)
	}
	var b strings.Builder
	for _, line := range strings.Split(t.Render(), "\n") {
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}

// Row is f's cells under Columns(spark).
func Row(f Function, spark SparkMetric) []string {
	return []string{
		printable(f.Name),
		optionalInt(f.Reserved),
		provisionedCell(f.Provisioned),
		strconv.Itoa(f.Inflight),
		strconv.FormatInt(f.InvocationsPerMinute, 10),
		strconv.FormatInt(f.ErrorsPerMinute, 10),
		strconv.FormatInt(f.ThrottlesPerMinute, 10),
		strconv.FormatInt(f.SpilloverPerMinute, 10),
		optionalMs(f.P99DurationMs),
		Sparkline(spark.series(f)),
	}
}

// provisionedCell is each config as `qualifier requested/allocated STATUS`.
func provisionedCell(ps []Provisioned) string {
	if len(ps) == 0 {
		return "-"
	}
	cells := make([]string, len(ps))
	for i, p := range ps {
		cells[i] = fmt.Sprintf("%s %d/%d %s", printable(p.Qualifier), p.Requested, p.Allocated, printable(p.Status))
	}
	return strings.Join(cells, ", ")
}

func optionalInt(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func optionalMs(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}
