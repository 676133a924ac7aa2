package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a server process the benchmark started.
type server struct {
	name    string
	url     string
	cmd     *exec.Cmd
	out     *syncBuffer   // combined output, for error messages
	started time.Time     // just before exec
	ready   time.Duration // exec to first answered request

	stopOnce sync.Once
}

// syncBuffer is a bytes.Buffer safe for the process's two output pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep the beginning; enough to diagnose
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs argv (with the port substituted for {PORT}) and waits
// for the first answered request; ready is the time from exec to that answer.
func (e *benchEnv) startServer(name string, argv []string, extraEnv ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{PORT}", strconv.Itoa(port))
	}
	out := &syncBuffer{}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s := &server{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: out}

	probe := newProbe(s.url)
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	e.running = append(e.running, s)
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	deadline := s.started.Add(30 * time.Second)
	for {
		if probe() {
			s.ready = time.Since(s.started)
			return s, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("%s exited before answering: %s", name, out.String())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not answer within 30 s: %s", name, out.String())
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// newProbe returns a function that sends one ListFunctions request on a
// fresh connection and reports whether any HTTP answer came back.
func newProbe(base string) func() bool {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return func() bool {
		req, _ := http.NewRequest(http.MethodGet, base+"/2015-03-31/functions", nil)
		signHeaders(req.Header, "lambda")
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after a grace period.
func (s *server) stop() {
	s.stopOnce.Do(func() {
		if s.cmd.Process == nil {
			return
		}
		pgid := s.cmd.Process.Pid
		// Function processes run in their own process groups: remember them.
		kids := children(pgid)
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if !alive(s.cmd.Process.Pid) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		for _, c := range kids {
			_ = syscall.Kill(-c, syscall.SIGKILL)
			_ = syscall.Kill(c, syscall.SIGKILL)
		}
	})
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && !strings.HasPrefix(rest, "Z")
}

// rssBytes reads VmRSS of pid.
func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
}

// children lists the live processes whose parent is pid.
func children(pid int) []int {
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	want := strconv.Itoa(pid)
	for _, p := range entries {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		_, rest, ok := strings.Cut(string(b), ") ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) > 1 && f[1] == want && f[0] != "Z" {
			c, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, c)
		}
	}
	return out
}

// waitChildren waits until pid has at most n live children.
func waitChildren(ctx context.Context, pid, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for len(children(pid)) > n {
		if time.Now().After(deadline) {
			return fmt.Errorf("still %d children after %s", len(children(pid)), timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// startFloor starts the floor: this binary as a plain Go HTTP echo server.
func (e *benchEnv) startFloor() (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return e.startServer("floor", []string{exe, floorEchoArg, "127.0.0.1:{PORT}"})
}

// startReservoir runs the built binary with a fresh data directory.
func (e *benchEnv) startReservoir(extra ...string) (*server, error) {
	argv := append([]string{e.reservoirBin, "serve", "--listen", "127.0.0.1:{PORT}", "--data-dir", e.dir("data"), "--log-level", "warn"}, extra...)
	return e.startServer("reservoir", argv)
}

// startMoto runs moto_server on loopback.
func (e *benchEnv) startMoto() (*server, error) {
	if e.moto == "" {
		return nil, errors.New("moto_server not available")
	}
	return e.startServer("moto", []string{e.moto, "-H", "127.0.0.1", "-p", "{PORT}"})
}
