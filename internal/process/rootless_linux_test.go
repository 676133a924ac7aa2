package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rootlessOrSkip skips where user namespaces are not available to this
// process. As root (CI) they are; the mechanism is the same for any user.
func rootlessOrSkip(t *testing.T) {
	t.Helper()
	supportedOrSkip(t, RootlessSupported)
}

// TestRootlessView runs a shell in a rootless view and checks, from inside,
// each property it promises; the last part runs the same probe unisolated,
// to show that each check can fail.
func TestRootlessView(t *testing.T) {
	rootlessOrSkip(t)
	root := t.TempDir()
	code := filepath.Join(root, "code")
	tmp := filepath.Join(root, "tmp")
	hidden := filepath.Join(root, "data")
	mustMkdir(t, code, 0o755)
	mustMkdir(t, tmp, 0o700)
	mustMkdir(t, hidden, 0o700)
	writeFile(t, filepath.Join(code, "hello"), "code")
	secret := filepath.Join(hidden, "secret.txt")
	writeFile(t, secret, "secret")

	// A process of this user outside the view, which the view must not
	// reach. (Started without Pdeathsig: Start's would fire when the
	// thread that forked it ends, and Start's isolated forks end threads.)
	neighbour := exec.Command("/bin/sleep", "30")
	if err := neighbour.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = neighbour.Process.Kill(); _ = neighbour.Wait() }()
	npid := strconv.Itoa(neighbour.Process.Pid)

	probe := strings.Join([]string{
		"echo uid=$(id -u) pid=$$",
		"echo code=$(cat /var/task/hello)",
		"touch /var/task/new 2>/dev/null && echo codewrite=yes || echo codewrite=no",
		"echo tmpfile > /tmp/own && echo tmp=$(cat /tmp/own)",
		"cat " + secret + " >/dev/null 2>&1 && echo secret=yes || echo secret=no",
		"echo var=$(ls /var | tr '\\n' ' ')",
		"kill -0 " + npid + " 2>/dev/null && echo signal=yes || echo signal=no",
		"test -e /proc/" + npid + "/environ && echo proc=yes || echo proc=no",
		"echo " + "$(grep -E '^(NoNewPrivs|CapEff):' /proc/self/status | tr -d ' \\t' | tr '\\n' ' ')",
		// A daemon that leaves the process group, to die with the view.
		"setsid sleep 424.5 &",
	}, "; ")
	// The host's /tmp, where this test's files are, stays in view: what
	// keeps the secret away is Hide.
	iso := &Isolation{
		Rootless: true,
		Tmpfs:    []Tmpfs{{Target: "/var", Mode: 0o755}},
		Binds: []Bind{
			{Source: tmp, Target: "/var/tmp"},
			{Source: code, Target: "/var/task", ReadOnly: true},
		},
		Hide: []string{hidden},
	}
	run := func(iso *Isolation) string {
		var out, errOut lines
		p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", probe}, Env: []string{"PATH=/usr/bin:/bin", "TMPDIR=/var/tmp"},
			Dir: "/var/task", Stdout: out.add, Stderr: errOut.add, Isolation: iso})
		if err != nil {
			t.Fatal(err)
		}
		if err := wait(t, p); err != nil {
			t.Fatalf("%v, stderr %q", err, errOut.get())
		}
		return strings.Join(out.get(), "\n") + "\n"
	}
	probe = strings.ReplaceAll(probe, "/tmp/own", "/var/tmp/own")
	got := run(iso)
	for _, want := range []string{
		"uid=" + strconv.Itoa(SandboxUID) + " pid=1\n", "code=code", "codewrite=no", "tmp=tmpfile", "secret=no",
		"var=task tmp\n", "signal=no", "proc=no", "NoNewPrivs:1", "CapEff:0000000000000000",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rootless probe: missing %q in\n%s", want, got)
		}
	}
	if b, err := os.ReadFile(filepath.Join(tmp, "own")); err != nil || string(b) != "tmpfile\n" {
		t.Errorf("the bound /var/tmp on the host: %q, %v", b, err)
	}
	// The same view without Hide shows the secret.
	iso.Hide = nil
	if got := run(iso); !strings.Contains(got, "secret=yes") {
		t.Errorf("without Hide the secret stayed out of view:\n%s", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for commandRuns("sleep\x00424.5") {
		if time.Now().After(deadline) {
			t.Fatal("the daemon outlived its view's PID 1")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Unisolated, the same checks succeed.
	var plain lines
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", strings.Join([]string{
		"cat " + secret + " >/dev/null 2>&1 && echo secret=yes",
		"kill -0 " + npid + " && echo signal=yes",
		"test -e /proc/" + npid + "/environ && echo proc=yes",
	}, "; ")}, Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/", Stdout: plain.add, Stderr: plain.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, p); err != nil {
		t.Fatalf("unisolated baseline: %v %q", err, plain.get())
	}
	if got := strings.Join(plain.get(), " "); got != "secret=yes signal=yes proc=yes" {
		t.Fatalf("unisolated baseline: %q", got)
	}
}

// TestRootlessBadViewFailsStart: a view that cannot be laid out, or a
// command that cannot be executed in it, is a Start error, as without
// isolation; no process runs with half a view.
func TestRootlessBadViewFailsStart(t *testing.T) {
	rootlessOrSkip(t)
	_, err := Start(Config{Path: "/bin/true", Isolation: &Isolation{Rootless: true,
		Binds: []Bind{{Source: filepath.Join(t.TempDir(), "missing"), Target: "/mnt"}}}})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Start with a missing bind source: %v", err)
	}
	notExec := filepath.Join(t.TempDir(), "bootstrap")
	writeFile(t, notExec, "#!/bin/sh\n") // mode 0644
	_, err = Start(Config{Path: notExec, Isolation: &Isolation{Rootless: true}})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Start of a file that is not executable: %v", err)
	}
}

// commandRuns reports whether a live process's command line contains s.
func commandRuns(s string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), s) {
			if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && strings.Contains(string(st), ") Z") {
				continue
			}
			return true
		}
	}
	return false
}
