package process

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lines collects the lines of a stream.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (c *lines) add(ls []string) {
	c.mu.Lock()
	c.l = append(c.l, ls...)
	c.mu.Unlock()
}

func (c *lines) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.l...)
}

func sh(t *testing.T, script string, out, errOut *lines, grace time.Duration) *Process {
	t.Helper()
	cfg := Config{Path: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"}, Dir: t.TempDir(), Grace: grace}
	if out != nil {
		cfg.Stdout = out.add
	}
	if errOut != nil {
		cfg.Stderr = errOut.add
	}
	p, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

func wait(t *testing.T, p *Process) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.Wait(ctx)
	if ctx.Err() != nil {
		t.Fatal("process did not exit")
	}
	return err
}

func alive(pid int) bool {
	// A zombie still answers kill(0); look at /proc instead.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestOutputLinesAndExitStatus(t *testing.T) {
	var out, errOut lines
	p := sh(t, `echo one; echo two >&2; printf 'three\r\nfour'; exit 3`, &out, &errOut, 0)
	err := wait(t, p)
	if err == nil || err.Error() != "exit status 3" {
		t.Fatalf("exit error = %v", err)
	}
	if got := strings.Join(out.get(), "|"); got != "one|three|four" {
		t.Errorf("stdout = %q", got)
	}
	if got := strings.Join(errOut.get(), "|"); got != "two" {
		t.Errorf("stderr = %q", got)
	}
}

func TestExplicitEnvironmentAndDir(t *testing.T) {
	t.Setenv("RESERVOIR_HOST_SECRET", "leak")
	dir := t.TempDir()
	var out lines
	p, err := Start(Config{Path: "/usr/bin/env", Env: []string{"A=1"}, Dir: dir, Stdout: out.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, p); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.get(), ","); got != "A=1" {
		t.Errorf("environment = %q, want only A=1", got)
	}

	out = lines{}
	p, err = Start(Config{Path: "/bin/pwd", Dir: dir, Stdout: out.add})
	if err != nil {
		t.Fatal(err)
	}
	_ = wait(t, p)
	if got := out.get(); len(got) != 1 || got[0] != dir {
		t.Errorf("pwd = %q, want %q", got, dir)
	}
}

func TestStartMissingExecutable(t *testing.T) {
	if _, err := Start(Config{Path: filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Fatal("want an error")
	}
}

func TestStopTermThenKillWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	// The leader ignores SIGTERM; its child sleeps.
	p := sh(t, `trap '' TERM; sleep 100 & echo $! > `+pidFile+`; while :; do sleep 0.05; done`, nil, nil, 200*time.Millisecond)
	child := waitPidFile(t, pidFile)
	start := time.Now()
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("stopped after %v, before the grace period", d)
	}
	if !p.Exited() {
		t.Fatal("not exited after Stop")
	}
	if alive(p.Pid()) {
		t.Error("the leader survived Stop")
	}
	// The child got SIGKILL before Stop returned; its exit may still be
	// under way for a moment (it would otherwise sleep 100 s).
	deadline := time.Now().Add(2 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatal("a process of the group survived Stop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopHonoursTerm(t *testing.T) {
	p := sh(t, `sleep 100`, nil, nil, 10*time.Second)
	start := time.Now()
	_ = p.Stop(context.Background())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("SIGTERM ignored? took %v", d)
	}
	var ee *exec.ExitError
	if err := p.Err(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("exit error = %v, want death by SIGTERM", err)
	}
}

func TestLeaderExitKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	var out lines
	// The background child keeps stdout open; Done must still come.
	p := sh(t, `sleep 100 & echo $! > `+pidFile+`; echo bye`, &out, nil, 0)
	if err := wait(t, p); err != nil {
		t.Fatal(err)
	}
	child := waitPidFile(t, pidFile)
	deadline := time.Now().Add(2 * time.Second)
	for alive(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(child) {
		t.Error("child outlived its leader")
	}
	if got := out.get(); len(got) != 1 || got[0] != "bye" {
		t.Errorf("stdout = %q", got)
	}
}

func TestDrainDeliversWrittenLines(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "mark")
	var out lines
	p := sh(t, `i=0; while [ $i -lt 50 ]; do echo line$i; i=$((i+1)); done; touch `+mark+`; sleep 100`, &out, nil, 0)
	waitPidFile(t, mark)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := out.get(); len(got) != 50 || got[49] != "line49" {
		t.Errorf("after Drain got %d lines", len(got))
	}
	if err := p.Drain(ctx); err != nil { // nothing new: returns at once
		t.Fatal(err)
	}
	p.Kill()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPartialLinesAcrossReads: a line written in pieces, read by separate
// reads (the first consumed in place, its rest kept), comes out whole, and
// the next lines after it.
func TestPartialLinesAcrossReads(t *testing.T) {
	var out lines
	p := sh(t, `printf abc; sleep 0.2; printf 'def\nghi'; sleep 0.2; printf 'jkl\nmno\n'`, &out, nil, 0)
	_ = wait(t, p)
	if got := out.get(); !slices.Equal(got, []string{"abcdef", "ghijkl", "mno"}) {
		t.Errorf("lines %q", got)
	}
}

// TestDrainDeliversABurst: a burst on stdout and stderr that a slow
// consumer has not taken yet when the writer is done is delivered, in
// order, by the time Drain returns (what a caller logs next comes after it).
func TestDrainDeliversABurst(t *testing.T) {
	const n = 3000
	mark := filepath.Join(t.TempDir(), "mark")
	var out, errOut lines
	slow := func(l *lines) func([]string) {
		return func(ls []string) {
			time.Sleep(2 * time.Millisecond) // a consumer slower than the writer
			l.add(ls)
		}
	}
	burst := `seq ` + strconv.Itoa(n) + ` | sed 's/$/ the quick brown fox jumps over the lazy dog/'`
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", burst + `; ` + burst + ` >&2; touch ` + mark + `; sleep 100`},
		Env: []string{"PATH=/usr/bin:/bin"}, Dir: t.TempDir(), Stdout: slow(&out), Stderr: slow(&errOut)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	waitPidFile(t, mark)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*lines{"stdout": &out, "stderr": &errOut} {
		got := l.get()
		if len(got) != n {
			t.Fatalf("%s: %d lines after Drain, want %d", name, len(got), n)
		}
		for i, line := range got {
			if want := strconv.Itoa(i+1) + " the quick brown fox jumps over the lazy dog"; line != want {
				t.Fatalf("%s line %d = %q, want %q", name, i, line, want)
			}
		}
	}
}

func TestLongLinesAreSplit(t *testing.T) {
	var out lines
	p := sh(t, `head -c 600000 /dev/zero | tr '\0' x; echo`, &out, nil, 0)
	_ = wait(t, p)
	total := 0
	for _, l := range out.get() {
		if len(l) > maxLine {
			t.Fatalf("line of %d bytes", len(l))
		}
		total += len(l)
	}
	if total != 600000 {
		t.Errorf("got %d bytes", total)
	}
}

// splitLines hands over every complete line of a read, a CR before the LF
// dropped, overlong pieces cut at maxLine, and keeps the partial rest.
func TestSplitLines(t *testing.T) {
	long := strings.Repeat("x", 2*maxLine+5)
	for _, tc := range []struct {
		in   string
		want []string
		rest string
	}{
		{"", nil, ""},
		{"partial", nil, "partial"},
		{"a\nb\r\n\nc", []string{"a", "b", ""}, "c"},
		{"one\ntwo\n", []string{"one", "two"}, ""},
		{"x\r\r\n", []string{"x\r"}, ""},
		{long, []string{long[:maxLine], long[maxLine : 2*maxLine]}, "xxxxx"},
		{"end\n" + long, []string{"end", long[:maxLine], long[maxLine : 2*maxLine]}, "xxxxx"},
		// A complete line over maxLine (its start kept from earlier reads).
		{long + "\r\nnext", []string{long[:maxLine], long[maxLine : 2*maxLine], "xxxxx"}, "next"},
		{long[:maxLine] + "\n", []string{long[:maxLine]}, ""},
		{long[:maxLine] + "\r\n", []string{long[:maxLine]}, ""}, // no empty piece for the CR
	} {
		reuse := []string{"stale"}
		got, rest := splitLines([]byte(tc.in), reuse[:0])
		if !slices.Equal(got, tc.want) || string(rest) != tc.rest {
			t.Errorf("splitLines(%.20q) = %.20q, rest %.20q; want %.20q, rest %.20q", tc.in, got, rest, tc.want, tc.rest)
		}
		if string(dropLines([]byte(tc.in))) != tc.rest {
			t.Errorf("dropLines(%.20q) = %.20q, want %.20q", tc.in, dropLines([]byte(tc.in)), tc.rest)
		}
	}
}

// The lines of one write reach the callback in one call (a write of less
// than PIPE_BUF is read whole), not one call per line.
func TestLinesOfOneReadInOneCall(t *testing.T) {
	var mu sync.Mutex
	var calls [][]string
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", `printf 'a\nb\nc\n'`}, Env: []string{"PATH=/usr/bin:/bin"},
		Stdout: func(ls []string) {
			mu.Lock()
			calls = append(calls, slices.Clone(ls))
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	_ = wait(t, p)
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || !slices.Equal(calls[0], []string{"a", "b", "c"}) {
		t.Errorf("calls %q, want one call with a, b, c", calls)
	}
}

func TestSignalAfterExitIsHarmless(t *testing.T) {
	p := sh(t, `exit 0`, nil, nil, 0)
	if err := wait(t, p); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Error(err)
	}
	p.Kill()
	if _, ok := p.PeakRSS(); ok {
		t.Error("PeakRSS of a reaped process")
	}
}

func TestPeakRSS(t *testing.T) {
	p := sh(t, `sleep 100`, nil, nil, 0)
	if n, ok := p.PeakRSS(); !ok || n <= 0 {
		t.Errorf("PeakRSS = %d, %v", n, ok)
	}
}

func TestNoGoroutinesLeft(t *testing.T) {
	for i := 0; i < 5; i++ {
		p := sh(t, `echo hi; sleep 100`, &lines{}, &lines{}, 50*time.Millisecond)
		_ = p.Stop(context.Background())
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		n := strings.Count(stacks, "internal/process.(*")
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of the package still running:\n%s", n, stacks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitPidFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if err == nil {
			s := strings.TrimSpace(string(b))
			if s == "" {
				return 0
			}
			if n, err := strconv.Atoi(s); err == nil {
				return n
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never written", path)
	return 0
}

// frame encodes one record as a runtime client writes it.
func frame(typ uint32, at time.Time, text string) []byte {
	b := make([]byte, 16, 16+len(text))
	binary.BigEndian.PutUint32(b, typ)
	binary.BigEndian.PutUint32(b[4:], uint32(len(text)))
	binary.BigEndian.PutUint64(b[8:], uint64(at.UnixMicro()))
	return append(b, text...)
}

// TestRecords: framed records on RecordsFD arrive whole, with their type
// and time, however the writes split them; bytes that are not a frame, and
// all after them, arrive as lines.
func TestRecords(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2025, 3, 4, 5, 6, 7, 891000, time.UTC)
	stream := append(frame(0xa55a0017, at, "[ERROR] boom\nTraceback:\n  here"), frame(0xa55a0002, at.Add(time.Millisecond), `{"level":"INFO"}`+"\n")...)
	split := 20 // inside the first frame's message
	stream = append(stream, "not a frame\r\nlast"...)
	if err := os.WriteFile(filepath.Join(dir, "a"), stream[:split], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b"), stream[split:], 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []Record
	p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", `cat a >&3; sleep 0.1; cat b >&3; echo out`},
		Env: []string{"PATH=/usr/bin:/bin"}, Dir: dir,
		Records: func(r Record) {
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := wait(t, p); err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{Type: 0xa55a0017, Time: at, Text: "[ERROR] boom\nTraceback:\n  here"},
		{Type: 0xa55a0002, Time: at.Add(time.Millisecond), Text: `{"level":"INFO"}` + "\n"},
		{Text: "not a frame"},
		{Text: "last"},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("records %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Type != want[i].Type || !got[i].Time.Equal(want[i].Time) || got[i].Text != want[i].Text {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
