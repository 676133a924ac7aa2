package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSupport: before any function runs, the manager tells which runtimes
// it has no engine for, which lack their interpreter, and which interpreter
// version would serve the others.
func TestSupport(t *testing.T) {
	bin := t.TempDir()
	// A python3 that is 3.9.1, as `python3 --version` says; no node.
	fake := filepath.Join(bin, "python3")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.1'\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Options{Isolation: IsolationOff, HostPath: bin})

	for rt, want := range map[string]RuntimeSupport{
		"python3.9":       {Interpreter: fake, Version: "3.9.1", Want: "3.9"},
		"python3.12":      {Interpreter: fake, Version: "3.9.1", Want: "3.12"},
		"provided.al2023": {},
	} {
		got, err := m.Support(rt)
		if err != nil || got != want {
			t.Errorf("Support(%s) = %+v, %v; want %+v", rt, got, err, want)
		}
		if matches := got.Matches(); matches != (rt != "python3.12") {
			t.Errorf("Support(%s).Matches() = %v", rt, matches)
		}
	}
	var unavailable *RuntimeUnavailableError
	if _, err := m.Support("nodejs20.x"); !errors.As(err, &unavailable) || unavailable.Program != "node" {
		t.Errorf("Support(nodejs20.x) without node: %v", err)
	}
	for _, rt := range []string{"java21", "ruby3.3", "dotnet8"} {
		if _, err := m.Support(rt); !errors.Is(err, ErrUnsupportedRuntime) {
			t.Errorf("Support(%s): %v, want ErrUnsupportedRuntime", rt, err)
		}
	}
	for v, want := range map[string]bool{"20.20.2": true, "20": true, "2.0.1": false, "200.1": false, "": true} {
		if got := (RuntimeSupport{Version: v, Want: "20"}).Matches(); got != want {
			t.Errorf("version %q of runtime version 20: Matches() = %v", v, got)
		}
	}
}
