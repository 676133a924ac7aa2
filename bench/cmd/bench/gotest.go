package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// goBench runs go test benchmarks of one package: the test binary is built
// once and run rounds times, so that a burst of load from elsewhere does not
// land on one benchmark only.
type goBench struct {
	e      *benchEnv
	pkg    string // "./internal/sandbox"
	binary string
}

// benchValues are the metrics of one benchmark at one -cpu, by unit
// ("ns/op", "allocs/op", "p50-µs"), one value per run.
type benchValues map[string][]float64

// benchKey names a benchmark result.
type benchKey struct {
	name string
	cpus int
}

func (e *benchEnv) goTestBinary(pkg string) (*goBench, error) {
	bin := filepath.Join(e.tmp, strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "_")+".test")
	cmd := exec.CommandContext(e.ctx, "go", "test", "-c", "-o", bin, pkg)
	cmd.Dir = e.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go test -c %s: %v\n%s", pkg, err, out)
	}
	return &goBench{e: e, pkg: pkg, binary: bin}, nil
}

// command is the go test line equivalent to one round, for the report.
func (g *goBench) command(pattern string, args ...string) string {
	return fmt.Sprintf("go test -run '^$' -bench '%s' %s %s", pattern, strings.Join(args, " "), g.pkg)
}

// run runs the benchmarks matching pattern rounds times and collects every
// metric. args are go test flags without the test. prefix (-benchtime 1s).
func (g *goBench) run(pattern string, rounds int, args ...string) (map[benchKey]benchValues, error) {
	out := map[benchKey]benchValues{}
	for range rounds {
		a := []string{"-test.run", "^$", "-test.bench", pattern}
		for _, x := range args {
			if strings.HasPrefix(x, "-") {
				x = "-test." + strings.TrimPrefix(x, "-")
			}
			a = append(a, x)
		}
		cmd := exec.CommandContext(g.e.ctx, g.binary, a...)
		cmd.Dir = filepath.Join(g.e.root, g.pkg) // testdata paths are relative to the package
		b, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%s: %v\n%s", g.command(pattern, args...), err, b)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
				continue
			}
			name, cpus := f[0], 1
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				if n, err := strconv.Atoi(name[i+1:]); err == nil {
					name, cpus = name[:i], n
				}
			}
			k := benchKey{name, cpus}
			if out[k] == nil {
				out[k] = benchValues{}
			}
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					break
				}
				out[k][f[i+1]] = append(out[k][f[i+1]], v)
			}
		}
	}
	return out, nil
}

// median of the values of unit; 0 when absent.
func (v benchValues) median(unit string) float64 {
	xs := v[unit]
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
