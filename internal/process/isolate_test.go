//go:build linux

package process

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// isolationOrSkip skips where this system cannot isolate (not Linux, or
// not root); CI runs as root, where these tests run.
func isolationOrSkip(t *testing.T) {
	t.Helper()
	supportedOrSkip(t, IsolationSupported)
}

// supportedOrSkip skips the test where supported says the system cannot
// do it (ErrIsolationUnsupported) and fails it on any other error.
func supportedOrSkip(t *testing.T, supported func() error) {
	t.Helper()
	if err := supported(); err != nil {
		if errors.Is(err, ErrIsolationUnsupported) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
}

// TestIsolatedView runs a shell as an isolated process and checks, from
// inside, each property Isolation promises; the same probe without
// isolation shows that each check can fail.
func TestIsolatedView(t *testing.T) {
	isolationOrSkip(t)
	root := t.TempDir()
	// Open the test's directories to everyone, so what hides the secret
	// below is the view, not the permissions.
	for _, d := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code := filepath.Join(root, "code")
	tmp := filepath.Join(root, "tmp")
	secret := filepath.Join(root, "secret.txt")
	mustMkdir(t, code, 0o755)
	mustMkdir(t, tmp, 0o700)
	if err := os.Chown(tmp, 900123, 900123); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(code, "hello"), "code")
	writeFile(t, secret, "secret")

	probe := strings.Join([]string{
		"echo uid=$(id -u) groups=$(id -G)",
		"echo code=$(cat /var/task/hello)",
		"touch /var/task/new 2>/dev/null && echo codewrite=yes || echo codewrite=no",
		"echo tmpfile > /tmp/own && echo tmp=$(cat /tmp/own)",
		"cat " + secret + " >/dev/null 2>&1 && echo secret=yes || echo secret=no",
		"echo var=$(ls /var | tr '\\n' ' ')",
		"echo " + "$(grep -E '^(NoNewPrivs|CapEff):' /proc/self/status | tr -d ' \\t' | tr '\\n' ' ')",
	}, "; ")
	iso := &Isolation{
		UID: 900123, GID: 900123,
		Tmpfs: []Tmpfs{{Target: "/var", Mode: 0o755}},
		Binds: []Bind{
			{Source: tmp, Target: "/tmp"},
			{Source: code, Target: "/var/task", ReadOnly: true},
		},
	}
	var out, errOut lines
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", probe}, Env: []string{"PATH=/usr/bin:/bin"},
		Dir: "/var/task", Stdout: out.add, Stderr: errOut.add, Isolation: iso})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, p); err != nil {
		t.Fatalf("%v, stderr %q", err, errOut.get())
	}
	got := strings.Join(out.get(), "\n") + "\n"
	for _, want := range []string{
		"uid=900123 groups=900123", "code=code", "codewrite=no", "tmp=tmpfile", "secret=no",
		"var=task\n", "NoNewPrivs:1", "CapEff:0000000000000000",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("isolated probe: missing %q in\n%s\nstderr %q", want, got, errOut.get())
		}
	}
	// Writes to /tmp landed in the bound directory; nothing reached the host's /var.
	if b, err := os.ReadFile(filepath.Join(tmp, "own")); err != nil || string(b) != "tmpfile\n" {
		t.Errorf("the bound /tmp on the host: %q, %v", b, err)
	}
	if _, err := os.Stat("/var/task"); err == nil {
		t.Error("the view's /var/task leaked onto the host")
	}

	// Without isolation the same probe reads the secret: the check above can fail.
	var plain lines
	p, err = Start(Config{Path: "/bin/sh", Args: []string{"-c", "cat " + secret + " >/dev/null && echo secret=yes"},
		Env: []string{"PATH=/usr/bin:/bin"}, Stdout: plain.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, p); err != nil || !strings.Contains(strings.Join(plain.get(), ""), "secret=yes") {
		t.Fatalf("baseline could not read the secret: %v %q", err, plain.get())
	}
}

// TestIsolationBadMountFailsStart: a view that cannot be built is a Start
// error, not a process running with half a view.
func TestIsolationBadMountFailsStart(t *testing.T) {
	isolationOrSkip(t)
	_, err := Start(Config{Path: "/bin/true", Isolation: &Isolation{UID: 900124, GID: 900124,
		Binds: []Bind{{Source: filepath.Join(t.TempDir(), "missing"), Target: "/mnt"}}}})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Start with a missing bind source: %v", err)
	}
}

func mustMkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUserLeases: leases never share a uid, a released lease's leftover
// processes die, and its uid is free again.
func TestUserLeases(t *testing.T) {
	isolationOrSkip(t)
	seen := map[uint32]bool{}
	var leases []*UserLease
	for range 50 {
		l, err := LeaseUser()
		if err != nil {
			t.Fatal(err)
		}
		if seen[l.UID] || l.UID < FirstUID || l.UID >= FirstUID+UserCount {
			t.Fatalf("uid %d leased twice or out of range", l.UID)
		}
		seen[l.UID] = true
		leases = append(leases, l)
	}
	// A process of the first lease's user that leaves its process group.
	l := leases[0]
	var out lines
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", "setsid sleep 600 & sleep 0.3; echo $!"},
		Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/", Stdout: out.add, Isolation: &Isolation{UID: l.UID, GID: l.UID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, p); err != nil {
		t.Fatal(err)
	}
	if !userAlive(l.UID) {
		t.Fatalf("the daemon of uid %d is not running (%q)", l.UID, out.get())
	}
	for _, l := range leases {
		if err := l.Release(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for userAlive(l.UID) {
		if time.Now().After(deadline) {
			t.Fatalf("a process of uid %d outlived the lease", l.UID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// userAlive reports whether a process whose real or saved uid is uid runs
// (zombies do not count: they run nothing and hold nothing but a pid).
func userAlive(uid uint32) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	want := strconv.FormatUint(uint64(uid), 10)
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue // gone
		}
		var state string
		var uids []string
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "State:"); ok {
				state = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				uids = strings.Fields(v) // real, effective, saved, filesystem
			}
		}
		if strings.HasPrefix(state, "Z") || len(uids) < 3 {
			continue
		}
		if uids[0] == want || uids[2] == want {
			return true
		}
	}
	return false
}

// TestPeerUID finds the owner of the connecting end of a loopback TCP
// connection: this test's own uid for its own connection, and an isolated
// process's uid for one that process makes.
func TestPeerUID(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := acceptOne(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	defer s.Close()
	uid, err := PeerUID(s)
	if err != nil || uid != uint32(os.Getuid()) {
		t.Fatalf("PeerUID of our own connection: %d, %v; want %d", uid, err, os.Getuid())
	}

	isolationOrSkip(t)
	const py = "/usr/bin/python3" // reachable by any user, unlike one under /root
	if _, err := os.Stat(py); err != nil {
		t.Skip("no " + py + " to connect from")
	}
	accepted = acceptOne(ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", "exec " + py + " -c \"import socket,time; s=socket.create_connection(('127.0.0.1'," + port + ")); time.sleep(5)\""},
		Dir: "/", Isolation: &Isolation{UID: 900125, GID: 900125}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	select {
	case s, ok := <-accepted:
		if !ok {
			t.Fatal("accept failed")
		}
		defer s.Close()
		if uid, err := PeerUID(s); err != nil || uid != 900125 {
			t.Fatalf("PeerUID of the isolated process's connection: %d, %v; want 900125", uid, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the isolated process never connected")
	}
}

// acceptOne accepts one connection on ln and sends it (or closes the
// channel if Accept fails).
func acceptOne(ln net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		defer close(ch)
		if c, err := ln.Accept(); err == nil {
			ch <- c
		}
	}()
	return ch
}
