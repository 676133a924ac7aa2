package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// profiledBenchmarks are the go test benchmarks -profile records: the paths
// behind the targets, each with the profile that explains it.
var profiledBenchmarks = []struct {
	pkg, bench, benchtime, kind, file string
}{
	{"./internal/lambdaapi", "BenchmarkHTTPInvokeWarm", "3s", "cpu", "invoke1.cpu.pprof"},
	{"./internal/lambdaapi", "BenchmarkHTTPInvokeWarm4", "3s", "cpu", "invoke4.cpu.pprof"},
	{"./internal/lambdaapi", "BenchmarkHTTPGetFunctionConcurrency64", "3s", "cpu", "get64.cpu.pprof"},
	{"./internal/lambdaapi", "BenchmarkHTTPPutFunctionConcurrency", "3s", "cpu", "put.cpu.pprof"},
	{"./internal/lambdaapi", "BenchmarkHTTPPutProvisionedUnchanged64", "3s", "block", "putprov64.block.pprof"},
	{"./internal/lambdaapi", "BenchmarkHTTPCreateFunction", "2000x", "cpu", "create.cpu.pprof"},
	{"./internal/sandbox", "BenchmarkManagerColdStart", "20x", "cpu", "coldstart.cpu.pprof"},
	{"./internal/sandbox", "BenchmarkManagerProvision100", "2x", "cpu", "provision100.cpu.pprof"},
}

// recordProfiles runs every profiled benchmark with its profile into dir and
// writes `go tool pprof -top -cum` of each beside it (NAME.top.txt).
func recordProfiles(e *benchEnv, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dir, _ = filepath.Abs(dir)
	binaries := map[string]string{}
	for _, p := range profiledBenchmarks {
		bin := binaries[p.pkg]
		if bin == "" {
			bin = filepath.Join(dir, strings.ReplaceAll(strings.Trim(p.pkg, "./"), "/", "_")+".test")
			cmd := exec.CommandContext(e.ctx, "go", "test", "-c", "-o", bin, p.pkg)
			cmd.Dir = e.root
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go test -c %s: %v\n%s", p.pkg, err, out)
			}
			binaries[p.pkg] = bin
		}
		prof := filepath.Join(dir, p.file)
		progress("   go test -run '^$' -bench '^%s$' -benchtime %s -%sprofile %s %s", p.bench, p.benchtime, p.kind, prof, p.pkg)
		cmd := exec.CommandContext(e.ctx, bin, "-test.run", "^$", "-test.bench", "^"+p.bench+"$",
			"-test.benchtime", p.benchtime, "-test."+p.kind+"profile", prof)
		cmd.Dir = filepath.Join(e.root, p.pkg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", p.bench, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Benchmark") {
				progress("     %s", strings.Join(strings.Fields(line), " "))
			}
		}
		top, err := exec.CommandContext(e.ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=60", bin, prof).Output()
		if err != nil {
			return fmt.Errorf("pprof %s: %v", prof, err)
		}
		if err := os.WriteFile(strings.TrimSuffix(prof, ".pprof")+".top.txt", append([]byte(string(out)+"\n"), top...), 0o644); err != nil {
			return err
		}
	}
	e.rep.note(fmt.Sprintf("Profiles recorded in %s (`go tool pprof -top -cum` of each in *.top.txt).", dir))
	return nil
}
