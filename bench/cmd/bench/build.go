package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the benchmarks from inside the reservoir module")
	}
	return filepath.Dir(gomod), nil
}

// goBuild builds pkg (relative to root) into out as a static binary.
func goBuild(ctx context.Context, root, out, pkg string, extra ...string) error {
	args := append([]string{"build", "-o", out}, extra...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// zipBootstrap zips bin as an executable file named bootstrap.
func zipBootstrap(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	hdr.Modified = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bin); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// machine describes where the numbers come from.
type machine struct {
	date, cpus, cpuModel, goVersion, kernel, moto, revision string
}

func machineInfo(ctx context.Context, root string) machine {
	m := machine{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), goVersion: runtime.Version()}
	m.revision = revision(ctx, root)
	if out, err := exec.CommandContext(ctx, "nproc").Output(); err == nil {
		m.cpus = strings.TrimSpace(string(out))
	} else {
		m.cpus = fmt.Sprint(runtime.NumCPU())
	}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.goVersion = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		m.kernel = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// resolveMoto finds the moto_server script. A pyenv shim re-executes itself
// through bash and pyenv on every start, which is not moto's own start-up
// time, so it is resolved to the real script.
func resolveMoto(ctx context.Context, name string) (path, version string) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", ""
	}
	if strings.Contains(p, "/shims/") {
		if out, err := exec.CommandContext(ctx, "pyenv", "which", filepath.Base(p)).Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				p = real
			}
		}
	}
	ver := ""
	if out, err := exec.CommandContext(ctx, filepath.Join(filepath.Dir(p), "python"), "-c", "import moto; print(moto.__version__)").Output(); err == nil {
		ver = strings.TrimSpace(string(out))
	}
	return p, ver
}

// revision names the code measured: the commit, and whether tracked files
// differ from it (other work in progress is measured too).
func revision(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	changed, err := exec.CommandContext(ctx, "git", "-C", root, "diff", "--name-only", "HEAD").Output()
	if err == nil {
		if n := len(strings.Fields(string(changed))); n > 0 {
			rev += fmt.Sprintf(" + uncommitted changes to %d tracked files", n)
		}
	}
	return rev
}
