// Command bench measures Reservoir side by side with its peers and floors,
// all in one run on one machine, and prints the results as Markdown tables:
//
//	go run ./bench/cmd/bench            # full suite, about 3-5 minutes
//	go run ./bench/cmd/bench -quick     # smoke run, under a minute
//
// Every comparison is a ratio against a baseline measured in the same run:
// moto_server for the control plane, a plain Go HTTP echo server and a
// direct Runtime API loop for invocations, direct process starts for cold
// starts and provisioning, and a mutex-and-map counter for the accounting
// core. Targets are reported as met or not met; nothing here fails on timing.
// docs/BENCHMARKS.md explains each measurement and holds the results.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// plan sizes every benchmark; quick mode shrinks it.
type plan struct {
	quick bool

	cpWarmup, cpDuration time.Duration // duration: per contestant, all rounds
	cpRounds             int
	cpClients            []int

	startupRuns, motoStartupRuns int
	rssFunctions                 int
	motoRSSFunctions             int

	invWarmup, invDuration time.Duration
	invRounds              int
	invClients             []int

	coldRuns    int
	provisionNs []int

	benchtime string
}

func fullPlan() plan {
	return plan{
		cpWarmup: 300 * time.Millisecond, cpDuration: 2 * time.Second, cpRounds: 4, cpClients: []int{1, 8, 64},
		startupRuns: 7, motoStartupRuns: 3,
		rssFunctions: 10000, motoRSSFunctions: 10000,
		invWarmup: 300 * time.Millisecond, invDuration: 3 * time.Second, invRounds: 5, invClients: []int{1, 4},
		coldRuns: 10, provisionNs: []int{1, 10, 100},
		benchtime: "1s",
	}
}

func quickPlan() plan {
	return plan{
		quick:    true,
		cpWarmup: 50 * time.Millisecond, cpDuration: 300 * time.Millisecond, cpRounds: 1, cpClients: []int{1, 8, 64},
		startupRuns: 3, motoStartupRuns: 1,
		rssFunctions: 300, motoRSSFunctions: 0,
		invWarmup: 100 * time.Millisecond, invDuration: 400 * time.Millisecond, invRounds: 1, invClients: []int{1, 4},
		coldRuns: 3, provisionNs: []int{1, 10},
		benchtime: "100ms",
	}
}

var sectionNames = []string{"accounting", "control", "startup", "rss", "invoke", "cold", "provision"}

func main() {
	// Hidden mode: the floor echo server runs as its own process.
	if len(os.Args) == 3 && os.Args[1] == floorEchoArg {
		os.Exit(serveFloorEcho(os.Args[2]))
	}
	os.Exit(run())
}

func run() int {
	quick := flag.Bool("quick", false, "smoke run (under a minute): short measurements, 300 functions, no moto RSS, no 100-environment provisioning")
	only := flag.String("only", "", "comma-separated sections to run: "+strings.Join(sectionNames, ","))
	out := flag.String("out", "", "also write the Markdown results to this file")
	moto := flag.String("moto", "moto_server", "moto_server executable (pyenv shims are resolved to the real script)")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	profileDir := flag.String("profile", "", "after the sections, record CPU and block profiles of the in-process benchmarks behind the targets into this directory")
	functions := flag.Int("functions", 0, "functions to create for the RSS measurement (default: 10000, quick: 300)")
	motoFunctions := flag.Int("moto-functions", -1, "functions to create in moto for its RSS (default: 10000, quick: 0 = skip)")
	flag.Parse()

	p := fullPlan()
	if *quick {
		p = quickPlan()
	}
	if *functions > 0 {
		p.rssFunctions = *functions
	}
	if *motoFunctions >= 0 {
		p.motoRSSFunctions = *motoFunctions
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	for s := range want {
		if !slices.Contains(sectionNames, s) {
			fmt.Fprintf(os.Stderr, "bench: unknown section %q (want %s)\n", s, strings.Join(sectionNames, ","))
			return 2
		}
	}
	enabled := func(s string) bool { return len(want) == 0 || want[s] }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "reservoir-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if *keep {
		fmt.Fprintln(os.Stderr, "bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	env := &benchEnv{ctx: ctx, root: root, tmp: tmp, plan: p, rep: &report{}}
	defer env.cleanup()
	env.rep.machine = machineInfo(ctx, root)
	env.rep.quick = p.quick

	started := time.Now()
	steps := []struct {
		name string
		run  func(*benchEnv) error
	}{
		{"accounting", benchAccounting},
		{"control", benchControlPlane},
		{"startup", benchStartup},
		{"rss", benchRSS},
		{"invoke", benchInvoke},
		{"cold", benchColdStart},
		{"provision", benchProvisioning},
	}
	needBuild := enabled("control") || enabled("startup") || enabled("rss") || enabled("invoke") || enabled("cold") || enabled("provision")
	if needBuild {
		progress("building reservoir and the echo function")
		if err := env.build(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		if needsMoto := enabled("control") || enabled("startup") || enabled("rss"); needsMoto {
			env.moto, env.rep.machine.moto = resolveMoto(ctx, *moto)
		}
	}
	failed := false
	for _, s := range steps {
		if !enabled(s.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		env.rep.loads = append(env.rep.loads, s.name+" "+loadAverage())
		progress("== %s", s.name)
		if err := s.run(env); err != nil {
			failed = true
			env.rep.note(fmt.Sprintf("section %s failed: %v", s.name, err))
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", s.name, err)
		}
		env.cleanup()
		progress("   %s took %s", s.name, time.Since(t0).Round(100*time.Millisecond))
	}
	if *profileDir != "" && ctx.Err() == nil {
		progress("== profiles")
		if err := recordProfiles(env, *profileDir); err != nil {
			failed = true
			fmt.Fprintln(os.Stderr, "bench: profiles:", err)
		}
	}
	env.rep.total = time.Since(started)

	var w io.Writer = os.Stdout
	var f *os.File
	if *out != "" {
		f, err = os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	env.rep.write(w)
	if failed {
		return 1
	}
	return 0
}

// benchEnv is what every section shares.
type benchEnv struct {
	ctx  context.Context
	root string // module root
	tmp  string
	plan plan
	rep  *report

	reservoirBin string
	bootstrapBin string // the echo function, unzipped
	echoZip      []byte // bootstrap, mode 0755, zipped
	tinyZip      []byte // a few bytes: for creating many functions

	moto string // moto_server script, "" when unavailable

	running []*server // stopped by cleanup
}

func (e *benchEnv) dir(name string) string {
	d, err := os.MkdirTemp(e.tmp, name+"-")
	if err != nil {
		panic(err)
	}
	return d
}

func (e *benchEnv) cleanup() {
	for _, s := range e.running {
		s.stop()
	}
	e.running = nil
}

func (e *benchEnv) build() error {
	e.reservoirBin = filepath.Join(e.tmp, "reservoir")
	if err := goBuild(e.ctx, e.root, e.reservoirBin, "./cmd/reservoir"); err != nil {
		return err
	}
	e.bootstrapBin = filepath.Join(e.tmp, "bootstrap")
	// The build command AWS documents for Go functions on provided.al2023.
	if err := goBuild(e.ctx, e.root, e.bootstrapBin, "./bench/testdata/echofn", "-tags", "lambda.norpc"); err != nil {
		return err
	}
	bin, err := os.ReadFile(e.bootstrapBin)
	if err != nil {
		return err
	}
	if e.echoZip, err = zipBootstrap(bin); err != nil {
		return err
	}
	e.tinyZip, err = zipBootstrap([]byte("#!/bin/sh\necho never run\n"))
	return err
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// loadAverage is the 1-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
