package app

import (
	"errors"
	"strings"
	"sync"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
)

// runtimeChecker tells the domain which runtimes the sandbox can run on
// this machine. What it finds is kept, except a missing interpreter, which
// is looked for again next time (it may have been installed since).
type runtimeChecker struct {
	m *sandbox.Manager

	mu    sync.Mutex
	known map[string]lambda.RuntimeCheck // by runtime
}

func newRuntimeChecker(m *sandbox.Manager) *runtimeChecker {
	return &runtimeChecker{m: m, known: map[string]lambda.RuntimeCheck{}}
}

func (c *runtimeChecker) CheckRuntime(runtime string) lambda.RuntimeCheck {
	c.mu.Lock()
	r, ok := c.known[runtime]
	c.mu.Unlock()
	if ok {
		return r
	}
	s, err := c.m.Support(runtime)
	switch {
	case errors.Is(err, sandbox.ErrRuntimeUnavailable):
		return lambda.RuntimeCheck{Missing: err.Error()}
	case err != nil: // the sandbox's error says what is missing
		r.Missing = strings.TrimPrefix(err.Error(), "sandbox: ")
	case !s.Matches():
		r.Substitute = s.Interpreter + " " + s.Version
	}
	c.mu.Lock()
	c.known[runtime] = r
	c.mu.Unlock()
	return r
}
