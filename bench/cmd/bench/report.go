package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// report collects every table and target of a run.
type report struct {
	machine  machine
	quick    bool
	total    time.Duration
	sections []*section
	targets  []target
	notes    []string
	loads    []string // "section: 1-min load average at its start"
}

type section struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
}

// target is one goal of the issue and how the run measured against it.
type target struct {
	goal     string
	measured string
	ratio    string // measured against the goal or the baseline
	status   string // "met", "not met", "n/a"
}

func (r *report) section(title string, header ...string) *section {
	s := &section{title: title, header: header}
	r.sections = append(r.sections, s)
	return s
}

func (s *section) row(cells ...string) { s.rows = append(s.rows, cells) }

func (s *section) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

func (r *report) note(n string) { r.notes = append(r.notes, n) }

func (r *report) target(goal string, met bool, measured, ratio string) {
	st := "not met"
	if met {
		st = "met"
	}
	r.targets = append(r.targets, target{goal: goal, measured: measured, ratio: ratio, status: st})
}

func (r *report) targetNA(goal, why string) {
	r.targets = append(r.targets, target{goal: goal, measured: why, ratio: "", status: "n/a"})
}

func (r *report) write(w io.Writer) {
	m := r.machine
	mode := "full"
	if r.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "\n## Results (%s run, %s)\n\n", mode, m.date)
	fmt.Fprintf(w, "Machine: %s CPUs (`nproc`), %s, %s; `%s`", m.cpus, m.cpuModel, m.kernel, m.goVersion)
	if m.moto != "" {
		fmt.Fprintf(w, "; moto %s", m.moto)
	}
	if m.revision != "" {
		fmt.Fprintf(w, ". Code: %s", m.revision)
	}
	fmt.Fprintf(w, ". Suite wall time: %s.\n", r.total.Round(time.Second))
	if len(r.targets) > 0 {
		fmt.Fprintf(w, "\n### Targets\n\n")
		writeTable(w, []string{"target", "measured", "ratio", "status"}, func(add func(...string)) {
			for _, t := range r.targets {
				st := t.status
				if st == "met" {
					st = "**met**"
				} else if st == "not met" {
					st = "**NOT MET**"
				}
				add(t.goal, t.measured, t.ratio, st)
			}
		})
	}
	for _, s := range r.sections {
		fmt.Fprintf(w, "\n### %s\n\n", s.title)
		writeTable(w, s.header, func(add func(...string)) {
			for _, row := range s.rows {
				add(row...)
			}
		})
		if len(s.notes) > 0 {
			fmt.Fprintln(w)
			for _, n := range s.notes {
				fmt.Fprintf(w, "- %s\n", n)
			}
		}
	}
	if len(r.loads) > 0 {
		fmt.Fprintf(w, "\nMachine load (1-minute load average of the 2-CPU machine at the start of each section, from /proc/loadavg; other work was running): %s.\n", strings.Join(r.loads, ", "))
	}
	if len(r.notes) > 0 {
		fmt.Fprintf(w, "\n### Notes\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

func writeTable(w io.Writer, header []string, rows func(add func(...string))) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
		if i > 0 {
			seps[i] = "--:"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
	rows(func(cells ...string) {
		for len(cells) < len(header) {
			cells = append(cells, "")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	})
}

// Formatting helpers.

func us(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	if d >= 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func rate(x float64) string {
	switch {
	case x == 0:
		return "–"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	default:
		return fmt.Sprintf("%.1f", x)
	}
}

func ratio(x float64) string {
	switch {
	case x == 0:
		return "–"
	case x >= 10:
		return fmt.Sprintf("%.0f×", x)
	default:
		return fmt.Sprintf("%.2f×", x)
	}
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// errCell summarizes a run's errors for a table cell.
func errCell(s stats) string {
	if s.errors == 0 {
		return "0"
	}
	msg := ""
	if s.firstErr != nil {
		msg = s.firstErr.Error()
		if len(msg) > 80 {
			msg = msg[:80] + "…"
		}
	}
	return fmt.Sprintf("%d (%s)", s.errors, strings.ReplaceAll(msg, "|", "/"))
}
