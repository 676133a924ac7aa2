package top

import (
	"fmt"
	"strings"
)

// Details is one function's own view: its limits, its figures per minute
// and in total, each provisioned config, and every sparkline.
func Details(f Function, st Styles) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", st.Header.Render("function "+printable(f.Name)))
	fmt.Fprintf(&b, "reserved %s  in flight %d  p99 %s ms\n\n", optionalInt(f.Reserved), f.Inflight, optionalMs(f.P99DurationMs))
	fmt.Fprintf(&b, "%-12s %10s %12s  %s\n", "", "per minute", "total", "last 15 minutes")
	rows := []struct {
		name     string
		perMin   string
		total    string
		sparking []int64
	}{
		{"in flight", fmt.Sprint(f.Inflight), "", f.Sparklines.Inflight},
		{"invocations", fmt.Sprint(f.InvocationsPerMinute), fmt.Sprint(f.Invocations), f.Sparklines.Invocations},
		{"errors", fmt.Sprint(f.ErrorsPerMinute), fmt.Sprint(f.Errors), f.Sparklines.Errors},
		{"throttles", fmt.Sprint(f.ThrottlesPerMinute), fmt.Sprint(f.Throttles), f.Sparklines.Throttles},
		{"spillover", fmt.Sprint(f.SpilloverPerMinute), fmt.Sprint(f.Spillover), f.Sparklines.Spillover},
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "%-12s %10s %12s  %s\n", r.name, r.perMin, r.total, Sparkline(r.sparking))
	}
	b.WriteString("\n")
	if len(f.Provisioned) == 0 {
		b.WriteString("no provisioned concurrency\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%-20s %9s %9s  %s\n", "provisioned", "requested", "allocated", "status")
	for _, p := range f.Provisioned {
		fmt.Fprintf(&b, "%-20s %9d %9d  %s\n", printable(p.Qualifier), p.Requested, p.Allocated, printable(p.Status))
	}
	return b.String()
}
