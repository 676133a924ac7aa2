package main

import (
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminalQueryRE matches the escape sequences that ask a terminal for an
// answer: OSC colour queries (`ESC ]11;?`), device status and attribute
// requests (`ESC [6n`, `ESC [c`, `ESC [>c`), mode and keyboard queries
// (`ESC [?2026$p`, `ESC [?u`), the version and window-size reports
// (`ESC [>q`, `ESC [18t`) and DCS requests (`ESC P`).
var terminalQueryRE = regexp.MustCompile(`\x1b\][0-9;]*\?|\x1b\[[?>=]?[0-9;]*[nc]|\x1b\[\??[0-9;]*\$p|\x1b\[\?u|\x1b\[>[0-9]*q|\x1b\[(1[4689]|2[01])t|\x1bP`)

func TestTerminalQueryRE(t *testing.T) {
	for _, q := range []string{"\x1b]11;?\x07", "\x1b]10;?\x1b\\", "\x1b[6n", "\x1b[?6n", "\x1b[c", "\x1b[>c", "\x1b[?2026$p", "\x1b[?u", "\x1b[>0q", "\x1b[18t", "\x1bP+q544e\x1b\\"} {
		if !terminalQueryRE.MatchString(q) {
			t.Errorf("%q is not seen as a query", q)
		}
	}
	for _, s := range []string{"\x1b[1m", "\x1b[0m", "\x1b[7m", "\x1b[?1049h", "\x1b[?25l", "\x1b[2J", "\x1b[38;5;9m", "plain text\r\n"} {
		if terminalQueryRE.MatchString(s) {
			t.Errorf("%q is seen as a query", s)
		}
	}
}

// onSilentTerminal runs the built binary with args on a pseudo-terminal
// (stdin, stdout and stderr) that never answers anything. ready, if not
// nil, is called with the output so far until it returns true; then the
// process gets SIGTERM. It returns everything the process wrote to the
// terminal once it has exited; a process that does not exit within 30 s
// (a bound on failure, not a timing) fails the test.
func onSilentTerminal(t *testing.T, ready func(string) bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(reservoirBinary(t), args...)
	cmd.Env = append(noAWSEnv(t), "TERM=xterm-256color")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var out syncBuffer
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf) // ends (EIO) once the process and its children have closed the terminal
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	guard := time.After(30 * time.Second)
	if ready != nil {
		for !ready(out.String()) {
			select {
			case err := <-exited:
				t.Fatalf("reservoir %s exited (%v) before it was ready:\n%q", strings.Join(args, " "), err, out.String())
			case <-guard:
				_ = cmd.Process.Kill()
				t.Fatalf("reservoir %s never got ready:\n%q", strings.Join(args, " "), out.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if err != nil {
			t.Errorf("reservoir %s: %v\n%q", strings.Join(args, " "), err, out.String())
		}
	case <-guard:
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("reservoir %s did not exit on its own on a terminal that does not answer:\n%q", strings.Join(args, " "), out.String())
	}
	// The terminal's side reads what is left once the process is gone.
	select {
	case <-drained:
	case <-time.After(30 * time.Second):
		t.Fatalf("the terminal never closed after reservoir %s exited", strings.Join(args, " "))
	}
	return out.String()
}

// TestNoTerminalQueries: `reservoir --version`, `reservoir serve` (up to
// its listening line, then SIGTERM) and `reservoir top --once`, run on a
// terminal that never answers, write no sequence that asks the terminal
// for an answer, and exit on their own. (bubbletea v1 asked for the
// background colour in a package init, so every command waited for an
// answer that never came.) top --once on a terminal still styles its frame.
func TestNoTerminalQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	srv := newSnapshotServer(t, 200, snapshotJSON(t), nil)
	for _, tc := range []struct {
		args  []string
		ready func(string) bool
		check func(string) bool
	}{
		{[]string{"--version"}, nil, func(out string) bool { return strings.HasPrefix(out, "reservoir ") }},
		{[]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--executor", "simulate"},
			func(out string) bool { return listeningRE.MatchString(out) },
			func(out string) bool { return strings.Contains(out, "reservoir stopped") }},
		{[]string{"top", "--once", "--endpoint", srv.URL, "--account", "123456789012", "--region", "us-east-1"}, nil,
			func(out string) bool {
				// A styled header on a terminal, its row of figures.
				return strings.Contains(out, "\x1b[") && strings.Contains(out, "FUNCTION") && strings.Contains(out, "busy")
			}},
	} {
		out := onSilentTerminal(t, tc.ready, tc.args...)
		if q := terminalQueryRE.FindString(out); q != "" {
			t.Errorf("reservoir %s asked the terminal %q:\n%q", strings.Join(tc.args, " "), q, out)
		}
		if !tc.check(out) {
			t.Errorf("reservoir %s on a terminal wrote:\n%q", strings.Join(tc.args, " "), out)
		}
	}
}
