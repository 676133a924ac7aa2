package sandbox

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// RuntimeSupport is what this machine offers a runtime's functions.
type RuntimeSupport struct {
	// Interpreter is the program that runs them ("" for runtimes that run
	// the function's own executable, provided.* and go1.x).
	Interpreter string
	// Version is the interpreter's version ("3.11.7", "20.20.2"); "" when
	// it could not be told.
	Version string
	// Want is the version the runtime names ("3.12" for python3.12, "24"
	// for nodejs24.x); "" for runtimes that name none.
	Want string
}

// Matches reports whether the interpreter is of the version the runtime
// names (true when either is unknown).
func (r RuntimeSupport) Matches() bool {
	return r.Want == "" || r.Version == "" || r.Version == r.Want || strings.HasPrefix(r.Version, r.Want+".")
}

// Support tells how functions of runtime would run here, before any does:
// an error that is ErrUnsupportedRuntime when the engine has no such runtime
// (java21, ruby3.3...), or a *RuntimeUnavailableError when the interpreter
// it needs is missing or out of isolated functions' reach. Otherwise it
// names the interpreter and its version, which it asks the interpreter for.
func (m *Manager) Support(runtime string) (RuntimeSupport, error) {
	family, err := runtimeFamily(runtime)
	if err != nil {
		return RuntimeSupport{}, err
	}
	var program string
	var s RuntimeSupport
	switch family {
	case familyPython:
		program, s.Want = "python3", strings.TrimPrefix(runtime, "python")
	case familyNode:
		program, s.Want = "node", strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
	default:
		return RuntimeSupport{}, nil
	}
	if s.Interpreter, err = m.interpreter(program, runtime); err != nil {
		return RuntimeSupport{}, err
	}
	s.Version = interpreterVersion(s.Interpreter)
	return s, nil
}

// interpreterVersion asks python3 or node for its version: "Python 3.11.7"
// and "v20.20.2" become "3.11.7" and "20.20.2" ("" if it does not answer).
func interpreterVersion(path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(string(out))
	v = strings.TrimPrefix(v, "Python ")
	return strings.TrimPrefix(v, "v")
}
